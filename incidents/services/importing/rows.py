"""New rows of the registry's tables from plain value tuples, with their history rows (PostgreSQL).

The importer writes new incidents, their children and new sources as tuples built straight from
validated values, without model instances. A `Layout` says which values a tuple holds (the
`known` attribute names, in order) and fills the columns it does not know with the model field's
default, so a field added to a model later is filled as `Model()` would fill it.

`copy_with_history` COPYs the rows in PostgreSQL's binary format (each value's bytes as the
column's type has them: several times cheaper to produce and to read than text), then their
history rows, made of the same values: what `bulk_history_create` gives them, the tracked
fields, the date, no change reason, `+`, the user. (Reading the rows back for their history,
as this did before, cost the server 25–40 % more per row.) So every tracked column, ids
included, is among the values: a historical model's layout has nothing `generated`. Large
parameters (thousands of ids) go through `binding_cursor`, bound by the server rather than
quoted into the SQL text.
"""

import json
from collections.abc import Callable
from dataclasses import dataclass
from functools import partial
from operator import itemgetter

import psycopg
from django.conf import settings
from django.contrib.postgres.search import SearchVectorField
from django.db import connection, models
from psycopg.types.json import Jsonb
from simple_history.exceptions import NotHistoricalModelError
from simple_history.utils import get_history_model_for_model

_LAYOUTS: dict = {}


@dataclass(frozen=True)
class Layout:
    model: type
    table: str
    columns: tuple[str, ...]  # the known columns, then the defaulted ones
    defaults: tuple  # values of the defaulted columns
    history_table: str | None
    history_columns: tuple[str, ...]  # tracked columns, all among `columns`
    history_values: Callable | None  # a full row -> the tuple of its tracked columns' values

    def rows(self, values: list[tuple]) -> list[tuple]:
        """Full rows: the known values, then the defaults."""
        if not self.defaults:
            return values
        defaults = self.defaults
        return [row + defaults for row in values]


def layout(model, known: tuple[str, ...], *, generated: tuple[str, ...] = ()) -> Layout:
    """The layout of `model` for tuples of the `known` attributes; the `generated` ones (an id
    from the table's sequence) are left to the database."""
    key = (model, known, generated)
    cached = _LAYOUTS.get(key)
    if cached is not None:
        return cached
    fields = [f for f in model._meta.concrete_fields if not isinstance(f, SearchVectorField)]
    by_attname = {f.attname: f for f in fields}
    unknown = set(known) - set(by_attname)
    if unknown:
        raise ValueError(f"{model.__name__} has no columns {sorted(unknown)}")
    others = [f for f in fields if f.attname not in known and f.attname not in generated]
    for f in others:
        if f.has_default() and callable(f.default):
            raise ValueError(f"{model.__name__}.{f.name} needs a value per row: add it to known")
    columns = (*(by_attname[name].column for name in known), *(f.column for f in others))
    history_table, history_columns, history_values = None, (), None
    if getattr(settings, "SIMPLE_HISTORY_ENABLED", True):
        try:
            history_model = get_history_model_for_model(model)
        except NotHistoricalModelError:
            history_model = None
        if history_model is not None:
            history_table = history_model._meta.db_table
            history_columns = tuple(f.column for f in history_model.tracked_fields)
            missing = [c for c in history_columns if c not in columns]
            if missing:
                raise ValueError(
                    f"{model.__name__}'s history needs {missing}: give them values, its history "
                    "rows are made of them"
                )
            positions = [columns.index(c) for c in history_columns]
            history_values = (
                itemgetter(*positions)
                if len(positions) > 1
                else lambda row, at=positions[0]: (row[at],)  # itemgetter gives no tuple
            )
    result = _LAYOUTS[key] = Layout(
        model=model,
        table=model._meta.db_table,
        columns=columns,
        defaults=tuple(_db_default(f) for f in others),
        history_table=history_table,
        history_columns=history_columns,
        history_values=history_values,
    )
    return result


def _db_default(model_field):
    value = model_field.get_default()
    if isinstance(model_field, models.JSONField) and value is not None:
        return json_value(model_field, value)
    return value


def json_value(model_field, value):
    """A JSON field's value for binary COPY, encoded as the field encodes it."""
    if value is None:
        return None
    if model_field.encoder is None:
        return Jsonb(value)
    return Jsonb(value, dumps=partial(json.dumps, cls=model_field.encoder))


