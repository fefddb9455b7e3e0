"""Every filter of SPEC §2 against a varied set, the expected answer computed from the documents."""

import datetime as dt

import pytest
from django.db import connection
from django.http import QueryDict
from django.utils import timezone

from incidents.api.filters import IncidentFilterSet
from incidents.geometry import haversine_km
from incidents.models import Incident
from tests.incidents.api.read_fixtures import (
    SECOND_THOMAS,
    filter_dataset,
    ids,
    make,
    participant,
    public,
)

pytestmark = pytest.mark.django_db


def verification(document) -> str:
    sources = document["sources"]
    if any(s["type"] == "official" for s in sources):
        return "confirmed"
    return "corroborated" if len({s["publisher"] for s in sources}) >= 2 else "unverified"


def countries(document, role=None) -> set[str]:
    return {p["country"] for p in document["participants"] if role in (None, p["role"])}


def detail(document, name):
    return document["details"].get(name)


def in_box(document, min_lon, min_lat, max_lon, max_lat) -> bool:
    lat, lon = document["latitude"], document["longitude"]
    if lat is None or not min_lat <= lat <= max_lat:
        return False
    if min_lon <= max_lon:
        return min_lon <= lon <= max_lon
    return lon >= min_lon or lon <= max_lon


def within(document, point, radius_km) -> bool:
    if document["latitude"] is None:
        return False
    distance = haversine_km(point[1], point[0], document["longitude"], document["latitude"])
    return distance <= radius_km


def filtered(query: str, user=None) -> set[int]:
    filterset = IncidentFilterSet(QueryDict(query), Incident.objects.all())
    assert filterset.is_valid(), filterset.errors
    return set(filterset.qs.values_list("id", flat=True))


def expected(rows, predicate) -> set[int]:
    return {row.id for row in public(rows).values() if predicate(row.document)}


CASES = [
    ("kind=intercept", lambda d: d["kind"] == "intercept"),
    (
        "kind=intercept&kind=navigation_dispute",
        lambda d: d["kind"] in {"intercept", "navigation_dispute"},
    ),
    ("region=south-china-sea", lambda d: d["region"] == "south-china-sea"),
    (
        "region=taiwan-strait&region=east-china-sea",
        lambda d: d["region"] in {"taiwan-strait", "east-china-sea"},
    ),
    ("conduct=unsafe", lambda d: d["conduct"] == "unsafe"),
    ("verification=corroborated", lambda d: verification(d) == "corroborated"),
    (
        "verification=confirmed&verification=unverified",
        lambda d: verification(d) in {"confirmed", "unverified"},
    ),
    ("occurred_after=2023-01-01", lambda d: d["occurred_on"] >= "2023-01-01"),
    ("occurred_before=2023-05-26", lambda d: d["occurred_on"] <= "2023-05-26"),
    (
        "occurred_after=2023-01-01&occurred_before=2023-12-31",
        lambda d: "2023-01-01" <= d["occurred_on"] <= "2023-12-31",
    ),
    ("country=US", lambda d: "US" in countries(d)),
    ("country=us&country=PH", lambda d: countries(d) & {"US", "PH"}),
    ("initiator=CN", lambda d: "CN" in countries(d, "initiator")),
    ("target=US", lambda d: "US" in countries(d, "target")),
    (
        "initiator=CN&target=PH",
        lambda d: "CN" in countries(d, "initiator") and "PH" in countries(d, "target"),
    ),
    ("platform=j-11", lambda d: "j-11" in {p["platform"] for p in d["participants"]}),
    (
        "platform=p-8a&platform=ccg-cutter",
        lambda d: {p["platform"] for p in d["participants"]} & {"p-8a", "ccg-cutter"},
    ),
    (
        "platform_category=coast_guard",
        lambda d: "ccg-cutter" in {p["platform"] for p in d["participants"]},
    ),
    (
        "platform_category=fighter&platform_category=patrol",
        lambda d: {p["platform"] for p in d["participants"]} & {"j-11", "p-8a"},
    ),
    (
        "min_closest_approach_m=30",
        lambda d: (detail(d, "closest_approach_m") or -1) >= 30,
    ),
    (
        "max_closest_approach_m=150",
        lambda d: (
            detail(d, "closest_approach_m") is not None and detail(d, "closest_approach_m") <= 150
        ),
    ),
    (
        "min_closest_approach_m=100&max_closest_approach_m=1000",
        lambda d: 100 <= (detail(d, "closest_approach_m") or -1) <= 1000,
    ),
    ("min_aircraft=5", lambda d: (detail(d, "aircraft_count") or -1) >= 5),
    ("min_aircraft=6", lambda d: (detail(d, "aircraft_count") or -1) >= 6),
    ("min_vessels=1", lambda d: (detail(d, "vessel_count") or -1) >= 1),
    (
        "crossed_median_line=true",
        lambda d: (
            d["kind"] == "median_line_crossing"
            and detail(d, "track") is not None
            and detail(d, "track")["coordinates"][-1][0] > 120
        ),
    ),
    (
        "crossed_median_line=false",
        lambda d: (
            d["kind"] == "median_line_crossing"
            and detail(d, "track") is not None
            and detail(d, "track")["coordinates"][-1][0] < 120
        ),
    ),
    (
        "min_penetration_km=1",
        lambda d: detail(d, "track") is not None and detail(d, "track")["coordinates"][-1][0] > 120,
    ),
    ("dispute_type=water_cannon", lambda d: "water_cannon" in (detail(d, "dispute_types") or [])),
    (
        "dispute_type=blocking&dispute_type=fonop",
        lambda d: {"blocking", "fonop"} & set(detail(d, "dispute_types") or []),
    ),
    ("zone=eez", lambda d: detail(d, "zone") == "eez"),
    (
        "zone=high_seas&zone=territorial_sea",
        lambda d: detail(d, "zone") in {"high_seas", "territorial_sea"},
    ),
    (
        "feature=second%20thomas%20SHOAL",
        lambda d: (detail(d, "feature") or "").lower() == "second thomas shoal",
    ),
    (
        "feature=Second%20Thomas%20Shoal&feature=Scarborough%20Shoal",
        lambda d: detail(d, "feature") in {"Second Thomas Shoal", "Scarborough Shoal"},
    ),
    ("bbox=115,9,116,10", lambda d: in_box(d, 115, 9, 116, 10)),
    ("bbox=179,-10,-179,20", lambda d: in_box(d, 179, -10, -179, 20)),
    ("near=9.733,115.867&radius_km=50", lambda d: within(d, SECOND_THOMAS, 50)),
    ("near=9.733,115.867&radius_km=700", lambda d: within(d, SECOND_THOMAS, 700)),
    ("near=10.0,-179.9&radius_km=100", lambda d: within(d, (10.0, -179.9), 100)),
    ("q=albatross", lambda d: "albatross" in d["summary"]),
    ("q=LIGHTHOUSE", lambda d: any("lighthouse" in s["title"] for s in d["sources"])),
    ("q=reef", lambda d: "reef" in (d["location_name"] or "")),
    ("q=albatross%20lighthouse", lambda d: False),
    (
        "kind=intercept&conduct=unsafe&target=US&region=south-china-sea"
        "&occurred_after=2023-01-01&occurred_before=2023-12-31",
        lambda d: (
            d["kind"] == "intercept"
            and d["conduct"] == "unsafe"
            and "US" in countries(d, "target")
            and d["region"] == "south-china-sea"
            and d["occurred_on"].startswith("2023")
        ),
    ),
]


