"""Validation of an incident document (SPEC §1/§4 shape), the one check every entry point runs.

`clean_incident` turns a document — from the API, an import file or the admin — into a
`CleanIncident` of model-ready values, or raises one Django `ValidationError` whose keys name
each offending field by path (`participants[1].country`, `details.closest_approach_m`).
It runs no query per record: regions, platforms and existing sources come from a `Lookups`.
"""

import datetime as dt
import math
import re
from dataclasses import dataclass, field
from typing import Any

from django.core.exceptions import ValidationError
from django.core.validators import (
    MaxLengthValidator,
    MaxValueValidator,
    MinValueValidator,
    URLValidator,
)
from django.utils import timezone
from django_countries import countries

from incidents.choices import (
    DatePrecision,
    DisputeType,
    IncidentKind,
    IncidentStatus,
    Verification,
    Zone,
)
from incidents.geometry import TrackError, analyse_track, parse_track
from incidents.models import (
    Citation,
    Incident,
    InterceptDetails,
    MedianLineCrossingDetails,
    NavigationDisputeDetails,
    Participant,
    Platform,
    Region,
    Source,
)

INCIDENT_FIELDS = [
    "external_id",
    "kind",
    "title",
    "summary",
    "occurred_on",
    "occurred_at",
    "date_precision",
    "region",
    "location_name",
    "latitude",
    "longitude",
    "conduct",
]
PARTICIPANT_FIELDS = [
    "country",
    "role",
    "force",
    "platform",
    "platform_detail",
    "count",
]
SOURCE_FIELDS = ["url", "publisher", "title", "published_on", "type"]
CITATION_FIELDS = [*SOURCE_FIELDS, "quote"]
DETAIL_MODELS = {
    IncidentKind.INTERCEPT: InterceptDetails,
    IncidentKind.MEDIAN_LINE_CROSSING: MedianLineCrossingDetails,
    IncidentKind.NAVIGATION_DISPUTE: NavigationDisputeDetails,
}
DETAIL_FIELDS = {
    IncidentKind.INTERCEPT: [
        "domain",
        "closest_approach_m",
        "closest_approach_text",
        "maneuvers",
    ],
    IncidentKind.MEDIAN_LINE_CROSSING: [
        "aircraft_count",
        "vessel_count",
        "aircraft_total_reported",
        "period_start",
        "period_end",
        "track",
    ],
    IncidentKind.NAVIGATION_DISPUTE: ["dispute_types", "feature", "zone"],
}
# Computed and returned by the registry; accepted back (an export re-imported) but never read.
READ_ONLY_DETAIL_FIELDS = {"track_analysis"}
# Local dates run up to 14 hours ahead of UTC (Line Islands), so "today" is taken there.
LATEST_UTC_OFFSET = dt.timedelta(hours=14)


INCIDENT_KEYS = frozenset(
    {
        *INCIDENT_FIELDS,
        "participants",
        "sources",
        "details",
        "disputed",
        # Read-only fields a client gets back; accepted (and ignored) so a fetched or
        # exported record can be sent back as it is.
        "id",
        "status",
        "retraction_reason",
        "verification",
        "created_at",
        "updated_at",
    }
)
PARTICIPANT_KEYS = frozenset(PARTICIPANT_FIELDS)
CITATION_KEYS = frozenset({*CITATION_FIELDS, "id"})
DETAIL_KEYS = {
    kind: frozenset({*names, *READ_ONLY_DETAIL_FIELDS}) for kind, names in DETAIL_FIELDS.items()
}


# The choices' `.values` are rebuilt on every access: taken once here for the membership tests
# of any value (see `_among`).
STATUSES = frozenset(IncidentStatus.values)
VERIFICATIONS = frozenset(Verification.values)
DISPUTE_TYPES = frozenset(DisputeType.values)
_DRAFT = str(IncidentStatus.DRAFT)


