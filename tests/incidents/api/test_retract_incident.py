"""POST /api/v1/incidents/{id}/retract/: published → retracted, with the reason readers see."""

import pytest

from incidents.models import ChangeEvent, Incident
from tests.factories import IncidentFactory

pytestmark = pytest.mark.django_db


def url(incident) -> str:
    return f"/api/v1/incidents/{incident.pk}/retract/"


def test_a_reviewer_retracts_a_published_incident_with_a_reason(reviewer_client, api_client):
    incident = IncidentFactory(status="published")

    response = reviewer_client.post(
        url(incident), {"reason": "The ministry withdrew its statement."}, format="json"
    )

    assert response.status_code == 200
    assert response.json()["status"] == "retracted"
    assert response.json()["retraction_reason"] == "The ministry withdrew its statement."
    assert ChangeEvent.objects.last().action == "retracted"
    public = api_client.get(f"/api/v1/incidents/{incident.pk}/").json()
    assert (public["status"], public["retraction_reason"]) == (
        "retracted",
        "The ministry withdrew its statement.",
    )


@pytest.mark.parametrize("body", [{}, {"reason": ""}, {"reason": "   "}, {"reason": 5}])
def test_a_retraction_needs_a_reason(reviewer_client, body):
    incident = IncidentFactory(status="published")

    response = reviewer_client.post(url(incident), body, format="json")

    assert response.status_code == 400
    assert response.json()["errors"][0]["attr"] == "reason"
    assert Incident.objects.get(pk=incident.pk).status == "published"


def test_a_draft_cannot_be_retracted(reviewer_client):
    incident = IncidentFactory()

    response = reviewer_client.post(url(incident), {"reason": "Wrong."}, format="json")

    assert response.status_code == 400
    assert response.json()["errors"][0]["attr"] == "status"
    assert Incident.objects.get(pk=incident.pk).status == "draft"


def test_retracting_with_a_stale_if_match_is_412(reviewer_client):
    incident = IncidentFactory(status="published")
    stale = incident.etag
    reviewer_client.patch(f"/api/v1/incidents/{incident.pk}/", {"title": "New"}, format="json")

    response = reviewer_client.post(
        url(incident), {"reason": "Wrong."}, format="json", HTTP_IF_MATCH=stale
    )

    assert response.status_code == 412
    assert Incident.objects.get(pk=incident.pk).status == "published"
