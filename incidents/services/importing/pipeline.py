"""The incidents of an import, batch by batch: compare, validate, plan, write in bulk.

Each batch costs a fixed number of queries: the stored documents of the batch's external ids,
the stored rows of those that differ, the cited sources by url, then one statement (or COPY)
per table. Records identical to the stored incident are recognised without validation (see
`unchanged`); every other record goes through `clean_incident`, the validation of the admin
and the API, and its rows are planned by `services.records`, as a curator's save is. Writing
stops at the first problem; validation goes on, so the report lists every problem of the file.
"""

from collections import defaultdict
from contextlib import contextmanager

from django.core.exceptions import ValidationError
from django.db import DatabaseError, connection, transaction

from incidents.choices import PUBLIC_STATUSES, IncidentStatus
from incidents.duplicates import duplicate_pairs, key_of, stored_candidates
from incidents.models import Incident, Source
from incidents.services.feed import record_changes
from incidents.services.importing.bulk import BulkWriter
from incidents.services.importing.reading import Record
from incidents.services.importing.report import ImportReport
from incidents.services.importing.unchanged import (
    record_status,
    same_as_stored,
    stored_documents,
)
from incidents.services.incidents import publication_problems
from incidents.services.records import load_stored, plan_incident_write, plan_sources
from incidents.services.search import refresh_search_documents, search_document_sql
from incidents.services.state import clean_state
from incidents.services.validation import SOURCE_FIELDS, CleanIncident, Lookups, clean_incident

BATCH = 2000
_INCIDENT_UPDATE_FIELDS = [
    f.name
    for f in Incident._meta.concrete_fields
    if f.name not in {"id", "created_at", "search_vector"}
]


def document_publication_problems(document: dict) -> list[str]:
    """The publish rules over a stored document (export shape)."""
    return publication_problems(
        kind=document["kind"],
        has_source=bool(document["sources"]),
        has_initiator=any(p["role"] == "initiator" for p in document["participants"]),
        has_details=bool(document["details"]),
    )


def clean_publication_problems(clean: CleanIncident) -> list[str]:
    """The publish rules over a validated document about to be written."""
    return publication_problems(
        kind=clean.fields["kind"],
        has_source=bool(clean.citations),
        has_initiator=any(p["role"] == "initiator" for p in clean.participants),
        has_details=clean.details is not None,
    )


