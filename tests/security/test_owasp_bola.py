"""OWASP API1:2023 Broken Object Level Authorization: drafts stay invisible to the public.

Anonymous clients and readers with a token but no `incidents.view_incident` must never learn
anything of a draft: not its words through any format, filter or export, not its existence
through a count, a history, the change feed or a different 404. Each case first shows that staff
do get the draft with the same request, so the filter really selects it and only visibility
keeps it out.
"""

import pytest

from incidents import services
from incidents.api.filters import IncidentFilterSet
from incidents.models import Incident
from incidents.selectors import incident_document
from tests.factories import IncidentFactory
from tests.security.conftest import SECRET_WORD, response_body

pytestmark = pytest.mark.django_db

URL = "/api/v1/incidents/"
OUTSIDERS = ["api_client", "reader_client"]

# One query per filter of SPEC §2, each selecting the drafts of the conftest (and their twins).
# `staff_see_drafts` is False where the filter itself leaves drafts out.
FILTER_ATTACKS = {
    "kind": ("kind=intercept&kind=median_line_crossing&kind=navigation_dispute", True),
    "region": ("region=south-china-sea&region=taiwan-strait", True),
    "conduct": ("conduct=unsafe", True),
    "verification": ("verification=unverified", True),
    "status": ("status=draft&status=published&status=retracted", True),
    "occurred_after": ("occurred_after=2023-05-26", True),
    "occurred_before": ("occurred_before=2023-05-26", True),
    "country": ("country=CN", True),
    "initiator": ("initiator=CN", True),
    "target": ("target=US", True),
    "platform": ("platform=j-11", True),
    "platform_category": ("platform_category=fighter", True),
    "q": (f"q={SECRET_WORD}", True),
    "bbox": ("bbox=115,9,116,10", True),
    "near": ("near=9.733,115.867&radius_km=10", True),
    "radius_km": ("radius_km=5000&near=9.733,115.867", True),
    "min_closest_approach_m": ("min_closest_approach_m=30", True),
    "max_closest_approach_m": ("max_closest_approach_m=30", True),
    "min_aircraft": ("min_aircraft=20", True),
    "min_vessels": ("min_vessels=3", True),
    "crossed_median_line": ("crossed_median_line=true", True),
    "min_penetration_km": ("min_penetration_km=0", True),
    "dispute_type": ("dispute_type=water_cannon", True),
    "zone": ("zone=eez", True),
    "feature": ("feature=Second Thomas Shoal", True),
    "updated_after": ("updated_after=2000-01-01T00:00:00Z", True),
    "ordering": ("ordering=-updated_at", True),
}

# Every read surface a filtered query reaches: list (JSON, CSV, GeoJSON), export (CSV, JSON
# lines, GeoJSON) and stats. The browsable API renders the same page: see the test below.
SURFACES = {
    "list": (URL, "format=json"),
    "list csv": (URL, "format=csv"),
    "list geojson": (URL, "format=geojson"),
    "export csv": (f"{URL}export/", "format=csv"),
    "export jsonl": (f"{URL}export/", "format=jsonl"),
    "export geojson": (f"{URL}export/", "format=geojson"),
    "stats": (f"{URL}stats/", "group_by=kind&interval=day"),
}


def test_every_filter_of_the_api_is_attacked():
    assert set(FILTER_ATTACKS) == set(IncidentFilterSet.base_filters)


@pytest.mark.parametrize("client_name", OUTSIDERS)
@pytest.mark.parametrize("name", FILTER_ATTACKS)
def test_no_filter_reveals_a_draft_on_any_read_surface(
    request, drafts, twins, curator_client, client_name, name
):
    query, staff_see_drafts = FILTER_ATTACKS[name]
    client = request.getfixturevalue(client_name)
    staff_ids = {row["id"] for row in curator_client.get(f"{URL}?{query}").json()["results"]}
    assert bool({d.pk for d in drafts.values()} & staff_ids) is staff_see_drafts

    # The browsable API echoes the query, so `q` finds the word there: look for whole texts.
    secrets = [d.title.encode() for d in drafts.values()] + [
        b"What happened " + SECRET_WORD.encode()
    ]
    if SECRET_WORD not in query:
        secrets.append(SECRET_WORD.encode())

    leaks = {}
    for surface, (path, extra) in SURFACES.items():
        if surface == "stats" and name == "ordering":
            continue  # stats take no ordering
        response = client.get(f"{path}?{query}&{extra}")
        body = response_body(response)
        if response.status_code >= 500 or any(secret in body for secret in secrets):
            leaks[surface] = response.status_code

    assert leaks == {}


