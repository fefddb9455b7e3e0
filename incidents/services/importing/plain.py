"""`clean_incident` for plain records, at a fraction of its cost: the importer's validation path.

Nearly every record of a large file is plain and valid: each value of the right JSON type,
within its field's length, range and choices, dates in ISO form, platforms by slug. For such a
record `clean_plain` returns exactly the `CleanIncident` that `clean_incident(data,
accept_status=True)` returns, checking each value once in straight-line code with the fields'
own fast checks (`validation.field_cleaner`) instead of going through per-field bookkeeping.
At the first thing that is not plain (a missing required value, a wrong type, an unknown key,
a value out of range, a date in the future, a track that does not parse...) it returns None and
the importer calls `clean_incident`, which decides and words every problem as it always has.
When a model field gains a rule the fast checks do not know, this path turns itself off.
"""

import datetime as dt

from django.db import models

from incidents.choices import IncidentKind, IncidentStatus, Verification
from incidents.geometry import TrackError, parse_track
from incidents.models import (
    Citation,
    Incident,
    InterceptDetails,
    MedianLineCrossingDetails,
    NavigationDisputeDetails,
    Participant,
    Source,
)
from incidents.services.validation import (
    CITATION_KEYS,
    DETAIL_KEYS,
    DISPUTE_TYPES,
    INCIDENT_KEYS,
    NOT_PLAIN,
    PARTICIPANT_KEYS,
    STATUSES,
    VERIFICATIONS,
    CleanIncident,
    Lookups,
    field_cleaner,
    is_country,
    requested_status,
    today_anywhere,
    track_columns,
)

_RETRACTED = str(IncidentStatus.RETRACTED)
_DISPUTED = str(Verification.DISPUTED)
_I, _M = str(IncidentKind.INTERCEPT), str(IncidentKind.MEDIAN_LINE_CROSSING)
_UTC = dt.UTC

# (model, field) pairs checked through `field_cleaner`, by the name used below.
_FIELDS = {
    "external_id": (Incident, "external_id"),
    "kind": (Incident, "kind"),
    "title": (Incident, "title"),
    "summary": (Incident, "summary"),
    "occurred_on": (Incident, "occurred_on"),
    "date_precision": (Incident, "date_precision"),
    "location_name": (Incident, "location_name"),
    "latitude": (Incident, "latitude"),
    "longitude": (Incident, "longitude"),
    "conduct": (Incident, "conduct"),
    "role": (Participant, "role"),
    "force": (Participant, "force"),
    "platform_detail": (Participant, "platform_detail"),
    "count": (Participant, "count"),
    "url": (Source, "url"),
    "publisher": (Source, "publisher"),
    "source_title": (Source, "title"),
    "published_on": (Source, "published_on"),
    "type": (Source, "type"),
    "quote": (Citation, "quote"),
    "domain": (InterceptDetails, "domain"),
    "closest_approach_m": (InterceptDetails, "closest_approach_m"),
    "closest_approach_text": (InterceptDetails, "closest_approach_text"),
    "aircraft_count": (MedianLineCrossingDetails, "aircraft_count"),
    "vessel_count": (MedianLineCrossingDetails, "vessel_count"),
    "aircraft_total_reported": (MedianLineCrossingDetails, "aircraft_total_reported"),
    "period_start": (MedianLineCrossingDetails, "period_start"),
    "period_end": (MedianLineCrossingDetails, "period_end"),
    "feature": (NavigationDisputeDetails, "feature"),
    "zone": (NavigationDisputeDetails, "zone"),
}
# What `clean_incident` gives these fields when a record leaves them out (null, the field's
# default, or "" for a blank-able text), as its slow path for None does.
_ABSENT = {
    "external_id": None,
    "summary": "",
    "date_precision": "day",
    "location_name": None,
    "latitude": None,
    "longitude": None,
    "conduct": "unknown",
    "force": "",
    "platform_detail": None,
    "source_title": "",
    "published_on": None,
    "closest_approach_m": None,
    "closest_approach_text": "",
    "aircraft_count": None,
    "vessel_count": None,
    "aircraft_total_reported": None,
    "period_start": None,
    "period_end": None,
    "feature": None,
    "zone": "unknown",
}
_cleaners: dict | None = None


