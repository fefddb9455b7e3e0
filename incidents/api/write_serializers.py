"""Shapes of the write side: request bodies, the document returned, history, feed and errors.

The request serializers check JSON types only (a string where a string belongs, a number where
a number belongs, no silent "12" → 12); every rule of the domain (required to publish, dates,
countries, platforms, kind details) stays in `incidents.services`, which receive the body as
sent. The other serializers exist so drf-spectacular documents exactly what the views return;
the incident document itself is incidents.api.serializers.IncidentSerializer, shared with reads.
"""

import math

from drf_spectacular.utils import extend_schema_field
from drf_standardized_errors.openapi_serializers import (
    ClientErrorEnum,
    ParseErrorResponseSerializer,
    ValidationErrorResponseSerializer,
)
from rest_framework import serializers

from incidents.choices import (
    ChangeAction,
    Conduct,
    DatePrecision,
    DisputeType,
    IncidentKind,
    InterceptDomain,
    ParticipantRole,
    SourceType,
    Zone,
)

# --- strict JSON types -------------------------------------------------------------------


class JsonStringOnly:
    """Takes a JSON string only: DRF's text and choice fields would also turn 12 into "12".

    A mixin before any CharField or ChoiceField class (see `StrictCharField`); the model
    serializers of the vocabularies put it before the fields they build.
    """

    def to_internal_value(self, data):
        if not isinstance(data, str):
            if isinstance(self, serializers.ChoiceField):
                # The error code the schema lists for a choice: invalid_choice.
                self.fail("invalid_choice", input=data)
            raise serializers.ValidationError("Expected a string.", code="invalid")
        return super().to_internal_value(data)


class StrictCharField(JsonStringOnly, serializers.CharField):
    pass


class StrictURLField(JsonStringOnly, serializers.URLField):
    default_error_messages = {"invalid": "Enter a valid URL (http or https)."}


class StrictIntegerField(serializers.IntegerField):
    """A JSON integer (2 or 2.0), never a string or true/false."""

    def to_internal_value(self, data):
        if isinstance(data, bool) or not isinstance(data, int | float):
            self.fail("invalid")
        if isinstance(data, float) and not (math.isfinite(data) and data.is_integer()):
            self.fail("invalid")
        return super().to_internal_value(data)


class StrictFloatField(serializers.FloatField):
    """A finite JSON number, never a string or true/false."""

    def to_internal_value(self, data):
        if isinstance(data, bool) or not isinstance(data, int | float) or not math.isfinite(data):
            self.fail("invalid")
        return super().to_internal_value(data)


class StrictBooleanField(serializers.BooleanField):
    """true or false; DRF's BooleanField would also take "yes", 1 and "on"."""

    def to_internal_value(self, data):
        if not isinstance(data, bool):
            self.fail("invalid")
        return data


class StrictChoiceField(JsonStringOnly, serializers.ChoiceField):
    pass


def _optional(field_class, **kwargs):
    """A field that may be left out or null (the services apply the documented default)."""
    kwargs.setdefault("required", False)
    kwargs.setdefault("allow_null", True)
    return field_class(**kwargs)


def _optional_text(**kwargs):
    kwargs.setdefault("allow_blank", True)
    return _optional(StrictCharField, **kwargs)


# --- request bodies ----------------------------------------------------------------------


class ParticipantWriteSerializer(serializers.Serializer):
    country = StrictCharField(
        min_length=2, max_length=2, help_text="ISO 3166-1 alpha-2, upper case (CN, US, TW, PH…)."
    )
    role = StrictChoiceField(choices=ParticipantRole.choices)
    force = _optional_text(max_length=200, help_text='e.g. "PLA Air Force".')
    platform = _optional_text(
        max_length=200, help_text="Platform slug (or name) from /api/v1/platforms/, or null."
    )
    platform_detail = _optional_text(max_length=300, help_text='e.g. "USS Chung-Hoon (DDG-93)".')
    count = _optional(StrictIntegerField, min_value=1, help_text="Default 1; a lower bound.")


class CitationWriteSerializer(serializers.Serializer):
    """A cited source as a full object: matched by `url` (created when new, updated otherwise)."""

    url = StrictURLField(max_length=1000)
    publisher = StrictCharField(max_length=200)
    title = _optional_text(max_length=500)
    published_on = _optional(serializers.DateField)
    type = StrictChoiceField(choices=SourceType.choices)
    quote = _optional_text(help_text="The source's own words, optional.")


class IncidentDetailsWriteSerializer(serializers.Serializer):
    """The fields of the incident's kind (a field of another kind is refused).

    intercept: domain, closest_approach_m, closest_approach_text, maneuvers.
    median_line_crossing: aircraft_count, vessel_count, aircraft_total_reported, period_start,
    period_end, track (GeoJSON LineString, lon/lat). navigation_dispute: dispute_types, feature,
    zone. `track_analysis` is computed by the registry; sent back, it is ignored.
    """

    domain = _optional(StrictChoiceField, choices=InterceptDomain.choices)
    closest_approach_m = _optional(StrictFloatField, min_value=0)
    closest_approach_text = _optional_text(max_length=300)
    maneuvers = _optional(serializers.ListField, child=StrictCharField())
    aircraft_count = _optional(StrictIntegerField, min_value=0)
    vessel_count = _optional(StrictIntegerField, min_value=0)
    aircraft_total_reported = _optional(StrictIntegerField, min_value=0)
    period_start = _optional(serializers.DateField)
    period_end = _optional(serializers.DateField)
    track = _optional(serializers.JSONField, help_text="GeoJSON LineString in lon/lat.")
    dispute_types = _optional(
        serializers.ListField, child=StrictChoiceField(choices=DisputeType.choices)
    )
    feature = _optional_text(max_length=200)
    zone = _optional(StrictChoiceField, choices=Zone.choices)