def requested_status(value):
    """The status a record asks for: `value`, or draft when it is absent or empty (an empty
    CSV cell). Anything else is checked as a status: false or 0 is not a draft."""
    return _DRAFT if value is None or value == "" else value


_COUNTRY_ANSWERS: dict[str, bool] = {}


def _among(value, choices: frozenset[str]) -> bool:
    """`value in choices` for any value, hashable or not (a file may give a list or object)."""
    return isinstance(value, str) and value in choices


def is_country(code: str) -> bool:
    """`code in countries`, remembered (the set of codes is settings, fixed for the process).
    Case matters: "us" is not a code here."""
    known = _COUNTRY_ANSWERS.get(code)
    if known is None:
        known = code in countries
        if len(_COUNTRY_ANSWERS) < 10_000:
            _COUNTRY_ANSWERS[code] = known
    return known


def country_problem(value) -> str | None:
    """Why `value` is not a country as the registry stores one, or None when it is."""
    if isinstance(value, str) and is_country(value):
        return None
    return f"{value!r} is not an upper-case ISO 3166-1 alpha-2 code."


@dataclass
class Lookups:
    """What validation needs from the database, loaded once for a whole batch."""

    regions: set[str]
    platforms_by_key: dict[str, Platform]  # slug and lower-cased name -> platform

    @classmethod
    def load(cls) -> "Lookups":
        every = list(Platform.objects.all())
        # Names first, slugs over them: a slug wins where a name and a slug coincide.
        platforms: dict[str, Platform] = {}
        for platform in every:
            platforms.setdefault(platform.name.lower(), platform)
        for platform in every:
            platforms[platform.slug] = platform
        return cls(
            regions=set(Region.objects.values_list("slug", flat=True)),
            platforms_by_key=platforms,
        )

    def platform(self, key: str) -> Platform | None:
        return self.platforms_by_key.get(key) or self.platforms_by_key.get(key.lower())

    def add_platform(self, platform: Platform) -> None:
        self.platforms_by_key[platform.slug] = platform
        self.platforms_by_key.setdefault(platform.name.lower(), platform)


@dataclass
class CleanIncident:
    """Model-ready values of one incident document, checked."""

    fields: dict[str, Any]
    participants: list[dict[str, Any]]
    citations: list[dict[str, Any]]  # source fields plus "quote"
    details: dict[str, Any] | None
    status: str = IncidentStatus.DRAFT
    retraction_reason: str | None = None
    disputed: bool = False
    errors: dict[str, list[str]] = field(default_factory=dict)


class _Errors:
    def __init__(self) -> None:
        self.by_path: dict[str, list[str]] = {}

    def add(self, path: str, message: str) -> None:
        self.by_path.setdefault(path, []).append(message)

    def add_django(self, path: str, error: ValidationError) -> None:
        for message in error.messages:
            self.add(path, message)


# -- the fast path -------------------------------------------------------------------------
# Most values of a file are plain and valid: a str within its length and choices, an int, a
# float, an ISO date. For those a plain Python check gives exactly the value the model field's
# own `clean()` would; anything else (a wrong type, an empty value, a value out of range or not
# in the choices) answers _SLOW and goes through `clean()`, so every message stays its own.
_SLOW = object()
_INT_TYPES = {"IntegerField", "PositiveIntegerField", "PositiveSmallIntegerField"}
_STR_TYPES = {"CharField", "TextField", "SlugField", "URLField"}
_KNOWN_VALIDATORS = (MaxLengthValidator, MinValueValidator, MaxValueValidator, URLValidator)


def _implied(validator, others) -> bool:
    """A URLValidator whose every accepted value another, stricter one accepts too."""
    return isinstance(validator, URLValidator) and any(
        other is not validator
        and type(other) is URLValidator
        and type(validator) is URLValidator
        and other.regex.pattern == validator.regex.pattern
        and other.max_length == validator.max_length
        and other.unsafe_chars == validator.unsafe_chars
        and set(other.schemes) < set(validator.schemes)
        for other in others
    )


