"""Form fields and filter classes behind the incident filters, and the form's cross-checks.

Each field turns one query parameter into a checked value and refuses what it cannot read with a
message that says what it expected, so a client gets a 400 naming the parameter instead of a
silently ignored filter (SPEC §2).
"""

import datetime as dt
import math
import re
from typing import NamedTuple

from django import forms
from django_countries import countries
from django_filters import filters
from django_filters.fields import MultipleChoiceField
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema_field

from incidents.choices import IncidentStatus

MAX_RADIUS_KM = 5000.0
MAX_VALUES = 50  # repeated values of one parameter; an IN list, not a query language
COUNTRY_CHOICES = [(code, name) for code, name in countries]


class BBox(NamedTuple):
    min_lon: float
    min_lat: float
    max_lon: float
    max_lat: float

    @property
    def crosses_antimeridian(self) -> bool:
        return self.min_lon > self.max_lon


class Point(NamedTuple):
    lat: float
    lon: float


def _numbers(value: str, count: int, what: str) -> list[float]:
    parts = [part.strip() for part in value.split(",")]
    try:
        numbers = [float(part) for part in parts]
    except ValueError:
        numbers = []
    if len(numbers) != count or not all(math.isfinite(n) for n in numbers):
        raise forms.ValidationError(
            "Must be %(count)d comma-separated numbers (%(what)s), not %(value)r.",
            code="invalid",
            params={"count": count, "what": what, "value": value},
        )
    return numbers


def _check_lat(value: float, name: str) -> None:
    if not -90 <= value <= 90:
        raise forms.ValidationError(
            "%(name)s %(value)s is outside -90..90.",
            code="out_of_range",
            params={"name": name, "value": value},
        )


def _check_lon(value: float, name: str) -> None:
    if not -180 <= value <= 180:
        raise forms.ValidationError(
            "%(name)s %(value)s is outside -180..180.",
            code="out_of_range",
            params={"name": name, "value": value},
        )


class BBoxField(forms.CharField):
    """`min_lon,min_lat,max_lon,max_lat`; min_lon > max_lon means the box crosses 180°."""

    def to_python(self, value):
        value = super().to_python(value)
        if not value:
            return None
        min_lon, min_lat, max_lon, max_lat = _numbers(value, 4, "min_lon,min_lat,max_lon,max_lat")
        _check_lon(min_lon, "min_lon")
        _check_lon(max_lon, "max_lon")
        _check_lat(min_lat, "min_lat")
        _check_lat(max_lat, "max_lat")
        if min_lat > max_lat:
            raise forms.ValidationError(
                "min_lat %(min_lat)s is above max_lat %(max_lat)s.",
                code="invalid",
                params={"min_lat": min_lat, "max_lat": max_lat},
            )
        return BBox(min_lon, min_lat, max_lon, max_lat)


class PointField(forms.CharField):
    """`lat,lon` in decimal degrees."""

    def to_python(self, value):
        value = super().to_python(value)
        if not value:
            return None
        lat, lon = _numbers(value, 2, "lat,lon")
        _check_lat(lat, "latitude")
        _check_lon(lon, "longitude")
        return Point(lat, lon)


# A query's integer: digits with an optional sign. int() would also read " 1", "1\r", "1_000".
INTEGER = re.compile(r"[+-]?[0-9]+")


class _Shaped:
    """A form field whose text must have the shape `PATTERN` (matched whole) before the field
    reads it: Django's number and date fields read more than the schema's types allow."""

    PATTERN: re.Pattern
    shape_message = None  # default: the field's own "invalid" message

    def to_python(self, value):
        if isinstance(value, str) and value and not self.PATTERN.fullmatch(value):
            raise forms.ValidationError(
                self.shape_message or self.error_messages["invalid"],
                code="invalid",
                params={"value": value},
            )
        return super().to_python(value)


