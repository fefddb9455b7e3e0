"""The raw floor: a bare WSGI app that answers each benchmark request with ONE SQL statement.

PostgreSQL builds the whole answer (the page JSON with nested participants, sources and details,
the count, the stats buckets, the CSV through COPY); Python only routes, reads the parameters and
adds `next`/`previous` links the way DRF's LimitOffsetPagination writes them. It serves the subset
of SPEC §2 the benchmark drives, for an anonymous client (published incidents; retracted ones by
id), with the registry's JSON shape, so the harness can compare answers as well as speed:

    GET /api/v1/incidents/?kind=&region=&occurred_after=&occurred_before=&q=&limit=&offset=
    GET /api/v1/incidents/<id>/
    GET /api/v1/incidents/stats/?interval=&group_by=&kind=&region=&occurred_after=&occurred_before=
    GET /api/v1/incidents/export/?format=csv
    GET /healthz

Run: RAW_DATABASE_URL=postgres://postgres@127.0.0.1/reg_bench \
     .venv/bin/gunicorn bench.raw_floor:application -w 2 -b 127.0.0.1:8102
"""

import json
import os
import re
from urllib.parse import parse_qs, urlencode, urlsplit, urlunsplit

import psycopg

DATABASE_URL = os.environ.get("RAW_DATABASE_URL") or os.environ.get("DATABASE_URL", "")
COPY_CHUNK = 256 * 1024
# Default list order of SPEC §2: -occurred_on, occurred_at as tie-break, id last.
ORDER = "i.occurred_on DESC, i.occurred_at DESC, i.id DESC"
TSQUERY = "websearch_to_tsquery('english', %(q)s)"

_connection = None


def connection() -> psycopg.Connection:
    """One connection per worker process, opened after the fork, reopened when it broke."""
    global _connection
    if _connection is None or _connection.closed or _connection.broken:
        # Parameters bound client-side, never prepared: like the registry's settings, so no
        # generic plan can ignore the partial indexes.
        _connection = psycopg.connect(DATABASE_URL, autocommit=True, prepare_threshold=None)
    return _connection


def iso_timestamp(column: str) -> str:
    """A timestamptz as Python's isoformat() in UTC with Z: microseconds only when not zero."""
    return (
        f"to_char({column} AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS') || "
        f"CASE WHEN mod(extract(microseconds FROM {column})::bigint, 1000000) = 0 THEN '' "
        f"ELSE to_char({column} AT TIME ZONE 'UTC', '.US') END || 'Z'"
    )


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
DETAILS_JOINS = """
    LEFT JOIN incidents_interceptdetails ic ON ic.incident_id = i.id
    LEFT JOIN incidents_medianlinecrossingdetails mc ON mc.incident_id = i.id
    LEFT JOIN incidents_navigationdisputedetails nd ON nd.incident_id = i.id"""
DETAILS_JSON = """CASE
    WHEN i.kind = 'intercept' AND ic.incident_id IS NOT NULL THEN json_build_object(
        'domain', ic.domain, 'closest_approach_m', ic.closest_approach_m,
        'closest_approach_text', ic.closest_approach_text, 'maneuvers', ic.maneuvers)
    WHEN i.kind = 'median_line_crossing' AND mc.incident_id IS NOT NULL THEN json_build_object(
        'aircraft_count', mc.aircraft_count, 'vessel_count', mc.vessel_count,
        'aircraft_total_reported', mc.aircraft_total_reported,
        'period_start', mc.period_start, 'period_end', mc.period_end, 'track', mc.track,
        'track_analysis', CASE WHEN mc.track IS NULL THEN NULL ELSE json_build_object(
            'crossed', mc.track_crossed, 'crossing_points', mc.track_crossing_points,
            'ends_on', mc.track_ends_on, 'max_penetration_km', mc.track_max_penetration_km) END)
    WHEN i.kind = 'navigation_dispute' AND nd.incident_id IS NOT NULL THEN json_build_object(
        'dispute_types', nd.dispute_types, 'feature', nd.feature, 'zone', nd.zone)
    ELSE '{}'::json END"""
