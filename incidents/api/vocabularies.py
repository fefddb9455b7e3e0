"""Regions, platforms, sources and contacts: read by everyone, written with model permissions.

Regions and platforms are looked up by slug. A record still referred to (a region or platform
of an incident, a cited source) is a 409 on delete, never a 500. A source changes only through
services.update_source, so the verification of the incidents citing it follows.
"""

import copy
import functools
import math

from django.core.exceptions import ValidationError as DjangoValidationError
from django.db import transaction
from django.db.models import Exists, OuterRef, ProtectedError, Q
from django_filters import rest_framework as filters
from drf_spectacular.utils import extend_schema, extend_schema_field, extend_schema_view
from rest_framework import serializers, viewsets
from rest_framework.parsers import JSONParser

from incidents import services
from incidents.api.conditional import Conflict
from incidents.api.filter_fields import ChoicesFilter, CountryFilter, DateFilter
from incidents.api.mixins import StrictQueryMixin
from incidents.api.schema import document_query_errors
from incidents.api.write_serializers import ErrorResponse409Serializer, JsonStringOnly
from incidents.choices import (
    ContactKind,
    IncidentStatus,
    PlatformCategory,
    PlatformDomain,
    SourceType,
)
from incidents.models import Citation, Contact, Platform, Region, Source
from incidents.selectors import can_view_drafts
from incidents.services.contacts import clean_parties
from incidents.services.validation import country_problem

BBOX_COLUMNS = ["min_longitude", "min_latitude", "max_longitude", "max_latitude"]


def _country(code: str) -> str:
    problem = country_problem(code)
    if problem is not None:
        raise serializers.ValidationError(problem)
    return code


@functools.cache
def _json_string_only(field_class):
    return type(field_class.__name__, (JsonStringOnly, field_class), {})


class ModelCleanMixin:
    """Runs the model's own validation (field validators and check constraints) before saving."""

    def build_standard_field(self, field_name, model_field):
        field_class, kwargs = super().build_standard_field(field_name, model_field)
        if issubclass(field_class, serializers.CharField | serializers.ChoiceField):
            # The schema says "type: string"; a number or true is a 400, as everywhere else.
            field_class = _json_string_only(field_class)
        if "max_length" in kwargs:
            # The length is checked on the text as sent, as the schema's maxLength states;
            # trimming first would accept a longer body than documented.
            kwargs["trim_whitespace"] = False
        return field_class, kwargs

    def validate(self, attrs):
        model = self.Meta.model
        # A copy: the instance itself changes only when the serializer saves.
        instance = copy.copy(self.instance) if self.instance is not None else model()
        many_to_many = {f.name for f in model._meta.many_to_many}
        for name, value in attrs.items():
            if name not in many_to_many:
                setattr(instance, name, value)
        try:
            instance.full_clean(validate_unique=False)
        except DjangoValidationError as error:
            raise serializers.ValidationError(serializers.as_serializer_error(error)) from error
        return attrs


@extend_schema_field({"type": "array", "items": {"type": "number"}, "minItems": 4, "maxItems": 4})
class BboxField(serializers.JSONField):
    """Four numbers; a bad item is reported on the field, by position."""

    def to_internal_value(self, data):
        if not isinstance(data, list) or len(data) != 4:
            raise serializers.ValidationError(
                "Give four numbers: min_lon, min_lat, max_lon, max_lat."
            )
        for index, value in enumerate(data):
            if (
                isinstance(value, bool)
                or not isinstance(value, int | float)
                or not math.isfinite(value)
            ):
                raise serializers.ValidationError(f"Item {index} must be a finite number.")
        return [float(value) for value in data]


class RegionSerializer(ModelCleanMixin, serializers.ModelSerializer):
    bbox = BboxField(help_text="[min_lon, min_lat, max_lon, max_lat]")

    class Meta:
        model = Region
        fields = ["slug", "name", "bbox"]

    def validate(self, attrs):
        if (
            self.instance is not None
            and attrs.get("slug", self.instance.slug) != self.instance.slug
        ):
            raise serializers.ValidationError({"slug": ["The slug of a region cannot change."]})
        bbox = attrs.pop("bbox", None)
        if bbox is not None:
            attrs.update(zip(BBOX_COLUMNS, bbox, strict=True))
        return super().validate(attrs)


class PlatformSerializer(ModelCleanMixin, serializers.ModelSerializer):
    class Meta:
        model = Platform
        fields = ["slug", "name", "category", "domain", "country"]

    def validate_country(self, value):
        return _country(value) if value else None


class SourceSerializer(ModelCleanMixin, serializers.ModelSerializer):
    class Meta:
        model = Source
        fields = ["id", "url", "publisher", "title", "published_on", "type"]

    def update(self, instance, validated_data):
        try:
            return services.update_source(instance, validated_data, by=self.context["request"].user)
        except DjangoValidationError as error:
            raise serializers.ValidationError(serializers.as_serializer_error(error)) from error