class _AsGiven(_Shaped):
    """A typed query value is read as given: `true%20` or `%202024-01-01` is a mistake the
    schema's types do not allow, never quietly trimmed (found by live fuzzing). For fields whose
    values have too many forms for one pattern of their own (booleans, ISO datetimes)."""

    PATTERN = re.compile(r"\S(.*\S)?", re.DOTALL)
    shape_message = "Must not begin or end with white space: %(value)r."


class _BooleanText(forms.Field):
    widget = forms.TextInput
    VALUES = {"true": True, "1": True, "false": False, "0": False}

    def to_python(self, value):
        if value in (None, ""):
            return None
        if isinstance(value, bool):
            return value
        try:
            return self.VALUES[str(value).lower()]
        except KeyError:
            raise forms.ValidationError(
                "Must be true or false, not %(value)r.", code="invalid", params={"value": value}
            ) from None


class StrictBooleanField(_AsGiven, _BooleanText):
    """`true` or `false` (also 1/0); anything else is an error, never a silent "no filter"."""


class IsoDateField(_Shaped, forms.DateField):
    """YYYY-MM-DD only: Django's DateField also reads "10/25/2006", which `format: date` is not."""

    PATTERN = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")
    shape_message = "Must be a date as YYYY-MM-DD, not %(value)r."


class BoundedDateTimeField(_AsGiven, forms.DateTimeField):
    """An ISO 8601 datetime or date (midnight UTC); naive values are UTC.

    Of Django's other input formats only YYYY-MM-DD is kept: "10/25/2006 14:30" is not ISO."""

    def __init__(self, *args, **kwargs):
        kwargs["input_formats"] = ["%Y-%m-%d"]
        super().__init__(*args, **kwargs)

    def to_python(self, value):
        result = super().to_python(value)
        if result is not None:
            try:
                # In UTC: PostgreSQL refuses offsets beyond ±15:59 that Python accepts.
                result = result.astimezone(dt.UTC)
            except OverflowError:
                raise forms.ValidationError("Is out of range.", code="invalid") from None
        return result


def _at_most_max_values(values):
    if len(values) > MAX_VALUES:
        raise forms.ValidationError(
            "Give at most %(limit)d values, not %(count)d.",
            code="max_length",
            params={"limit": MAX_VALUES, "count": len(values)},
        )


class _RepeatedValues(forms.Field):
    """The values of a repeated query parameter (`?feature=A&feature=B`), each cleaned."""

    widget = forms.SelectMultiple  # reads QueryDict.getlist

    def __init__(self, *, item: forms.Field, **kwargs):
        kwargs.pop("choices", None)
        kwargs.pop("null_label", None)
        kwargs.pop("null_value", None)
        super().__init__(**kwargs)
        self.item = item
        self.validators.append(_at_most_max_values)

    def to_python(self, value):
        if value in (None, "", [], ()):
            return []
        values = value if isinstance(value, list | tuple) else [value]
        return list(dict.fromkeys(self.item.clean(v) for v in values if v not in (None, "")))


class _Choices(MultipleChoiceField):
    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.validators.append(_at_most_max_values)


class _UpperCaseChoices(_Choices):
    """ISO codes: `us` is read as `US`."""

    def to_python(self, value):
        return [v.strip().upper() for v in super().to_python(value)]


class ChoicesFilter(filters.MultipleChoiceFilter):
    """A closed vocabulary, repeatable (OR) and matched with one `IN`.

    No DISTINCT (django-filter's default for this class): filters that reach a to-many
    relation use `Exists`, so rows never repeat.
    """

    field_class = _Choices

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("distinct", False)
        super().__init__(*args, **kwargs)

    def filter(self, qs, value):
        if not value:
            return qs
        return qs.filter(**{f"{self.field_name}__in": list(value)})


