"""PUT and PATCH /api/v1/incidents/{id}/: whole-document replace, merge patch, If-Match."""

import pytest

from incidents.models import ChangeEvent, Incident
from incidents.selectors import incident_document as stored_document
from tests.factories import IncidentFactory, incident_document

pytestmark = pytest.mark.django_db


def url(incident) -> str:
    return f"/api/v1/incidents/{incident.pk}/"


def fetched(client, incident) -> tuple[dict, str]:
    response = client.get(url(incident))
    return response.json(), response["ETag"]


def test_the_detail_response_carries_the_etag_of_the_version(api_client):
    incident = IncidentFactory(status="published")

    response = api_client.get(url(incident))

    assert response["ETag"] == f'"{incident.pk}-{incident.version}"'


def test_put_of_a_fetched_and_edited_document_replaces_it(curator_client):
    incident = IncidentFactory()
    document, etag = fetched(curator_client, incident)
    document["title"] = "Corrected title"
    document["participants"] = document["participants"][:1]

    response = curator_client.put(url(incident), document, format="json", HTTP_IF_MATCH=etag)

    assert response.status_code == 200
    assert response.json()["title"] == "Corrected title"
    assert len(response.json()["participants"]) == 1
    assert response["ETag"] == f'"{incident.pk}-{incident.version + 1}"'
    assert stored_document(incident.pk) == response.json()


def test_patch_merges_into_the_current_document(curator_client):
    incident = IncidentFactory()

    response = curator_client.patch(
        url(incident),
        {"summary": "Updated summary.", "details": {"closest_approach_m": 6.1}},
        format="json",
    )

    assert response.status_code == 200
    body = response.json()
    assert body["summary"] == "Updated summary."
    assert body["details"]["closest_approach_m"] == 6.1
    assert body["details"]["closest_approach_text"] == "within 100 feet"
    assert body["title"] == incident.title
    assert len(body["participants"]) == 2


def test_patch_with_null_clears_a_field(curator_client):
    incident = IncidentFactory(location_name="Paracel Islands")

    response = curator_client.patch(url(incident), {"location_name": None}, format="json")

    assert response.status_code == 200
    assert response.json()["location_name"] is None


def test_patch_replaces_a_list_whole(curator_client):
    incident = IncidentFactory()
    sources = [
        {
            "url": "https://www.defense.gov/News/Releases/1",
            "publisher": "US Department of Defense",
            "title": "Statement",
            "type": "official",
        }
    ]

    response = curator_client.patch(url(incident), {"sources": sources}, format="json")

    assert [s["url"] for s in response.json()["sources"]] == [sources[0]["url"]]
    assert response.json()["verification"] == "confirmed"


def test_an_invalid_patch_names_the_field_and_changes_nothing(curator_client):
    incident = IncidentFactory()
    before = stored_document(incident.pk)

    response = curator_client.patch(url(incident), {"occurred_on": "2999-01-01"}, format="json")

    assert response.status_code == 400
    assert response.json()["errors"][0]["attr"] == "occurred_on"
    assert stored_document(incident.pk) == before


def test_put_without_required_fields_is_refused(curator_client):
    incident = IncidentFactory()

    response = curator_client.put(url(incident), {"title": "Only a title"}, format="json")

    assert response.status_code == 400
    assert {e["attr"] for e in response.json()["errors"]} == {"kind", "occurred_on", "region"}


def test_a_stale_if_match_is_412_and_changes_nothing(curator_client):
    incident = IncidentFactory()
    _, stale = fetched(curator_client, incident)
    curator_client.patch(url(incident), {"title": "First edit"}, format="json")
    before = stored_document(incident.pk)

    response = curator_client.patch(
        url(incident), {"title": "Second edit"}, format="json", HTTP_IF_MATCH=stale
    )

    assert response.status_code == 412
    assert response.json()["errors"][0]["code"] == "precondition_failed"
    assert stored_document(incident.pk) == before
    assert Incident.objects.get(pk=incident.pk).version == incident.version + 1


def test_a_stale_if_match_on_put_is_412_and_changes_nothing(curator_client):
    incident = IncidentFactory()
    document, stale = fetched(curator_client, incident)
    curator_client.patch(url(incident), {"title": "First edit"}, format="json")
    document["title"] = "Overwriting edit"

    response = curator_client.put(url(incident), document, format="json", HTTP_IF_MATCH=stale)

    assert response.status_code == 412
    assert Incident.objects.get(pk=incident.pk).title == "First edit"


