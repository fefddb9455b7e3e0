"""Query pieces of the incident filters: participants by Exists, search, distance, ordering."""

import math

from django import forms
from django.contrib.postgres.search import SearchQuery, SearchRank
from django.db.models import Exists, F, OuterRef, Q, Value
from django.db.models.functions import ASin, Cos, Least, Power, Radians, Sin, Sqrt
from django_filters import rest_framework as filters
from django_filters.fields import BaseCSVField

from incidents.geometry import EARTH_RADIUS_KM
from incidents.models import Citation, Participant

SEARCH_CONFIG = "english"  # the configuration services.search builds search_vector with
ORDERINGS = {  # `ordering` parameter -> columns, tie-breaks included (id comes last)
    "occurred_on": ["occurred_on", "occurred_at"],
    "updated_at": ["updated_at"],
    "id": [],
    "closest_approach_m": ["intercept__closest_approach_m"],
}
# A null occurred_at sorts as larger than any time, PostgreSQL's default, so its indexes serve
# the query; incidents without a closest approach always come last.
NULLS_LARGEST, NULLS_LAST = "largest", "last"
NULLABLE_COLUMNS = {"occurred_at": NULLS_LARGEST, "intercept__closest_approach_m": NULLS_LAST}
DEFAULT_ORDERING = ["-occurred_on"]


def _ordered(column: str, descending: bool):
    nulls = NULLABLE_COLUMNS.get(column)
    if not descending:
        return F(column).asc(nulls_last=True) if nulls else F(column).asc()
    if nulls == NULLS_LARGEST:
        return F(column).desc(nulls_first=True)
    return F(column).desc(nulls_last=True) if nulls else F(column).desc()


def order_by_parameters(queryset, parameters: list[str], *, first=()):
    """Order by `ordering` parameters, each with its tie-breaks, and `id` always last.

    `id` takes the direction of the first parameter, so the default `-occurred_on` reads
    the (-occurred_on, -id) indexes in one direction.
    """
    expressions = list(first)
    descending_id = parameters[0].startswith("-")
    for parameter in parameters:
        descending, name = parameter.startswith("-"), parameter.lstrip("-")
        if name == "id":
            descending_id = descending
            break
        expressions.extend(_ordered(column, descending) for column in ORDERINGS[name])
    expressions.append(F("id").desc() if descending_id else F("id").asc())
    return queryset.order_by(*expressions)


class _OrderingField(BaseCSVField):
    """The comma-separated `ordering` names, each one of the choices. An empty name
    (`ordering=,` or `-occurred_on,,id`) is an invalid choice too: the choice field lets an empty
    value through as "not given" (found by live fuzzing: it reached the ordering as a 500)."""

    def clean(self, value):
        if value and "" in value:
            raise forms.ValidationError(
                "An empty name in %(value)r: give names separated by single commas.",
                code="invalid_choice",
                params={"value": ",".join(value)},
            )
        return super().clean(value)


class DeferredOrderingFilter(filters.OrderingFilter):
    """Checks `ordering`; the FilterSet orders after filtering, when it knows whether q ranked."""

    base_field_class = _OrderingField

    def filter(self, qs, value):
        return qs


def with_participants(**lookups) -> Exists:
    """Incidents with at least one participant matching `lookups` (no join, no duplicates)."""
    return Exists(Participant.objects.filter(incident=OuterRef("pk"), **lookups))


def postgres_search(value: str) -> tuple[Q, SearchRank]:
    """websearch_to_tsquery against the stored search_vector (GIN-indexed), and its rank."""
    query = SearchQuery(value, search_type="websearch", config=SEARCH_CONFIG)
    return Q(search_vector=query), SearchRank(F("search_vector"), query)


def simple_search(value: str) -> Q:
    """Every word in the title, summary, location name or a cited source's title (any case)."""
    condition = Q()
    for word in value.replace('"', " ").split():
        cited = Citation.objects.filter(incident=OuterRef("pk"), source__title__icontains=word)
        condition &= (
            Q(title__icontains=word)
            | Q(summary__icontains=word)
            | Q(location_name__icontains=word)
            | Exists(cited)
        )
    return condition


def great_circle_km(lat: float, lon: float):
    """Haversine distance from (lat, lon) to each incident's coordinates, in the database."""
    phi, lmb = math.radians(lat), math.radians(lon)
    half_dphi = (Radians(F("latitude")) - Value(phi)) / 2
    half_dlmb = (Radians(F("longitude")) - Value(lmb)) / 2
    a = Power(Sin(half_dphi), 2) + Value(math.cos(phi)) * Cos(Radians(F("latitude"))) * Power(
        Sin(half_dlmb), 2
    )
    return Value(2 * EARTH_RADIUS_KM) * ASin(Least(Sqrt(a), Value(1.0)))