@pytest.mark.parametrize("client_name", OUTSIDERS)
@pytest.mark.parametrize(
    "path", [f"{URL}?format=api", f"{URL}?format=api&country=CN", f"{URL}ID/?format=api"]
)
def test_the_browsable_api_shows_no_draft(request, drafts, twins, client_name, path):
    client = request.getfixturevalue(client_name)

    response = client.get(path.replace("ID", str(drafts["intercept"].pk)))

    # The list is served; the draft's own page is the 404 of an id that does not exist.
    assert response.status_code == (404 if "ID" in path else 200)
    assert response["Content-Type"].startswith("text/html")
    assert SECRET_WORD.encode() not in response.content


@pytest.mark.parametrize("client_name", OUTSIDERS)
def test_the_list_never_counts_a_draft(request, drafts, twins, client_name):
    client = request.getfixturevalue(client_name)

    body = client.get(URL, {"limit": 1000}).json()

    assert body["count"] == len(twins)
    assert {row["id"] for row in body["results"]} == {t.pk for t in twins.values()}


@pytest.mark.parametrize("client_name", OUTSIDERS)
@pytest.mark.parametrize("group_by", ["kind", "region", "country", "conduct", "verification"])
def test_stats_never_count_a_draft(request, platforms, client_name, group_by):
    client = request.getfixturevalue(client_name)
    IncidentFactory(kind="intercept", status="published", region="south-china-sea")
    # Alone in its kind, region, conduct and participant country: any count of it shows.
    IncidentFactory(
        kind="median_line_crossing",
        status="draft",
        region="yellow-sea",
        conduct="professional",
        participants=[
            {
                "country": "KP",
                "role": "initiator",
                "force": "",
                "platform": None,
                "platform_detail": None,
                "count": 1,
            }
        ],
        sources=[
            {
                "url": "https://official.example.org/1",
                "publisher": "MND",
                "title": "Statement",
                "published_on": None,
                "type": "official",
            }
        ],
    )

    body = client.get(f"{URL}stats/", {"group_by": group_by, "interval": "year"}).json()

    assert body["total"] == 1
    assert sum(bucket["count"] for bucket in body["buckets"]) == (2 if group_by == "country" else 1)
    assert {bucket["key"] for bucket in body["buckets"]}.isdisjoint(
        {"median_line_crossing", "yellow-sea", "KP", "professional", "confirmed"}
    )


@pytest.mark.parametrize("client_name", OUTSIDERS)
@pytest.mark.parametrize("suffix", ["", "?format=json", "history/"])
def test_a_draft_is_the_same_404_as_a_missing_id(request, drafts, client_name, suffix):
    client = request.getfixturevalue(client_name)
    draft = drafts["intercept"]
    missing = Incident.objects.order_by("-pk").first().pk + 1000

    as_draft = client.get(f"{URL}{draft.pk}/{suffix}")
    as_missing = client.get(f"{URL}{missing}/{suffix}")

    assert as_draft.status_code == as_missing.status_code == 404
    # The browsable API page shows the URL asked for; nothing else may differ.
    assert as_draft.content.replace(f"/{draft.pk}/".encode(), b"/ID/") == (
        as_missing.content.replace(f"/{missing}/".encode(), b"/ID/")
    )
    assert as_draft.get("ETag") is None


@pytest.mark.parametrize("method", ["head", "options"])
@pytest.mark.parametrize("client_name", OUTSIDERS)
def test_head_and_options_cannot_tell_a_draft_from_a_missing_id(
    request, drafts, client_name, method
):
    client = request.getfixturevalue(client_name)
    draft = drafts["intercept"]
    missing = Incident.objects.order_by("-pk").first().pk + 1000

    as_draft = getattr(client, method)(f"{URL}{draft.pk}/")
    as_missing = getattr(client, method)(f"{URL}{missing}/")

    assert as_draft.status_code == as_missing.status_code
    assert as_draft.content == as_missing.content
    assert SECRET_WORD.encode() not in as_draft.content


