"""One batch of checked incidents against the registry: unchanged, changed or new, then written.

Runs on the import's database thread (see `worker`): it owns what only that thread touches, the
sources met so far and the bulk writer, and hands the caller a `Settled` to fold into the report.
New incidents are written as plain rows (`creating`, PostgreSQL); changed ones, and every one on
SQLite, through the plans of `services.records`, as a curator's save is. After one batch is
refused by the database no other is written: the import is rolled back anyway.
"""

from collections import defaultdict
from concurrent.futures import Future
from dataclasses import dataclass, field
from threading import Event

from django.db import DatabaseError, connection, transaction

from incidents.choices import IncidentStatus
from incidents.models import Incident, Source
from incidents.services.feed import record_changes
from incidents.services.importing.bulk import BulkWriter
from incidents.services.importing.creating import NewIncidents
from incidents.services.importing.reading import Record
from incidents.services.importing.rows import copy_with_history, layout, next_ids
from incidents.services.importing.search_documents import SearchDocuments
from incidents.services.importing.sources import SourceRegistry
from incidents.services.importing.unchanged import StoredKey
from incidents.services.records import load_stored, plan_incident_write
from incidents.services.search import refresh_search_documents
from incidents.services.state import clean_state
from incidents.services.validation import SOURCE_FIELDS, CleanIncident

_INCIDENT_UPDATE_FIELDS = [
    f.name
    for f in Incident._meta.concrete_fields
    if f.name not in {"id", "created_at", "search_vector"}
]
_SOURCE_COLUMNS = ("id", *SOURCE_FIELDS)


@dataclass
class Checked:
    """A validated record: its stored incident's key (None: new) and whether --publish publishes it."""

    record: Record
    clean: CleanIncident
    key: StoredKey | None
    publishing: bool


@dataclass
class Prepared:
    """New incidents' rows shaped ahead, on the checking thread (`BatchWriter.new_rows`), and
    a Future of their search documents (or None)."""

    rows: NewIncidents
    documents: Future | None


@dataclass
class Settled:
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    published: int = 0
    is_new: list[bool | None] = field(default_factory=list)  # per Checked; None: unchanged
    written: list[int] = field(default_factory=list)
    changed_sources: list[Source] = field(default_factory=list)
    refusal: str | None = None  # the database's message when it refused the batch