def _load_cleaners() -> dict | None:
    """The fields' fast checks, or None (path off) when one field has none or its rules for an
    absent value are not the ones `_ABSENT` assumes."""
    cleaners = {}
    for name, (model, field_name) in _FIELDS.items():
        cleaner = field_cleaner(model, field_name)
        if cleaner is None:
            return None
        if name in _ABSENT and _absent_value(model._meta.get_field(field_name)) != _ABSENT[name]:
            return None
        cleaners[name] = cleaner
    occurred_at = Incident._meta.get_field("occurred_at")
    if (
        type(occurred_at) is not models.DateTimeField
        or occurred_at.validators
        or not occurred_at.null
    ):
        return None
    return cleaners


def _absent_value(model_field):
    if model_field.null:
        return None
    if model_field.has_default():
        return model_field.get_default()
    return "" if model_field.blank else NOT_PLAIN


def cleaners() -> dict | None:
    global _cleaners
    if _cleaners is None:
        _cleaners = _load_cleaners() or {}
    return _cleaners or None


def clean_plain(data: dict, *, lookups: Lookups) -> CleanIncident | None:
    """`clean_incident(data, lookups=lookups, accept_status=True)` for a plain valid record;
    None for any other record (then ask `clean_incident`)."""
    c = cleaners()
    if c is None or type(data) is not dict or not data.keys() <= INCIDENT_KEYS:
        return None
    get = data.get
    fields = _incident_fields(get, c)
    if fields is None:
        return None
    region = get("region")
    if type(region) is not str or region not in lookups.regions:
        return None
    fields["region_id"] = region
    participants = _participants(get("participants"), c, lookups)
    citations = _citations(get("sources"), c)
    if participants is None or citations is None:
        return None
    details = get("details")
    if details is not None and not (type(details) is dict and not details):
        details = _details(fields["kind"], details, c)
        if details is None:
            return None
    else:
        details = None
    status = requested_status(get("status"))
    if type(status) is not str or status not in STATUSES:
        return None
    reason = get("retraction_reason")
    if reason is not None:
        if type(reason) is not str:
            return None
        reason = reason.strip() or None
    if status == _RETRACTED and reason is None:
        return None
    disputed = get("disputed")
    if disputed is not None and type(disputed) is not bool:
        return None
    verification = get("verification")
    if verification is not None:
        if type(verification) is not str or verification not in VERIFICATIONS:
            return None
        disputed = verification == _DISPUTED
    return CleanIncident(
        fields=fields,
        participants=participants,
        citations=citations,
        details=details,
        status=status,
        retraction_reason=reason if status == _RETRACTED else None,
        disputed=bool(disputed),
    )


def _value(c: dict, name: str, value):
    """The cleaned value, NOT_PLAIN when it is not plain, the absent value for None."""
    if value is None:
        return _ABSENT.get(name, NOT_PLAIN)
    return c[name](value)


def _incident_fields(get, c: dict) -> dict | None:
    kind, title, occurred_on = get("kind"), get("title"), get("occurred_on")
    if kind is None or title is None or occurred_on is None:
        return None
    kind, title, occurred_on = c["kind"](kind), c["title"](title), c["occurred_on"](occurred_on)
    if kind is NOT_PLAIN or title is NOT_PLAIN or occurred_on is NOT_PLAIN:
        return None
    title = title.strip()
    if not title:
        return None
    fields = {"kind": kind, "title": title, "occurred_on": occurred_on}
    for name in (
        "external_id",
        "summary",
        "date_precision",
        "location_name",
        "latitude",
        "longitude",
        "conduct",
    ):
        value = _value(c, name, get(name))
        if value is NOT_PLAIN:
            return None
        fields[name] = value
    for name in ("external_id", "location_name"):
        if fields[name] is not None:
            fields[name] = fields[name].strip() or None
    latitude, longitude = fields["latitude"], fields["longitude"]
    if (latitude is None) != (longitude is None):
        return None
    if latitude is not None and not (-90 <= latitude <= 90 and -180 <= longitude <= 180):
        return None
    precision = fields["date_precision"]
    if occurred_on > today_anywhere():
        return None
    if precision == "month" and occurred_on.day != 1:
        return None
    if precision == "year" and (occurred_on.month, occurred_on.day) != (1, 1):
        return None
    occurred_at = get("occurred_at")
    if occurred_at is not None:
        occurred_at = _occurred_at(occurred_at, occurred_on)
        if occurred_at is None:
            return None
    fields["occurred_at"] = occurred_at
    return fields