DOCUMENT_JSON = f"""json_build_object(
    'id', i.id, 'external_id', i.external_id, 'kind', i.kind, 'title', i.title,
    'summary', i.summary, 'occurred_on', i.occurred_on,
    'occurred_at', {iso_timestamp("i.occurred_at")}, 'date_precision', i.date_precision,
    'region', i.region_id, 'location_name', i.location_name, 'latitude', i.latitude,
    'longitude', i.longitude, 'conduct', i.conduct, 'status', i.status,
    'retraction_reason', i.retraction_reason, 'verification', i.verification,
    'participants', {PARTICIPANTS_JSON}, 'sources', {SOURCES_JSON}, 'details', {DETAILS_JSON},
    'created_at', {iso_timestamp("i.created_at")}, 'updated_at', {iso_timestamp("i.updated_at")})"""

DETAIL_SQL = f"""SELECT {DOCUMENT_JSON}::text FROM incidents_incident i {DETAILS_JOINS}
WHERE i.id = %(id)s AND i.status IN ('published', 'retracted')"""


def _neutralise(expression: str) -> str:
    """interchange.neutralise in SQL: a cell a spreadsheet would evaluate gets a leading '."""
    return f"(CASE WHEN {expression} ~ '^[=+@\\t\\r-]' THEN '''' || {expression} ELSE {expression} END)"  # noqa: E501


def _joined(array: str, separator: str) -> str:
    return (
        f"(SELECT string_agg(value, '{separator}' ORDER BY n) "
        f"FROM jsonb_array_elements_text({array}) WITH ORDINALITY AS items(value, n))"
    )


def _flag(expression: str) -> str:
    return f"(CASE WHEN {expression} THEN 'true' WHEN NOT {expression} THEN 'false' END)"


# The children of every incident aggregated in one pass each (hash/group aggregates over the
# whole tables), joined to the incidents: for a whole-table export this is several times faster
# than correlated subqueries per row.
CSV_CHILDREN_JOINS = """
    LEFT JOIN (SELECT p.incident_id,
            string_agg(p.country || ':' || p.role || ':' || p.force || ':'
                || coalesce(pl.slug, ''), '|' ORDER BY p.position, p.id) AS cell,
            json_agg(json_build_object('country', p.country, 'role', p.role, 'force', p.force,
                'platform', pl.slug, 'platform_detail', p.platform_detail, 'count', p.count)
                ORDER BY p.position, p.id) AS document
        FROM incidents_participant p LEFT JOIN incidents_platform pl ON pl.id = p.platform_id
        GROUP BY p.incident_id) pa ON pa.incident_id = i.id
    LEFT JOIN (SELECT c.incident_id, string_agg(s.url, ' ' ORDER BY c.position, c.id) AS cell,
            json_agg(json_build_object('url', s.url, 'publisher', s.publisher, 'title', s.title,
                'published_on', s.published_on, 'type', s.type, 'quote', c.quote)
                ORDER BY c.position, c.id) AS document
        FROM incidents_citation c JOIN incidents_source s ON s.id = c.source_id
        GROUP BY c.incident_id) ci ON ci.incident_id = i.id"""
# The columns of incidents.interchange.CSV_COLUMNS, in that order, as document_to_csv_row fills them.
CSV_SELECT = f"""SELECT i.id, {_neutralise("i.external_id")} AS external_id, i.kind,
    {_neutralise("i.title")} AS title, {_neutralise("i.summary")} AS summary, i.occurred_on,
    {iso_timestamp("i.occurred_at")} AS occurred_at, i.date_precision, i.region_id AS region,
    {_neutralise("i.location_name")} AS location_name, i.latitude, i.longitude, i.conduct,
    i.status, {_neutralise("i.retraction_reason")} AS retraction_reason, i.verification,
    {_neutralise("pa.cell")} AS participants, ci.cell AS sources,
    ic.domain, ic.closest_approach_m,
    {_neutralise("ic.closest_approach_text")} AS closest_approach_text,
    {_neutralise(_joined("ic.maneuvers", "|"))} AS maneuvers,
    mc.aircraft_count, mc.vessel_count, mc.aircraft_total_reported, mc.period_start,
    mc.period_end, mc.track, {_flag("mc.track_crossed")} AS track_crossed, mc.track_ends_on,
    mc.track_max_penetration_km,
    {_joined("nd.dispute_types", "|")} AS dispute_types,
    {_neutralise("nd.feature")} AS feature, nd.zone,
    {iso_timestamp("i.created_at")} AS created_at, {iso_timestamp("i.updated_at")} AS updated_at,
    coalesce(pa.document, '[]') AS participants_json, coalesce(ci.document, '[]') AS sources_json
FROM incidents_incident i {DETAILS_JOINS} {CSV_CHILDREN_JOINS}"""

