"""The incident document (SPEC §1) as serializers: they describe responses in the OpenAPI schema.

Reads never run them: documents are plain dicts from selectors.incident_documents, rendered as
they are. These classes are the contract those dicts keep, field for field
(tests/incidents/api/test_schema.py checks a real document against them).
"""

from drf_spectacular.extensions import OpenApiSerializerExtension
from drf_spectacular.utils import (
    PolymorphicProxySerializer,
    extend_schema_field,
    extend_schema_serializer,
)
from rest_framework import serializers

from incidents.choices import (
    Conduct,
    DatePrecision,
    DisputeType,
    IncidentKind,
    IncidentStatus,
    InterceptDomain,
    ParticipantRole,
    SourceType,
    Verification,
    Zone,
)


class IncidentParticipantSerializer(serializers.Serializer):
    country = serializers.CharField(help_text="ISO 3166-1 alpha-2, upper case.")
    role = serializers.ChoiceField(choices=ParticipantRole.choices)
    force = serializers.CharField(allow_blank=True)
    platform = serializers.CharField(allow_null=True, help_text="Platform slug.")
    platform_detail = serializers.CharField(allow_null=True)
    count = serializers.IntegerField(min_value=1)


class IncidentSourceSerializer(serializers.Serializer):
    url = serializers.URLField()
    publisher = serializers.CharField()
    title = serializers.CharField(allow_blank=True)
    published_on = serializers.DateField(allow_null=True)
    type = serializers.ChoiceField(choices=SourceType.choices)
    quote = serializers.CharField(allow_blank=True, help_text="The source's words, if cited.")


class InterceptDetailsSerializer(serializers.Serializer):
    domain = serializers.ChoiceField(choices=InterceptDomain.choices)
    closest_approach_m = serializers.FloatField(allow_null=True, min_value=0)
    closest_approach_text = serializers.CharField(allow_blank=True)
    maneuvers = serializers.ListField(child=serializers.CharField())


class MedianLineTrackAnalysisSerializer(serializers.Serializer):
    crossed = serializers.BooleanField()
    crossing_points = serializers.ListField(
        child=serializers.ListField(child=serializers.FloatField(), min_length=2, max_length=2),
        help_text="[lon, lat] of each crossing of the median-line segment.",
    )
    ends_on = serializers.ChoiceField(choices=["east", "west"])
    max_penetration_km = serializers.FloatField(min_value=0)


class MedianLineCrossingDetailsSerializer(serializers.Serializer):
    aircraft_count = serializers.IntegerField(allow_null=True, min_value=0)
    vessel_count = serializers.IntegerField(allow_null=True, min_value=0)
    aircraft_total_reported = serializers.IntegerField(allow_null=True, min_value=0)
    period_start = serializers.DateField(allow_null=True)
    period_end = serializers.DateField(allow_null=True)
    track = serializers.JSONField(allow_null=True, help_text="GeoJSON LineString, lon/lat.")
    track_analysis = MedianLineTrackAnalysisSerializer(
        allow_null=True, read_only=True, help_text="Computed from the track; null without one."
    )


class NavigationDisputeDetailsSerializer(serializers.Serializer):
    dispute_types = serializers.ListField(child=serializers.ChoiceField(DisputeType.choices))
    feature = serializers.CharField(allow_null=True)
    zone = serializers.ChoiceField(choices=Zone.choices)


class NoDetailsSerializer(serializers.Serializer):
    """A draft whose kind's details are not filled in yet: `{}`."""


class NoDetailsSchema(OpenApiSerializerExtension):
    # Exactly `{}`: an object schema without properties would match every kind's details too,
    # and `oneOf` needs exactly one match.
    target_class = NoDetailsSerializer

    def get_name(self, auto_schema, direction):
        return "NoDetails"

    def map_serializer(self, auto_schema, direction):
        return {"type": "object", "additionalProperties": False, "description": self.target.__doc__}


