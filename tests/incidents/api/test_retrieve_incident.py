"""GET /api/v1/incidents/{id}/: the whole document, its ETag, visibility and query budget."""

import pytest
from django.db import connection
from django.db.models import F

from incidents.models import Incident
from tests.incidents.api.read_fixtures import make, participant, source

pytestmark = pytest.mark.django_db


def url(incident_id) -> str:
    return f"/api/v1/incidents/{incident_id}/"


def test_anonymous_user_gets_the_whole_document_of_a_published_incident(api_client):
    row = make(
        "median_line_crossing",
        external_id="mnd-2023-04-09",
        title="PLA aircraft cross the median line",
        summary="Twelve aircraft crossed.",
        occurred_on="2023-04-09",
        occurred_at="2023-04-08T22:30:00Z",
        region="taiwan-strait",
        location_name="Taiwan Strait",
        latitude=24.5,
        longitude=119.9,
        conduct="unknown",
        participants=[participant("CN", "initiator", "PLA Air Force", count=12)],
        sources=[
            {**source("https://mnd.example.org/1", "MND report", "MND", "official"), "quote": "12"}
        ],
        details={
            "aircraft_count": 12,
            "vessel_count": None,
            "aircraft_total_reported": 30,
            "period_start": "2023-04-08",
            "period_end": "2023-04-09",
            "track": {"type": "LineString", "coordinates": [[119.0, 24.5], [121.0, 24.5]]},
        },
    )
    incident = Incident.objects.get(pk=row.id)

    response = api_client.get(url(row.id))

    assert response.status_code == 200
    body = response.json()
    analysis = body["details"].pop("track_analysis")
    assert analysis["crossed"] is True
    assert analysis["ends_on"] == "east"
    assert len(analysis["crossing_points"]) == 1
    assert analysis["max_penetration_km"] > 0
    assert body == {
        "id": row.id,
        "external_id": "mnd-2023-04-09",
        "kind": "median_line_crossing",
        "title": "PLA aircraft cross the median line",
        "summary": "Twelve aircraft crossed.",
        "occurred_on": "2023-04-09",
        "occurred_at": "2023-04-08T22:30:00Z",
        "date_precision": "day",
        "region": "taiwan-strait",
        "location_name": "Taiwan Strait",
        "latitude": 24.5,
        "longitude": 119.9,
        "conduct": "unknown",
        "status": "published",
        "retraction_reason": None,
        "verification": "confirmed",
        "participants": [
            {
                "country": "CN",
                "role": "initiator",
                "force": "PLA Air Force",
                "platform": None,
                "platform_detail": None,
                "count": 12,
            }
        ],
        "sources": [
            {
                "url": "https://mnd.example.org/1",
                "publisher": "MND",
                "title": "MND report",
                "published_on": "2023-05-27",
                "type": "official",
                "quote": "12",
            }
        ],
        "details": {
            "aircraft_count": 12,
            "vessel_count": None,
            "aircraft_total_reported": 30,
            "period_start": "2023-04-08",
            "period_end": "2023-04-09",
            "track": {"type": "LineString", "coordinates": [[119.0, 24.5], [121.0, 24.5]]},
        },
        "created_at": incident.created_at.isoformat().replace("+00:00", "Z"),
        "updated_at": incident.updated_at.isoformat().replace("+00:00", "Z"),
    }


def test_the_detail_carries_the_etag_writes_expect_in_if_match(api_client):
    row = make()
    incident = Incident.objects.get(pk=row.id)

    response = api_client.get(url(row.id))

    assert response["ETag"] == incident.etag == f'"{row.id}-{incident.version}"'


@pytest.mark.parametrize("tag", ["{etag}", "W/{etag}", '"other", {etag}', "*"])
def test_if_none_match_with_the_current_etag_is_a_304_without_a_body(api_client, tag):
    row = make()
    etag = api_client.get(url(row.id))["ETag"]

    response = api_client.get(url(row.id), HTTP_IF_NONE_MATCH=tag.format(etag=etag))

    assert response.status_code == 304
    assert response.content == b""
    assert response["ETag"] == etag


def test_if_none_match_with_an_etag_the_incident_has_moved_past_gets_the_new_document(
    api_client,
):
    row = make()
    stale = api_client.get(url(row.id))["ETag"]
    Incident.objects.filter(pk=row.id).update(version=F("version") + 1, title="Corrected")

    response = api_client.get(url(row.id), HTTP_IF_NONE_MATCH=stale)

    assert response.status_code == 200
    assert response.json()["title"] == "Corrected"
    assert response["ETag"] != stale


def test_a_304_to_staff_stays_private(curator_client):
    row = make(status="draft")
    etag = curator_client.get(url(row.id))["ETag"]

    response = curator_client.get(url(row.id), HTTP_IF_NONE_MATCH=etag)

    assert response.status_code == 304
    assert set(response["Cache-Control"].split(", ")) == {"private", "no-store"}


def test_if_none_match_never_reveals_a_draft(api_client):
    row = make(status="draft")

    response = api_client.get(url(row.id), HTTP_IF_NONE_MATCH="*")

    assert response.status_code == 404


def test_a_retracted_incident_is_readable_by_id_with_its_reason(api_client):
    row = make(status="retracted")

    response = api_client.get(url(row.id))

    assert response.status_code == 200
    assert response.json()["status"] == "retracted"
    assert response.json()["retraction_reason"] == "Source withdrew the report."


def test_staff_with_view_permission_can_read_a_draft(curator_client):
    row = make(status="draft")

    response = curator_client.get(url(row.id))

    assert response.status_code == 200
    assert response.json()["status"] == "draft"
    assert set(response["Cache-Control"].split(", ")) == {"private", "no-store"}


@pytest.mark.parametrize("client_name", ["api_client", "reader_client"])
def test_a_draft_is_a_404_to_a_client_without_view_permission(request, client_name):
    row = make(status="draft")

    response = request.getfixturevalue(client_name).get(url(row.id))

    assert response.status_code == 404
    assert response.json() == {
        "type": "client_error",
        "errors": [{"code": "not_found", "detail": "Not found.", "attr": None}],
    }


@pytest.mark.parametrize("incident_id", ["abc", "-1", "1e5", "9" * 19, "9" * 40])
def test_an_id_that_is_not_a_positive_64_bit_integer_is_a_json_404(api_client, incident_id):
    response = api_client.get(url(incident_id))

    assert response.status_code == 404
    assert response.json()["errors"][0]["code"] == "not_found"


def test_the_largest_possible_id_that_does_not_exist_is_a_404(api_client):
    response = api_client.get(url("9" * 18))

    assert response.status_code == 404


# PostgreSQL writes the whole document in one statement; SQLite reads the row with its kind's
# details, its participants, its sources.
DETAIL_QUERIES = 1 if connection.vendor == "postgresql" else 3


@pytest.mark.parametrize("participants", [1, 20])
def test_the_detail_runs_the_same_queries_however_many_participants_and_sources(
    api_client, django_assert_num_queries, participants
):
    row = make(
        participants=[participant("CN", "initiator")]
        + [participant("US", "target") for _ in range(participants - 1)],
        sources=[source(f"https://many.example.org/{n}") for n in range(participants)],
    )

    with django_assert_num_queries(DETAIL_QUERIES):
        response = api_client.get(url(row.id))

    assert len(response.json()["participants"]) == participants
    assert len(response.json()["sources"]) == participants
