"""Bulk writes of history-tracked rows: a statement per table and batch, history rows included.

simple-history records a save through signals, which bulk statements do not send; its
`bulk_create_with_history`/`bulk_update_with_history` write the history rows alongside. On
PostgreSQL new rows (and their history rows) go in by COPY instead, about ten times faster than
a multi-row INSERT: ids are drawn from the table's sequence first, so the children can refer to
them. Deleted rows get their "-" history row here, since a bulk delete sends no signal either.
The history rows carry exactly the fields `bulk_history_create` would give them.
"""

import json

from django.conf import settings
from django.contrib.postgres.search import SearchVectorField
from django.db import connection, models
from django.utils import timezone
from simple_history.utils import (
    bulk_create_with_history,
    bulk_update_with_history,
    get_history_model_for_model,
)

_BATCH = 1000


class BulkWriter:
    """Writes rows of one import: every row and history row stamped with the same user and time."""

    def __init__(self, *, by):
        self.user = by if by is not None and getattr(by, "is_authenticated", False) else None
        self.now = timezone.now()
        self.copy = connection.vendor == "postgresql"
        self.history = getattr(settings, "SIMPLE_HISTORY_ENABLED", True)

    def reserve_ids(self, model, objs: list) -> None:
        """On PostgreSQL, give `objs` their ids now, so that rows referring to them can go first."""
        meta = model._meta
        pending = [obj for obj in objs if getattr(obj, meta.pk.attname) is None]
        if self.copy and pending:
            ids = self._next_ids(meta.db_table, meta.pk.column, len(pending))
            for obj, pk in zip(pending, ids, strict=True):
                setattr(obj, meta.pk.attname, pk)

    def create(self, model, objs: list, *, search_document: str | None = None) -> None:
        """Insert `objs` (their foreign keys resolved from related objects), ids assigned.

        `search_document(row)` gives the SQL of a computed `search_vector` column, filled on
        PostgreSQL as the rows go in (a later UPDATE would write every row and index twice).
        """
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
        if search_document is None:
            self._copy(meta.db_table, fields, objs)
        else:
            self._copy_computed(meta, fields, objs, search_document)
        self._copy_history(model, objs, "+")

    def _copy_computed(self, meta, fields: list, objs: list, search_document) -> None:
        """COPY into a temporary table, then INSERT ... SELECT adding the computed column."""
        quote = connection.ops.quote_name
        stage = f"{meta.db_table}_import_stage"
        columns = ", ".join(quote(f.column) for f in fields)
        computed = next(f.column for f in meta.concrete_fields if isinstance(f, SearchVectorField))
        with connection.cursor() as cursor:
            cursor.execute(
                f"CREATE TEMPORARY TABLE IF NOT EXISTS {quote(stage)} "
                f"(LIKE {quote(meta.db_table)} INCLUDING DEFAULTS) ON COMMIT DROP"
            )
            self._copy(stage, fields, objs)
            cursor.execute(
                f"INSERT INTO {quote(meta.db_table)} ({columns}, {quote(computed)}) "
                f"SELECT {columns}, {search_document('staged')} FROM {quote(stage)} AS staged"
            )
            cursor.execute(f"TRUNCATE {quote(stage)}")

    def update(self, model, objs: list, fields: list[str]) -> None:
        if objs:
            bulk_update_with_history(
                objs,
                model,
                fields,
                batch_size=_BATCH,
                default_user=self.user,
                default_date=self.now,
            )

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

    def _next_ids(self, table: str, column: str, count: int) -> list[int]:
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT nextval(pg_get_serial_sequence(%s, %s)) FROM generate_series(1, %s)",
                [table, column, count],
            )
            return [row[0] for row in cursor.fetchall()]

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
            extra={
                "history_date": self.now,
                "history_change_reason": None,
                "history_type": history_type,
                "history_user_id": self.user.pk if self.user is not None else None,
            },
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
