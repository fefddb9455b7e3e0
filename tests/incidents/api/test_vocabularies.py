"""/regions/, /platforms/, /sources/, /contacts/: read for everyone, written with permissions."""

import pytest

from incidents.models import Incident, Platform, Region, Source
from tests.factories import ContactFactory, PlatformFactory, SourceFactory
from tests.incidents.api.read_fixtures import make, participant, source

pytestmark = pytest.mark.django_db


def test_regions_are_listed_by_slug_with_their_bounding_box(api_client):
    response = api_client.get("/api/v1/regions/")

    assert response.status_code == 200
    results = response.json()["results"]
    assert [r["slug"] for r in results] == sorted(Region.objects.values_list("slug", flat=True))
    assert response.json()["count"] == 8


def test_a_region_is_looked_up_by_slug(api_client):
    response = api_client.get("/api/v1/regions/south-china-sea/")

    assert response.json() == {
        "slug": "south-china-sea",
        "name": "South China Sea",
        "bbox": [99.0, -4.0, 122.5, 23.5],
    }


def test_a_platform_is_looked_up_by_slug(api_client):
    PlatformFactory(slug="j-11", name="Shenyang J-11", category="fighter", domain="air")

    response = api_client.get("/api/v1/platforms/j-11/")

    assert response.json() == {
        "slug": "j-11",
        "name": "Shenyang J-11",
        "category": "fighter",
        "domain": "air",
        "country": "CN",
    }


def test_platforms_filter_by_category(api_client):
    PlatformFactory(slug="j-11", category="fighter")
    PlatformFactory(slug="ccg", category="coast_guard", domain="surface")

    response = api_client.get("/api/v1/platforms/", {"category": "coast_guard"})

    assert [p["slug"] for p in response.json()["results"]] == ["ccg"]


def test_sources_list_and_detail(api_client):
    first = SourceFactory(url="https://a.example.org/1", type="official")
    SourceFactory(url="https://b.example.org/1")

    listed = api_client.get("/api/v1/sources/", {"type": "official"})
    detail = api_client.get(f"/api/v1/sources/{first.pk}/")

    assert [s["id"] for s in listed.json()["results"]] == [first.pk]
    assert detail.json() == {
        "id": first.pk,
        "url": "https://a.example.org/1",
        "publisher": "Example Publisher",
        "title": first.title,
        "published_on": "2023-05-27",
        "type": "official",
    }


def test_a_source_only_drafts_cite_is_hidden_from_the_public_like_the_draft(
    api_client, reader_client, curator_client
):
    """Its title would announce an unpublished incident (OWASP API1, BOLA)."""
    hidden = "https://draft.example.org/1"
    make(status="draft", sources=[source(hidden, title="Quixotrelle report")])
    make(status="draft", sources=[source("https://both.example.org/1")])
    make(sources=[source("https://both.example.org/1"), source("https://pub.example.org/1")])
    make(status="retracted", sources=[source("https://retracted.example.org/1")])
    SourceFactory(url="https://ahead.example.org/1")  # entered before any incident cites it
    ContactFactory().sources.add(SourceFactory(url="https://contact.example.org/1"))
    hidden_id = Source.objects.get(url=hidden).pk

    public = {s["url"] for s in api_client.get("/api/v1/sources/").json()["results"]}
    reader = {s["url"] for s in reader_client.get("/api/v1/sources/").json()["results"]}
    staff = {s["url"] for s in curator_client.get("/api/v1/sources/").json()["results"]}

    assert public == {
        "https://both.example.org/1",
        "https://pub.example.org/1",
        "https://retracted.example.org/1",
        "https://ahead.example.org/1",
        "https://contact.example.org/1",
    }
    assert reader == public  # signed in, but without permission to view drafts
    assert staff == public | {hidden}
    assert api_client.get(f"/api/v1/sources/{hidden_id}/").status_code == 404
    assert curator_client.get(f"/api/v1/sources/{hidden_id}/").status_code == 200


def test_contacts_are_a_timeline_newest_first_with_their_sources(api_client):
    cited = SourceFactory(url="https://talks.example.org/1")
    older = ContactFactory(occurred_on="2022-08-05", kind="suspension")
    newer = ContactFactory(occurred_on="2023-11-15", kind="summit")
    newer.sources.add(cited)

    response = api_client.get("/api/v1/contacts/")

    results = response.json()["results"]
    assert [c["id"] for c in results] == [newer.pk, older.pk]
    assert results[0]["sources"] == ["https://talks.example.org/1"]
    assert results[0]["parties"] == ["US", "CN"]


def test_contacts_filter_by_party_kind_and_date(api_client):
    match = ContactFactory(occurred_on="2023-11-15", kind="summit", parties=["US", "CN"])
    ContactFactory(occurred_on="2023-11-15", kind="summit", parties=["JP", "CN"])
    ContactFactory(occurred_on="2021-01-01", kind="summit", parties=["US", "CN"])

    response = api_client.get(
        "/api/v1/contacts/", {"party": "US", "kind": "summit", "occurred_after": "2023-01-01"}
    )

    assert [c["id"] for c in response.json()["results"]] == [match.pk]


@pytest.mark.parametrize("date", ["11/15/2023", "2023-11-15%0D"])
def test_contacts_refuse_a_date_that_is_not_yyyy_mm_dd(api_client, date):
    response = api_client.get(f"/api/v1/contacts/?occurred_after={date}")

    assert response.status_code == 400
    assert [(e["attr"], e["code"]) for e in response.json()["errors"]] == [
        ("occurred_after", "invalid")
    ]


