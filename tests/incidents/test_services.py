"""The curation services: one code path for create, publish, retract, dispute, delete."""

import pytest
from django.core.exceptions import ValidationError

from incidents import services
from incidents.models import ChangeEvent, Incident
from incidents.selectors import incident_document as stored_document
from tests.factories import IncidentFactory, incident_document


def incident_document_of(incident):
    return stored_document(incident.pk)


pytestmark = pytest.mark.django_db


def test_a_new_incident_starts_as_a_draft_whatever_the_document_says(curator):
    incident = services.create_incident(incident_document(status="published"), by=curator)

    assert incident.status == "draft"


def test_publishing_a_sourced_incident_with_an_initiator_makes_it_public(reviewer):
    incident = IncidentFactory()

    incident = services.publish_incident(incident, by=reviewer)

    assert incident.status == "published"
    assert list(ChangeEvent.objects.values_list("incident_id", "action")) == [
        (incident.pk, "published")
    ]


def test_publishing_without_source_or_initiator_lists_every_missing_requirement(reviewer):
    document = incident_document(sources=[])
    document["participants"][0]["role"] = "other"
    incident = services.create_incident(document, by=reviewer)

    with pytest.raises(ValidationError) as refused:
        services.publish_incident(incident, by=reviewer)

    assert refused.value.message_dict["non_field_errors"] == [
        "Cite at least one source.",
        "Name at least one participant with role initiator.",
    ]
    assert Incident.objects.get(pk=incident.pk).status == "draft"


def test_publishing_an_intercept_without_details_asks_for_them(reviewer):
    incident = services.create_incident(incident_document(details={}), by=reviewer)

    with pytest.raises(ValidationError) as refused:
        services.publish_incident(incident, by=reviewer)

    assert refused.value.message_dict["non_field_errors"] == [
        "Add the intercept details (at least domain)."
    ]


def test_only_a_draft_can_be_published(reviewer):
    incident = IncidentFactory(status="published")

    with pytest.raises(ValidationError) as refused:
        services.publish_incident(incident, by=reviewer)

    assert "status" in refused.value.message_dict


def test_retracting_needs_a_reason(reviewer):
    incident = IncidentFactory(status="published")

    with pytest.raises(ValidationError) as refused:
        services.retract_incident(incident, reason="  ", by=reviewer)

    assert refused.value.message_dict == {"reason": ["Give the reason for the retraction."]}
    assert Incident.objects.get(pk=incident.pk).status == "published"


def test_retracting_keeps_the_reason_and_tells_the_change_feed(reviewer):
    incident = IncidentFactory(status="published")

    incident = services.retract_incident(incident, reason="Misdated by the source.", by=reviewer)

    assert (incident.status, incident.retraction_reason) == ("retracted", "Misdated by the source.")
    assert list(ChangeEvent.objects.order_by("id").values_list("action", flat=True)) == [
        "published",
        "retracted",
    ]


def test_a_draft_can_be_deleted_without_a_feed_event(reviewer):
    incident = IncidentFactory()

    services.delete_incident(incident, by=reviewer)

    assert not Incident.objects.filter(pk=incident.pk).exists()
    assert not ChangeEvent.objects.exists()


def test_a_published_incident_is_not_deleted(reviewer):
    incident = IncidentFactory(status="published")

    with pytest.raises(services.Conflict):
        services.delete_incident(incident, by=reviewer)

    assert Incident.objects.filter(pk=incident.pk).exists()


def test_an_update_that_changes_nothing_writes_nothing(curator):
    incident = IncidentFactory(status="published")
    history_rows = incident.history.count()
    events = ChangeEvent.objects.count()

    same = services.update_incident(incident, incident_document_of(incident), by=curator)

    assert same.version == incident.version
    assert incident.history.count() == history_rows
    assert ChangeEvent.objects.count() == events


