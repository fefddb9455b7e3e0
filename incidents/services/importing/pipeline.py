"""The incidents of an import, batch by batch: compare, validate, write in bulk.

This thread reads and checks; each batch is then settled and written (`writing`) on the
database thread (`worker`) while this one checks the next. A batch costs a fixed number of
statements: the stored texts of its external ids (see `unchanged`), the stored rows of those
that differ, the cited sources not met before, then a COPY of rows and one of their history
rows per table.
Records identical to the stored incident are recognised without validation; every other one
goes through `plain.clean_plain` or, when it is not plain, `clean_incident`, the validation of
the admin and the API, with the same outcome. Writing stops at the first problem; validation
goes on, so the report lists every problem of the file.
"""

from collections import deque
from threading import Event

from django.core.exceptions import ValidationError
from django.db import connection

from incidents.choices import PUBLIC_STATUSES, IncidentStatus
from incidents.duplicates import duplicate_pairs, key_of, stored_candidates
from incidents.models import Source
from incidents.services.importing.plain import clean_plain
from incidents.services.importing.reading import Record
from incidents.services.importing.report import ImportReport
from incidents.services.importing.search_documents import SearchDocuments
from incidents.services.importing.sources import source_values
from incidents.services.importing.unchanged import record_key, record_status, stored_keys
from incidents.services.importing.worker import DatabaseThread
from incidents.services.importing.writing import BatchWriter, Checked, Prepared, Settled
from incidents.services.incidents import publication_problems
from incidents.services.validation import SOURCE_FIELDS, CleanIncident, Lookups, clean_incident

BATCH = 2000


