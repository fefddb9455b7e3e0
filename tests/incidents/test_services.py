"""The curation services: one code path for create, publish, retract, dispute, delete."""

import pytest
from django.core.exceptions import ValidationError

from incidents import services
from incidents.models import ChangeEvent, Incident
from tests.factories import IncidentFactory, incident_document

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