@extend_schema_field(
    {
        "type": "array",
        "items": {"type": "string", "minLength": 2, "maxLength": 2},
        "minItems": 1,
    }
)
class CountryListField(serializers.JSONField):
    """A contact's parties, by the services' one rule (`services.contacts.clean_parties`)."""

    def to_internal_value(self, data):
        try:
            return clean_parties(data)
        except DjangoValidationError as error:
            raise serializers.ValidationError(error.messages) from error


class ContactSerializer(ModelCleanMixin, serializers.ModelSerializer):
    parties = CountryListField(help_text="ISO 3166-1 alpha-2 codes.")
    sources = serializers.SlugRelatedField(
        slug_field="url",
        queryset=Source.objects.all(),
        many=True,
        required=False,
        help_text="URLs of sources in /api/v1/sources/.",
    )

    class Meta:
        model = Contact
        fields = [
            "id",
            "external_id",
            "occurred_on",
            "kind",
            "title",
            "summary",
            "parties",
            "sources",
            "created_at",
            "updated_at",
        ]


class PlatformFilterSet(filters.FilterSet):
    category = ChoicesFilter(choices=PlatformCategory.choices)
    domain = ChoicesFilter(choices=PlatformDomain.choices)

    class Meta:
        model = Platform
        fields: list[str] = []


class SourceFilterSet(filters.FilterSet):
    type = ChoicesFilter(choices=SourceType.choices)

    class Meta:
        model = Source
        fields: list[str] = []


class ContactFilterSet(filters.FilterSet):
    kind = ChoicesFilter(choices=ContactKind.choices)
    party = CountryFilter(method="with_party", help_text="A party of the contact (ISO alpha-2).")
    occurred_after = DateFilter(field_name="occurred_on", lookup_expr="gte")
    occurred_before = DateFilter(field_name="occurred_on", lookup_expr="lte")

    class Meta:
        model = Contact
        fields: list[str] = []

    def with_party(self, queryset, name, value):
        condition = Q()
        for code in value:
            # The list is stored as JSON; quotes make the match one whole element.
            condition |= Q(parties__icontains=f'"{code}"')
        return queryset.filter(condition)


@extend_schema_view(destroy=extend_schema(responses={204: None, 409: ErrorResponse409Serializer}))
class VocabularyViewSet(StrictQueryMixin, viewsets.ModelViewSet):
    filtered_actions = {"list"}
    query_parameters = {"list": {"limit", "offset"}, "retrieve": set()}
    # Writes are JSON documents; no form or multipart bodies.
    parser_classes = [JSONParser]

    def perform_destroy(self, instance):
        try:
            with transaction.atomic():
                instance.delete()
        except ProtectedError:
            raise Conflict(
                f"{instance} is still referred to by incidents; change those first."
            ) from None


class RegionViewSet(VocabularyViewSet):
    """Sea areas incidents are filed under (seeded; curated by superusers)."""

    queryset = Region.objects.all()
    serializer_class = RegionSerializer
    lookup_field = "slug"
    lookup_value_regex = "[-a-zA-Z0-9_]{1,50}"


class PlatformViewSet(VocabularyViewSet):
    """Aircraft, ship and station types the participants refer to by slug."""

    queryset = Platform.objects.all()
    serializer_class = PlatformSerializer
    filterset_class = PlatformFilterSet
    lookup_field = "slug"
    lookup_value_regex = "[-a-zA-Z0-9_]{1,80}"


def _contact_links(source):
    return Contact.sources.through.objects.filter(source_id=source)


class SourceViewSet(VocabularyViewSet):
    """Reports the incidents cite; their type and publisher decide verification."""

    queryset = Source.objects.all()
    serializer_class = SourceSerializer
    filterset_class = SourceFilterSet
    lookup_value_regex = "[0-9]{1,18}"

    def get_queryset(self):
        sources = super().get_queryset()
        if can_view_drafts(self.request.user):
            return sources
        # A source only drafts cite would announce what the curators have not published (its
        # title names the event): hidden, a 404 by id, like the drafts themselves. A source
        # nothing cites yet is vocabulary entered ahead of use and stays public.
        citations = Citation.objects.filter(source=OuterRef("pk"))
        only_drafts = Exists(citations) & ~Exists(
            citations.exclude(incident__status=IncidentStatus.DRAFT)
        )
        return sources.exclude(only_drafts & ~Exists(_contact_links(OuterRef("pk"))))


class ContactViewSet(VocabularyViewSet):
    """The military and diplomatic communication timeline incidents are read against."""

    queryset = Contact.objects.prefetch_related("sources")
    serializer_class = ContactSerializer
    filterset_class = ContactFilterSet
    lookup_value_regex = "[0-9]{1,18}"


for _viewset in (RegionViewSet, PlatformViewSet, SourceViewSet, ContactViewSet):
    _filters = getattr(_viewset, "filterset_class", None)
    document_query_errors(
        _viewset,
        "list",
        [*(_filters.base_filters if _filters else ()), "format", "limit", "offset"],
    )
    document_query_errors(_viewset, "retrieve", ["format"])
del _viewset, _filters
