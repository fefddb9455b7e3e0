"""Is an import record exactly the incident already stored? A shortcut that skips validation.

A file imported again is mostly records identical to what the registry holds. Both sides are
reduced to one canonical text, a JSON array of the stored values in a fixed order, and compared
as strings: PostgreSQL writes the stored incidents' texts (one statement per batch), Python the
record's, after filling in the values validation gives to absent optional fields.

The texts are equal only when the record holds exactly the stored values with the stored JSON
types: `12` against a stored `12.0`, `"12"` against `12`, `true` against `1`, a platform given
by name, a time written `+00:00`, an unknown key all differ, and such a record simply goes
through validation and the full comparison instead. So a record taken for unchanged is one
that `clean_incident` would turn into exactly the stored state; a record not taken loses
nothing but time.
"""

import json
from dataclasses import dataclass

from django.db import connection

from incidents.choices import IncidentKind, Verification
from incidents.services.importing.rows import binding_cursor
from incidents.services.validation import (
    CITATION_KEYS,
    DETAIL_KEYS,
    INCIDENT_KEYS,
    PARTICIPANT_KEYS,
    STATUSES,
    VERIFICATIONS,
    requested_status,
)

_DISPUTED = str(Verification.DISPUTED)
_I, _M, _N = (
    str(IncidentKind.INTERCEPT),
    str(IncidentKind.MEDIAN_LINE_CROSSING),
    str(IncidentKind.NAVIGATION_DISPUTE),
)
# `disputed` is read only through validation (it is typed and overridden by `verification`).
_RECORD_KEYS = INCIDENT_KEYS - {"disputed"}
_DUMPS = json.JSONEncoder(ensure_ascii=False).encode
_UNCLEAR = object()


@dataclass(frozen=True)
class StoredKey:
    """What a batch needs of a stored incident before validating: its id, status and text."""

    id: int
    status: str
    key: str | None


def record_status(data: dict) -> str | None:
    """The status a record asks for (draft when absent), or None when it is not a status."""
    status = requested_status(data.get("status"))
    return status if isinstance(status, str) and status in STATUSES else None


def record_key(data: dict) -> str | None:
    """The canonical text of an import record, or None when it is not plain enough to tell.

    Also the text of an export document (`selectors.documents_for`), whose every value is in
    the record format: that is how SQLite, which has no SQL for it, reads the stored texts.
    """
    if not data.keys() <= _RECORD_KEYS:
        return None
    verification = data.get("verification")
    if verification is not None and not (
        type(verification) is str and verification in VERIFICATIONS
    ):
        return None
    participants = _participants(data.get("participants"))
    sources = _sources(data.get("sources"))
    details = _details(data.get("kind"), data.get("details"))
    if participants is None or sources is None or details is _UNCLEAR:
        return None
    get = data.get
    summary, precision, conduct = get("summary"), get("date_precision"), get("conduct")
    return _DUMPS(
        [
            get("external_id"),
            get("kind"),
            get("title"),
            "" if summary is None else summary,
            get("occurred_on"),
            get("occurred_at"),
            "day" if precision is None else precision,
            get("region"),
            get("location_name"),
            get("latitude"),
            get("longitude"),
            "unknown" if conduct is None else conduct,
            get("retraction_reason"),
            verification == _DISPUTED,
            participants,
            sources,
            details,
        ]
    )


# Each participant's and citation's values in their stored order: (key, the value a missing
# or null one is stored as).
_PARTICIPANT_VALUES = (
    ("country", None),
    ("role", None),
    ("force", ""),
    ("platform", None),
    ("platform_detail", None),
    ("count", 1),
)
_CITATION_VALUES = (
    ("url", None),
    ("publisher", None),
    ("title", ""),
    ("published_on", None),
    ("type", None),
    ("quote", ""),
)


def _participants(items) -> list | None:
    return _item_values(items, PARTICIPANT_KEYS, _PARTICIPANT_VALUES)


def _sources(items) -> list | None:
    return _item_values(items, CITATION_KEYS, _CITATION_VALUES)


def _item_values(items, allowed: frozenset, values_of: tuple) -> list | None:
    """Each item's values as stored ([] for none), or None when the list is not plain."""
    if items is None:
        return []
    if type(items) is not list:
        return None
    rows = []
    for item in items:
        if type(item) is not dict or not item.keys() <= allowed:
            return None
        row = []
        for key, stored_for_none in values_of:
            value = item.get(key)
            row.append(stored_for_none if value is None else value)
        rows.append(row)
    return rows