STATS_INTERVALS = {"day", "week", "month", "quarter", "year"}
STATS_GROUPS = {"kind": "i.kind", "region": "i.region_id", "conduct": "i.conduct"}
STATS_GROUPS["verification"] = "i.verification"


class BadRequest(Exception):
    pass


def _params(environ) -> dict[str, list[str]]:
    return parse_qs(environ.get("QUERY_STRING", ""), keep_blank_values=True)


def _where(params: dict[str, list[str]], args: dict) -> str:
    """The filter of an anonymous list: published, plus the parameters the benchmark uses."""
    clauses = ["i.status = 'published'"]
    for name, column in (("kind", "i.kind"), ("region", "i.region_id")):
        if len(params.get(name, [])) == 1:
            args[name] = params[name][0]
            clauses.append(f"{column} = %({name})s")
        elif name in params:
            args[name] = params[name]
            clauses.append(f"{column} = ANY(%({name})s)")
    for name, operator in (("occurred_after", ">="), ("occurred_before", "<=")):
        if name in params:
            args[name] = params[name][0]
            clauses.append(f"i.occurred_on {operator} %({name})s::date")
    if params.get("q", [""])[0].strip():
        args["q"] = params["q"][0]
        clauses.append(f"i.search_vector @@ {TSQUERY}")
    return " AND ".join(clauses)


def _replace_query_param(url: str, key: str, value) -> str:
    scheme, netloc, path, query, fragment = urlsplit(url)
    query_dict = parse_qs(query, keep_blank_values=True)
    query_dict[key] = [str(value)]
    return urlunsplit((scheme, netloc, path, urlencode(sorted(query_dict.items()), doseq=True), ""))


def _remove_query_param(url: str, key: str) -> str:
    scheme, netloc, path, query, fragment = urlsplit(url)
    query_dict = parse_qs(query, keep_blank_values=True)
    query_dict.pop(key, None)
    return urlunsplit((scheme, netloc, path, urlencode(sorted(query_dict.items()), doseq=True), ""))


def _int(params, name: str, default: int, low: int, high: int | None) -> int:
    try:
        value = int(params.get(name, [default])[0])
    except ValueError:
        raise BadRequest(f"{name} must be an integer") from None
    if value < low or (high is not None and value > high):
        raise BadRequest(f"{name} out of range")
    return value


def incident_list(environ) -> bytes:
    params = _params(environ)
    limit = _int(params, "limit", 50, 1, 1000)
    offset = _int(params, "offset", 0, 0, None)
    args = {"limit": limit, "offset": offset}
    where = _where(params, args)
    # With q, relevance first (as the registry ranks), then the default order.
    rank = f"ts_rank(i.search_vector, {TSQUERY}) DESC, " if "q" in args else ""
    sql = f"""WITH page AS (
        SELECT *, row_number() OVER () AS position FROM (
            SELECT * FROM incidents_incident i WHERE {where} ORDER BY {rank}{ORDER}
            LIMIT %(limit)s OFFSET %(offset)s) AS chosen)
    SELECT (SELECT count(*) FROM incidents_incident i WHERE {where}),
        coalesce((SELECT json_agg({DOCUMENT_JSON} ORDER BY i.position)
            FROM page i {DETAILS_JOINS}), '[]')::text"""
    count, results = connection().execute(sql, args).fetchone()
    url = f"http://{environ.get('HTTP_HOST', 'localhost')}{environ['PATH_INFO']}"
    if environ.get("QUERY_STRING"):
        url += "?" + environ["QUERY_STRING"]
    next_link = previous_link = None
    if offset + limit < count:
        next_link = _replace_query_param(
            _replace_query_param(url, "limit", limit), "offset", offset + limit
        )
    if offset > 0:
        base = _replace_query_param(url, "limit", limit)
        previous_link = (
            _remove_query_param(base, "offset")
            if offset - limit <= 0
            else _replace_query_param(base, "offset", offset - limit)
        )
    head = json.dumps({"count": count, "next": next_link, "previous": previous_link})
    return f'{head[:-1]},"results":{results}}}'.encode()


