"""Bulk writes of model instances with their history rows: a statement per table and batch.

The importer's changed incidents (and, on SQLite, its new ones) are planned as model instances
by `services.records`; this writes them. simple-history records a save through signals, which
bulk statements do not send; its `bulk_create_with_history`/`bulk_update_with_history` write
the history rows alongside. On PostgreSQL new rows (and their history rows) go in by COPY
instead, about ten times faster than a multi-row INSERT: ids are drawn from the table's
sequence first, so the children can refer to them. Deleted rows get their "-" history row
here, since a bulk delete sends no signal either. The history rows carry exactly the fields
`bulk_history_create` would give them.
"""

import json
import zlib

from django.conf import settings
from django.contrib.postgres.search import SearchVectorField
from django.db import connection, models
from django.utils import timezone
from simple_history.utils import (
    bulk_create_with_history,
    bulk_update_with_history,
    get_history_model_for_model,
)

from incidents.services.importing.rows import HISTORY_COLUMNS, history_tail, next_ids

_BATCH = 1000


class BulkWriter:
    """Writes rows of one import: every row and history row stamped with the same user and time."""

    def __init__(self, *, by):
        self.user = by if by is not None and getattr(by, "is_authenticated", False) else None
        self.user_id = self.user.pk if self.user is not None else None
        self.now = timezone.now()
        self.stamp = (self.now, self.user_id)  # of every history row written
        self.copy = connection.vendor == "postgresql"
        self.history = getattr(settings, "SIMPLE_HISTORY_ENABLED", True)

    def reserve_ids(self, model, objs: list) -> None:
        """On PostgreSQL, give `objs` their ids now, so that rows referring to them can go first."""
        meta = model._meta
        pending = [obj for obj in objs if getattr(obj, meta.pk.attname) is None]
        if self.copy and pending:
            with connection.cursor() as cursor:
                ids = next_ids(cursor, model, len(pending))
            for obj, pk in zip(pending, ids, strict=True):
                setattr(obj, meta.pk.attname, pk)

    def create(self, model, objs: list) -> None:
        """Insert `objs` (their foreign keys resolved from related objects), ids assigned."""
        if not objs:
            return
        _resolve_foreign_keys(model, objs)
        if not self.copy:
            bulk_create_with_history(
                objs, model, batch_size=_BATCH, default_user=self.user, default_date=self.now
            )
            return
        meta = model._meta
        if isinstance(meta.pk, models.AutoField | models.BigAutoField | models.SmallAutoField):
            self.reserve_ids(model, objs)
        stamped = [f for f in meta.concrete_fields if getattr(f, "auto_now_add", False)]
        stamped += [f for f in meta.concrete_fields if getattr(f, "auto_now", False)]
        for obj in objs:
            for model_field in stamped:
                setattr(obj, model_field.attname, self.now)
            obj._state.adding = False
        fields = [f for f in meta.concrete_fields if not isinstance(f, SearchVectorField)]
        self._copy(meta.db_table, fields, objs)
        self._copy_history(model, objs, "+")

    def update(self, model, objs: list, fields: list[str]) -> None:
        """Write `fields` of `objs`, each with a "~" history row.

        On PostgreSQL the new values go by COPY into a temporary table and from there into the
        table in one UPDATE ... FROM: Django's bulk_update writes a CASE per field and row, whose
        building alone costs milliseconds per row.
        """
        if not objs:
            return
        if not self.copy:
            bulk_update_with_history(
                objs,
                model,
                fields,
                batch_size=_BATCH,
                default_user=self.user,
                default_date=self.now,
            )
            return
        meta = model._meta
        quote = connection.ops.quote_name
        columns = [meta.pk, *(meta.get_field(name) for name in fields)]
        names = [quote(f.column) for f in columns]
        stage = f"{meta.db_table}_update_{zlib.crc32(repr(names).encode()):08x}"
        with connection.cursor() as cursor:
            cursor.execute(
                f"CREATE TEMPORARY TABLE IF NOT EXISTS {quote(stage)} ON COMMIT DROP AS "
                f"SELECT {', '.join(names)} FROM {quote(meta.db_table)} WITH NO DATA"
            )
            self._copy(stage, columns, objs)
            assignments = ", ".join(f"{name} = staged.{name}" for name in names[1:])
            cursor.execute(
                f"UPDATE {quote(meta.db_table)} AS target SET {assignments} "
                f"FROM {quote(stage)} AS staged WHERE target.{names[0]} = staged.{names[0]}"
            )
            cursor.execute(f"TRUNCATE {quote(stage)}")
        self._copy_history(model, objs, "~")

    def delete(self, model, objs: list) -> None:
        """Delete `objs`, each with a "-" history row (a bulk delete sends no signal)."""
        if not objs:
            return
        if self.copy:
            self._copy_history(model, objs, "-")
        elif self.history:
            history_model = get_history_model_for_model(model)
            history_model.objects.bulk_create(
                [self._history_row(history_model, obj, "-") for obj in objs],
                batch_size=_BATCH,
            )
        meta = model._meta
        table, column = connection.ops.quote_name(meta.db_table), meta.pk.column
        pks = [obj.pk for obj in objs]
        with connection.cursor() as cursor:
            for start in range(0, len(pks), _BATCH):
                batch = pks[start : start + _BATCH]
                placeholders = ", ".join(["%s"] * len(batch))
                cursor.execute(
                    f"DELETE FROM {table} WHERE {connection.ops.quote_name(column)} "
                    f"IN ({placeholders})",
                    batch,
                )

    def _history_row(self, history_model, obj, history_type: str):
        return history_model(
            history_date=self.now,
            history_user=self.user,
            history_change_reason=None,
            history_type=history_type,
            **{f.attname: getattr(obj, f.attname) for f in history_model.tracked_fields},
        )

    def _copy(self, table: str, fields: list, objs: list, extra: dict | None = None) -> None:
        """COPY the `fields` of `objs` into `table`, plus constant `extra` columns."""
        extra = extra or {}
        names = [f.attname for f in fields]
        jsons = [
            (index, f.encoder) for index, f in enumerate(fields) if isinstance(f, models.JSONField)
        ]
        quote = connection.ops.quote_name
        columns = ", ".join(quote(c) for c in [*(f.column for f in fields), *extra])
        constants = tuple(extra.values())
        with connection.cursor() as cursor:
            with cursor.cursor.copy(f"COPY {quote(table)} ({columns}) FROM STDIN") as copy:
                for obj in objs:
                    row = [getattr(obj, name) for name in names]
                    for index, encoder in jsons:
                        if row[index] is not None:
                            row[index] = json.dumps(row[index], cls=encoder)
                    copy.write_row((*row, *constants))

    def _copy_history(self, model, objs: list, history_type: str) -> None:
        if not self.history:
            return
        history_model = get_history_model_for_model(model)
        self._copy(
            history_model._meta.db_table,
            list(history_model.tracked_fields),
            objs,
            extra=dict(zip(HISTORY_COLUMNS, history_tail(self.stamp, history_type), strict=True)),
        )


def _resolve_foreign_keys(model, objs: list) -> None:
    """Take the ids of related objects saved since they were assigned (as Model.save() does)."""
    relations = [f for f in model._meta.concrete_fields if f.is_relation]
    for obj in objs:
        for relation in relations:
            if getattr(obj, relation.attname) is None and relation.is_cached(obj):
                related = relation.get_cached_value(obj)
                if related is not None:
                    setattr(obj, relation.attname, related.pk)