@pytest.mark.parametrize(("query", "predicate"), CASES, ids=[c[0] for c in CASES])
def test_each_filter_returns_exactly_the_matching_published_incidents(query, predicate):
    rows = filter_dataset()

    result = filtered(query)

    assert result == expected(rows, predicate)


def test_the_fixture_set_gives_every_filter_something_to_tell_apart():
    rows = filter_dataset()

    sizes = {query: len(expected(rows, predicate)) for query, predicate in CASES}

    assert all(
        0 < size < len(public(rows))
        for query, size in sizes.items()
        if "%20lighthouse" not in query
    )


def test_a_filter_given_through_the_api_answers_as_the_filterset_does(api_client):
    rows = filter_dataset()

    response = api_client.get("/api/v1/incidents/?country=US&country=PH&ordering=id")

    assert ids(response) == sorted(
        row.id for row in public(rows).values() if countries(row.document) & {"US", "PH"}
    )


def test_an_incident_with_several_matching_participants_is_listed_once(api_client):
    incident = make(participants=[participant("CN", "initiator"), participant("CN", "other")])

    response = api_client.get(
        "/api/v1/incidents/?country=CN&platform_category=fighter&kind=intercept"
    )
    unfiltered = api_client.get("/api/v1/incidents/?country=CN")

    assert response.json()["count"] == 0
    assert ids(unfiltered) == [incident.id]
    assert unfiltered.json()["count"] == 1


def test_updated_after_includes_incidents_changed_at_or_after_the_moment():
    rows = filter_dataset()
    moment = timezone.now() - dt.timedelta(days=1)
    Incident.objects.filter(pk=rows["a"].id).update(updated_at=moment - dt.timedelta(hours=1))
    Incident.objects.filter(pk=rows["b"].id).update(updated_at=moment)

    result = filtered(f"updated_after={moment.isoformat().replace('+00:00', 'Z')}")

    assert result == {row.id for row in public(rows).values()} - {rows["a"].id}


def test_updated_after_accepts_a_plain_date_as_midnight_utc():
    rows = filter_dataset()
    Incident.objects.filter(pk=rows["a"].id).update(
        updated_at=dt.datetime(2020, 1, 1, 23, 59, tzinfo=dt.UTC)
    )

    result = filtered("updated_after=2020-01-02")

    assert result == {row.id for row in public(rows).values()} - {rows["a"].id}


def test_status_retracted_lists_the_retracted_incidents_only():
    rows = filter_dataset()

    assert filtered("status=retracted") == {rows["retracted"].id}


def test_status_published_and_retracted_lists_both():
    rows = filter_dataset()

    assert filtered("status=published&status=retracted") == {
        row.id for row in rows.values() if row.status != "draft"
    }


@pytest.mark.postgresql
def test_search_on_postgresql_ranks_a_title_match_above_a_summary_match(api_client):
    if connection.vendor != "postgresql":
        pytest.skip("ranking needs PostgreSQL full-text search")
    in_summary = make(
        title="Routine patrol", summary="A cormorant circled.", occurred_on="2024-02-01"
    )
    in_title = make(title="Cormorant seen", summary="Nothing else.", occurred_on="2020-01-01")

    response = api_client.get("/api/v1/incidents/?q=cormorant")

    assert ids(response) == [in_title.id, in_summary.id]


def test_search_with_an_explicit_ordering_follows_the_ordering(api_client):
    older = make(title="Cormorant seen", occurred_on="2020-01-01")
    newer = make(title="Routine", summary="A cormorant circled.", occurred_on="2024-02-01")

    response = api_client.get("/api/v1/incidents/?q=cormorant&ordering=occurred_on")

    assert ids(response) == [older.id, newer.id]
