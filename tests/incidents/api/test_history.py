"""GET /api/v1/incidents/{id}/history/: every recorded change, the editor only to staff."""

import pytest

from incidents import services
from incidents.selectors import incident_document
from tests.conftest import _client_for
from tests.factories import IncidentFactory, UserFactory

pytestmark = pytest.mark.django_db


def url(incident) -> str:
    return f"/api/v1/incidents/{incident.pk}/history/"


def edited_and_published(curator, reviewer):
    """A draft by the curator, edited once (title and details), published by the reviewer."""
    incident = IncidentFactory(by=curator)
    document = incident_document(incident.pk)
    document["title"] = "Edited title"
    document["details"]["closest_approach_m"] = 15.0
    incident = services.update_incident(incident, document, by=curator)
    return services.publish_incident(incident, by=reviewer)


def test_staff_see_every_change_to_the_incident_and_its_children_with_the_editor(
    curator, reviewer, reviewer_client
):
    incident = edited_and_published(curator, reviewer)

    response = reviewer_client.get(url(incident))

    assert response.status_code == 200
    entries = response.json()["results"]
    assert [(e["action"], e["object"], e["by"]) for e in entries] == [
        ("created", "incident", "curator"),
        ("created", "participant", "curator"),
        ("created", "participant", "curator"),
        ("created", "citation", "curator"),
        ("created", "intercept details", "curator"),
        ("changed", "incident", "curator"),
        ("changed", "intercept details", "curator"),
        ("changed", "incident", "reviewer"),
    ]
    created_title = next(c["new"] for c in entries[0]["changes"] if c["field"] == "title")
    assert entries[5]["changes"] == [
        {"field": "title", "old": created_title, "new": "Edited title"}
    ]
    assert entries[6]["changes"] == [{"field": "closest_approach_m", "old": 30.0, "new": 15.0}]
    assert entries[7]["changes"] == [{"field": "status", "old": "draft", "new": "published"}]


def test_entries_are_in_time_order(curator, reviewer, reviewer_client):
    incident = edited_and_published(curator, reviewer)

    entries = reviewer_client.get(url(incident)).json()["results"]

    assert [e["at"] for e in entries] == sorted(e["at"] for e in entries)


def test_a_created_entry_lists_the_values_set(curator_client):
    incident_id = curator_client.post(
        "/api/v1/incidents/",
        {
            "kind": "intercept",
            "title": "Minimal draft",
            "occurred_on": "2023-05-26",
            "region": "taiwan-strait",
        },
        format="json",
    ).json()["id"]

    entries = curator_client.get(f"/api/v1/incidents/{incident_id}/history/").json()["results"]

    assert entries == [
        {
            "at": entries[0]["at"],
            "action": "created",
            "object": "incident",
            "changes": [
                {"field": "kind", "old": None, "new": "intercept"},
                {"field": "title", "old": None, "new": "Minimal draft"},
                {"field": "occurred_on", "old": None, "new": "2023-05-26"},
                {"field": "date_precision", "old": None, "new": "day"},
                {"field": "region", "old": None, "new": "taiwan-strait"},
                {"field": "conduct", "old": None, "new": "unknown"},
                {"field": "status", "old": None, "new": "draft"},
                {"field": "disputed", "old": None, "new": False},
                {"field": "verification", "old": None, "new": "unverified"},
            ],
            "by": "curator",
        }
    ]


def test_a_replaced_participant_shows_as_deleted_and_created(curator, curator_client):
    incident = IncidentFactory(by=curator)
    document = curator_client.get(f"/api/v1/incidents/{incident.pk}/").json()
    document["participants"][1]["country"] = "PH"

    curator_client.put(f"/api/v1/incidents/{incident.pk}/", document, format="json")

    entries = curator_client.get(url(incident)).json()["results"]
    assert [(e["action"], e["object"]) for e in entries[-4:]] == [
        ("deleted", "participant"),
        ("deleted", "participant"),
        ("created", "participant"),
        ("created", "participant"),
    ]
    assert {"field": "country", "old": "US", "new": None} in entries[-3]["changes"]


def test_the_public_sees_no_editor_names(curator, reviewer, api_client, reader_client):
    incident = edited_and_published(curator, reviewer)

    for client in (api_client, reader_client):
        entries = client.get(url(incident)).json()["results"]
        assert entries and all(entry["by"] is None for entry in entries)


def test_the_public_history_starts_at_the_first_publication(curator, reviewer, api_client):
    incident = edited_and_published(curator, reviewer)

    entries = api_client.get(url(incident)).json()["results"]

    assert [(e["action"], e["changes"]) for e in entries] == [
        ("changed", [{"field": "status", "old": "draft", "new": "published"}])
    ]


def test_later_changes_to_a_published_incident_are_public(curator, reviewer, api_client):
    incident = edited_and_published(curator, reviewer)
    services.retract_incident(incident, reason="Withdrawn.", by=reviewer)

    entries = api_client.get(url(incident)).json()["results"]

    assert entries[-1]["changes"] == [
        {"field": "status", "old": "published", "new": "retracted"},
        {"field": "retraction_reason", "old": None, "new": "Withdrawn."},
    ]


def test_a_drafts_history_is_a_404_to_the_public(api_client, reader_client):
    incident = IncidentFactory(title="Secretword draft")

    for client in (api_client, reader_client):
        response = client.get(url(incident))
        assert response.status_code == 404
        assert "Secretword" not in response.content.decode()


def test_staff_without_view_permission_still_see_no_drafts(db):
    client = _client_for(UserFactory(username="intern", is_staff=True))
    incident = IncidentFactory()

    assert client.get(url(incident)).status_code == 404


def test_history_is_paginated(curator, reviewer, reviewer_client):
    incident = edited_and_published(curator, reviewer)

    response = reviewer_client.get(url(incident), {"limit": 3, "offset": 6})

    body = response.json()
    assert body["count"] == 8
    assert len(body["results"]) == 2
    assert body["previous"] is not None and body["next"] is None


@pytest.mark.parametrize("params", [{"limit": 0}, {"limit": "x"}, {"page": 2}])
def test_bad_or_unknown_history_parameters_are_400(reviewer_client, params):
    incident = IncidentFactory()

    response = reviewer_client.get(url(incident), params)

    assert response.status_code == 400


def test_the_history_of_an_unknown_incident_is_404(api_client):
    assert api_client.get("/api/v1/incidents/999999/history/").status_code == 404