def _occurred_at(value, occurred_on: dt.date) -> dt.datetime | None:
    """An aware ISO time within a day of occurred_on and not in the future, in UTC, or None."""
    if type(value) is not str or not value:
        return None
    try:
        moment = dt.datetime.fromisoformat(value)
    except ValueError:
        return None
    if moment.utcoffset() is None:
        return None
    moment = moment.astimezone(_UTC)
    if abs((moment.date() - occurred_on).days) > 1 or moment > dt.datetime.now(_UTC):
        return None
    return moment


def _participants(items, c: dict, lookups: Lookups) -> list | None:
    if items is None:
        return []
    if type(items) is not list:
        return None
    role, force, detail, count = c["role"], c["force"], c["platform_detail"], c["count"]
    participants = []
    for position, item in enumerate(items):
        if type(item) is not dict or not item.keys() <= PARTICIPANT_KEYS:
            return None
        get = item.get
        country = get("country")
        if type(country) is not str or not is_country(country):
            return None
        values = {
            "position": position,
            "country": country,
            "role": role(get("role")) if get("role") is not None else NOT_PLAIN,
            "force": force(get("force")) if get("force") is not None else "",
            "platform_detail": detail(get("platform_detail"))
            if get("platform_detail") is not None
            else None,
            "count": count(get("count")) if get("count") is not None else count(1),
        }
        if NOT_PLAIN in values.values() or values["count"] < 1:
            return None
        platform = get("platform")
        if platform is None or platform == "":
            values["platform"] = None
        elif type(platform) is str and (found := lookups.platform(platform)) is not None:
            values["platform"] = found
        else:
            return None
        participants.append(values)
    return participants


def _citations(items, c: dict) -> list | None:
    if items is None:
        return []
    if type(items) is not list:
        return None
    citations, seen = [], set()
    for item in items:
        if type(item) is not dict or not item.keys() <= CITATION_KEYS:
            return None
        get = item.get
        url, publisher, kind, quote = get("url"), get("publisher"), get("type"), get("quote")
        if url is None or publisher is None or kind is None:
            return None
        values = {
            "url": c["url"](url),
            "publisher": c["publisher"](publisher),
            "title": _value(c, "source_title", get("title")),
            "published_on": _value(c, "published_on", get("published_on")),
            "type": c["type"](kind),
            "quote": c["quote"]("" if quote is None else quote),
        }
        if NOT_PLAIN in values.values() or url in seen:
            return None
        seen.add(url)
        citations.append(values)
    return citations


def _details(kind: str, data: dict, c: dict) -> dict | None:
    if type(data) is not dict or not data.keys() <= DETAIL_KEYS[kind]:
        return None
    get = data.get
    if kind == _I:
        domain = get("domain")
        if domain is None or domain == "":
            return None
        maneuvers = get("maneuvers")
        if maneuvers is None:
            maneuvers = []
        elif type(maneuvers) is not list or not all(
            type(m) is str and m.strip() for m in maneuvers
        ):
            return None
        details = {
            "domain": c["domain"](domain),
            "closest_approach_m": _value(c, "closest_approach_m", get("closest_approach_m")),
            "closest_approach_text": _value(
                c, "closest_approach_text", get("closest_approach_text")
            ),
            "maneuvers": maneuvers,
        }
        if NOT_PLAIN in details.values():
            return None
        distance = details["closest_approach_m"]
        if distance is not None and distance < 0:
            return None
        details["closest_approach_text"] = details["closest_approach_text"] or ""
        return details
    if kind == _M:
        details = {
            name: _value(c, name, get(name))
            for name in (
                "aircraft_count",
                "vessel_count",
                "aircraft_total_reported",
                "period_start",
                "period_end",
            )
        }
        if NOT_PLAIN in details.values():
            return None
        if details["aircraft_count"] == 0 and details["vessel_count"] == 0:
            return None
        start, end = details["period_start"], details["period_end"]
        if start is not None and end is not None and start > end:
            return None
        track = get("track")
        details.update(
            track=None,
            track_crossed=None,
            track_crossing_points=None,
            track_ends_on=None,
            track_max_penetration_km=None,
        )
        if track is not None:
            try:
                points = parse_track(track)
            except TrackError:
                return None
            details.update(track_columns(points))
        return details
    types = get("dispute_types")
    if (
        type(types) is not list
        or not types
        or not all(type(t) is str and t in DISPUTE_TYPES for t in types)
        or len(set(types)) != len(types)
    ):
        return None
    details = {
        "dispute_types": types,
        "feature": _value(c, "feature", get("feature")),
        "zone": _value(c, "zone", get("zone")),
    }
    if NOT_PLAIN in details.values():
        return None
    return details
