"""Read-only fields sent in a write body are ignored, never applied (OWASP API3)."""

import pytest

from incidents.models import ChangeEvent, Incident
from tests.factories import IncidentFactory, incident_document

pytestmark = pytest.mark.django_db

READ_ONLY = {
    "id": 424242,
    "status": "published",
    "verification": "confirmed",
    "version": 99,
    "created_at": "2001-01-01T00:00:00Z",
    "updated_at": "2001-01-01T00:00:00Z",
    "retraction_reason": "Planted reason.",
}


@pytest.mark.parametrize("field", READ_ONLY)
def test_a_read_only_field_in_a_create_body_is_ignored(curator_client, field):
    response = curator_client.post(
        "/api/v1/incidents/", incident_document(**{field: READ_ONLY[field]}), format="json"
    )

    assert response.status_code == 201
    incident = Incident.objects.get()
    assert incident.pk != 424242
    assert incident.status == "draft"
    assert incident.verification == "unverified"
    assert incident.version == 1
    assert incident.created_at.year > 2001
    assert incident.retraction_reason is None
    assert not ChangeEvent.objects.exists()


def test_all_read_only_fields_at_once_in_a_create_body_are_ignored(curator_client):
    response = curator_client.post(
        "/api/v1/incidents/", incident_document(**READ_ONLY), format="json"
    )

    assert response.status_code == 201
    body = response.json()
    assert (body["status"], body["verification"], body["retraction_reason"]) == (
        "draft",
        "unverified",
        None,
    )
    assert response["ETag"] == f'"{body["id"]}-1"'


@pytest.mark.parametrize("method", ["put", "patch"])
def test_read_only_fields_in_an_update_body_are_ignored(curator_client, method):
    incident = IncidentFactory()
    body = {**incident_document(), **READ_ONLY, "title": "Edited"}

    response = getattr(curator_client, method)(
        f"/api/v1/incidents/{incident.pk}/", body, format="json"
    )

    assert response.status_code == 200
    stored = Incident.objects.get(pk=incident.pk)
    assert (stored.title, stored.status, stored.verification, stored.version) == (
        "Edited",
        "draft",
        "unverified",
        2,
    )
    assert stored.created_at == incident.created_at
    assert stored.retraction_reason is None
    assert not Incident.objects.filter(pk=424242).exists()
    assert not ChangeEvent.objects.exists()


def test_a_published_incident_cannot_be_unpublished_through_the_body(curator_client):
    incident = IncidentFactory(status="published")

    response = curator_client.patch(
        f"/api/v1/incidents/{incident.pk}/", {"status": "draft"}, format="json"
    )

    assert response.status_code == 200
    assert Incident.objects.get(pk=incident.pk).status == "published"


def test_a_retraction_cannot_be_undone_or_rewritten_through_the_body(curator_client):
    incident = IncidentFactory(status="retracted")

    curator_client.patch(
        f"/api/v1/incidents/{incident.pk}/",
        {"status": "published", "retraction_reason": "Rewritten."},
        format="json",
    )

    stored = Incident.objects.get(pk=incident.pk)
    assert (stored.status, stored.retraction_reason) == ("retracted", "Source withdrew the report.")


def test_a_computed_track_analysis_sent_back_is_ignored(curator_client):
    document = incident_document("median_line_crossing")
    document["details"]["track"] = {
        "type": "LineString",
        "coordinates": [[119.0, 24.5], [119.3, 24.6]],
    }
    document["details"]["track_analysis"] = {
        "crossed": True,
        "crossing_points": [[1.0, 2.0]],
        "ends_on": "east",
        "max_penetration_km": 999.0,
    }

    response = curator_client.post("/api/v1/incidents/", document, format="json")

    assert response.status_code == 201
    assert response.json()["details"]["track_analysis"]["max_penetration_km"] != 999.0