# A plain http(s) URL: letters, digits and hyphens in dot-separated labels, an alphabetic
# top-level domain, no user, port or IP address, a path without whitespace. Every such URL is
# one that URLValidator accepts (its host pattern is a superset, `[^\s]` is its own path
# pattern, urlsplit cannot fail on such a netloc); checking this is ~10x cheaper than the
# validator, which the fast path still runs on every URL this pattern does not match.
_LABEL = r"[a-zA-Z0-9](?:[a-zA-Z0-9-]{0,61}[a-zA-Z0-9])?"
_PLAIN_URL = re.compile(
    r"https?://(" + _LABEL + r"(?:\." + _LABEL + r")*\.[a-zA-Z]{2,63})(?:/[^\s]*)?"
)
_HOST_MAX_LENGTH = 253  # URLValidator's limit on the host name (RFC 1034)


def _plain_url_check(checks: list):
    """A cheap check implying every one of `checks` (URLValidators), or None when none is."""
    default = URLValidator()
    for check in checks:
        if not (
            type(check) is URLValidator
            and check.regex.pattern == default.regex.pattern
            and check.regex.flags == default.regex.flags
            and check.unsafe_chars == default.unsafe_chars
            and {"http", "https"} <= set(check.schemes)
            and not check.inverse_match
        ):
            return None
    shortest = min(check.max_length for check in checks)

    def plain(value: str) -> bool:
        match = _PLAIN_URL.fullmatch(value)
        return (
            match is not None and len(value) <= shortest and len(match.group(1)) <= _HOST_MAX_LENGTH
        )

    return plain


def _fast_cleaner(model_field):
    """A function giving `model_field.clean(value)` for plain valid values, else _SLOW."""
    internal_type = model_field.get_internal_type()
    validators = list(model_field.validators)
    if model_field.choices is None:
        choices = None
    else:
        choices = frozenset(
            key for key, _ in model_field.flatchoices if isinstance(key, str) and key
        )
    if not all(type(v) in _KNOWN_VALIDATORS for v in validators):
        return None
    if internal_type in _STR_TYPES:
        max_length = model_field.max_length
        checks = [v for v in validators if not isinstance(v, MaxLengthValidator)]
        checks = [v for v in checks if not _implied(v, checks)]
        if not all(isinstance(v, URLValidator) for v in checks):
            return None
        valid_urls: set[str] = set()
        plain_url = _plain_url_check(checks) if checks else None
        empty = None if model_field.null else ("" if model_field.blank else _SLOW)

        def clean_str(value):
            if type(value) is not str:
                return _SLOW
            if not value:
                return empty
            if max_length is not None and len(value) > max_length:
                return _SLOW
            if choices is not None and value not in choices:
                return _SLOW
            if checks and value not in valid_urls:
                if plain_url is not None and plain_url(value):
                    return value
                try:
                    for check in checks:
                        check(value)
                except ValidationError:
                    return _SLOW
                if len(valid_urls) < 100_000:
                    valid_urls.add(value)
            return value

        return clean_str
    if choices is not None:
        return None
    if internal_type == "DateField" and not validators:

        def clean_date(value):
            if type(value) is not str:
                return _SLOW
            try:
                return dt.date.fromisoformat(value)
            except ValueError:
                return _SLOW

        return clean_date
    if internal_type == "FloatField" and not validators:

        def clean_float(value):
            if type(value) is float:
                return value if math.isfinite(value) else _SLOW
            if type(value) is int and -(2**53) <= value <= 2**53:
                return float(value)
            return _SLOW

        return clean_float
    if internal_type in _INT_TYPES:
        low, high = None, None
        for validator in validators:
            if type(validator) is MinValueValidator and isinstance(validator.limit_value, int):
                low = validator.limit_value if low is None else max(low, validator.limit_value)
            elif type(validator) is MaxValueValidator and isinstance(validator.limit_value, int):
                high = validator.limit_value if high is None else min(high, validator.limit_value)
            else:
                return None
        if low is None or high is None:
            return None

        def clean_int(value):
            if type(value) is int and low <= value <= high:
                return value
            return _SLOW

        return clean_int
    return None