def record_publication_problems(data: dict) -> list[str]:
    """The publish rules over a record that `unchanged.record_key` read (so plainly shaped)."""
    return publication_problems(
        kind=data["kind"],
        has_source=bool(data.get("sources")),
        has_initiator=any(p.get("role") == "initiator" for p in data.get("participants") or []),
        has_details=bool(data.get("details")),
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
        self.external_ids: dict[str, str] = {}  # external_id -> location of its record
        self.source_values: dict[str, tuple[tuple, str]] = {}  # url -> (fields, location)
        self.file_sources: dict[str, dict] = {}  # CSV: sources given in full somewhere
        self.changed_sources: list[Source] = []
        self.written: set[int] = set()
        self.file_ids: set[int] = set()  # stored incidents the file names
        self.entries: list | None = [] if check_duplicates else None

    def run(self, records: list[Record], progress=None) -> None:
        """Check and write `records`; `progress(done, total)` after each batch."""
        if self.csv:
            self._collect_file_sources(records)
        total = len(records)
        batches = [records[start : start + BATCH] for start in range(0, total, BATCH)]
        postgresql = connection.vendor == "postgresql"
        if postgresql:
            with connection.cursor() as cursor:
                # A batch's statements look costly to the planner (2,000 keys, 2,000 rows),
                # which then compiles them to machine code: ~50 ms each, for a few ms of work.
                cursor.execute("SET LOCAL jit = off")
                # Nor are they worth starting parallel workers for, two cores being the rule.
                cursor.execute("SET LOCAL max_parallel_workers_per_gather = 0")
                # The daily and monthly counts of the new incidents are merged once, after
                # the last batch, rather than once per batch (migration 0010).
                cursor.execute("SELECT incidents_rollup_defer()")
        # With several batches PostgreSQL writes batch k (on the database thread, its search
        # documents on a second connection) while this thread checks batch k + 1.
        overlap = postgresql and len(batches) > 1
        with (
            SearchDocuments(enabled=overlap) as search,
            DatabaseThread(enabled=overlap) as database,
        ):
            writer = BatchWriter(by=self.by, search=search)
            pending: deque = deque()  # (settled future, checked, entries, batch), oldest first
            keys = database.submit(_stored_keys, batches[0]) if batches else None
            built = Event()
            built.set()
            for index, batch in enumerate(batches):
                stored = keys.result()
                # Check this batch once the previous one's rows (and their history rows) are
                # in, while the server checks their keys: before that both threads would run
                # Python, taking turns with the GIL, and the server would wait for both (3 s
                # of a 24 s import of 100,000 incidents, measured).
                built.wait()
                if index + 1 < len(batches):
                    keys = database.submit(_stored_keys, batches[index + 1])
                if self.csv:
                    batch = database.submit(self._resolve_url_only_sources, batch).result()
                entries: list = []
                checked = [
                    item
                    for record in batch
                    if (item := self._check(record, stored, entries)) is not None
                ]
                # The new incidents' rows are shaped here, and their search documents computed
                # on the second connection from now on, ready by the time the rows are written.
                fresh = [item.clean for item in checked if item.key is None]
                prepared = None
                if fresh and overlap and self.report.ok:
                    rows = writer.new_rows(fresh)
                    prepared = Prepared(rows, search.submit(rows.search_texts()))
                built = Event()
                settled = database.submit(
                    writer.settle,
                    checked,
                    write=self.report.ok,
                    built=built,
                    prepared=prepared,
                )
                settled.add_done_callback(lambda _, built=built: built.set())  # even unrun
                pending.append((settled, checked, entries, batch))
                # Fold what is done; at most the batch just submitted stays in flight.
                while pending and (len(pending) > 1 or pending[0][0].done()):
                    self._fold(*pending.popleft())
                if progress is not None:
                    progress(min((index + 1) * BATCH, total), total)
            while pending:
                self._fold(*pending.popleft())
        if postgresql:
            with connection.cursor() as cursor:
                cursor.execute("SELECT incidents_rollup_flush()")

    def _fold(self, settled, checked: list[Checked], entries: list, batch: list[Record]) -> None:
        """Fold a batch's outcome into the report, in batch order."""
        result: Settled = settled.result()
        report = self.report
        report.created += result.created
        report.updated += result.updated
        report.unchanged += result.unchanged
        report.published += result.published
        if result.refusal is not None:
            report.problem(f"{batch[0].location} to {batch[-1].location}", "", result.refusal)
        self.written.update(result.written)
        self.changed_sources += result.changed_sources
        if self.entries is not None:
            for item, is_new in zip(checked, result.is_new, strict=True):
                self._note_entry(entries, item.record, item.clean, is_new=bool(is_new))
            self.entries += entries
        # The batch's documents are let go here, on this thread, while the database works:
        # freed all at once when the import returned, 100,000 parsed records held up the
        # return by 0.5 s after the commit (measured). Nothing reads them after the fold.
        for record in batch:
            record.data = None

    def _check(self, record: Record, stored: dict, entries: list) -> Checked | None:
        """A validated record to settle, or None (unchanged, or refused with its problems)."""
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
        key = stored.get(external_id) if external_id is not None else None
        if key is not None:
            self.file_ids.add(key.id)
            if self._unchanged(record, key, external_id, entries):
                return None
        clean = clean_plain(data, lookups=self.lookups)
        if clean is None:
            try:
                clean = clean_incident(data, lookups=self.lookups, accept_status=True)
            except ValidationError as error:
                for path, messages in error.message_dict.items():
                    for message in messages:
                        report.problem(location, self._field(path), message)
                return None
        publishing = self._settle_status(record, clean, key)
        citations = [_iso(source_values(c)) for c in clean.citations]
        if publishing is None or not self._note_sources(location, citations):
            return None
        return Checked(record, clean, key, publishing)

    def _unchanged(self, record: Record, key, external_id: str, entries: list) -> bool:
        """True (and counted) when the record is the stored incident exactly (see `unchanged`)."""
        data = record.data
        status = record_status(data)
        if status is None or key.key is None or record_key(data) != key.key:
            return False
        problems = None
        if self.publish and status == IncidentStatus.DRAFT:
            problems = record_publication_problems(data)
            if not problems:
                status = IncidentStatus.PUBLISHED
        if status != key.status:
            return False
        self.report.unchanged += 1
        if problems:
            self.report.not_published.append(
                f"{self._label(record, external_id)}: {' '.join(problems)}"
            )
        self._note_sources(
            record.location,
            [
                (s["url"], s["publisher"], s.get("title") or "", s.get("published_on"), s["type"])
                for s in data.get("sources") or []
            ],
        )
        if self.entries is not None:
            entries.append((self._label(record, external_id), key_of(data), False))
        return True

    def _settle_status(self, record: Record, clean: CleanIncident, key) -> bool | None:
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
        stored_status = key.status if key is not None else None
        if stored_status in PUBLIC_STATUSES and clean.status == IncidentStatus.DRAFT:
            self.report.problem(
                record.location,
                "status",
                f"The registry holds this incident as {stored_status}; a file cannot return it "
                f"to draft. Give status {stored_status!r} (or import with --publish).",
            )
            return None
        return publishing

    def _note_sources(self, location: str, citations: list[tuple]) -> bool:
        """Remember each source's fields; a url described two ways in one file is a problem."""
        ok = True
        for index, values in enumerate(citations):
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

    def _note_entry(self, entries: list, record: Record, clean: CleanIncident, *, is_new: bool):
        key = key_of(clean)
        if key is not None:
            entries.append((self._label(record, clean.fields.get("external_id")), key, is_new))

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


def _stored_keys(records: list[Record]) -> dict:
    keys = {key for record in records if (key := _external_id(record.data))}
    if not keys:
        return {}
    return stored_keys(sorted(keys))


def _external_id(data) -> str | None:
    if isinstance(data, dict) and isinstance(data.get("external_id"), str):
        return data["external_id"].strip() or None
    return None


def _iso(values: tuple) -> tuple:
    """A source's values as a file gives them: its date as ISO text."""
    url, publisher, title, published_on, kind = values
    if published_on is not None:
        published_on = published_on.isoformat()
    return url, publisher, title, published_on, kind
