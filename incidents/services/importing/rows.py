"""New rows of the registry's tables from plain value tuples, with their history rows (PostgreSQL).

The importer writes new incidents, their children and new sources as tuples built straight from
validated values, without model instances. A `Layout` says which values a tuple holds (the
`known` attribute names, in order) and fills the columns it does not know with the model field's
default, so a field added to a model later is filled as `Model()` would fill it.

`copy_with_history` COPYs the rows in PostgreSQL's binary format (each value's bytes as the
column's type has them: several times cheaper to produce and to read than text), then writes
their history rows in one statement that reads them back by a key naming exactly the rows just
written (their ids, or their incidents' ids for children of new incidents): a row the table
numbers itself gets its history row with that number. The history rows hold what
`bulk_history_create` gives them: the tracked fields, the date, no change reason, `+`, the user.
Large parameters (thousands of ids) go through `binding_cursor`, bound by the server rather than
quoted into the SQL text.
"""

import json
from dataclasses import dataclass
from functools import partial

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
    history_columns: tuple[str, ...]  # tracked columns, all among `columns` or generated

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
    history_table, history_columns = None, ()
    if getattr(settings, "SIMPLE_HISTORY_ENABLED", True):
        try:
            history_model = get_history_model_for_model(model)
        except NotHistoricalModelError:
            history_model = None
        if history_model is not None:
            history_table = history_model._meta.db_table
            history_columns = tuple(f.column for f in history_model.tracked_fields)
    result = _LAYOUTS[key] = Layout(
        model=model,
        table=model._meta.db_table,
        columns=(*(by_attname[name].column for name in known), *(f.column for f in others)),
        defaults=tuple(_db_default(f) for f in others),
        history_table=history_table,
        history_columns=history_columns,
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
    key: tuple[str, list],
    extra: tuple[str, ...] = (),
    later: list | None = None,
) -> None:
    """COPY the rows of `values` and write their `+` history rows; `stamp` is (date, user id).

    `key` is (column, values): the table's rows with those values in that column are exactly
    the rows written. A tuple may end with values for the `extra` columns (the search document,
    which the layout leaves out). With a `later` list, the history rows are not written now:
    a function writing them is appended to it, for the caller to call.
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
    if later is not None:
        later.append(partial(_write_history, layout_, stamp=stamp, key=key))
    else:
        _write_history(layout_, stamp=stamp, key=key)


def _write_history(layout_: Layout, *, stamp: tuple, key: tuple[str, list]) -> None:
    quote = connection.ops.quote_name
    tracked = ", ".join(quote(c) for c in layout_.history_columns)
    column, keys = key
    with binding_cursor() as bound:
        bound.execute(
            f"INSERT INTO {quote(layout_.history_table)} ({tracked}, history_date, "
            "history_change_reason, history_type, history_user_id) "
            f"SELECT {tracked}, %s, NULL, '+', %s FROM {quote(layout_.table)} "
            f"WHERE {quote(column)} = ANY(%b)",
            [*stamp, keys],
        )


def next_ids(cursor, model, count: int) -> list[int]:
    """`count` ids from the sequence of `model`'s primary key."""
    if count <= 0:
        return []
    cursor.execute(
        "SELECT array_agg(nextval(%s::regclass)) FROM generate_series(1, %s)",
        [_sequence(model), count],
    )
    return cursor.fetchone()[0]


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
