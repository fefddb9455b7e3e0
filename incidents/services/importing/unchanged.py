"""Is an import record exactly the incident already stored? A shortcut that skips validation.

A file imported again is mostly records identical to what the registry holds. Such a record
is compared with the stored public document (the export shape, `selectors.incident_documents`)
after filling in the values validation gives to absent optional fields. A record taken for
unchanged here is one that `clean_incident` would turn into exactly the stored state (`12` for
a stored `12.0` is, `true` for a stored `1` is not): anything else (an unknown key, a platform
given by name, a number written as a string, a source named by url alone) is simply not
taken, and goes through validation and the full comparison instead.
"""

import json

from django.db import connection

from incidents.choices import IncidentKind, IncidentStatus, Verification
from incidents.selectors import documents_for, iso_datetime

# Optional fields and the value validation gives them when a record leaves them out.
_INCIDENT_DEFAULTS = {
    "summary": "",
    "occurred_at": None,
    "date_precision": "day",
    "location_name": None,
    "latitude": None,
    "longitude": None,
    "conduct": "unknown",
    "retraction_reason": None,
    "participants": [],
    "sources": [],
    "details": {},
}
_REQUIRED = ("external_id", "kind", "title", "occurred_on", "region")
_IGNORED = ("id", "created_at", "updated_at", "verification", "status")
_PARTICIPANT_DEFAULTS = {"force": "", "platform": None, "platform_detail": None, "count": 1}
_PARTICIPANT_REQUIRED = ("country", "role")
_SOURCE_DEFAULTS = {"title": "", "published_on": None, "quote": ""}
_SOURCE_REQUIRED = ("url", "publisher", "type")
_DETAIL_DEFAULTS = {
    IncidentKind.INTERCEPT: {
        "closest_approach_m": None,
        "closest_approach_text": "",
        "maneuvers": [],
    },
    IncidentKind.MEDIAN_LINE_CROSSING: {
        "aircraft_count": None,
        "vessel_count": None,
        "aircraft_total_reported": None,
        "period_start": None,
        "period_end": None,
        "track": None,
    },
    IncidentKind.NAVIGATION_DISPUTE: {"feature": None, "zone": "unknown"},
}
_NUMBER_DETAILS = (
    "closest_approach_m",
    "aircraft_count",
    "vessel_count",
    "aircraft_total_reported",
)
_DETAIL_REQUIRED = {
    IncidentKind.INTERCEPT: ("domain",),
    IncidentKind.MEDIAN_LINE_CROSSING: (),
    IncidentKind.NAVIGATION_DISPUTE: ("dispute_types",),
}


_DRAFT = str(IncidentStatus.DRAFT)
_STATUSES = frozenset(IncidentStatus.values)
_VERIFICATIONS = frozenset(Verification.values)
_DISPUTED = str(Verification.DISPUTED)


def record_status(data: dict) -> str | None:
    """The status a record asks for (draft when absent), or None when it is not a status."""
    status = data.get("status")
    if status is None or status == "":
        return _DRAFT
    return status if isinstance(status, str) and status in _STATUSES else None


def same_as_stored(data: dict, document: dict, *, status: str) -> bool:
    """True when importing `data` (with this effective status) would change nothing."""
    if status != document["status"]:
        return False
    verification = data.get("verification")
    if "disputed" in data or (verification is not None and verification not in Verification.values):
        return False
    if (verification == Verification.DISPUTED) != (
        document["verification"] == Verification.DISPUTED
    ):
        return False
    record = _normalised(data)
    if record is None:
        return False
    stored = {key: value for key, value in document.items() if key not in _IGNORED}
    stored["details"] = _without_analysis(stored["details"])
    # Python's == takes 1 for 1.0, which validation does too, but also true for 1, which
    # validation refuses: a stored document holds no boolean, so a record with one differs.
    return record == stored and not _has_bool(record)


def _normalised(data: dict) -> dict | None:
    if any(data.get(name) is None for name in _REQUIRED):
        return None
    record = {key: value for key, value in data.items() if key not in _IGNORED}
    for name, default in _INCIDENT_DEFAULTS.items():
        if record.get(name) is None:
            record[name] = default
    participants = _items(record["participants"], _PARTICIPANT_DEFAULTS, _PARTICIPANT_REQUIRED)
    sources = _items(record["sources"], _SOURCE_DEFAULTS, _SOURCE_REQUIRED)
    if participants is None or sources is None:
        return None
    record["participants"], record["sources"] = participants, sources
    details = record["details"]
    kind = record["kind"]
    if not isinstance(details, dict) or not isinstance(kind, str) or kind not in _DETAIL_DEFAULTS:
        return None
    if details:
        details = _without_analysis(details)
        if any(details.get(name) is None for name in _DETAIL_REQUIRED[kind]):
            return None
        for name, default in _DETAIL_DEFAULTS[kind].items():
            if details.get(name) is None:
                details[name] = default
    record["details"] = details
    return record