@extend_schema_field(
    PolymorphicProxySerializer(
        component_name="IncidentKindDetails",
        serializers=[
            InterceptDetailsSerializer,
            MedianLineCrossingDetailsSerializer,
            NavigationDisputeDetailsSerializer,
            NoDetailsSerializer,
        ],
        resource_type_field_name=None,
    )
)
class DetailsField(serializers.JSONField):
    """The details of the incident's kind (see `kind`)."""


class IncidentSerializer(serializers.Serializer):
    """One incident with its participants, sources and kind details (SPEC §1)."""

    id = serializers.IntegerField(read_only=True)
    external_id = serializers.CharField(allow_null=True, max_length=120)
    kind = serializers.ChoiceField(choices=IncidentKind.choices)
    title = serializers.CharField(max_length=200)
    summary = serializers.CharField(allow_blank=True)
    occurred_on = serializers.DateField(help_text="The reported local date.")
    occurred_at = serializers.DateTimeField(allow_null=True, help_text="UTC, when known.")
    date_precision = serializers.ChoiceField(choices=DatePrecision.choices)
    region = serializers.CharField(help_text="Region slug.")
    location_name = serializers.CharField(allow_null=True)
    latitude = serializers.FloatField(allow_null=True, min_value=-90, max_value=90)
    longitude = serializers.FloatField(allow_null=True, min_value=-180, max_value=180)
    conduct = serializers.ChoiceField(choices=Conduct.choices)
    status = serializers.ChoiceField(choices=IncidentStatus.choices)
    retraction_reason = serializers.CharField(allow_null=True)
    verification = serializers.ChoiceField(choices=Verification.choices)
    participants = IncidentParticipantSerializer(many=True)
    sources = IncidentSourceSerializer(many=True)
    details = DetailsField()
    created_at = serializers.DateTimeField(read_only=True)
    updated_at = serializers.DateTimeField(read_only=True)


class PointSerializer(serializers.Serializer):
    type = serializers.ChoiceField(choices=["Point"])
    coordinates = serializers.ListField(
        child=serializers.FloatField(), min_length=2, max_length=2, help_text="[lon, lat]"
    )


class IncidentFeatureSerializer(serializers.Serializer):
    type = serializers.ChoiceField(choices=["Feature"])
    id = serializers.IntegerField()
    geometry = PointSerializer()
    properties = IncidentSerializer()


@extend_schema_serializer(many=False)  # one collection, never a paginated list of them
class IncidentFeatureCollectionSerializer(serializers.Serializer):
    """GeoJSON (RFC 7946); incidents without coordinates are left out."""

    type = serializers.ChoiceField(choices=["FeatureCollection"])
    features = IncidentFeatureSerializer(many=True)


INTERVALS = ["day", "week", "month", "quarter", "year"]
GROUP_BYS = ["kind", "region", "country", "conduct", "verification"]


class StatsQuerySerializer(serializers.Serializer):
    interval = serializers.ChoiceField(
        choices=INTERVALS,
        required=False,
        help_text="Time buckets on occurred_on (weeks start on Monday); absent: no time axis.",
    )
    group_by = serializers.ChoiceField(
        choices=GROUP_BYS,
        required=False,
        help_text="Group within each bucket; with country an incident counts once per distinct "
        "participant country.",
    )


class StatsBucketSerializer(serializers.Serializer):
    period = serializers.DateField(
        allow_null=True, help_text="First day of the bucket; null without interval."
    )
    key = serializers.CharField(allow_null=True, help_text="Group value; null without group_by.")
    count = serializers.IntegerField(min_value=1)


class IncidentStatsSerializer(serializers.Serializer):
    interval = serializers.ChoiceField(choices=INTERVALS, allow_null=True)
    group_by = serializers.ChoiceField(choices=GROUP_BYS, allow_null=True)
    total = serializers.IntegerField(help_text="Incidents in the filtered set.")
    buckets = StatsBucketSerializer(many=True, help_text="Sorted by period, then key.")