class IncidentImport:
    """The incidents section of one import, inside the caller's transaction."""

    def __init__(
        self,
        report: ImportReport,
        *,
        lookups: Lookups,
        publish: bool,
        by,
        check_duplicates: bool,
        csv: bool = False,
    ):
        self.report = report
        self.lookups = lookups
        self.publish = publish
        self.by = by
        self.csv = csv
        self.writer = BulkWriter(by=by)
        self.external_ids: dict[str, str] = {}  # external_id -> location of its record
        self.source_values: dict[str, tuple[tuple, str]] = {}  # url -> (fields, location)
        self.file_sources: dict[str, dict] = {}  # CSV: sources given in full somewhere
        self.changed_sources: list[Source] = []
        self.written: set[int] = set()
        self.file_ids: set[int] = set()  # stored incidents the file names
        self.entries: list | None = [] if check_duplicates else None

    def run(self, records: list[Record], progress=None) -> None:
        if self.csv:
            self._collect_file_sources(records)
        total = len(records)
        for start in range(0, total, BATCH):
            self._batch(records[start : start + BATCH])
            if progress is not None:
                progress(min(start + BATCH, total), total)

    # -- one batch ---------------------------------------------------------------------------

    def _batch(self, records: list[Record]) -> None:
        keys = {key for record in records if (key := _external_id(record.data))}
        documents = {}
        if keys:
            with _key_lookups():
                stored = stored_documents(sorted(keys))
            documents = {document["external_id"]: document for document in stored}
        if self.csv:
            records = self._resolve_url_only_sources(records)
        cleaned = []
        for record in records:
            outcome = self._check(record, documents)
            if outcome is not None:
                cleaned.append(outcome)
        existing = [document["id"] for _, _, document, _ in cleaned if document is not None]
        stored_rows = {}
        if existing:
            incidents = Incident.objects.select_for_update().defer("search_vector")
            stored_rows = load_stored(list(incidents.filter(pk__in=existing)))
        to_write = []
        for record, clean, document, publishing in cleaned:
            stored = stored_rows.get(document["id"]) if document is not None else None
            if stored is not None and stored.state() == clean_state(clean):
                self.report.unchanged += 1
                self._note_entry(record, clean, is_new=False)
                continue
            if stored is None:
                self.report.created += 1
            else:
                self.report.updated += 1
            if publishing and (stored is None or stored.incident.status != "published"):
                self.report.published += 1
            self._note_entry(record, clean, is_new=stored is None)
            to_write.append((record, clean, stored))
        if to_write and self.report.ok:
            self._write(to_write)

    def _check(self, record: Record, documents: dict):
        """(record, clean, stored document, publishing) of a record to write, or None."""
        report, location, data = self.report, record.location, record.data
        if not isinstance(data, dict):
            report.problem(location, "", "An incident must be a JSON object.")
            return None
        external_id = _external_id(data)
        if external_id is not None:
            first = self.external_ids.setdefault(external_id, location)
            if first != location:
                report.problem(location, "external_id", f"{external_id!r} is also used by {first}.")
                return None
        document = documents.get(external_id) if external_id is not None else None
        if document is not None:
            self.file_ids.add(document["id"])
            status = record_status(data)
            if status is not None and same_as_stored(
                data, document, status=self._effective_status(status, document)
            ):
                report.unchanged += 1
                if self.publish and document["status"] == IncidentStatus.DRAFT:
                    problems = document_publication_problems(document)
                    self.report.not_published.append(
                        f"{self._label(record, external_id)}: {' '.join(problems)}"
                    )
                self._note_sources(location, document["sources"])
                if self.entries is not None:
                    self.entries.append((self._label(record, external_id), key_of(document), False))
                return None
        try:
            clean = clean_incident(data, lookups=self.lookups, accept_status=True)
        except ValidationError as error:
            for path, messages in error.message_dict.items():
                for message in messages:
                    report.problem(location, self._field(path), message)
            return None
        publishing = self._settle_status(record, clean, document)
        if publishing is None or not self._note_sources(location, clean.citations):
            return None
        return record, clean, document, publishing

    def _effective_status(self, status: str, document: dict) -> str:
        if (
            self.publish
            and status == IncidentStatus.DRAFT
            and not document_publication_problems(document)
        ):
            return IncidentStatus.PUBLISHED
        return status

    def _settle_status(self, record: Record, clean: CleanIncident, document) -> bool | None:
        """Apply --publish and the status rules; True when --publish publishes it, None if refused."""
        publishing = False
        if clean.status == IncidentStatus.DRAFT and self.publish:
            problems = clean_publication_problems(clean)
            if problems:
                self.report.not_published.append(
                    f"{self._label(record, clean.fields.get('external_id'))}: {' '.join(problems)}"
                )
            else:
                clean.status, publishing = IncidentStatus.PUBLISHED, True
        elif clean.status == IncidentStatus.PUBLISHED:
            problems = clean_publication_problems(clean)
            for problem in problems:
                self.report.problem(record.location, "status", f"Cannot be published: {problem}")
            if problems:
                return None
        stored_status = document["status"] if document is not None else None
        if stored_status in PUBLIC_STATUSES and clean.status == IncidentStatus.DRAFT:
            self.report.problem(
                record.location,
                "status",
                f"The registry holds this incident as {stored_status}; a file cannot return it "
                f"to draft. Give status {stored_status!r} (or import with --publish).",
            )
            return None
        return publishing

    def _note_sources(self, location: str, citations: list[dict]) -> bool:
        """Remember each source's fields; a url described two ways in one file is a problem."""
        ok = True
        for index, citation in enumerate(citations):
            values = tuple(citation[name] for name in SOURCE_FIELDS)
            values = tuple(v.isoformat() if hasattr(v, "isoformat") else v for v in values)
            first = self.source_values.setdefault(values[0], (values, location))
            if first[0] != values:
                differing = [
                    name
                    for name, a, b in zip(SOURCE_FIELDS, first[0], values, strict=True)
                    if a != b
                ]
                self.report.problem(
                    location,
                    self._field(f"sources[{index}].url"),
                    f"{first[1]} describes this source with another {', '.join(differing)}; "
                    "a source has one description.",
                )
                ok = False
        return ok

    # -- writing -----------------------------------------------------------------------------

    def _write(self, to_write: list) -> None:
        urls = sorted({c["url"] for _, clean, _ in to_write for c in clean.citations})
        known = {}
        for start in range(0, len(urls), BATCH):
            batch = urls[start : start + BATCH]
            known.update({source.url: source for source in Source.objects.filter(url__in=batch)})
        new_sources, changed_sources = [], []
        for _, clean, _ in to_write:
            new, changed = plan_sources(clean.citations, known)
            new_sources += new
            changed_sources += changed
        writes = [
            write
            for _, clean, stored in to_write
            if (write := plan_incident_write(stored, clean, known, status_from_data=True))
        ]
        writer = self.writer
        try:
            with transaction.atomic():
                writer.create(Source, new_sources)
                writer.update(Source, changed_sources, SOURCE_FIELDS)
                created = [w.incident for w in writes if w.creating]
                updated = [w.incident for w in writes if not w.creating]
                for incident in updated:
                    incident.updated_at = writer.now
                writer.update(Incident, updated, _INCIDENT_UPDATE_FIELDS)
                if writer.copy:
                    # Ids first, then the children (foreign keys are checked at commit), then
                    # the incidents with their search documents computed as they go in.
                    writer.reserve_ids(Incident, created)
                    self._write_children(writes)
                    writer.create(Incident, created, search_document=search_document_sql)
                    refresh_search_documents([incident.pk for incident in updated])
                else:
                    writer.create(Incident, created)
                    self._write_children(writes)
                    refresh_search_documents([w.incident.pk for w in writes])
                ids = [w.incident.pk for w in writes]
                actions = defaultdict(list)
                for write in writes:
                    if write.feed_action:
                        actions[write.feed_action].append(write.incident.pk)
                for action, incident_ids in actions.items():
                    record_changes(incident_ids, action)
        except DatabaseError as error:
            first, last = to_write[0][0].location, to_write[-1][0].location
            self.report.problem(
                f"{first} to {last}", "", f"The database refused these records: {error}"
            )
            return
        self.written.update(ids)
        self.changed_sources += changed_sources

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

    # -- CSV sources by url ------------------------------------------------------------------

    def _collect_file_sources(self, records: list[Record]) -> None:
        for record in records:
            if record.url_only_sources or not isinstance(record.data, dict):
                continue
            for source in record.data.get("sources") or []:
                if isinstance(source, dict) and isinstance(source.get("url"), str):
                    self.file_sources.setdefault(source["url"], source)

    def _resolve_url_only_sources(self, records: list[Record]) -> list[Record]:
        """Fill sources named by url alone from the registry (or the file); refuse the rest."""
        wanted = {
            source["url"]
            for record in records
            if record.url_only_sources
            for source in record.data.get("sources") or []
        }
        found = {}
        missing = sorted(wanted - set(self.file_sources))
        for start in range(0, len(missing), BATCH):
            for source in Source.objects.filter(url__in=missing[start : start + BATCH]):
                found[source.url] = {
                    "url": source.url,
                    "publisher": source.publisher,
                    "title": source.title,
                    "published_on": source.published_on.isoformat()
                    if source.published_on
                    else None,
                    "type": source.type,
                }
        kept = []
        for record in records:
            if not record.url_only_sources or not record.data.get("sources"):
                kept.append(record)
                continue
            sources, unknown = [], []
            for source in record.data["sources"]:
                full = found.get(source["url"]) or self.file_sources.get(source["url"])
                if full is None:
                    unknown.append(source["url"])
                else:
                    sources.append({**full, "quote": ""})
            if unknown:
                self.report.problem(
                    record.location,
                    "sources",
                    f"{', '.join(unknown)} {'is' if len(unknown) == 1 else 'are'} not in the "
                    "registry: add the source there first, or give it in full in sources_json "
                    "(url, publisher, title, published_on, type).",
                )
                continue
            record.data["sources"] = sources
            kept.append(record)
        return kept

    # -- possible duplicates -----------------------------------------------------------------

    def _note_entry(self, record: Record, clean: CleanIncident, *, is_new: bool) -> None:
        if self.entries is not None:
            key = key_of(clean)
            if key is not None:
                label = self._label(record, clean.fields.get("external_id"))
                self.entries.append((label, key, is_new))

    def duplicate_notices(self) -> list[str]:
        """Possible duplicates (SPEC §3) between a new record and the file or the registry."""
        if not self.entries:
            return []
        new_keys = [key for _, key, is_new in self.entries if is_new]
        for candidate in stored_candidates(
            new_keys,
            exclude_ids=self.file_ids | self.written,
            exclude_external_ids=list(self.external_ids),
        ):
            label = f"incident {candidate.incident_id}"
            if candidate.external_id:
                label += f" ({candidate.external_id})"
            self.entries.append((label, candidate.key, False))
        new_labels = {label for label, _, is_new in self.entries if is_new}
        notices = []
        for a, b, reason in duplicate_pairs(self.entries):
            if a not in new_labels:
                a, b = b, a
            notices.append(f"{a} may duplicate {b}: {reason}")
        return notices

    # -- names -------------------------------------------------------------------------------

    def _label(self, record: Record, external_id) -> str:
        return f"{record.location} ({external_id})" if external_id else record.location

    def _field(self, path: str) -> str:
        """A field path as the file names it: a CSV's detail columns are flat."""
        if self.csv and path.startswith("details."):
            return path.removeprefix("details.")
        return path


@contextmanager
def _key_lookups():
    """PostgreSQL plans for fetching a batch by key: index lookups, not whole-table hashes.

    The documents of 2,000 incidents join their details, participants and sources; with hash
    joins PostgreSQL reads those tables whole for every batch, so an import of N incidents
    would read N/2,000 times the registry. Nested loops over the primary keys cost what the
    batch holds, whatever the registry's size.
    """
    if connection.vendor != "postgresql":
        yield
        return
    with connection.cursor() as cursor:
        cursor.execute("SET LOCAL enable_hashjoin = off")
        cursor.execute("SET LOCAL enable_mergejoin = off")
    try:
        yield
    finally:
        with connection.cursor() as cursor:
            cursor.execute("SET LOCAL enable_hashjoin = on")
            cursor.execute("SET LOCAL enable_mergejoin = on")


def _external_id(data) -> str | None:
    if isinstance(data, dict) and isinstance(data.get("external_id"), str):
        return data["external_id"].strip() or None
    return None
