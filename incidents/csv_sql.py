"""The CSV export on PostgreSQL: one `COPY (…) TO STDOUT` of the queryset's incidents, streamed.

The rows are interchange.document_to_csv_row's, cell for cell: the columns of CSV_COLUMNS in
that order, formula-like text neutralised, floats, timestamps and JSON cells written as Python
writes them (incidents/sql_values.py). Filters, visibility and order are the queryset's own:
its ids, numbered in its order, drive the statement. PostgreSQL formats every row; Python only
passes chunks of 256 KB on, so a worker's memory stays flat whatever the size of the export.
"""

from collections.abc import Iterator

from django.db import connections, transaction

from incidents.documents_sql import DETAILS_JOINS, ids_sql
from incidents.interchange import CSV_COLUMNS
from incidents.sql_values import (
    compact_json,
    csv_flag,
    float_text,
    iso_date,
    iso_timestamp,
    joined,
    json_string,
    neutralise,
)

CHUNK_BYTES = 256 * 1024

# Both cells of each child list from one pass over the incident's rows: the flat cell
# (interchange.participants_cell, the URLs) and the full objects as compact JSON, keys in the
# documents' order.
PARTICIPANTS = f"""LEFT JOIN LATERAL (SELECT
        string_agg(p.country || ':' || p.role || ':' || coalesce(p.force, '') || ':'
            || coalesce(pl.slug, ''),
            '|' ORDER BY p.position, p.id) AS cell,
        string_agg('{{"country":' || {json_string("p.country")}
            || ',"role":' || {json_string("p.role")}
            || ',"force":' || {json_string("p.force")}
            || ',"platform":' || {json_string("pl.slug")}
            || ',"platform_detail":' || {json_string("p.platform_detail")}
            || ',"count":' || p.count || '}}', ',' ORDER BY p.position, p.id) AS objects
    FROM incidents_participant p LEFT JOIN incidents_platform pl ON pl.id = p.platform_id
    WHERE p.incident_id = i.id) pa ON true"""
SOURCES = f"""LEFT JOIN LATERAL (SELECT
        string_agg(s.url, ' ' ORDER BY c.position, c.id) AS cell,
        string_agg('{{"url":' || {json_string("s.url")}
            || ',"publisher":' || {json_string("s.publisher")}
            || ',"title":' || {json_string("s.title")}
            || ',"published_on":' || {json_string(iso_date("s.published_on"))}
            || ',"type":' || {json_string("s.type")}
            || ',"quote":' || {json_string("c.quote")} || '}}', ',' ORDER BY c.position, c.id)
            AS objects
    FROM incidents_citation c JOIN incidents_source s ON s.id = c.source_id
    WHERE c.incident_id = i.id) ci ON true"""


def _with_track(expression: str) -> str:
    """A track_analysis value: document_to_csv_row reads none without a track."""
    return f"CASE WHEN mc.track IS NOT NULL THEN {expression} END"


# interchange.CSV_COLUMNS, in order, as document_to_csv_row fills them. Vocabulary columns
# (kind, status, region, ...) are checked by the database and never look like a formula; every
# free text is neutralised.
COLUMNS = {
    "id": "i.id",
    "external_id": neutralise("i.external_id"),
    "kind": "i.kind",
    "title": neutralise("i.title"),
    "summary": neutralise("i.summary"),
    "occurred_on": iso_date("i.occurred_on"),
    "occurred_at": iso_timestamp("i.occurred_at"),
    "date_precision": "i.date_precision",
    "region": "i.region_id",
    "location_name": neutralise("i.location_name"),
    "latitude": float_text("i.latitude"),
    "longitude": float_text("i.longitude"),
    "conduct": "i.conduct",
    "status": "i.status",
    "retraction_reason": neutralise("i.retraction_reason"),
    "verification": "i.verification",
    "participants": neutralise("pa.cell"),
    "sources": neutralise("ci.cell"),
    "domain": "ic.domain",
    "closest_approach_m": float_text("ic.closest_approach_m"),
    "closest_approach_text": neutralise("ic.closest_approach_text"),
    "maneuvers": neutralise(joined("ic.maneuvers", "|")),
    "aircraft_count": "mc.aircraft_count",
    "vessel_count": "mc.vessel_count",
    "aircraft_total_reported": "mc.aircraft_total_reported",
    "period_start": iso_date("mc.period_start"),
    "period_end": iso_date("mc.period_end"),
    "track": compact_json("mc.track"),
    "track_crossed": _with_track(csv_flag("mc.track_crossed")),
    "track_ends_on": _with_track("mc.track_ends_on"),
    "track_max_penetration_km": _with_track(float_text("mc.track_max_penetration_km")),
    "dispute_types": neutralise(joined("nd.dispute_types", "|")),
    "feature": neutralise("nd.feature"),
    "zone": "nd.zone",
    "created_at": iso_timestamp("i.created_at"),
    "updated_at": iso_timestamp("i.updated_at"),
    "participants_json": "'[' || coalesce(pa.objects, '') || ']'",
    "sources_json": "'[' || coalesce(ci.objects, '') || ']'",
}
assert list(COLUMNS) == CSV_COLUMNS, "the COPY columns must be interchange.CSV_COLUMNS"
SELECT = ",\n    ".join(f'{expression} AS "{name}"' for name, expression in COLUMNS.items())


def copy_statement(queryset) -> tuple[str, tuple]:
    """The COPY statement of a filtered, ordered queryset, and its parameters."""
    sql, params = ids_sql(queryset)
    statement = (
        f"COPY (SELECT {SELECT} "
        f"FROM (SELECT pk, row_number() OVER () AS n FROM ({sql}) AS ids) AS chosen "
        f"JOIN incidents_incident i ON i.id = chosen.pk {DETAILS_JOINS} {PARTICIPANTS} {SOURCES} "
        "ORDER BY chosen.n) TO STDOUT WITH (FORMAT csv, HEADER)"
    )
    return statement, params


def copy_csv_chunks(queryset) -> Iterator[bytes]:
    """The CSV of a filtered, ordered queryset (header first), in chunks of about 256 KB.

    The statement and the database are fixed now, while the request's replica routing
    applies; the rows are read when the response is streamed.
    """
    statement, params = copy_statement(queryset)
    return _copied(queryset.db, statement, params)


def _copied(alias: str, statement: str, params) -> Iterator[bytes]:
    connection = connections[alias]
    with transaction.atomic(using=alias), connection.cursor() as cursor:
        # A whole-registry export is one statement of minutes: the request timeout would kill
        # it. Lifted for this transaction only, and put back at once for a caller's outer
        # transaction (where SET LOCAL would outlive the export). JIT compilation is off for
        # it too: the rows are function calls (to_char, regexp_replace, to_json) that JIT
        # cannot speed up, and compiling them cost 1.4 s of a 3.8 s export of 45,000 rows.
        cursor.execute("SELECT current_setting('statement_timeout'), current_setting('jit')")
        timeout, jit = cursor.fetchone()
        cursor.execute("SET LOCAL statement_timeout = 0")
        cursor.execute("SET LOCAL jit = off")
        chunks, size = [], 0
        with cursor.cursor.copy(statement, params) as copy:
            for data in copy:
                chunks.append(bytes(data))
                size += len(data)
                if size >= CHUNK_BYTES:
                    yield b"".join(chunks)
                    chunks, size = [], 0
        if chunks:
            yield b"".join(chunks)
        cursor.execute(
            "SELECT set_config('statement_timeout', %s, true), set_config('jit', %s, true)",
            [timeout, jit],
        )