_FAST_CLEANERS: dict = {}


def field_cleaner(model, name: str):
    """`model.name`'s fast check: the value `clean()` gives a plain valid value, else NOT_PLAIN
    (a function; None when the field has rules the fast path does not know). Used here per
    field and by the importer's `plain` for a whole record."""
    key = (model, name)
    try:
        return _FAST_CLEANERS[key]
    except KeyError:
        cleaner = _FAST_CLEANERS[key] = _fast_cleaner(model._meta.get_field(name))
        return cleaner


NOT_PLAIN = _SLOW


def _clean_model_field(model, name: str, value, errors: _Errors, path: str):
    """Coerce and validate one value with the model field's own rules (type, length, choices)."""
    fast = field_cleaner(model, name)
    if fast is not None and value is not None:
        cleaned = fast(value)
        if cleaned is not _SLOW:
            return cleaned
    return _clean_model_field_slowly(model, name, value, errors, path)


_TEXT_TYPES = frozenset({"CharField", "TextField", "SlugField", "URLField", "EmailField"})


def _clean_model_field_slowly(model, name: str, value, errors: _Errors, path: str):
    model_field = model._meta.get_field(name)
    if value is None or (value == "" and model_field.null):
        if model_field.null:
            return None
        if model_field.has_default():
            return model_field.get_default()
        if model_field.blank:
            return ""
        errors.add(path, "This field is required.")
        return None
    internal_type = model_field.get_internal_type()
    if isinstance(value, dict | list) and internal_type != "JSONField":
        errors.add(path, f"Expected a single value, not {type(value).__name__}.")
        return None
    if isinstance(value, bool) and internal_type in {
        "FloatField",
        "PositiveIntegerField",
    }:
        errors.add(path, "Expected a number, not true/false.")
        return None
    if internal_type in _TEXT_TYPES and not isinstance(value, str):
        # A field's own clean() would store str(value): "True", "12".
        kind = "true/false" if isinstance(value, bool) else "a number"
        errors.add(path, f"Expected text, not {kind}.")
        return None
    if (
        isinstance(value, float)
        and internal_type == "PositiveIntegerField"
        and not value.is_integer()
    ):
        errors.add(path, f"Expected a whole number, not {value}.")
        return None
    try:
        cleaned = model_field.clean(value, None)
    except ValidationError as error:
        errors.add_django(path, error)
        return None
    if isinstance(cleaned, float) and not math.isfinite(cleaned):
        errors.add(path, "Expected a finite number.")
        return None
    return cleaned


def _check_keys(data: dict, allowed: frozenset[str], path: str, errors: _Errors) -> None:
    if data.keys() <= allowed:
        return
    for key in sorted(set(data) - allowed):
        errors.add(f"{path}{key}", "Unknown field.")


def today_anywhere() -> dt.date:
    """The latest local date anywhere on Earth now: an occurred_on after it is in the future."""
    return (timezone.now() + LATEST_UTC_OFFSET).date()