@pytest.mark.parametrize(
    ("method", "suffix", "body"),
    [
        ("put", "", {"title": "x"}),
        ("patch", "", {"title": "x"}),
        ("delete", "", None),
        ("post", "publish/", None),
        ("post", "retract/", {"reason": "x"}),
    ],
)
def test_a_reader_probing_writes_cannot_tell_a_draft_from_a_missing_id(
    reader_client, drafts, method, suffix, body
):
    draft = drafts["intercept"]
    missing = Incident.objects.order_by("-pk").first().pk + 1000

    as_draft = getattr(reader_client, method)(f"{URL}{draft.pk}/{suffix}", body, format="json")
    as_missing = getattr(reader_client, method)(f"{URL}{missing}/{suffix}", body, format="json")

    assert as_draft.status_code == as_missing.status_code == 403
    assert as_draft.content == as_missing.content


@pytest.mark.parametrize("client_name", OUTSIDERS)
def test_the_history_of_a_published_incident_hides_its_drafting(
    request, reviewer, curator_client, platforms, client_name
):
    client = request.getfixturevalue(client_name)
    incident = IncidentFactory(kind="intercept", title=f"Working title {SECRET_WORD}", by=reviewer)
    incident = services.update_incident(
        incident,
        {**curator_client.get(f"{URL}{incident.pk}/").json(), "title": "Final title"},
        by=reviewer,
    )
    services.publish_incident(incident, by=reviewer)
    staff_view = curator_client.get(f"{URL}{incident.pk}/history/")
    assert SECRET_WORD.encode() in staff_view.content

    response = client.get(f"{URL}{incident.pk}/history/", {"limit": 1000})

    assert response.status_code == 200
    assert SECRET_WORD.encode() not in response.content
    assert b"reviewer" not in response.content


@pytest.mark.parametrize("client_name", OUTSIDERS)
def test_the_change_feed_never_mentions_a_draft(request, reviewer, client_name):
    client = request.getfixturevalue(client_name)
    published = IncidentFactory(status="published", by=reviewer)
    draft = IncidentFactory(title=f"Draft {SECRET_WORD}", by=reviewer)
    draft = services.update_incident(
        draft, {**incident_document(draft.pk), "title": "Edit"}, by=reviewer
    )
    deleted = IncidentFactory(by=reviewer)
    services.delete_incident(deleted, by=reviewer)

    response = client.get("/api/v1/changes/", {"after": 0, "limit": 1000})

    assert response.status_code == 200
    assert {event["incident_id"] for event in response.json()["results"]} == {published.pk}
    assert SECRET_WORD.encode() not in response.content


@pytest.mark.parametrize(
    "path", ["/api/v1/schema/", "/api/v1/schema/?format=json", "/api/v1/docs/"]
)
def test_the_openapi_schema_and_docs_carry_no_draft_content(api_client, drafts, path):
    response = api_client.get(path)

    assert response.status_code == 200
    assert SECRET_WORD.encode() not in response.content
    for draft in drafts.values():
        assert draft.title.encode() not in response.content


@pytest.mark.parametrize("client_name", OUTSIDERS)
def test_a_source_only_a_draft_cites_is_not_in_the_sources_vocabulary(
    request, platforms, viewer_client, client_name
):
    """A source's title can name the event it reports: a source that only drafts cite is as
    unpublished as they are (list and by id), while staff with view permission see it."""
    document = {"title": "Incident", "occurred_on": "2023-05-26", "region": "south-china-sea"}
    draft = IncidentFactory(
        kind="intercept",
        status="draft",
        sources=[
            {
                "url": "https://security.example.org/only-draft",
                "publisher": "Example News",
                "title": f"Report on {SECRET_WORD}",
                "published_on": "2023-05-27",
                "type": "media",
            }
        ],
        **document,
    )
    source_id = draft.citations.get().source_id
    client = request.getfixturevalue(client_name)

    assert SECRET_WORD.encode() in viewer_client.get("/api/v1/sources/").content
    assert SECRET_WORD.encode() not in client.get("/api/v1/sources/").content
    assert client.get(f"/api/v1/sources/{source_id}/").status_code == 404
    assert SECRET_WORD.encode() not in client.get(f"/api/v1/sources/{source_id}/").content
