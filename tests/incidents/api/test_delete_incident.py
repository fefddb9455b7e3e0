"""DELETE /api/v1/incidents/{id}/: drafts go, published incidents are retracted instead (409)."""

import pytest

from incidents.models import ChangeEvent, Citation, Incident, Participant, Source
from tests.factories import IncidentFactory

pytestmark = pytest.mark.django_db


def url(incident) -> str:
    return f"/api/v1/incidents/{incident.pk}/"


def test_a_reviewer_deletes_a_draft_with_its_children(reviewer_client):
    incident = IncidentFactory()

    response = reviewer_client.delete(url(incident))

    assert response.status_code == 204
    assert not Incident.objects.exists()
    assert not Participant.objects.exists()
    assert not Citation.objects.exists()
    assert Source.objects.count() == 1  # sources are shared records and stay
    assert not ChangeEvent.objects.exists()  # a draft was never public


def test_deleting_a_published_incident_is_409_saying_to_retract_it(reviewer_client):
    incident = IncidentFactory(status="published")

    response = reviewer_client.delete(url(incident))

    assert response.status_code == 409
    assert response.json()["errors"][0]["code"] == "conflict"
    assert "retract" in response.json()["errors"][0]["detail"]
    assert Incident.objects.get(pk=incident.pk).status == "published"


def test_deleting_a_retracted_incident_tells_mirrors(reviewer_client):
    incident = IncidentFactory(status="retracted")

    response = reviewer_client.delete(url(incident))

    assert response.status_code == 204
    assert ChangeEvent.objects.last().action == "deleted"
    assert reviewer_client.get(url(incident)).status_code == 404


def test_a_delete_with_a_stale_if_match_is_412_and_deletes_nothing(reviewer_client):
    incident = IncidentFactory()
    stale = incident.etag
    reviewer_client.patch(url(incident), {"title": "Edited meanwhile"}, format="json")

    response = reviewer_client.delete(url(incident), HTTP_IF_MATCH=stale)

    assert response.status_code == 412
    assert Incident.objects.filter(pk=incident.pk).exists()


def test_a_delete_with_the_current_if_match_proceeds(reviewer_client):
    incident = IncidentFactory()

    response = reviewer_client.delete(url(incident), HTTP_IF_MATCH=incident.etag)

    assert response.status_code == 204


def test_deleting_an_unknown_incident_is_404(reviewer_client):
    response = reviewer_client.delete("/api/v1/incidents/999999/")

    assert response.status_code == 404
