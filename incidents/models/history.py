"""Record history (simple-history) with only the indexes the registry reads history by.

simple-history indexes, in every history table, the object's id, each foreign key, the editor,
the date and every field unique in the model (on PostgreSQL each text one twice, with a
`varchar_pattern_ops` twin). The registry reads history by object only: an incident's history
by the incident's id (`api.history`, `admin.history`), a source's, platform's or contact's by
its id (the admin's history page, which then orders those few rows by date). Every other index
only made each write slower (an import writes some seven history rows per new incident) and
the tables larger (the source url's two indexes alone: 444 MB at a million incidents).

The editor is kept as a foreign key the ORM follows (`select_related("history_user")`), without
a database constraint: that checked the editor's row once per history row, the largest share
of an import's foreign-key checks. Deleting a user still sets their history rows' editor to
null through the ORM (`on_delete=SET_NULL`), scanning each history table: staff accounts are
deactivated, not deleted (docs/security.md).
"""

from simple_history.models import HistoricalRecords


class History(HistoricalRecords):
    """`HistoricalRecords` whose table indexes only the fields named in `indexed`."""

    def __init__(self, *, indexed: tuple[str, ...], **options):
        self.indexed = frozenset(indexed)
        super().__init__(user_db_constraint=False, **options)

    def copy_fields(self, model):
        fields = super().copy_fields(model)
        missing = self.indexed - set(fields)
        if missing:
            raise ValueError(f"{model.__name__} history has no fields {sorted(missing)}")
        for name, field in fields.items():
            field.db_index = name in self.indexed
        return fields

    def _get_history_user_fields(self):
        # simple-history offers no switch for this index (pinned version: see requirements.txt).
        fields = super()._get_history_user_fields()
        fields["history_user"].db_index = False
        return fields