class IncidentWriteSerializer(serializers.Serializer):
    """An incident document as POST/PUT take it (PATCH: any subset, merged onto the current one).

    Read-only fields of the document (id, status, verification, retraction_reason, version,
    created_at, updated_at) may be sent back as fetched; they are ignored. A new incident is
    always a draft: status changes only through publish and retract.
    """

    external_id = _optional_text(max_length=120)
    kind = StrictChoiceField(choices=IncidentKind.choices)
    title = StrictCharField(max_length=200)
    summary = _optional_text()
    occurred_on = serializers.DateField()
    occurred_at = _optional(serializers.DateTimeField, help_text="UTC, with a zone.")
    date_precision = _optional(StrictChoiceField, choices=DatePrecision.choices)
    region = StrictCharField(max_length=50, help_text="Region slug from /api/v1/regions/.")
    location_name = _optional_text(max_length=200)
    latitude = _optional(StrictFloatField, min_value=-90, max_value=90)
    longitude = _optional(StrictFloatField, min_value=-180, max_value=180)
    conduct = _optional(StrictChoiceField, choices=Conduct.choices)
    disputed = StrictBooleanField(
        required=False,
        help_text="A party contests the account: verification becomes `disputed`. "
        "Left out, the current flag stays.",
    )
    participants = ParticipantWriteSerializer(many=True, required=False)
    sources = CitationWriteSerializer(many=True, required=False)
    details = IncidentDetailsWriteSerializer(required=False, allow_null=True)


class RetractSerializer(serializers.Serializer):
    reason = StrictCharField(help_text="Why the record is withdrawn; readers see it.")


# --- history and change feed -------------------------------------------------------------


@extend_schema_field({"description": "The value in JSON: string, number, boolean, list or null."})
class AnyValueField(serializers.JSONField):
    pass


class FieldChangeSerializer(serializers.Serializer):
    field = serializers.CharField()
    old = AnyValueField(allow_null=True)
    new = AnyValueField(allow_null=True)


class HistoryEntrySerializer(serializers.Serializer):
    at = serializers.DateTimeField()
    action = serializers.ChoiceField(choices=["created", "changed", "deleted"])
    object = serializers.CharField(
        help_text='What changed: "incident", "participant", "citation" or the kind\'s details.'
    )
    changes = FieldChangeSerializer(many=True)
    by = serializers.CharField(
        allow_null=True, help_text="Username of the editor; null unless you are staff."
    )


class HistoryPageSerializer(serializers.Serializer):
    count = serializers.IntegerField()
    next = serializers.URLField(allow_null=True)
    previous = serializers.URLField(allow_null=True)
    results = HistoryEntrySerializer(many=True)


class ChangeEventSerializer(serializers.Serializer):
    cursor = serializers.IntegerField()
    incident_id = serializers.IntegerField()
    action = serializers.ChoiceField(choices=ChangeAction.choices)
    at = serializers.DateTimeField(help_text="When the change was written.")


class ChangeFeedSerializer(serializers.Serializer):
    results = ChangeEventSerializer(many=True)
    next = serializers.IntegerField(
        help_text="Pass as `after` next time: the last cursor returned, or `after` when none."
    )


# --- error bodies drf-standardized-errors does not document by itself -------------------


def _client_error_serializer(error_code: str, name: str):
    class ErrorSerializer(serializers.Serializer):
        code = serializers.ChoiceField(choices=[(error_code, error_code)])
        detail = serializers.CharField()
        attr = serializers.CharField(allow_null=True)

        class Meta:
            ref_name = f"Error{name}"

    class ErrorResponseSerializer(serializers.Serializer):
        type = serializers.ChoiceField(choices=ClientErrorEnum.choices)
        errors = ErrorSerializer(many=True)

        class Meta:
            ref_name = f"ErrorResponse{name}"

    return ErrorResponseSerializer


ErrorResponse409Serializer = _client_error_serializer("conflict", "409")
ErrorResponse412Serializer = _client_error_serializer("precondition_failed", "412")


def error_400(component_name: str, *, body: bool = True):
    """A 400 whose `attr` is a document path (`participants[0].country`) or a parameter."""
    from drf_spectacular.utils import PolymorphicProxySerializer

    serializers_by_type = {"validation_error": ValidationErrorResponseSerializer}
    if body:
        serializers_by_type["client_error"] = ParseErrorResponseSerializer
    return PolymorphicProxySerializer(
        component_name=component_name,
        serializers=serializers_by_type,
        resource_type_field_name="type",
    )