def _details(kind, details):
    """The details' values in their stored order, None for none, _UNCLEAR when not plain."""
    if details is None or (type(details) is dict and not details):
        return None
    if type(details) is not dict or type(kind) is not str or kind not in DETAIL_KEYS:
        return _UNCLEAR
    if not details.keys() <= DETAIL_KEYS[kind]:
        return _UNCLEAR
    get = details.get
    if kind == _I:
        text, maneuvers = get("closest_approach_text"), get("maneuvers")
        return [
            get("domain"),
            get("closest_approach_m"),
            "" if text is None else text,
            [] if maneuvers is None else maneuvers,
        ]
    if kind == _M:
        return [
            get("aircraft_count"),
            get("vessel_count"),
            get("aircraft_total_reported"),
            get("period_start"),
            get("period_end"),
            get("track"),
        ]
    zone = get("zone")
    return [get("dispute_types"), get("feature"), "unknown" if zone is None else zone]


# The canonical texts of stored incidents on PostgreSQL, in one statement, each incident found
# by its own index probe (see `sources._LOOKUP_SQL` for why LATERAL ... LIMIT 1): `json_build_array`
# writes JSON as Python's encoder does (", " between items, the same string escapes, dates as
# ISO text, jsonb as its canonical text); two things need help. A float8 with an integral value
# prints as `15`, where Python writes `15.0`; a time is written as the export writes it (UTC,
# "Z", microseconds only when there are some).
def _float(column: str) -> str:
    return (
        f"CASE WHEN {column} = trunc({column}) AND abs({column}) < 1e15 "
        f"THEN ({column}::text || '.0')::json ELSE to_json({column}) END"
    )


_TIME = (
    "CASE WHEN i.occurred_at IS NULL THEN NULL "
    "WHEN date_trunc('second', i.occurred_at) = i.occurred_at "
    """THEN to_char(i.occurred_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS"Z"') """
    """ELSE to_char(i.occurred_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"') END"""
)
_KEYS_SQL = f"""
SELECT i.external_id, i.id, i.status, json_build_array(
    i.external_id, i.kind, i.title, i.summary, i.occurred_on, {_TIME}, i.date_precision,
    i.region_id, i.location_name, {_float("i.latitude")}, {_float("i.longitude")}, i.conduct,
    i.retraction_reason, i.disputed,
    coalesce((
        SELECT json_agg(json_build_array(
            p.country, p.role, p.force,
            (SELECT pl.slug FROM incidents_platform pl WHERE pl.id = p.platform_id),
            p.platform_detail, p.count)
            ORDER BY p.position, p.id)
        FROM incidents_participant p
        WHERE p.incident_id = i.id), '[]'::json),
    coalesce((
        SELECT json_agg(json_build_array(
            s.url, s.publisher, s.title, s.published_on, s.type, c.quote)
            ORDER BY c.position, c.id)
        FROM incidents_citation c JOIN incidents_source s ON s.id = c.source_id
        WHERE c.incident_id = i.id), '[]'::json),
    CASE i.kind
        WHEN '{_I}' THEN (
            SELECT json_build_array(
                d.domain, {_float("d.closest_approach_m")}, d.closest_approach_text, d.maneuvers)
            FROM incidents_interceptdetails d WHERE d.incident_id = i.id)
        WHEN '{_M}' THEN (
            SELECT json_build_array(
                d.aircraft_count, d.vessel_count, d.aircraft_total_reported, d.period_start,
                d.period_end, d.track)
            FROM incidents_medianlinecrossingdetails d WHERE d.incident_id = i.id)
        WHEN '{_N}' THEN (
            SELECT json_build_array(d.dispute_types, d.feature, d.zone)
            FROM incidents_navigationdisputedetails d WHERE d.incident_id = i.id)
    END
)::text
FROM unnest(%b::text[]) AS wanted(external_id)
CROSS JOIN LATERAL (
    SELECT * FROM incidents_incident AS i WHERE i.external_id = wanted.external_id LIMIT 1
) AS i
"""


def stored_keys(external_ids: list[str]) -> dict[str, StoredKey]:
    """The stored incidents with these external ids, by external id."""
    if not external_ids:
        return {}
    if connection.vendor != "postgresql":
        from incidents.models import Incident
        from incidents.selectors import documents_for

        documents = documents_for(Incident.objects.filter(external_id__in=external_ids))
        return {d["external_id"]: StoredKey(d["id"], d["status"], record_key(d)) for d in documents}
    with binding_cursor() as cursor:
        cursor.execute(_KEYS_SQL, [list(external_ids)])
        return {
            external_id: StoredKey(pk, status, key)
            for external_id, pk, status, key in cursor.fetchall()
        }