def binding_cursor():
    """A cursor on the import's connection whose parameters the server binds (the settings'
    cursors quote them into the SQL text: slow for a list of thousands of ids)."""
    return psycopg.Cursor(connection.connection)


_TYPES: dict = {}
_TSVECTOR, _BYTEA = 3614, 17


def _column_types(table: str, columns: tuple[str, ...]) -> list[int]:
    """The type oids of `columns`; a tsvector is sent as the bytes of its binary form."""
    key = (connection.settings_dict["NAME"], table)
    types = _TYPES.get(key)
    if types is None:
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT attname, atttypid FROM pg_attribute "
                "WHERE attrelid = %s::regclass AND attnum > 0 AND NOT attisdropped",
                [connection.ops.quote_name(table)],
            )
            types = _TYPES[key] = dict(cursor.fetchall())
    return [_BYTEA if types[c] == _TSVECTOR else types[c] for c in columns]


def copy_rows(cursor, table: str, columns: tuple[str, ...], rows) -> None:
    """COPY `rows` (tuples in `columns` order) into `table`, in binary format."""
    quote = connection.ops.quote_name
    names = ", ".join(quote(c) for c in columns)
    types = _column_types(table, columns)
    with cursor.cursor.copy(f"COPY {quote(table)} ({names}) FROM STDIN (FORMAT BINARY)") as copy:
        copy.set_types(types)
        write = copy.write_row
        for row in rows:
            write(row)


def copy_with_history(
    cursor,
    layout_: Layout,
    values: list[tuple],
    *,
    stamp: tuple,
    extra: tuple[str, ...] = (),
) -> None:
    """COPY the rows of `values` and their `+` history rows; `stamp` is (date, user id).

    A tuple may end with values for the `extra` columns (the search document, which the layout
    leaves out and history does not track).
    """
    if not values:
        return
    rows = values
    if layout_.defaults:
        known, defaults = len(values[0]) - len(extra), layout_.defaults
        rows = [row[:known] + defaults + row[known:] for row in values]
    copy_rows(cursor, layout_.table, (*layout_.columns, *extra), rows)
    if layout_.history_table is None:
        return
    tail = history_tail(stamp, "+")
    tracked = layout_.history_values
    history = [tracked(row) + tail for row in rows]
    copy_rows(cursor, layout_.history_table, (*layout_.history_columns, *HISTORY_COLUMNS), history)


# What a history row holds beside the tracked fields, as `bulk_history_create` fills it.
HISTORY_COLUMNS = ("history_date", "history_change_reason", "history_type", "history_user_id")


def history_tail(stamp: tuple, history_type: str) -> tuple:
    """The values of HISTORY_COLUMNS for a history row of `history_type` ("+", "~", "-")
    stamped with `stamp` (date, user id): no change reason."""
    date, user_id = stamp
    return (date, None, history_type, user_id)


def next_ids(cursor, model, count: int) -> list[int]:
    """`count` ids from the sequence of `model`'s primary key."""
    return next_ids_of(cursor, [(model, count)])[0]


def next_ids_of(cursor, wanted: list[tuple]) -> list[list[int]]:
    """For each (model, count) of `wanted`, `count` ids from its sequence: one statement."""
    if not any(count > 0 for _, count in wanted):
        return [[] for _ in wanted]
    draws = ", ".join(
        "(SELECT array_agg(nextval(%s::regclass)) FROM generate_series(1, %s))" for _ in wanted
    )
    cursor.execute(
        f"SELECT {draws}", [value for model, count in wanted for value in (_sequence(model), count)]
    )
    return [list(ids) if ids else [] for ids in cursor.fetchone()]


_SEQUENCES: dict = {}


def _sequence(model) -> str:
    """The name of the sequence behind `model`'s primary key, looked up once per database:
    `pg_get_serial_sequence` in the statement itself ran once per id, a catalog lookup each
    (30 ms for 2,000 ids)."""
    key = (connection.settings_dict["NAME"], model._meta.db_table)
    name = _SEQUENCES.get(key)
    if name is None:
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT pg_get_serial_sequence(%s, %s)",
                [model._meta.db_table, model._meta.pk.column],
            )
            name = _SEQUENCES[key] = cursor.fetchone()[0]
    return name