def clean_incident(
    data: dict,
    *,
    lookups: Lookups,
    current_status: str | None = None,
    accept_status: bool = False,
) -> CleanIncident:
    """Validate a whole incident document; raise one ValidationError naming every problem.

    `accept_status` lets an import file carry `status`/`retraction_reason`/`verification`
    (SPEC §4); through the API and the admin those change only by publish/retract/dispute.
    """
    errors = _Errors()
    if not isinstance(data, dict):
        raise ValidationError({"non_field_errors": ["An incident must be a JSON object."]})
    _check_keys(data, INCIDENT_KEYS, "", errors)

    fields: dict[str, Any] = {}
    for name in INCIDENT_FIELDS:
        if name == "region":
            continue
        value = data.get(name)
        if name in {"title", "kind", "occurred_on"} and (value is None or str(value).strip() == ""):
            errors.add(
                name,
                "This field is required." if name != "title" else "This field may not be blank.",
            )
            continue
        fields[name] = _clean_model_field(Incident, name, value, errors, name)
    for name in ("summary", "external_id", "location_name"):
        if isinstance(fields.get(name), str):
            fields[name] = fields[name].strip() if name != "summary" else fields[name]
    if fields.get("external_id") == "":
        fields["external_id"] = None
    if fields.get("location_name") == "":
        fields["location_name"] = None
    if fields.get("date_precision") in (None, ""):
        fields["date_precision"] = DatePrecision.DAY
    if fields.get("conduct") in (None, ""):
        fields["conduct"] = "unknown"
    if isinstance(fields.get("title"), str):
        fields["title"] = fields["title"].strip()

    region = data.get("region")
    if region in (None, ""):
        errors.add("region", "This field is required.")
    elif not isinstance(region, str) or region not in lookups.regions:
        errors.add(
            "region",
            f"Unknown region {region!r}; use one of {sorted(lookups.regions)}.",
        )
    else:
        fields["region_id"] = region

    _check_dates(fields, errors)
    _check_coordinates(fields, errors)

    participants = _clean_participants(data.get("participants"), lookups, errors)
    citations = _clean_citations(data.get("sources"), errors)
    kind = fields.get("kind")
    details = _clean_details(kind, data.get("details"), errors) if kind else None

    clean = CleanIncident(
        fields=fields, participants=participants, citations=citations, details=details
    )
    clean.disputed = _clean_disputed(data, accept_status, errors)
    if accept_status:
        _clean_status(data, clean, errors)
    elif current_status is not None:
        clean.status = current_status
    if errors.by_path:
        raise ValidationError(errors.by_path)
    return clean


def _clean_disputed(data: dict, accept_status: bool, errors: _Errors) -> bool:
    disputed = data.get("disputed")
    if disputed is not None and not isinstance(disputed, bool):
        errors.add("disputed", "Must be true or false.")
        return False
    verification = data.get("verification")
    if accept_status and verification is not None:
        if not _among(verification, VERIFICATIONS):
            errors.add("verification", f"Unknown verification {verification!r}.")
        # Of verification only `disputed` is read from a file (SPEC §4); the rest is derived.
        return verification == Verification.DISPUTED
    return bool(disputed)


def _clean_status(data: dict, clean: CleanIncident, errors: _Errors) -> None:
    status = requested_status(data.get("status"))
    if not _among(status, STATUSES):
        errors.add("status", f"Unknown status {status!r}; use one of {IncidentStatus.values}.")
        return
    clean.status = status
    reason = data.get("retraction_reason")
    if reason is not None and not isinstance(reason, str):
        errors.add("retraction_reason", "Must be text.")
        return
    reason = (reason or "").strip() or None
    if status == IncidentStatus.RETRACTED and not reason:
        errors.add("retraction_reason", "A retracted incident needs a retraction reason.")
    clean.retraction_reason = reason if status == IncidentStatus.RETRACTED else None


def _check_dates(fields: dict, errors: _Errors) -> None:
    occurred_on = fields.get("occurred_on")
    if not isinstance(occurred_on, dt.date):
        return
    if occurred_on > today_anywhere():
        errors.add("occurred_on", f"{occurred_on.isoformat()} is in the future.")
    precision = fields.get("date_precision")
    if precision == DatePrecision.MONTH and occurred_on.day != 1:
        errors.add(
            "occurred_on",
            "With date_precision month, occurred_on must be the 1st of the month.",
        )
    if precision == DatePrecision.YEAR and (occurred_on.month, occurred_on.day) != (
        1,
        1,
    ):
        errors.add("occurred_on", "With date_precision year, occurred_on must be 1 January.")
    occurred_at = fields.get("occurred_at")
    if isinstance(occurred_at, dt.datetime):
        if timezone.is_naive(occurred_at):
            errors.add("occurred_at", "Give a time zone (UTC, e.g. 2023-05-26T02:15:00Z).")
            return
        utc_date = occurred_at.astimezone(dt.UTC).date()
        if abs((utc_date - occurred_on).days) > 1:
            errors.add(
                "occurred_at",
                f"Its date {utc_date.isoformat()} (UTC) is more than a day from occurred_on "
                f"{occurred_on.isoformat()}.",
            )
        if occurred_at > timezone.now():
            errors.add("occurred_at", "It is in the future.")
        fields["occurred_at"] = occurred_at.astimezone(dt.UTC)