@pytest.mark.parametrize(
    ("url", "queries"),
    [
        ("/api/v1/regions/", 2),
        ("/api/v1/platforms/", 2),
        ("/api/v1/sources/", 2),
        ("/api/v1/contacts/", 3),
    ],
)
def test_vocabulary_lists_run_a_fixed_number_of_queries(
    api_client, django_assert_num_queries, url, queries
):
    for _ in range(5):
        PlatformFactory()
        ContactFactory().sources.add(SourceFactory())

    with django_assert_num_queries(queries):
        api_client.get(url)


def test_anonymous_writes_are_401(api_client):
    response = api_client.post("/api/v1/platforms/", {"slug": "x", "name": "X"}, format="json")

    assert response.status_code == 401


def test_writes_without_model_permission_are_403(reader_client):
    response = reader_client.post("/api/v1/platforms/", {"slug": "x", "name": "X"}, format="json")

    assert response.status_code == 403


def test_a_curator_adds_a_platform(curator_client):
    response = curator_client.post(
        "/api/v1/platforms/",
        {
            "slug": "kj-500",
            "name": "KJ-500",
            "category": "airborne_early_warning",
            "domain": "air",
            "country": "CN",
        },
        format="json",
    )

    assert response.status_code == 201
    assert Platform.objects.get(slug="kj-500").category == "airborne_early_warning"


def test_a_platform_with_a_bad_country_is_a_400_naming_country(curator_client):
    response = curator_client.post(
        "/api/v1/platforms/",
        {"slug": "x-1", "name": "X", "category": "fighter", "domain": "air", "country": "XX"},
        format="json",
    )

    assert response.status_code == 400
    assert [e["attr"] for e in response.json()["errors"]] == ["country"]


@pytest.mark.parametrize(
    ("field", "value"),
    [("name", 12), ("slug", 500), ("country", 86), ("category", 1), ("domain", True)],
)
def test_a_platform_text_field_given_a_non_string_is_a_400_naming_it(curator_client, field, value):
    """The schema says string: 12 is not silently stored as "12" (found by live fuzzing)."""
    platform = PlatformFactory(slug="j-16", name="J-16")
    body = {field: value}

    response = curator_client.patch(f"/api/v1/platforms/{platform.slug}/", body, format="json")

    assert response.status_code == 400
    assert [e["attr"] for e in response.json()["errors"]] == [field]
    platform.refresh_from_db()
    assert (platform.slug, platform.name) == ("j-16", "J-16")


def test_a_source_title_given_a_number_is_a_400(curator_client):
    source = SourceFactory(title="Report")

    response = curator_client.patch(f"/api/v1/sources/{source.pk}/", {"title": 7}, format="json")

    assert response.status_code == 400
    assert [e["attr"] for e in response.json()["errors"]] == ["title"]


def test_a_curator_cannot_change_regions(curator_client):
    response = curator_client.patch(
        "/api/v1/regions/south-china-sea/", {"name": "Other"}, format="json"
    )

    assert response.status_code == 403


def test_a_region_bbox_must_be_a_valid_box(superuser_client):
    response = superuser_client.patch(
        "/api/v1/regions/south-china-sea/", {"bbox": [99, 30, 122, 10]}, format="json"
    )

    assert response.status_code == 400
    assert Region.objects.get(slug="south-china-sea").min_latitude == -4.0


def test_a_region_keeps_its_slug(superuser_client):
    response = superuser_client.patch(
        "/api/v1/regions/south-china-sea/", {"slug": "scs"}, format="json"
    )

    assert response.status_code == 400
    assert response.json()["errors"][0]["attr"] == "slug"


def test_changing_a_source_to_official_confirms_the_incidents_citing_it(curator_client):
    row = make(sources=[source("https://ministry.example.org/1", publisher="Ministry")])
    cited = Source.objects.get(url="https://ministry.example.org/1")
    assert Incident.objects.get(pk=row.id).verification == "unverified"

    response = curator_client.patch(
        f"/api/v1/sources/{cited.pk}/", {"type": "official"}, format="json"
    )

    assert response.status_code == 200
    assert Incident.objects.get(pk=row.id).verification == "confirmed"


@pytest.mark.parametrize(
    "url",
    ["/api/v1/regions/south-china-sea/", "/api/v1/platforms/j-11/", "/api/v1/sources/{source}/"],
)
def test_deleting_a_record_incidents_still_refer_to_is_a_409(superuser_client, url):
    PlatformFactory(slug="j-11")
    make(
        participants=[participant("CN", "initiator", platform="j-11")],
        sources=[source("https://cited.example.org/1")],
    )
    cited = Source.objects.get(url="https://cited.example.org/1")

    response = superuser_client.delete(url.format(source=cited.pk))

    assert response.status_code == 409
    assert response.json()["errors"][0]["code"] == "conflict"


def test_a_contact_is_written_with_its_sources_by_url(curator_client):
    SourceFactory(url="https://talks.example.org/2")

    response = curator_client.post(
        "/api/v1/contacts/",
        {
            "occurred_on": "2024-01-30",
            "kind": "talks",
            "title": "Defence policy talks",
            "parties": ["US", "CN"],
            "sources": ["https://talks.example.org/2"],
        },
        format="json",
    )

    assert response.status_code == 201
    assert response.json()["sources"] == ["https://talks.example.org/2"]


def test_a_contact_with_an_unknown_party_is_a_400(curator_client):
    response = curator_client.post(
        "/api/v1/contacts/",
        {"occurred_on": "2024-01-30", "kind": "talks", "title": "T", "parties": ["ZZ"]},
        format="json",
    )

    assert response.status_code == 400
    assert response.json()["errors"][0]["attr"] == "parties"
