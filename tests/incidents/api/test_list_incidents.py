"""GET /api/v1/incidents/: paging, ordering, visibility and a fixed query budget."""

import pytest
from django.db import connection

from incidents.api.filters import region_slugs
from incidents.models import Region
from tests.factories import IncidentFactory
from tests.incidents.api.read_fixtures import DRAFT_WORD, filter_dataset, ids, make, public

pytestmark = pytest.mark.django_db

URL = "/api/v1/incidents/"


def test_anonymous_user_gets_a_page_of_published_incidents_newest_first(api_client):
    older = make(occurred_on="2021-03-01")
    newer = make(occurred_on="2024-03-01")
    make(status="draft")
    make(status="retracted")

    response = api_client.get(URL)

    assert response.status_code == 200
    assert response["Content-Type"] == "application/json"
    body = response.json()
    assert (body["count"], body["next"], body["previous"]) == (2, None, None)
    assert ids(response) == [newer.id, older.id]


def test_reader_without_view_permission_sees_only_published_incidents(reader_client):
    published = make()
    make(status="draft")
    make(status="retracted")

    response = reader_client.get(URL)

    assert ids(response) == [published.id]


def test_retracted_incidents_are_listed_when_asked_for(api_client):
    make()
    retracted = make(status="retracted")

    response = api_client.get(URL, {"status": "retracted"})

    assert ids(response) == [retracted.id]
    assert response.json()["results"][0]["retraction_reason"] == "Source withdrew the report."


def test_staff_with_view_permission_see_drafts_and_retracted_incidents(curator_client):
    rows = [make(status=status) for status in ("published", "draft", "retracted")]

    response = curator_client.get(URL, {"ordering": "id"})

    assert ids(response) == [row.id for row in rows]


def test_staff_can_ask_for_drafts_only(curator_client):
    make()
    draft = make(status="draft")

    response = curator_client.get(URL, {"status": "draft"})

    assert ids(response) == [draft.id]


def test_asking_for_drafts_without_view_permission_is_a_400_naming_status(reader_client):
    make(status="draft")

    response = reader_client.get(URL, {"status": "draft"})

    assert response.status_code == 400
    assert response.json()["errors"] == [
        {
            "code": "permission_denied",
            "detail": "Drafts are visible only to staff with permission to view them.",
            "attr": "status",
        }
    ]


def test_responses_for_staff_are_private_and_never_stored(curator_client, api_client):
    make()

    staff = curator_client.get(URL)
    anonymous = api_client.get(URL)

    assert set(staff["Cache-Control"].split(", ")) == {"private", "no-store"}
    assert "Cache-Control" not in anonymous
    assert "Authorization" in anonymous["Vary"]


def test_limit_and_offset_page_through_the_list_with_links(api_client):
    rows = [make(occurred_on=f"2023-01-0{day}") for day in range(1, 6)]

    response = api_client.get(URL, {"limit": 2, "offset": 2})

    body = response.json()
    assert ids(response) == [rows[2].id, rows[1].id]
    assert body["count"] == 5
    assert body["next"].endswith("/api/v1/incidents/?limit=2&offset=4")
    assert body["previous"].endswith("/api/v1/incidents/?limit=2")


def test_an_offset_past_the_last_row_is_an_empty_page_that_links_back(api_client):
    make()

    response = api_client.get(URL, {"offset": 10**20})

    body = response.json()
    assert (response.status_code, body["count"], body["results"]) == (200, 1, [])
    assert body["next"] is None
    assert body["previous"].endswith("?limit=50&offset=99999999999999999950")


def test_the_default_order_breaks_occurred_on_ties_by_time_then_id(api_client):
    untimed_first = make(occurred_on="2023-05-26")
    morning = make(occurred_on="2023-05-26", occurred_at="2023-05-26T01:00:00Z")
    untimed_second = make(occurred_on="2023-05-26")
    evening = make(occurred_on="2023-05-26", occurred_at="2023-05-26T20:00:00Z")

    response = api_client.get(URL)

    # A missing time sorts as later than any time (PostgreSQL's order, served by its indexes).
    assert ids(response) == [untimed_second.id, untimed_first.id, evening.id, morning.id]


def test_ordering_by_occurred_on_ascending_reverses_the_default(api_client):
    untimed = make(occurred_on="2023-05-26")
    morning = make(occurred_on="2023-05-26", occurred_at="2023-05-26T01:00:00Z")
    earlier = make(occurred_on="2022-01-01")

    response = api_client.get(URL, {"ordering": "occurred_on"})

    assert ids(response) == [earlier.id, morning.id, untimed.id]


@pytest.mark.parametrize("direction", ["", "-"])
def test_ordering_by_closest_approach_puts_incidents_without_one_last(api_client, direction):
    rows = filter_dataset()
    with_distance = sorted(
        (r for r in public(rows).values() if r.document["details"].get("closest_approach_m")),
        key=lambda r: r.document["details"]["closest_approach_m"],
        reverse=bool(direction),
    )
    without = sorted(
        (r.id for r in public(rows).values() if r not in with_distance), reverse=bool(direction)
    )

    response = api_client.get(URL, {"ordering": f"{direction}closest_approach_m", "limit": 100})

    assert ids(response) == [r.id for r in with_distance] + without