def _check_coordinates(fields: dict, errors: _Errors) -> None:
    latitude, longitude = fields.get("latitude"), fields.get("longitude")
    if (latitude is None) != (longitude is None):
        errors.add(
            "latitude" if latitude is None else "longitude",
            "Give both latitude and longitude, or neither.",
        )
    if latitude is not None and not -90 <= latitude <= 90:
        errors.add("latitude", f"{latitude} is outside -90..90.")
    if longitude is not None and not -180 <= longitude <= 180:
        errors.add("longitude", f"{longitude} is outside -180..180.")


def _clean_participants(items, lookups: Lookups, errors: _Errors) -> list[dict]:
    if items is None:
        return []
    if not isinstance(items, list):
        errors.add("participants", "Must be a list of participants.")
        return []
    participants = []
    for index, item in enumerate(items):
        path = f"participants[{index}]."
        if not isinstance(item, dict):
            errors.add(f"participants[{index}]", "Must be an object.")
            continue
        _check_keys(item, PARTICIPANT_KEYS, path, errors)
        values: dict[str, Any] = {"position": index}
        country = item.get("country")
        if not isinstance(country, str) or not country:
            errors.add(
                path + "country",
                "This field is required (ISO 3166-1 alpha-2, e.g. CN).",
            )
        elif problem := country_problem(country):
            errors.add(path + "country", problem)
        else:
            values["country"] = country
        for name in ("role", "force", "platform_detail", "count"):
            value = item.get(name)
            if name == "count" and value is None:
                value = 1
            if name == "force" and value is None:
                value = ""
            values[name] = _clean_model_field(Participant, name, value, errors, path + name)
        if isinstance(values.get("count"), int) and values["count"] < 1:
            errors.add(
                path + "count", "Must be 1 or more (a lower bound when sources say 'and others')."
            )
        if values.get("platform_detail") == "":
            values["platform_detail"] = None
        platform = item.get("platform")
        values["platform"] = None
        if platform not in (None, ""):
            if not isinstance(platform, str):
                errors.add(path + "platform", "Give the platform's slug or name.")
            elif (found := lookups.platform(platform)) is None:
                errors.add(
                    path + "platform",
                    f"Unknown platform {platform!r}; add it to the platforms first.",
                )
            else:
                values["platform"] = found
        participants.append(values)
    return participants


def _clean_citations(items, errors: _Errors) -> list[dict]:
    if items is None:
        return []
    if not isinstance(items, list):
        errors.add("sources", "Must be a list of sources.")
        return []
    citations, seen = [], set()
    for index, item in enumerate(items):
        path = f"sources[{index}]."
        if not isinstance(item, dict):
            errors.add(
                f"sources[{index}]",
                "Must be an object with url, publisher, title, published_on, type.",
            )
            continue
        _check_keys(item, CITATION_KEYS, path, errors)
        values = {}
        for name in SOURCE_FIELDS:
            values[name] = _clean_model_field(Source, name, item.get(name), errors, path + name)
        quote = item.get("quote")
        values["quote"] = _clean_model_field(
            Citation, "quote", "" if quote is None else quote, errors, path + "quote"
        )
        url = values.get("url")
        if url:
            if url in seen:
                errors.add(path + "url", "This source is cited twice.")
            seen.add(url)
        citations.append(values)
    return citations