class _Slugs(MultipleChoiceField):
    """Slugs of a vocabulary that changes at run time, checked against `slugs` (a container).

    The message and code of a bad slug are ModelMultipleChoiceField's ("Select a valid choice.
    … is not one of the available choices.", invalid_choice), without its query per request.
    """

    def __init__(self, *args, slugs, **kwargs):
        super().__init__(*args, **kwargs)
        self.slugs = slugs

    def valid_value(self, value):
        return value in self.slugs


class SlugsFilter(ChoicesFilter):
    """A repeatable slug of a curated vocabulary (regions): `slugs` says which exist."""

    field_class = _Slugs


class CountryFilter(ChoicesFilter):
    """Repeatable ISO 3166-1 alpha-2 country code (upper case; lower case is accepted)."""

    field_class = _UpperCaseChoices

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("choices", COUNTRY_CHOICES)
        super().__init__(*args, **kwargs)


@extend_schema_field(OpenApiTypes.STR)
class RepeatableTextFilter(ChoicesFilter):
    """Free text, repeatable (OR)."""

    field_class = _RepeatedValues

    def __init__(self, *args, max_length: int = 200, **kwargs):
        kwargs["item"] = forms.CharField(max_length=max_length)
        super().__init__(*args, **kwargs)


class BBoxFilter(filters.CharFilter):
    field_class = BBoxField


class PointFilter(filters.CharFilter):
    field_class = PointField


class DecimalNumberField(_Shaped, forms.FloatField):
    """A plain decimal number ("12", "-0.5", "1e3"): float() also reads "1_000", " 12 ",
    "nan" and "infinity", which the schema's `type: number` does not."""

    PATTERN = re.compile(r"[+-]?([0-9]+(\.[0-9]*)?|\.[0-9]+)([eE][+-]?[0-9]+)?")


class FloatFilter(filters.NumberFilter):
    field_class = DecimalNumberField


class WholeNumberField(_Shaped, forms.IntegerField):
    """Digits only: Django's IntegerField also takes "3.0", "3.", " 3" and "3_000", which the
    schema's `type: integer` does not (found by live fuzzing)."""

    PATTERN = INTEGER


class IntegerFilter(filters.NumberFilter):
    field_class = WholeNumberField


class StrictBooleanFilter(filters.BooleanFilter):
    field_class = StrictBooleanField


class DateTimeFilter(filters.DateTimeFilter):
    field_class = BoundedDateTimeField


class DateFilter(filters.DateFilter):
    field_class = IsoDateField


class IncidentFilterForm(forms.Form):
    """Checks that need several parameters at once; each error names one parameter."""

    can_view_drafts = False

    def clean(self):
        data = super().clean()
        after, before = data.get("occurred_after"), data.get("occurred_before")
        if after and before and after > before:
            self.add_error(
                "occurred_before",
                forms.ValidationError(
                    "%(before)s is before occurred_after %(after)s: the range is reversed.",
                    code="invalid_range",
                    params={"before": before, "after": after},
                ),
            )
        low, high = data.get("min_closest_approach_m"), data.get("max_closest_approach_m")
        if low is not None and high is not None and low > high:
            self.add_error(
                "max_closest_approach_m",
                forms.ValidationError(
                    "%(high)s is below min_closest_approach_m %(low)s.",
                    code="invalid_range",
                    params={"high": high, "low": low},
                ),
            )
        if data.get("near") and data.get("radius_km") is None and "radius_km" not in self.errors:
            self.add_error(
                "radius_km",
                forms.ValidationError("Give radius_km (in km) with near.", code="required"),
            )
        if data.get("radius_km") is not None and not data.get("near") and "near" not in self.errors:
            self.add_error(
                "near",
                forms.ValidationError("Give near=lat,lon with radius_km.", code="required"),
            )
        if IncidentStatus.DRAFT in (data.get("status") or []) and not self.can_view_drafts:
            self.add_error(
                "status",
                forms.ValidationError(
                    "Drafts are visible only to staff with permission to view them.",
                    code="permission_denied",
                ),
            )
        return data
