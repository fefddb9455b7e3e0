"""POST /api/v1/incidents/{id}/publish/: draft → published through the admin's own service."""

import pytest

from incidents.models import ChangeEvent, Incident
from tests.factories import IncidentFactory

pytestmark = pytest.mark.django_db


def url(incident) -> str:
    return f"/api/v1/incidents/{incident.pk}/publish/"


def test_a_reviewer_publishes_a_sourced_draft(reviewer_client, api_client):
    incident = IncidentFactory()

    response = reviewer_client.post(url(incident))

    assert response.status_code == 200
    assert response.json()["status"] == "published"
    assert response["ETag"] == f'"{incident.pk}-{incident.version + 1}"'
    assert api_client.get(f"/api/v1/incidents/{incident.pk}/").status_code == 200
    assert list(ChangeEvent.objects.values_list("incident_id", "action")) == [
        (incident.pk, "published")
    ]


def test_a_refused_publish_lists_every_missing_requirement_and_stays_draft(reviewer_client):
    incident = IncidentFactory(
        sources=[],
        participants=[{"country": "CN", "role": "other", "force": "PLA Navy"}],
        details=None,
    )

    response = reviewer_client.post(url(incident))

    assert response.status_code == 400
    assert [(e["attr"], e["detail"]) for e in response.json()["errors"]] == [
        ("non_field_errors", "Cite at least one source."),
        ("non_field_errors", "Name at least one participant with role initiator."),
        ("non_field_errors", "Add the intercept details (at least domain)."),
    ]
    assert Incident.objects.get(pk=incident.pk).status == "draft"
    assert not ChangeEvent.objects.exists()


@pytest.mark.parametrize("status", ["published", "retracted"])
def test_only_a_draft_can_be_published(reviewer_client, status):
    incident = IncidentFactory(status=status)

    response = reviewer_client.post(url(incident))

    assert response.status_code == 400
    assert response.json()["errors"][0]["attr"] == "status"
    assert Incident.objects.get(pk=incident.pk).status == status


def test_publishing_with_a_stale_if_match_is_412_and_stays_draft(reviewer_client):
    incident = IncidentFactory()
    stale = incident.etag
    reviewer_client.patch(f"/api/v1/incidents/{incident.pk}/", {"title": "New"}, format="json")

    response = reviewer_client.post(url(incident), HTTP_IF_MATCH=stale)

    assert response.status_code == 412
    assert Incident.objects.get(pk=incident.pk).status == "draft"


def test_publishing_with_the_reviewed_version_proceeds(reviewer_client):
    incident = IncidentFactory()

    response = reviewer_client.post(url(incident), HTTP_IF_MATCH=incident.etag)

    assert response.status_code == 200


def test_a_curator_may_not_publish(curator_client):
    incident = IncidentFactory()

    response = curator_client.post(url(incident))

    assert response.status_code == 403
    assert Incident.objects.get(pk=incident.pk).status == "draft"