def _clean_details(kind: str, data, errors: _Errors) -> dict | None:
    if kind not in DETAIL_FIELDS:
        return None
    if data is None or data == {}:
        # A draft may leave its details for later; publishing then asks for them.
        return None
    if not isinstance(data, dict):
        errors.add("details", "Must be an object with the fields of this kind.")
        return None
    names = DETAIL_FIELDS[kind]
    _check_keys(data, DETAIL_KEYS[kind], "details.", errors)
    model = DETAIL_MODELS[kind]
    details: dict[str, Any] = {}
    for name in names:
        value = data.get(name)
        if name in {"maneuvers", "dispute_types", "track"}:
            details[name] = value
            continue
        details[name] = _clean_model_field(model, name, value, errors, f"details.{name}")
    if kind == IncidentKind.INTERCEPT:
        _clean_intercept(data, details, errors)
    elif kind == IncidentKind.MEDIAN_LINE_CROSSING:
        _clean_crossing(details, errors)
    else:
        _clean_dispute(details, errors)
    return details


def _clean_intercept(data: dict, details: dict, errors: _Errors) -> None:
    if data.get("domain") in (None, ""):
        errors.add("details.domain", "This field is required (air or sea).")
    distance = details.get("closest_approach_m")
    if distance is not None and distance < 0:
        errors.add("details.closest_approach_m", "Must be 0 or more.")
    details["closest_approach_text"] = details.get("closest_approach_text") or ""
    maneuvers = details.get("maneuvers")
    if maneuvers is None:
        details["maneuvers"] = []
    elif not isinstance(maneuvers, list) or not all(
        isinstance(m, str) and m.strip() for m in maneuvers
    ):
        errors.add("details.maneuvers", "Must be a list of non-blank strings.")


def _clean_crossing(details: dict, errors: _Errors) -> None:
    aircraft, vessels = details.get("aircraft_count"), details.get("vessel_count")
    if aircraft == 0 and vessels == 0:
        errors.add(
            "details.aircraft_count",
            "aircraft_count and vessel_count cannot both be 0.",
        )
    start, end = details.get("period_start"), details.get("period_end")
    if isinstance(start, dt.date) and isinstance(end, dt.date) and start > end:
        errors.add("details.period_end", f"period_end {end} is before period_start {start}.")
    track = details.get("track")
    details.update(
        track_crossed=None,
        track_crossing_points=None,
        track_ends_on=None,
        track_max_penetration_km=None,
    )
    if track is None:
        return
    try:
        points = parse_track(track)
    except TrackError as error:
        errors.add("details.track", str(error))
        return
    details.update(track_columns(points))


def _clean_dispute(details: dict, errors: _Errors) -> None:
    types = details.get("dispute_types")
    if not isinstance(types, list) or not types:
        errors.add(
            "details.dispute_types",
            f"Must be a non-empty list of {DisputeType.values}.",
        )
    else:
        unknown = [t for t in types if not _among(t, DISPUTE_TYPES)]
        if unknown:
            errors.add(
                "details.dispute_types",
                f"Unknown dispute types {unknown}; use {DisputeType.values}.",
            )
        elif len(set(types)) != len(types):
            errors.add("details.dispute_types", "A dispute type is listed twice.")
    if details.get("zone") in (None, ""):
        details["zone"] = Zone.UNKNOWN
    if details.get("feature") == "":
        details["feature"] = None


def track_columns(points) -> dict:
    """The stored track and its median-line analysis, as the details row's columns."""
    analysis = analyse_track(points)
    return {
        "track": {"type": "LineString", "coordinates": [list(p) for p in points]},
        "track_crossed": analysis.crossed,
        "track_crossing_points": analysis.crossing_points,
        "track_ends_on": analysis.ends_on,
        "track_max_penetration_km": analysis.max_penetration_km,
    }
