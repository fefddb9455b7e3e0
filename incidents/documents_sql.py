"""Incident documents built as JSON text by PostgreSQL: one statement per list page or detail.

The documents are selectors.incident_documents' as DRF's JSON renderer writes them — the same
keys in the same order, children in (position, id) order, dates as ISO, timestamps as
isoformat() in UTC with Z, floats with Python's digits, nulls — so a client cannot tell which
path answered; only the whitespace between tokens differs. PostgreSQL builds them with
json_build_object and json_agg, so no model, dict or JSON encoding happens in Python per row.

Both statements start from a queryset's ids (filters, visibility, ordering and slicing stay the
queryset's own) and join the kind's details and the children for those ids only, so a page
touches its 50 rows, never the 5,050 an offset skips (docs/performance.md, R1 and R3). The list
statement counts the matches too, as the raw floor does: one round trip per page. The count is
summed from the daily and monthly rollups when they hold every filter (incidents/rollup_counts.py:
kind, region, status, conduct, verification, dates), else counted from the incidents.
SQLite keeps the Python path: `available()` says which one a database alias takes.
"""

from django.db import connections

from incidents.rollup_counts import rollup_count_sql
from incidents.sql_values import float_json, iso_timestamp

# PostgreSQL's OFFSET is a bigint; any offset past every row gives the same empty page.
MAX_OFFSET = 2**62

# Each kind's details row, joined only for that kind: a stray row of another kind is ignored
# as selectors.details_of ignores it.
DETAILS_JOINS = """
    LEFT JOIN incidents_interceptdetails ic ON ic.incident_id = i.id AND i.kind = 'intercept'
    LEFT JOIN incidents_medianlinecrossingdetails mc
        ON mc.incident_id = i.id AND i.kind = 'median_line_crossing'
    LEFT JOIN incidents_navigationdisputedetails nd
        ON nd.incident_id = i.id AND i.kind = 'navigation_dispute'"""

PARTICIPANTS_JSON = """(SELECT coalesce(json_agg(json_build_object(
        'country', p.country, 'role', p.role, 'force', p.force, 'platform', pl.slug,
        'platform_detail', p.platform_detail, 'count', p.count) ORDER BY p.position, p.id), '[]')
    FROM incidents_participant p LEFT JOIN incidents_platform pl ON pl.id = p.platform_id
    WHERE p.incident_id = i.id)"""

SOURCES_JSON = """(SELECT coalesce(json_agg(json_build_object(
        'url', s.url, 'publisher', s.publisher, 'title', s.title, 'published_on', s.published_on,
        'type', s.type, 'quote', c.quote) ORDER BY c.position, c.id), '[]')
    FROM incidents_citation c JOIN incidents_source s ON s.id = c.source_id
    WHERE c.incident_id = i.id)"""

# selectors.details_of: {} without the kind's row; a crossing's track_analysis is null without
# a track. jsonb columns (maneuvers, track, ...) are embedded as stored, as Django loads them.
DETAILS_JSON = f"""CASE
    WHEN ic.incident_id IS NOT NULL THEN json_build_object(
        'domain', ic.domain, 'closest_approach_m', {float_json("ic.closest_approach_m")},
        'closest_approach_text', ic.closest_approach_text, 'maneuvers', ic.maneuvers)
    WHEN mc.incident_id IS NOT NULL THEN json_build_object(
        'aircraft_count', mc.aircraft_count, 'vessel_count', mc.vessel_count,
        'aircraft_total_reported', mc.aircraft_total_reported,
        'period_start', mc.period_start, 'period_end', mc.period_end, 'track', mc.track,
        'track_analysis', CASE WHEN mc.track IS NOT NULL THEN json_build_object(
            'crossed', mc.track_crossed, 'crossing_points', mc.track_crossing_points,
            'ends_on', mc.track_ends_on,
            'max_penetration_km', {float_json("mc.track_max_penetration_km")}) END)
    WHEN nd.incident_id IS NOT NULL THEN json_build_object(
        'dispute_types', nd.dispute_types, 'feature', nd.feature, 'zone', nd.zone)
    ELSE '{{}}'::json END"""

# selectors._document's keys, in its order.
DOCUMENT_JSON = f"""json_build_object(
    'id', i.id, 'external_id', i.external_id, 'kind', i.kind, 'title', i.title,
    'summary', i.summary, 'occurred_on', i.occurred_on,
    'occurred_at', {iso_timestamp("i.occurred_at")}, 'date_precision', i.date_precision,
    'region', i.region_id, 'location_name', i.location_name,
    'latitude', {float_json("i.latitude")}, 'longitude', {float_json("i.longitude")},
    'conduct', i.conduct, 'status', i.status, 'retraction_reason', i.retraction_reason,
    'verification', i.verification, 'participants', {PARTICIPANTS_JSON},
    'sources', {SOURCES_JSON}, 'details', {DETAILS_JSON},
    'created_at', {iso_timestamp("i.created_at")}, 'updated_at', {iso_timestamp("i.updated_at")})"""


def available(alias: str) -> bool:
    """Whether this database builds documents in SQL (PostgreSQL) or in Python (SQLite)."""
    return connections[alias].vendor == "postgresql"


def ids_sql(queryset) -> tuple[str, tuple]:
    """SQL selecting the ids of a filtered, ordered (and sliced) queryset, in its order."""
    ids = queryset.values("pk")
    return ids.query.get_compiler(using=ids.db).as_sql()


def count_sql(queryset) -> tuple[str, tuple]:
    """A SELECT of how many incidents a filtered queryset holds: summed from the rollups when
    they can tell exactly (a few hundred rows), else COUNT(*) over its ids."""
    counted = rollup_count_sql(queryset)
    if counted is not None:
        return counted
    sql, params = ids_sql(queryset.order_by())
    return f"SELECT count(*) FROM ({sql}) AS matching", params


def counted_page_json(queryset, offset: int, limit: int) -> tuple[int, str]:
    """How many incidents a filtered, ordered queryset holds, and the JSON array (text) of the
    documents of its slice [offset, offset + limit), in its order: one statement.

    The page's ids come first (an index-only scan where the filters allow one), numbered by
    WITH ORDINALITY, and only they are joined to their details and children. One statement
    also means one snapshot: the count and the page agree even while others write.
    """
    offset = min(offset, MAX_OFFSET)
    counting_sql, count_params = count_sql(queryset)
    page_sql, page_params = ids_sql(queryset[offset : offset + limit])
    statement = (
        f"SELECT ({counting_sql}), "
        f"coalesce((SELECT json_agg({DOCUMENT_JSON} ORDER BY page.n) "
        f"FROM unnest(ARRAY({page_sql})) WITH ORDINALITY AS page(id, n) "
        f"JOIN incidents_incident i ON i.id = page.id {DETAILS_JOINS}), '[]')::text"
    )
    with connections[queryset.db].cursor() as cursor:
        cursor.execute(statement, (*count_params, *page_params))
        return cursor.fetchone()


def document_json(queryset) -> tuple[str, int] | None:
    """The document (JSON text) and version of the one incident a queryset selects, or None."""
    sql, params = ids_sql(queryset.order_by())
    statement = (
        f"SELECT {DOCUMENT_JSON}::text, i.version FROM incidents_incident i {DETAILS_JOINS} "
        f"WHERE i.id IN ({sql})"
    )
    with connections[queryset.db].cursor() as cursor:
        cursor.execute(statement, params)
        return cursor.fetchone()