def _items(items, defaults: dict, required: tuple) -> list | None:
    if not isinstance(items, list):
        return None
    filled = []
    for item in items:
        if not isinstance(item, dict) or any(item.get(name) is None for name in required):
            return None
        item = dict(item)
        for name, default in defaults.items():
            if item.get(name) is None:
                item[name] = default
        filled.append(item)
    return filled


def _without_analysis(details: dict) -> dict:
    # Computed from the track by the registry and never read from a file.
    return {key: value for key, value in details.items() if key != "track_analysis"}


def _has_bool(record: dict) -> bool:
    """A true/false where the stored document holds a number (the only place == is lenient)."""
    numbers = [record["latitude"], record["longitude"]]
    numbers += [p["count"] for p in record["participants"]]
    details = record["details"]
    numbers += [details.get(name) for name in _NUMBER_DETAILS]
    track = details.get("track")
    if isinstance(track, dict) and isinstance(track.get("coordinates"), list):
        for position in track["coordinates"]:
            numbers += position if isinstance(position, list) else [position]
    return any(type(value) is bool for value in numbers)


# The stored documents of a batch on PostgreSQL, built by the database in one statement: the
# export shape of `selectors.incident_documents` (the same keys and values: dates as ISO text,
# numbers as float8/int, JSON columns as stored), read with one json.loads per incident.
_I, _M, _N = (
    IncidentKind.INTERCEPT,
    IncidentKind.MEDIAN_LINE_CROSSING,
    IncidentKind.NAVIGATION_DISPUTE,
)
_DOCUMENTS_SQL = f"""
SELECT i.occurred_at, i.created_at, i.updated_at, json_build_object(
    'id', i.id, 'external_id', i.external_id, 'kind', i.kind, 'title', i.title,
    'summary', i.summary, 'occurred_on', i.occurred_on, 'date_precision', i.date_precision,
    'region', i.region_id, 'location_name', i.location_name, 'latitude', i.latitude,
    'longitude', i.longitude, 'conduct', i.conduct, 'status', i.status,
    'retraction_reason', i.retraction_reason, 'verification', i.verification,
    'participants', coalesce((
        SELECT json_agg(json_build_object(
            'country', p.country, 'role', p.role, 'force', p.force, 'platform', pl.slug,
            'platform_detail', p.platform_detail, 'count', p.count) ORDER BY p.position, p.id)
        FROM incidents_participant p LEFT JOIN incidents_platform pl ON pl.id = p.platform_id
        WHERE p.incident_id = i.id), '[]'::json),
    'sources', coalesce((
        SELECT json_agg(json_build_object(
            'url', s.url, 'publisher', s.publisher, 'title', s.title,
            'published_on', s.published_on, 'type', s.type, 'quote', c.quote)
            ORDER BY c.position, c.id)
        FROM incidents_citation c JOIN incidents_source s ON s.id = c.source_id
        WHERE c.incident_id = i.id), '[]'::json),
    'details', coalesce(CASE i.kind
        WHEN '{_I}' THEN (
            SELECT json_build_object(
                'domain', d.domain, 'closest_approach_m', d.closest_approach_m,
                'closest_approach_text', d.closest_approach_text, 'maneuvers', d.maneuvers)
            FROM incidents_interceptdetails d WHERE d.incident_id = i.id)
        WHEN '{_M}' THEN (
            SELECT json_build_object(
                'aircraft_count', d.aircraft_count, 'vessel_count', d.vessel_count,
                'aircraft_total_reported', d.aircraft_total_reported,
                'period_start', d.period_start, 'period_end', d.period_end, 'track', d.track,
                'track_analysis', CASE WHEN d.track IS NULL THEN NULL ELSE json_build_object(
                    'crossed', d.track_crossed, 'crossing_points', d.track_crossing_points,
                    'ends_on', d.track_ends_on,
                    'max_penetration_km', d.track_max_penetration_km) END)
            FROM incidents_medianlinecrossingdetails d WHERE d.incident_id = i.id)
        WHEN '{_N}' THEN (
            SELECT json_build_object(
                'dispute_types', d.dispute_types, 'feature', d.feature, 'zone', d.zone)
            FROM incidents_navigationdisputedetails d WHERE d.incident_id = i.id)
        END, '{{}}'::json)
)::text
FROM incidents_incident i
WHERE i.external_id = ANY(%s)
"""


def stored_documents(external_ids: list[str]) -> list[dict]:
    """The stored documents (export shape) of the incidents with these external ids."""
    if not external_ids:
        return []
    if connection.vendor != "postgresql":
        from incidents.models import Incident

        return documents_for(Incident.objects.filter(external_id__in=external_ids))
    documents = []
    loads = json.loads
    with connection.cursor() as cursor:
        cursor.execute(_DOCUMENTS_SQL, [list(external_ids)])
        for occurred_at, created_at, updated_at, text in cursor.fetchall():
            document = loads(text)
            document["occurred_at"] = iso_datetime(occurred_at)
            document["created_at"] = iso_datetime(created_at)
            document["updated_at"] = iso_datetime(updated_at)
            documents.append(document)
    return documents
