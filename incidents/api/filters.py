"""The incident filters of SPEC §2, shared by the list, stats and export endpoints.

Repeating a parameter means OR, different parameters AND. Filters across participants use
`Exists`, so an incident never appears twice. Every value is checked: a bad one is a 400 naming
the parameter. Visibility (drafts, retracted) and ordering are applied here too, after the
filters, since both depend on which parameters were given.
"""

from django.db import connection
from django.db.models import F, Q
from django_filters import rest_framework as filters

from incidents.api.filter_fields import (
    MAX_RADIUS_KM,
    BBoxFilter,
    ChoicesFilter,
    CountryFilter,
    DateTimeFilter,
    FloatFilter,
    IncidentFilterForm,
    IntegerFilter,
    PointFilter,
    RepeatableTextFilter,
    StrictBooleanFilter,
)
from incidents.api.filter_queries import (
    DEFAULT_ORDERING,
    ORDERINGS,
    DeferredOrderingFilter,
    great_circle_km,
    order_by_parameters,
    postgres_search,
    simple_search,
    with_participants,
)
from incidents.choices import (
    Conduct,
    DisputeType,
    IncidentKind,
    IncidentStatus,
    ParticipantRole,
    PlatformCategory,
    Verification,
    Zone,
)
from incidents.geometry import bounding_box_around
from incidents.models import Incident, Platform, Region
from incidents.selectors import can_view_drafts

MAX_DISTANCE_M = 1_000_000.0
MAX_COUNT = 1_000_000


