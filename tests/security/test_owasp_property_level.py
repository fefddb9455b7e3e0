"""OWASP API3:2023 Broken Object Property Level Authorization.

Mass assignment: no request body can set what the registry derives or guards (id, status,
verification, version, retraction_reason, timestamps), not even a reviewer's, who may publish
only through the publish action. Excessive exposure: every role gets exactly the fields SPEC §1
documents, so no internal column (disputed flag, version, search vector, editor) slips out.
"""

import json

import pytest

from incidents.models import ChangeEvent, Incident, Source
from incidents.selectors import incident_document
from tests.factories import IncidentFactory
from tests.factories import incident_document as new_document
from tests.incidents.api.test_mass_assignment import READ_ONLY
from tests.security.conftest import response_body

pytestmark = pytest.mark.django_db

URL = "/api/v1/incidents/"
ROLES = ["api_client", "reader_client", "viewer_client", "curator_client", "reviewer_client"]

# SPEC §1, in its order. Written out on purpose, not imported from the serializers, the CSV
# columns or the admin form: a set derived from the code under test could never fail.
INCIDENT_FIELDS = {
    "id",
    "external_id",
    "kind",
    "title",
    "summary",
    "occurred_on",
    "occurred_at",
    "date_precision",
    "region",
    "location_name",
    "latitude",
    "longitude",
    "conduct",
    "status",
    "retraction_reason",
    "verification",
    "participants",
    "sources",
    "details",
    "created_at",
    "updated_at",
}
PARTICIPANT_FIELDS = {"country", "role", "force", "platform", "platform_detail", "count"}
SOURCE_FIELDS = {"url", "publisher", "title", "published_on", "type", "quote"}
DETAIL_FIELDS = {
    "intercept": {"domain", "closest_approach_m", "closest_approach_text", "maneuvers"},
    "median_line_crossing": {
        "aircraft_count",
        "vessel_count",
        "aircraft_total_reported",
        "period_start",
        "period_end",
        "track",
        "track_analysis",
    },
    "navigation_dispute": {"dispute_types", "feature", "zone"},
}
TRACK_ANALYSIS_FIELDS = {"crossed", "crossing_points", "ends_on", "max_penetration_km"}
HISTORY_FIELDS = {"at", "action", "object", "changes", "by"}
CHANGE_FIELDS = {"cursor", "incident_id", "action", "at"}

# The read-only values tests/incidents/api/test_mass_assignment.py plants as a curator; here a
# reviewer, who may publish, plants them.
PLANTED = READ_ONLY


def _assert_documented(document: dict) -> None:
    assert set(document) == INCIDENT_FIELDS
    for participant in document["participants"]:
        assert set(participant) == PARTICIPANT_FIELDS
    for source in document["sources"]:
        assert set(source) == SOURCE_FIELDS
    assert set(document["details"]) == DETAIL_FIELDS[document["kind"]]
    if document["details"].get("track_analysis") is not None:
        assert set(document["details"]["track_analysis"]) == TRACK_ANALYSIS_FIELDS


# --- mass assignment ------------------------------------------------------------------------


@pytest.mark.parametrize("field", PLANTED)
def test_a_reviewer_cannot_set_a_read_only_field_when_creating(reviewer_client, field):
    response = reviewer_client.post(URL, new_document(**{field: PLANTED[field]}), format="json")

    assert response.status_code == 201
    stored = Incident.objects.get()
    assert stored.pk != PLANTED["id"]
    assert (stored.status, stored.verification, stored.version) == ("draft", "unverified", 1)
    assert stored.retraction_reason is None
    assert stored.created_at.year > 2001 and stored.updated_at.year > 2001
    assert not ChangeEvent.objects.exists()


@pytest.mark.parametrize("method", ["put", "patch"])
@pytest.mark.parametrize("field", PLANTED)
def test_a_reviewer_cannot_set_a_read_only_field_when_changing(reviewer_client, method, field):
    incident = IncidentFactory(status="published")
    before = incident_document(incident.pk)
    body = {**before, field: PLANTED[field], "title": "Edited"}

    response = getattr(reviewer_client, method)(f"{URL}{incident.pk}/", body, format="json")

    assert response.status_code == 200
    stored = Incident.objects.get(pk=incident.pk)
    assert (stored.title, stored.status, stored.verification) == (
        "Edited",
        "published",
        "unverified",
    )
    assert stored.version == incident.version + 1
    assert stored.retraction_reason is None
    assert incident_document(incident.pk)["created_at"] == before["created_at"]
    assert not Incident.objects.filter(pk=PLANTED["id"]).exists()