def incident_detail(environ, incident_id: int) -> bytes | None:
    row = connection().execute(DETAIL_SQL, {"id": incident_id}).fetchone()
    return row[0].encode() if row else None


def incident_stats(environ) -> bytes:
    params = _params(environ)
    interval = params.get("interval", [None])[0]
    group_by = params.get("group_by", [None])[0]
    if interval is not None and interval not in STATS_INTERVALS:
        raise BadRequest("unknown interval")
    if group_by is not None and group_by not in STATS_GROUPS:
        raise BadRequest("group_by not supported by the raw floor")
    args: dict = {}
    where = _where(params, args)
    period = f"date_trunc('{interval}', i.occurred_on)::date" if interval else "NULL::date"
    key = STATS_GROUPS[group_by] if group_by else "NULL::text"
    args.update(interval=interval, group_by=group_by)
    sql = f"""SELECT json_build_object('interval', %(interval)s::text,
            'group_by', %(group_by)s::text, 'total', coalesce(sum(n), 0),
            'buckets', coalesce(json_agg(json_build_object('period', period, 'key', key,
                'count', n) ORDER BY period, key), '[]'))::text
        FROM (SELECT {period} AS period, {key} AS key, count(*) AS n
              FROM incidents_incident i WHERE {where} GROUP BY 1, 2) AS buckets"""
    return connection().execute(sql, args).fetchone()[0].encode()


def incident_export(environ):
    params = _params(environ)
    if params.get("format", ["csv"])[0] != "csv":
        raise BadRequest("the raw floor exports csv only")
    args: dict = {}
    where = _where({k: v for k, v in params.items() if k != "format"}, args)
    sql = f"COPY ({CSV_SELECT} WHERE {where} ORDER BY {ORDER}) TO STDOUT WITH (FORMAT csv, HEADER)"
    cursor = connection().cursor()

    def stream():
        chunks, size = [], 0
        with cursor.copy(sql, args) as copy:
            for data in copy:
                chunks.append(data)
                size += len(data)
                if size >= COPY_CHUNK:
                    yield b"".join(chunks)
                    chunks, size = [], 0
        if chunks:
            yield b"".join(chunks)
        cursor.close()

    return stream()


DETAIL_PATH = re.compile(r"^/api/v1/incidents/(\d+)/$")


def application(environ, start_response):
    path = environ.get("PATH_INFO", "")
    try:
        if path == "/api/v1/incidents/":
            body, content_type = incident_list(environ), "application/json"
        elif path == "/api/v1/incidents/stats/":
            body, content_type = incident_stats(environ), "application/json"
        elif path == "/api/v1/incidents/export/":
            stream = incident_export(environ)
            start_response("200 OK", [("Content-Type", "text/csv; charset=utf-8")])
            return stream
        elif path == "/healthz":
            connection().execute("SELECT 1")
            body, content_type = b'{"status": "ok"}', "application/json"
        elif match := DETAIL_PATH.match(path):
            body, content_type = incident_detail(environ, int(match[1])), "application/json"
            if body is None:
                start_response("404 Not Found", [("Content-Type", "application/json")])
                return [b'{"detail": "not found"}']
        else:
            start_response("404 Not Found", [("Content-Type", "application/json")])
            return [b'{"detail": "no such route in the raw floor"}']
    except BadRequest as error:
        start_response("400 Bad Request", [("Content-Type", "application/json")])
        return [json.dumps({"detail": str(error)}).encode()]
    start_response("200 OK", [("Content-Type", content_type), ("Content-Length", str(len(body)))])
    return [body]