class IncidentFilterSet(filters.FilterSet):
    kind = ChoicesFilter(choices=IncidentKind.choices, help_text="Kind of incident.")
    region = filters.ModelMultipleChoiceFilter(
        queryset=Region.objects.all(),
        to_field_name="slug",
        distinct=False,
        help_text="Region slug (see /api/v1/regions/).",
    )
    conduct = ChoicesFilter(choices=Conduct.choices, help_text="Conduct as characterised.")
    verification = ChoicesFilter(choices=Verification.choices, help_text="Verification.")
    status = ChoicesFilter(
        choices=IncidentStatus.choices,
        help_text="Curation state. Default: published (staff: all). `draft` needs the view "
        "permission (400 otherwise).",
    )
    occurred_after = filters.DateFilter(
        field_name="occurred_on", lookup_expr="gte", help_text="occurred_on on or after (date)."
    )
    occurred_before = filters.DateFilter(
        field_name="occurred_on", lookup_expr="lte", help_text="occurred_on on or before (date)."
    )
    country = CountryFilter(
        method="with_country", help_text="Any participant from this country (ISO alpha-2)."
    )
    initiator = CountryFilter(
        method="with_initiator", help_text="A participant from this country as initiator."
    )
    target = CountryFilter(
        method="with_target", help_text="A participant from this country as target."
    )
    platform = filters.ModelMultipleChoiceFilter(
        field_name="participants__platform",
        queryset=Platform.objects.all(),
        to_field_name="slug",
        method="with_platform",
        distinct=False,
        help_text="Platform slug of any participant (see /api/v1/platforms/).",
    )
    platform_category = ChoicesFilter(
        choices=PlatformCategory.choices,
        method="with_platform_category",
        help_text="Platform category of any participant.",
    )
    q = filters.CharFilter(
        method="search",
        max_length=200,
        help_text="Full-text search over title, summary, location name and source titles "
        '(PostgreSQL web-search syntax: words, "a phrase", -word, or). Ranked by relevance '
        "unless `ordering` is given.",
    )
    bbox = BBoxFilter(
        method="within_bbox",
        help_text="min_lon,min_lat,max_lon,max_lat (WGS 84). min_lon > max_lon crosses 180°.",
    )
    near = PointFilter(
        method="near_point", help_text="lat,lon; with radius_km: great-circle distance."
    )
    radius_km = FloatFilter(
        method="ignore",
        min_value=0,
        max_value=MAX_RADIUS_KM,
        help_text=f"Radius around `near`, in km (0 to {MAX_RADIUS_KM:g}).",
    )
    min_closest_approach_m = FloatFilter(
        field_name="intercept__closest_approach_m",
        lookup_expr="gte",
        min_value=0,
        max_value=MAX_DISTANCE_M,
        help_text="Intercepts that came this close or farther (m, inclusive).",
    )
    max_closest_approach_m = FloatFilter(
        field_name="intercept__closest_approach_m",
        lookup_expr="lte",
        min_value=0,
        max_value=MAX_DISTANCE_M,
        help_text="Intercepts that came at least this close (m, inclusive).",
    )
    min_aircraft = IntegerFilter(
        field_name="crossing__aircraft_count",
        lookup_expr="gte",
        min_value=0,
        max_value=MAX_COUNT,
        help_text="Median-line crossings with at least this many aircraft (null never matches).",
    )
    min_vessels = IntegerFilter(
        field_name="crossing__vessel_count",
        lookup_expr="gte",
        min_value=0,
        max_value=MAX_COUNT,
        help_text="Median-line crossings with at least this many vessels (null never matches).",
    )
    crossed_median_line = StrictBooleanFilter(
        field_name="crossing__track_crossed",
        help_text="Median-line crossings whose track crossed the line (true) or not (false); "
        "incidents without a track match neither.",
    )
    min_penetration_km = FloatFilter(
        field_name="crossing__track_max_penetration_km",
        lookup_expr="gte",
        min_value=0,
        max_value=MAX_RADIUS_KM,
        help_text="Median-line crossings whose track went at least this far east of the line.",
    )
    dispute_type = ChoicesFilter(
        choices=DisputeType.choices,
        method="with_dispute_type",
        help_text="Navigation disputes of this type.",
    )
    zone = ChoicesFilter(
        field_name="dispute__zone", choices=Zone.choices, help_text="Maritime zone."
    )
    feature = RepeatableTextFilter(
        method="at_feature",
        help_text="Navigation disputes at this feature (case-insensitive exact name).",
    )
    updated_after = DateTimeFilter(
        field_name="updated_at",
        lookup_expr="gte",
        help_text="Changed at or after this ISO 8601 datetime (UTC when no offset) or date.",
    )
    ordering = DeferredOrderingFilter(
        fields=list(ORDERINGS),
        help_text="Sort order, comma-separated; `-` for descending. Default -occurred_on "
        "(relevance first with q). id is always the last tie-break.",
    )

    class Meta:
        model = Incident
        fields: list[str] = []
        form = IncidentFilterForm

    def __init__(self, data=None, queryset=None, *, request=None, prefix=None):
        super().__init__(data, queryset, request=request, prefix=prefix)
        self.can_view_drafts = can_view_drafts(getattr(request, "user", None))
        self.rank = None

    @property
    def form(self):
        form = super().form
        form.can_view_drafts = self.can_view_drafts
        return form

    def default_statuses(self) -> list[str] | None:
        """Statuses shown when `status` is not given; None for all."""
        return None if self.can_view_drafts else [IncidentStatus.PUBLISHED]

    def filter_queryset(self, queryset):
        queryset = super().filter_queryset(queryset)
        if not self.form.cleaned_data.get("status"):
            statuses = self.default_statuses()
            if statuses is not None:
                queryset = queryset.filter(status__in=statuses)
        if "ordering" not in self.filters:
            return queryset
        ordering = list(dict.fromkeys(self.form.cleaned_data.get("ordering") or []))
        if ordering:
            return order_by_parameters(queryset, ordering)
        first = [F("rank").desc()] if self.rank is not None else []
        return order_by_parameters(queryset, DEFAULT_ORDERING, first=first)

    def ignore(self, queryset, name, value):
        return queryset

    def with_country(self, queryset, name, value):
        return queryset.filter(with_participants(country__in=value))

    def with_initiator(self, queryset, name, value):
        return queryset.filter(with_participants(country__in=value, role=ParticipantRole.INITIATOR))

    def with_target(self, queryset, name, value):
        return queryset.filter(with_participants(country__in=value, role=ParticipantRole.TARGET))

    def with_platform(self, queryset, name, value):
        if not value:
            return queryset
        return queryset.filter(with_participants(platform__in=[p.pk for p in value]))

    def with_platform_category(self, queryset, name, value):
        return queryset.filter(with_participants(platform__category__in=value))

    def with_dispute_type(self, queryset, name, value):
        condition = Q()
        for dispute_type in value:
            if connection.vendor == "postgresql":
                # jsonb containment, served by the GIN index dispute_types_idx.
                condition |= Q(dispute__dispute_types__contains=[dispute_type])
            else:
                # SQLite stores the list as JSON text; the quotes make it an exact element.
                condition |= Q(dispute__dispute_types__icontains=f'"{dispute_type}"')
        return queryset.filter(condition)

    def at_feature(self, queryset, name, value):
        condition = Q()
        for feature in value:
            condition |= Q(dispute__feature__iexact=feature)
        return queryset.filter(condition)

    def search(self, queryset, name, value):
        if connection.vendor == "postgresql":
            condition, self.rank = postgres_search(value)
            return queryset.filter(condition).alias(rank=self.rank)
        return queryset.filter(simple_search(value))

    def within_bbox(self, queryset, name, box):
        latitudes = Q(latitude__gte=box.min_lat, latitude__lte=box.max_lat)
        if box.crosses_antimeridian:
            longitudes = Q(longitude__gte=box.min_lon) | Q(longitude__lte=box.max_lon)
        else:
            longitudes = Q(longitude__gte=box.min_lon, longitude__lte=box.max_lon)
        return queryset.filter(latitudes & longitudes)

    def near_point(self, queryset, name, point):
        radius = self.form.cleaned_data.get("radius_km")
        if point is None or radius is None:
            return queryset
        min_lat, max_lat, min_lon, max_lon = bounding_box_around(point.lat, point.lon, radius)
        queryset = queryset.filter(
            latitude__gte=min_lat,
            latitude__lte=max_lat,
            longitude__gte=min_lon,
            longitude__lte=max_lon,
        )
        return queryset.alias(distance_km=great_circle_km(point.lat, point.lon)).filter(
            distance_km__lte=radius
        )


class IncidentStatsFilterSet(IncidentFilterSet):
    """Stats leave retracted incidents out unless `status` asks for them; no ordering."""

    ordering = None

    def default_statuses(self) -> list[str] | None:
        if self.can_view_drafts:
            return [IncidentStatus.DRAFT, IncidentStatus.PUBLISHED]
        return [IncidentStatus.PUBLISHED]
