"""Import of the interchange format (SPEC §4): every record checked, all written or nothing.

`import_data` takes the interchange dict `{"platforms": [...], "incidents": [...],
"contacts": [...]}`, `import_file` a path, bytes or binary file in JSON or CSV. One transaction
holds the whole import: platforms are upserted on slug, incidents and contacts on external_id,
sources by url; any problem (or `dry_run`) rolls it back, so the database is as before, and a
crash half way leaves it so too. Incidents go through `clean_incident` (the validation of the
admin and the API) and are written in bulk with their history rows, verification, search
documents and change-feed events (see `pipeline`). Importing the same file again writes nothing.
"""

import gc
from contextlib import contextmanager

from django.db import connection, transaction

from incidents.models import (
    Citation,
    Incident,
    Participant,
    Source,
)
from incidents.services.importing.pipeline import IncidentImport
from incidents.services.importing.reading import (
    ParsedFile,
    decode,
    detect_format,
    from_data,
    max_import_bytes,
    parse_csv,
    parse_json,
    read_bytes,
)
from incidents.services.importing.report import ImportProblem, ImportReport
from incidents.services.importing.vocabulary import (
    check_contacts,
    check_sources,
    import_contacts,
    import_platforms,
    import_sources,
)
from incidents.services.incidents import sources_changed
from incidents.services.validation import DETAIL_MODELS, Lookups

__all__ = [
    "ImportProblem",
    "ImportReport",
    "import_data",
    "import_file",
    "max_import_bytes",
]

FORMATS = ("json", "csv")
# After writing this many incidents, a quarter or more of what the registry held, the
# planner's statistics are refreshed (PostgreSQL): a bulk load can grow the tables tenfold, and
# plans made for the old sizes scan whole tables. Smaller growth is autovacuum's business.
ANALYZE_AFTER = 10_000
ANALYZE_GROWTH = 0.25
# The tables of incidents that an import fills (each row with its history row), and whose
# statistics a large import refreshes.
INCIDENT_MODELS = (Incident, Participant, Citation, Source, *DETAIL_MODELS.values())


def import_data(
    data,
    *,
    dry_run: bool = False,
    publish: bool = False,
    by=None,
    progress=None,
    check_duplicates: bool | None = None,
) -> ImportReport:
    """Import the interchange dict; `progress(done, total)` is called after each batch.

    Possible duplicates (SPEC §3) of the new incidents are listed in a dry run, or whenever
    `check_duplicates` is true.
    """
    with _no_cycle_collection():
        return _import(
            from_data(data),
            dry_run=dry_run,
            publish=publish,
            by=by,
            progress=progress,
            check_duplicates=dry_run if check_duplicates is None else check_duplicates,
        )


def import_file(
    source,
    *,
    format: str | None = None,
    dry_run: bool = False,
    publish: bool = False,
    by=None,
    progress=None,
    check_duplicates: bool | None = None,
) -> ImportReport:
    """Import a file (path, bytes or binary file object) in `format` "json" or "csv".

    Without `format`, the file name's suffix decides, else the content (`{` or `[` is JSON).
    """
    if format is not None and format not in FORMATS:
        raise ValueError(f"format must be one of {FORMATS}, not {format!r}")
    content, name, problem = read_bytes(source)
    text = None
    if problem is None:
        text, problem = decode(content)
    if problem is not None:
        return ImportReport(dry_run=dry_run, problems=[problem])
    chosen = detect_format(name, text, format)
    with _no_cycle_collection():
        parsed = parse_json(text) if chosen == "json" else parse_csv(text)
        return _import(
            parsed,
            dry_run=dry_run,
            publish=publish,
            by=by,
            progress=progress,
            check_duplicates=dry_run if check_duplicates is None else check_duplicates,
            csv=chosen == "csv",
        )


def _cited_urls(parsed: ParsedFile) -> dict[str, str]:
    """url -> the first record or contact of the file that cites it."""
    cited = {}
    for where, items in (
        *((record.location, record.data) for record in parsed.records),
        *((f"contact {i}", contact) for i, contact in enumerate(parsed.contacts)),
    ):
        sources = items.get("sources") if isinstance(items, dict) else None
        for source in sources if isinstance(sources, list) else ():
            url = source.get("url") if isinstance(source, dict) else source
            if isinstance(url, str):
                cited.setdefault(url.strip(), where)
    return cited


@contextmanager
def _no_cycle_collection():
    """Python's cycle collector paused for the import.

    An import allocates millions of objects that live until it ends (the parsed file, the
    cleaned documents, the rows) and form no reference cycles to speak of. The collector, which
    runs every few hundred allocations, would traverse them all again and again for nothing to
    collect: a third of the import's Python time. Reference counting still frees the rest.
    """
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


def _import(
    parsed: ParsedFile,
    *,
    dry_run: bool,
    publish: bool,
    by,
    progress,
    check_duplicates: bool,
    csv: bool = False,
) -> ImportReport:
    report = ImportReport(dry_run=dry_run, problems=list(parsed.problems))
    with transaction.atomic():
        platforms = import_platforms(parsed.platforms, report, write=report.ok, by=by)
        lookups = Lookups.load()
        for platform in platforms:
            if platform.pk is None or not report.ok:
                # Not written (the file has problems): still known to the incidents' checks.
                lookups.add_platform(platform)
        contacts = check_contacts(parsed.contacts, report)
        uncited = check_sources(parsed.sources, report, _cited_urls(parsed))
        # Before the incidents: nothing in the file cites these, so no record depends on them.
        changed_uncited = import_sources(uncited, report, write=report.ok, by=by)
        incidents = IncidentImport(
            report,
            lookups=lookups,
            publish=publish,
            by=by,
            check_duplicates=check_duplicates,
            csv=csv,
        )
        incidents.run(parsed.records, progress)
        changed = list(incidents.changed_sources) + changed_uncited
        changed += import_contacts(contacts, report, write=report.ok, by=by, known={})
        if report.ok and changed:
            # Their other incidents' verification, search documents and feed follow.
            citing = Citation.objects.filter(source__in=changed).values_list(
                "incident_id", flat=True
            )
            sources_changed(set(citing) - incidents.written, by=by)
        if check_duplicates:
            report.duplicates = incidents.duplicate_notices()
        if report.ok and len(incidents.written) >= ANALYZE_AFTER:
            _analyze(len(incidents.written))
        if dry_run or not report.ok:
            transaction.set_rollback(True)
    return report


def _analyze(written: int) -> None:
    if connection.vendor != "postgresql":
        return
    with connection.cursor() as cursor:
        # The estimate the planner holds: the table's size before this import's rows.
        cursor.execute(
            "SELECT reltuples FROM pg_class WHERE oid = %s::regclass",
            [Incident._meta.db_table],
        )
        before = cursor.fetchone()[0]
        if before > 0 and written < before * ANALYZE_GROWTH:
            return
        tables = ", ".join(connection.ops.quote_name(m._meta.db_table) for m in INCIDENT_MODELS)
        cursor.execute(f"ANALYZE {tables}")