def test_an_update_bumps_the_version_and_records_who_changed_what(curator):
    incident = IncidentFactory(status="published")
    document = incident_document_of(incident)
    document["title"] = "Corrected title"

    updated = services.update_incident(incident, document, by=curator)

    latest = updated.history.first()
    assert updated.version == incident.version + 1
    assert (latest.history_user, latest.title) == (curator, "Corrected title")
    assert latest.diff_against(latest.prev_record).changed_fields == ["title"]
    assert ChangeEvent.objects.order_by("-id").first().action == "updated"


def test_an_update_against_a_stale_version_is_refused_and_changes_nothing(curator):
    incident = IncidentFactory()
    document = incident_document_of(incident)
    document["title"] = "Overwrite"

    with pytest.raises(services.StaleVersion):
        services.update_incident(
            incident, document, by=curator, expected_version=incident.version - 1 or 99
        )

    assert Incident.objects.get(pk=incident.pk).title == incident.title


@pytest.mark.parametrize(
    ("changes", "path"),
    [
        ({"kind": "skirmish", "details": {}}, "kind"),
        ({"title": "  "}, "title"),
        ({"region": "atlantic"}, "region"),
        ({"occurred_on": "2999-01-01"}, "occurred_on"),
        ({"occurred_on": "2023-13-01"}, "occurred_on"),
        ({"date_precision": "month", "occurred_on": "2023-05-26"}, "occurred_on"),
        ({"occurred_at": "2023-05-20T10:00:00Z"}, "occurred_at"),
        ({"latitude": 10.5}, "longitude"),
        ({"latitude": 95.0, "longitude": 10.0}, "latitude"),
        ({"conduct": "aggressive"}, "conduct"),
        ({"colour": "red"}, "colour"),
    ],
)
def test_an_invalid_document_is_refused_naming_the_field(curator, changes, path):
    document = {**incident_document(), **changes}

    with pytest.raises(ValidationError) as refused:
        services.create_incident(document, by=curator)

    assert path in refused.value.message_dict
    assert not Incident.objects.exists()


@pytest.mark.parametrize(
    ("participant", "path"),
    [
        ({"country": "cn"}, "participants[0].country"),
        ({"country": "XX"}, "participants[0].country"),
        ({"role": "aggressor"}, "participants[0].role"),
        ({"count": 0}, "participants[0].count"),
        ({"platform": "tie-fighter"}, "participants[0].platform"),
    ],
)
def test_an_invalid_participant_is_refused_naming_its_index(curator, participant, path):
    document = incident_document()
    document["participants"][0].update(participant)

    with pytest.raises(ValidationError) as refused:
        services.create_incident(document, by=curator)

    assert path in refused.value.message_dict


@pytest.mark.parametrize(
    ("kind", "details", "path"),
    [
        ("intercept", {"domain": "space"}, "details.domain"),
        ("intercept", {"domain": "air", "closest_approach_m": -3}, "details.closest_approach_m"),
        (
            "median_line_crossing",
            {"aircraft_count": 0, "vessel_count": 0},
            "details.aircraft_count",
        ),
        (
            "median_line_crossing",
            {"period_start": "2023-04-09", "period_end": "2023-04-08"},
            "details.period_end",
        ),
        (
            "median_line_crossing",
            {"track": {"type": "LineString", "coordinates": [[119.0, 24.0]]}},
            "details.track",
        ),
        ("navigation_dispute", {"dispute_types": []}, "details.dispute_types"),
        ("navigation_dispute", {"dispute_types": ["piracy"]}, "details.dispute_types"),
    ],
)
def test_invalid_details_are_refused_naming_the_detail(curator, kind, details, path):
    with pytest.raises(ValidationError) as refused:
        services.create_incident(incident_document(kind, details=details), by=curator)

    assert path in refused.value.message_dict


def test_a_crossing_track_is_analysed_on_save(curator):
    track = {"type": "LineString", "coordinates": [[119.0, 24.5], [120.5, 24.0]]}
    document = incident_document(
        "median_line_crossing", details={"aircraft_count": 3, "track": track}
    )

    incident = services.create_incident(document, by=curator)

    crossing = incident.crossing
    assert crossing.track_crossed is True
    assert crossing.track_ends_on == "east"
    assert crossing.track_max_penetration_km > 0
