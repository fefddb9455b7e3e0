"""The incident filters of SPEC §2, shared by the list, stats and export endpoints.

Repeating a parameter means OR, different parameters AND. Filters across participants use
`Exists`, so an incident never appears twice. Every value is checked: a bad one is a 400 naming
the parameter. Visibility (drafts, retracted) and ordering are applied here too, after the
filters, since both depend on which parameters were given.

A FilterSet is built for every list, stats and export request, so building one stays cheap
(docs/performance.md, R2): the declared filters are copied shallowly, the form class is made
once per FilterSet class, and `region` is checked against slugs cached in the process.
"""

import copy
import time

from django.db import connection
from django.db.models import F, Q, QuerySet
from django_filters import rest_framework as filters
from django_filters.filters import FilterMethod

from incidents.api.filter_fields import (
    MAX_RADIUS_KM,
    BBoxFilter,
    ChoicesFilter,
    CountryFilter,
    DateFilter,
    DateTimeFilter,
    FloatFilter,
    IncidentFilterForm,
    IntegerFilter,
    PointFilter,
    RepeatableTextFilter,
    SlugsFilter,
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
REGION_SLUGS_SECONDS = 60.0


class CachedSlugs:
    """The slugs of a vocabulary table, read again when older than `seconds` or missing one.

    A slug added since the last read is found at once (a miss reads the table again); a slug
    deleted since is accepted for at most `seconds`, and then matches no incident anyway.
    """

    def __init__(self, model, seconds: float):
        self.model = model
        self.seconds = seconds
        self.slugs: frozenset[str] = frozenset()
        self.read_at = float("-inf")

    def __contains__(self, slug: str) -> bool:
        if slug in self.slugs and time.monotonic() - self.read_at < self.seconds:
            return True
        self.slugs = frozenset(self.model.objects.values_list("slug", flat=True))
        self.read_at = time.monotonic()
        return slug in self.slugs

    def choices(self) -> list[tuple[str, str]]:
        """(slug, name) of every row, for the browsable API's filter form."""
        return [(row.slug, row.name) for row in self.model.objects.all()]


region_slugs = CachedSlugs(Region, REGION_SLUGS_SECONDS)


class ShallowCopiedFilters(dict):
    """Declared filters that each FilterSet instance copies shallowly.

    django-filter deep-copies every declared filter per instance (choices, widgets and all);
    only the per-request attributes (`model`, `parent`) differ, so a shallow copy suffices. A
    filter with `method=` calls it through a FilterMethod bound to the filter: rebound to the
    copy, whose parent is this request's FilterSet.
    """

    def __deepcopy__(self, memo):
        copies = {}
        for name, filter_ in self.items():
            copies[name] = copied = copy.copy(filter_)
            if isinstance(filter_.__dict__.get("filter"), FilterMethod):
                copied.filter = FilterMethod(copied)
        return copies


class ShallowCopiedFields(dict):
    """Form fields that each form instance copies shallowly, with its own widget.

    BaseForm deep-copies its fields per instance so that one form may change them; these forms
    never do, and the deep copy of three country lists cost more than the query it guards.
    """

    def __deepcopy__(self, memo):
        copies = {}
        for name, field in self.items():
            copies[name] = copied = copy.copy(field)
            copied.widget = copy.copy(field.widget)
        return copies


class IncidentFilterSet(filters.FilterSet):
    kind = ChoicesFilter(choices=IncidentKind.choices, help_text="Kind of incident.")
    region = SlugsFilter(
        slugs=region_slugs,
        choices=region_slugs.choices,
        help_text="Region slug (see /api/v1/regions/).",
    )
    conduct = ChoicesFilter(choices=Conduct.choices, help_text="Conduct as characterised.")
    verification = ChoicesFilter(choices=Verification.choices, help_text="Verification.")
    status = ChoicesFilter(
        choices=IncidentStatus.choices,
        help_text="Curation state. Default: published (staff: all). `draft` needs the view "
        "permission (400 otherwise).",
    )
    occurred_after = DateFilter(
        field_name="occurred_on", lookup_expr="gte", help_text="occurred_on on or after (date)."
    )
    occurred_before = DateFilter(
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

    @classmethod
    def get_filters(cls):
        return ShallowCopiedFilters(super().get_filters())

    def get_form_class(self):
        # One form class per FilterSet class and process: its fields depend on the declared
        # filters only (no filter here takes its queryset from the request).
        cls = type(self)
        form_class = cls.__dict__.get("_form_class")
        if form_class is None:
            form_class = super().get_form_class()
            form_class.base_fields = ShallowCopiedFields(form_class.base_fields)
            cls._form_class = form_class
        return form_class

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
        # Without the parameter the field cleans to an empty QuerySet, with it to a list of
        # platforms: test the type, since `not value` would evaluate the QuerySet.
        if isinstance(value, QuerySet) or not value:
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