class BatchWriter:
    def __init__(self, *, by, search: SearchDocuments | None = None):
        self.writer = BulkWriter(by=by)
        self.sources = SourceRegistry()
        self.search = search or SearchDocuments(enabled=False)
        self.refused = False

    def new_rows(self, cleans: list[CleanIncident]) -> NewIncidents:
        """The rows of these new incidents, shaped (any thread: it touches no shared state)."""
        rows = NewIncidents(now=self.writer.now, user_id=self.writer.user_id)
        for clean in cleans:
            rows.add(clean)
        return rows

    def settle(
        self,
        checked: list[Checked],
        *,
        write: bool,
        built: Event | None = None,
        prepared: Prepared | None = None,
    ) -> Settled:
        """Compare each record with its stored state (locked), count, and write when asked.

        `built` is set once what is left of the batch is the server's work (the new incidents'
        rows are in), or when the batch is settled (see `IncidentImport.run`). `prepared`: the
        rows (and search documents) of some validated records, shaped ahead, used when those
        are exactly the new incidents.
        """
        built = built or Event()
        try:
            return self._settle(checked, write=write, built=built, prepared=prepared)
        finally:
            built.set()

    def _settle(self, checked: list[Checked], *, write: bool, built: Event, prepared) -> Settled:
        settled = Settled()
        existing = [item.key.id for item in checked if item.key is not None]
        stored = {}
        if existing:
            incidents = Incident.objects.select_for_update().defer("search_vector")
            stored = load_stored(list(incidents.filter(pk__in=existing)))
        creates, updates = [], []
        for item in checked:
            current = stored.get(item.key.id) if item.key is not None else None
            if current is not None and current.state() == clean_state(item.clean):
                settled.unchanged += 1
                settled.is_new.append(None)
                continue
            if current is None:
                settled.created += 1
                creates.append(item.clean)
            else:
                settled.updated += 1
                updates.append((item.clean, current))
            if item.publishing and (
                current is None or current.incident.status != IncidentStatus.PUBLISHED
            ):
                settled.published += 1
            settled.is_new.append(current is None)
        if write and not self.refused and (creates or updates):
            try:
                # COPY and the server-bound statements use psycopg directly: its errors are
                # given Django's classes, as the ORM's are.
                with transaction.atomic(), connection.wrap_database_errors:
                    self._write(creates, updates, settled, built, prepared)
            except DatabaseError as error:
                self.refused = True
                settled.refusal = f"The database refused these records: {error}"
                settled.written, settled.changed_sources = [], []
        return settled

    def _write(
        self, creates: list, updates: list, settled: Settled, built: Event, prepared
    ) -> None:
        if not creates:
            built.set()  # changed incidents only: planned and written as it goes
        # On PostgreSQL the new incidents go in as COPY rows; elsewhere as instances, below.
        rows = documents = None
        if self.writer.copy and creates:
            if prepared is not None and _same_objects(prepared.rows.cleans, creates):
                rows, documents = prepared.rows, prepared.documents
            else:
                rows = self.new_rows(creates)
                documents = self.search.submit(rows.search_texts())
        plan = self.sources.plan([c.citations for c in creates] + [c.citations for c, _ in updates])
        self._write_sources(plan.new)
        changed = [self.sources.instance(url) for url in plan.changed]
        self.writer.update(Source, changed, SOURCE_FIELDS)
        settled.changed_sources = changed
        if rows is not None:
            settled.written += rows.write(self.sources, documents)
            built.set()  # what is left of the new incidents is the server's key checks
            settled.written += self._write_planned(updates)
        else:
            settled.written += self._write_planned([(clean, None) for clean in creates] + updates)
        if connection.vendor == "postgresql":
            with connection.cursor() as cursor:
                # The foreign keys of this batch's rows are checked now, while the caller's
                # thread checks the next batch, rather than all at once at commit; a bad
                # reference is then this batch's refusal. Deferred again for what follows.
                cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
                cursor.execute("SET CONSTRAINTS ALL DEFERRED")

    def _write_sources(self, urls: list[str]) -> None:
        if not urls:
            return
        if not self.writer.copy:
            sources = [self.sources.instance(url) for url in urls]
            self.writer.create(Source, sources)
            self.sources.set_ids(urls, [source.pk for source in sources])
            return
        with connection.cursor() as cursor:
            ids = next_ids(cursor, Source, len(urls))
            self.sources.set_ids(urls, ids)
            rows = [(pk, *self.sources.entries[url][1]) for pk, url in zip(ids, urls, strict=True)]
            copy_with_history(
                cursor,
                layout(Source, _SOURCE_COLUMNS),
                rows,
                stamp=self.writer.stamp,
            )

    def _write_planned(self, items: list) -> list[int]:
        """Write (clean, stored incident or None) items through `services.records`' plans."""
        if not items:
            return []
        known = {
            c["url"]: self.sources.instance(c["url"]) for clean, _ in items for c in clean.citations
        }
        writes = [
            write
            for clean, current in items
            if (write := plan_incident_write(current, clean, known, status_from_data=True))
        ]
        writer = self.writer
        created = [w.incident for w in writes if w.creating]
        updated = [w.incident for w in writes if not w.creating]
        for incident in updated:
            incident.updated_at = writer.now
        writer.update(Incident, updated, _INCIDENT_UPDATE_FIELDS)
        writer.create(Incident, created)
        self._write_children(writes)
        refresh_search_documents([w.incident.pk for w in writes])
        actions = defaultdict(list)
        for write in writes:
            if write.feed_action:
                actions[write.feed_action].append(write.incident.pk)
        for action, incident_ids in actions.items():
            record_changes(incident_ids, action)
        return [w.incident.pk for w in writes]

    def _write_children(self, writes) -> None:
        deletes, creates, updates = defaultdict(list), defaultdict(list), defaultdict(list)
        for write in writes:
            for row in write.delete:
                deletes[type(row)].append(row)
            for row in write.create:
                creates[type(row)].append(row)
            for row, fields in write.update:
                updates[(type(row), tuple(fields))].append(row)
        for model, rows in deletes.items():
            self.writer.delete(model, rows)
        for model, rows in creates.items():
            self.writer.create(model, rows)
        for (model, fields), rows in updates.items():
            self.writer.update(model, rows, list(fields))


def _same_objects(a: list, b: list) -> bool:
    return len(a) == len(b) and all(x is y for x, y in zip(a, b, strict=True))