@pytest.mark.parametrize(
    "ordering",
    [
        "",
        "occurred_on",
        "-occurred_on",
        "updated_at",
        "-updated_at",
        "id",
        "-id",
        "closest_approach_m",
        "-closest_approach_m",
        "-updated_at,occurred_on",
    ],
)
def test_paging_never_skips_or_repeats_a_row(api_client, ordering):
    rows = filter_dataset()
    for _ in range(3):  # more ties on occurred_on
        make(occurred_on="2023-05-26")
    query = {"ordering": ordering} if ordering else {}
    everything = ids(api_client.get(URL, {**query, "limit": 1000}))

    paged = []
    for offset in range(0, len(everything), 3):
        paged += ids(api_client.get(URL, {**query, "limit": 3, "offset": offset}))

    assert paged == everything
    assert len(set(everything)) == len(everything) == len(public(rows)) + 3


def test_id_given_explicitly_decides_the_direction_of_the_tie_break(api_client):
    first = make(occurred_on="2023-05-26")
    second = make(occurred_on="2023-05-26")

    response = api_client.get(URL, {"ordering": "-occurred_on,id"})

    assert ids(response) == [first.id, second.id]


# PostgreSQL: one statement that counts and writes the page's JSON (documents_sql).
# SQLite: COUNT(*), the page of rows with their kind's details, their participants, their sources.
LIST_QUERIES = 1 if connection.vendor == "postgresql" else 4


def test_the_list_runs_the_same_queries_for_1_and_50_rows(api_client, django_assert_num_queries):
    IncidentFactory(status="published")
    with django_assert_num_queries(LIST_QUERIES):
        one = api_client.get(URL)
    IncidentFactory.create_batch(49, status="published")

    with django_assert_num_queries(LIST_QUERIES):
        fifty = api_client.get(URL)

    assert len(one.json()["results"]) == 1
    assert len(fifty.json()["results"]) == 50


def test_a_filtered_list_by_region_runs_no_query_to_check_the_region(
    api_client, django_assert_num_queries
):
    make(region="south-china-sea")
    api_client.get(URL, {"region": "south-china-sea"})  # the first request reads the slugs

    with django_assert_num_queries(LIST_QUERIES):
        response = api_client.get(URL, {"region": "south-china-sea", "kind": "intercept"})

    assert response.json()["count"] == 1


def test_a_region_added_after_the_slugs_were_read_is_a_valid_filter_at_once(
    api_client, monkeypatch
):
    api_client.get(URL, {"region": "south-china-sea"})  # the slugs are read and kept
    # The cache outlives this test's transaction: put it back as it was afterwards.
    monkeypatch.setattr(region_slugs, "slugs", region_slugs.slugs)
    monkeypatch.setattr(region_slugs, "read_at", region_slugs.read_at)
    Region.objects.create(
        slug="arafura-sea",
        name="Arafura Sea",
        min_longitude=130,
        min_latitude=-11,
        max_longitude=141,
        max_latitude=-8,
    )

    response = api_client.get(URL, {"region": "arafura-sea"})

    assert (response.status_code, response.json()["count"]) == (200, 0)


def test_an_unknown_region_is_a_400_that_says_so(api_client):
    response = api_client.get(URL, {"region": ["south-china-sea", "atlantis"]})

    assert response.status_code == 400
    assert response.json()["errors"] == [
        {
            "code": "invalid_choice",
            "detail": "Select a valid choice. atlantis is not one of the available choices.",
            "attr": "region",
        }
    ]


def test_the_browsable_api_still_renders_the_list(api_client):
    make()

    response = api_client.get(URL, HTTP_ACCEPT="text/html")

    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/html")


READ_SURFACES = [
    URL,
    f"{URL}?q={DRAFT_WORD}",
    f"{URL}?status=retracted",
    f"{URL}?status=published&status=retracted",
    f"{URL}?format=csv",
    f"{URL}?format=geojson",
    f"{URL}?near=9.733,115.867&radius_km=10",
    f"{URL}?bbox=115,9,116,10",
    f"{URL}?kind=intercept&region=south-china-sea&conduct=unsafe&country=CN",
    f"{URL}export/?format=csv",
    f"{URL}export/?format=jsonl",
    f"{URL}export/?format=geojson",
    f"{URL}export/?q={DRAFT_WORD}",
    f"{URL}stats/",
    f"{URL}stats/?interval=day&group_by=kind",
    f"{URL}stats/?q={DRAFT_WORD}",
]


@pytest.mark.parametrize("client_name", ["api_client", "reader_client"])
@pytest.mark.parametrize("url", READ_SURFACES)
def test_a_drafts_unique_word_never_appears_on_a_public_read_surface(request, client_name, url):
    client = request.getfixturevalue(client_name)
    rows = filter_dataset()
    published = public(rows)

    response = client.get(url)

    body = b"".join(response.streaming_content) if response.streaming else response.content
    assert response.status_code == 200
    assert DRAFT_WORD.encode() not in body
    if "stats" in url and "q=" not in url:
        assert response.json()["total"] == len(published)
    if url.endswith(f"q={DRAFT_WORD}") and "stats" in url:
        assert response.json()["total"] == 0


@pytest.mark.parametrize("client_name", ["api_client", "reader_client"])
def test_a_draft_is_the_same_404_as_a_missing_id(request, client_name):
    client = request.getfixturevalue(client_name)
    draft = make(status="draft")

    as_draft = client.get(f"{URL}{draft.id}/")
    as_missing = client.get(f"{URL}{draft.id + 1000}/")

    assert as_draft.status_code == as_missing.status_code == 404
    assert as_draft.content == as_missing.content
