"""POST /api/v1/incidents/: a whole sourced incident in one request, always a draft."""

from unittest.mock import ANY

import pytest

from incidents.models import Citation, Incident, InterceptDetails, Participant, Source
from tests.factories import SourceFactory, incident_document

pytestmark = pytest.mark.django_db

URL = "/api/v1/incidents/"


def test_curator_creates_a_sourced_intercept_and_gets_the_whole_document(curator_client):
    document = incident_document(
        "intercept",
        external_id="api-create-1",
        title="J-11 intercepts P-8A over the South China Sea",
        occurred_at="2023-05-26T02:15:00Z",
        latitude=16.5,
        longitude=112.3,
    )
    document["sources"][0]["quote"] = "flew directly in front of the nose"

    response = curator_client.post(URL, document, format="json")

    assert response.status_code == 201
    assert response.json() == {
        "id": ANY,
        "external_id": "api-create-1",
        "kind": "intercept",
        "title": "J-11 intercepts P-8A over the South China Sea",
        "summary": "A PLA Navy J-11 intercepted a patrol aircraft.",
        "occurred_on": "2023-05-26",
        "occurred_at": "2023-05-26T02:15:00Z",
        "date_precision": "day",
        "region": "south-china-sea",
        "location_name": None,
        "latitude": 16.5,
        "longitude": 112.3,
        "conduct": "unsafe",
        "status": "draft",
        "retraction_reason": None,
        "verification": "unverified",
        "participants": [
            {
                "country": "CN",
                "role": "initiator",
                "force": "PLA Navy",
                "platform": None,
                "platform_detail": "J-11",
                "count": 1,
            },
            {
                "country": "US",
                "role": "target",
                "force": "US Navy",
                "platform": None,
                "platform_detail": "P-8A",
                "count": 1,
            },
        ],
        "sources": [
            {
                "url": document["sources"][0]["url"],
                "publisher": "Example News",
                "title": document["sources"][0]["title"],
                "published_on": "2023-05-27",
                "type": "media",
                "quote": "flew directly in front of the nose",
            }
        ],
        "details": {
            "domain": "air",
            "closest_approach_m": 30.0,
            "closest_approach_text": "within 100 feet",
            "maneuvers": ["barrel roll"],
        },
        "created_at": ANY,
        "updated_at": ANY,
    }


def test_a_created_incident_comes_with_its_etag_and_location(curator_client):
    response = curator_client.post(URL, incident_document(), format="json")

    incident = Incident.objects.get()
    assert response["ETag"] == f'"{incident.pk}-1"'
    assert response["Location"].endswith(f"/api/v1/incidents/{incident.pk}/")
    assert "no-store" in response["Cache-Control"]


def test_a_cited_source_is_matched_by_url_and_updated_not_duplicated(curator_client):
    source = SourceFactory(url="https://mnd.gov.tw/report/1", publisher="MND", type="media")
    document = incident_document()
    document["sources"] = [
        {"url": source.url, "publisher": "Taiwan MND", "title": "Report", "type": "official"}
    ]

    response = curator_client.post(URL, document, format="json")

    assert response.status_code == 201
    assert Source.objects.count() == 1
    source.refresh_from_db()
    assert (source.publisher, source.type) == ("Taiwan MND", "official")
    assert response.json()["verification"] == "confirmed"


def test_one_invalid_part_writes_nothing_at_all(curator_client):
    document = incident_document()
    document["details"]["closest_approach_m"] = -5

    response = curator_client.post(URL, document, format="json")

    assert response.status_code == 400
    assert response.json()["errors"] == [
        {"code": "min_value", "detail": ANY, "attr": "details.closest_approach_m"}
    ]
    assert not Incident.objects.exists()
    assert not Source.objects.exists()
    assert not Participant.objects.exists()
    assert not Citation.objects.exists()
    assert not InterceptDetails.objects.exists()


def test_every_invalid_field_is_named_by_its_document_path(curator_client):
    document = incident_document(region="atlantis")
    document["participants"][1]["country"] = "us"
    document["sources"][0]["url"] = "ftp://example.org/report"

    response = curator_client.post(URL, document, format="json")

    assert response.status_code == 400
    assert response.json()["type"] == "validation_error"
    assert {error["attr"] for error in response.json()["errors"]} == {
        "region",
        "participants[1].country",
        "sources[0].url",
    }


@pytest.mark.parametrize(
    "field, value",
    [
        ("title", 12),
        ("closest_approach", "16.5"),
        ("occurred_on", 20230526),
        ("disputed", "yes"),
        ("participants", "CN"),
        ("details", ["air"]),
    ],
)
def test_a_value_of_the_wrong_json_type_is_refused_not_coerced(curator_client, field, value):
    document = incident_document()
    if field == "closest_approach":
        field = "details.closest_approach_m"
        document["details"]["closest_approach_m"] = value
    else:
        document[field] = value

    response = curator_client.post(URL, document, format="json")

    assert response.status_code == 400
    assert [error["attr"] for error in response.json()["errors"]] == [field]
    assert not Incident.objects.exists()


def test_a_wrong_type_is_reported_together_with_every_other_offending_field(curator_client):
    document = incident_document(title=12, region="atlantis")

    response = curator_client.post(URL, document, format="json")

    assert response.status_code == 400
    assert sorted(error["attr"] for error in response.json()["errors"]) == ["region", "title"]


def test_a_wrong_type_inside_a_list_is_named_by_index(curator_client):
    document = incident_document()
    document["participants"][1]["count"] = "2"

    response = curator_client.post(URL, document, format="json")

    assert response.status_code == 400
    assert [error["attr"] for error in response.json()["errors"]] == ["participants[1].count"]


def test_an_unknown_field_is_refused(curator_client):
    response = curator_client.post(URL, incident_document(severity="high"), format="json")

    assert response.status_code == 400
    assert response.json()["errors"][0]["attr"] == "severity"


@pytest.mark.parametrize("body", ["[]", '"incident"', "null"])
def test_a_body_that_is_not_an_object_is_refused(curator_client, body):
    response = curator_client.post(URL, body, content_type="application/json")

    assert response.status_code == 400
    assert not Incident.objects.exists()


def test_malformed_json_is_a_parse_error(curator_client):
    response = curator_client.post(URL, '{"title": ', content_type="application/json")

    assert response.status_code == 400
    assert response.json()["errors"][0]["code"] == "parse_error"


def test_a_form_encoded_body_is_unsupported(curator_client):
    response = curator_client.post(URL, {"title": "x"}, format="multipart")

    assert response.status_code == 415


def test_an_external_id_already_taken_is_a_validation_error(curator_client):
    curator_client.post(URL, incident_document(external_id="dup-1"), format="json")

    response = curator_client.post(URL, incident_document(external_id="dup-1"), format="json")

    assert response.status_code == 400
    assert response.json()["errors"][0]["attr"] == "external_id"
    assert Incident.objects.count() == 1


def test_a_curator_may_create_an_incident_already_marked_disputed(curator_client):
    response = curator_client.post(URL, incident_document(disputed=True), format="json")

    assert response.status_code == 201
    assert response.json()["verification"] == "disputed"
    assert Incident.objects.get().disputed is True


def test_creating_a_draft_adds_nothing_to_the_change_feed(curator_client, api_client):
    curator_client.post(URL, incident_document(), format="json")

    response = api_client.get("/api/v1/changes/")

    assert response.json() == {"results": [], "next": 0}