@pytest.mark.parametrize(
    "if_match",
    [
        '"{pk}-99"',  # another version
        'W/"{pk}-{version}"',  # weak tags never match If-Match
        '"{other}-{version}"',  # another incident's tag
    ],
)
def test_an_if_match_that_does_not_name_the_current_version_is_412(curator_client, if_match):
    incident = IncidentFactory()
    header = if_match.format(pk=incident.pk, version=incident.version, other=incident.pk + 1)

    response = curator_client.patch(
        url(incident), {"title": "Edit"}, format="json", HTTP_IF_MATCH=header
    )

    assert response.status_code == 412
    assert Incident.objects.get(pk=incident.pk).title == incident.title


@pytest.mark.parametrize("if_match", ["{pk}-{version}", '"{pk}-{version}', "version {version}"])
def test_an_if_match_that_is_not_an_entity_tag_is_400_naming_it(curator_client, if_match):
    incident = IncidentFactory()
    header = if_match.format(pk=incident.pk, version=incident.version)

    response = curator_client.patch(
        url(incident), {"title": "Edit"}, format="json", HTTP_IF_MATCH=header
    )

    assert response.status_code == 400
    assert response.json()["errors"][0]["attr"] == "If-Match"
    assert Incident.objects.get(pk=incident.pk).title == incident.title


def test_an_invalid_body_is_400_even_with_a_stale_if_match(curator_client):
    incident = IncidentFactory()

    response = curator_client.patch(
        url(incident), {"title": 5}, format="json", HTTP_IF_MATCH=f'"{incident.pk}-99"'
    )

    assert response.status_code == 400


@pytest.mark.parametrize("if_match", ["*", "", '"{pk}-{version}"', '"{pk}-99", "{pk}-{version}"'])
def test_an_if_match_naming_the_current_version_or_star_proceeds(curator_client, if_match):
    incident = IncidentFactory()
    header = if_match.format(pk=incident.pk, version=incident.version)

    response = curator_client.patch(
        url(incident), {"title": "Edit"}, format="json", HTTP_IF_MATCH=header
    )

    assert response.status_code == 200
    assert Incident.objects.get(pk=incident.pk).title == "Edit"


def test_an_update_that_changes_nothing_writes_nothing(curator_client):
    incident = IncidentFactory(status="published")
    document, etag = fetched(curator_client, incident)
    history_rows = Incident.history.filter(id=incident.pk).count()
    events = ChangeEvent.objects.count()

    response = curator_client.put(url(incident), document, format="json", HTTP_IF_MATCH=etag)

    assert response.status_code == 200
    assert response["ETag"] == etag
    assert Incident.history.filter(id=incident.pk).count() == history_rows
    assert ChangeEvent.objects.count() == events


def test_editing_a_published_incident_adds_an_updated_event(curator_client):
    incident = IncidentFactory(status="published")

    curator_client.patch(url(incident), {"title": "Edited"}, format="json")

    assert list(ChangeEvent.objects.values_list("action", flat=True)) == ["published", "updated"]


def test_marking_an_incident_disputed_overrides_its_verification(curator_client):
    incident = IncidentFactory(status="published")

    response = curator_client.patch(url(incident), {"disputed": True}, format="json")

    assert response.json()["verification"] == "disputed"
    assert Incident.objects.get(pk=incident.pk).disputed is True
    assert ChangeEvent.objects.last().action == "updated"


def test_a_put_that_leaves_disputed_out_keeps_the_flag(curator_client):
    incident = IncidentFactory(disputed=True)
    document, _ = fetched(curator_client, incident)
    document["title"] = "Edited"

    response = curator_client.put(url(incident), document, format="json")

    assert response.json()["verification"] == "disputed"
    assert Incident.objects.get(pk=incident.pk).disputed is True


def test_unmarking_disputed_derives_verification_again(curator_client):
    incident = IncidentFactory(disputed=True)

    response = curator_client.patch(url(incident), {"disputed": False}, format="json")

    assert response.json()["verification"] == "unverified"


def test_a_retracted_incident_can_still_be_corrected(curator_client):
    incident = IncidentFactory(status="retracted")

    response = curator_client.patch(url(incident), {"summary": "Corrected."}, format="json")

    assert response.status_code == 200
    assert response.json()["status"] == "retracted"
    assert response.json()["retraction_reason"] == "Source withdrew the report."


def test_changing_a_shared_source_updates_the_other_incidents_citing_it(curator_client):
    shared = incident_document()["sources"][0]
    other = IncidentFactory(status="published", sources=[shared])
    incident = IncidentFactory(sources=[shared])
    changed = {**shared, "type": "official"}

    curator_client.patch(url(incident), {"sources": [changed]}, format="json")

    assert curator_client.get(url(other)).json()["verification"] == "confirmed"
    assert ChangeEvent.objects.filter(incident_id=other.pk, action="updated").exists()


@pytest.mark.parametrize("method", ["put", "patch"])
def test_an_unknown_incident_is_404(curator_client, method):
    response = getattr(curator_client, method)(
        "/api/v1/incidents/999999/", incident_document(), format="json"
    )

    assert response.status_code == 404