def test_an_id_in_the_body_never_redirects_a_write_to_another_incident(reviewer_client):
    target = IncidentFactory(title="Target")
    victim = IncidentFactory(title="Victim")
    before = incident_document(victim.pk)

    response = reviewer_client.put(
        f"{URL}{target.pk}/",
        {**incident_document(target.pk), "id": victim.pk, "title": "Overwritten"},
        format="json",
    )

    assert response.status_code == 200
    assert response.json()["id"] == target.pk
    assert incident_document(victim.pk) == before


@pytest.mark.parametrize("status", ["draft", "retracted"])
def test_a_published_incident_cannot_change_state_through_the_body(reviewer_client, status):
    incident = IncidentFactory(status="published")

    response = reviewer_client.patch(
        f"{URL}{incident.pk}/",
        {"status": status, "retraction_reason": "Planted."},
        format="json",
    )

    stored = Incident.objects.get(pk=incident.pk)
    assert response.status_code in (200, 400)
    assert (stored.status, stored.retraction_reason) == ("published", None)


@pytest.mark.parametrize(
    "planted",
    [
        {"id": 999, "incident": 1, "incident_id": 1},
        {"position": -1},
    ],
)
def test_nested_participants_and_sources_take_no_internal_keys(reviewer_client, planted):
    other = IncidentFactory()
    document = new_document()
    document["participants"][0].update(planted)
    document["sources"][0].update(planted)

    response = reviewer_client.post(URL, document, format="json")

    assert response.status_code in (201, 400)
    assert response.status_code < 500
    assert incident_document(other.pk)["participants"] == new_document()["participants"]
    assert Incident.objects.count() == (2 if response.status_code == 201 else 1)


def test_a_source_id_in_the_body_is_ignored(reviewer_client):
    existing = Source.objects.create(url="https://kept.example.org/", publisher="P", type="media")

    response = reviewer_client.post(
        "/api/v1/sources/",
        {"id": existing.pk, "url": "https://new.example.org/", "publisher": "Q", "type": "media"},
        format="json",
    )

    assert response.status_code == 201
    assert response.json()["id"] != existing.pk
    assert Source.objects.get(pk=existing.pk).url == "https://kept.example.org/"


# --- exposure -------------------------------------------------------------------------------


@pytest.mark.parametrize("role", ROLES)
def test_each_role_gets_exactly_the_documented_fields_in_the_list(request, drafts, twins, role):
    client = request.getfixturevalue(role)

    results = client.get(URL, {"limit": 1000}).json()["results"]

    assert results
    for document in results:
        _assert_documented(document)


@pytest.mark.parametrize("role", ROLES)
def test_each_role_gets_exactly_the_documented_fields_in_a_detail(request, twins, role):
    client = request.getfixturevalue(role)

    for incident in twins.values():
        _assert_documented(client.get(f"{URL}{incident.pk}/").json())


@pytest.mark.parametrize("role", ROLES)
def test_each_role_gets_exactly_the_documented_fields_in_the_exports(request, twins, role):
    client = request.getfixturevalue(role)

    lines = response_body(client.get(f"{URL}export/", {"format": "jsonl"})).splitlines()
    features = json.loads(response_body(client.get(f"{URL}export/", {"format": "geojson"})))

    assert len(lines) == len(features["features"]) == len(twins)
    for line in lines:
        _assert_documented(json.loads(line))
    for feature in features["features"]:
        _assert_documented(feature["properties"])


def test_a_write_response_carries_exactly_the_documented_fields(reviewer_client):
    created = reviewer_client.post(URL, new_document(), format="json").json()
    published = reviewer_client.post(f"{URL}{created['id']}/publish/").json()

    _assert_documented(created)
    _assert_documented(published)


@pytest.mark.parametrize("role", ["api_client", "reader_client"])
def test_history_never_names_an_editor_to_outsiders(request, reviewer, role):
    client = request.getfixturevalue(role)
    incident = IncidentFactory(status="published", by=reviewer)

    entries = client.get(f"{URL}{incident.pk}/history/").json()["results"]

    assert entries
    assert all(set(entry) == HISTORY_FIELDS for entry in entries)
    assert {entry["by"] for entry in entries} == {None}


def test_history_names_the_editor_to_staff(viewer_client, reviewer):
    incident = IncidentFactory(status="published", by=reviewer)

    entries = viewer_client.get(f"{URL}{incident.pk}/history/").json()["results"]

    assert {entry["by"] for entry in entries} == {"reviewer"}


def test_the_change_feed_carries_only_cursor_id_action_and_time(api_client, twins):
    results = api_client.get("/api/v1/changes/", {"after": 0}).json()["results"]

    assert results
    assert all(set(event) == CHANGE_FIELDS for event in results)
