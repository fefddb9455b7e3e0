"""Curation actions of the incident admin: publish, retract, dispute, delete, via the services."""

import pytest
from django.contrib.admin.helpers import ACTION_CHECKBOX_NAME
from django.contrib.messages import get_messages
from django.urls import reverse

from incidents import services
from incidents.models import Incident
from tests.factories import IncidentFactory, incident_document

pytestmark = pytest.mark.django_db


CHANGELIST = reverse("admin:incidents_incident_changelist")


def run_action(client, action: str, incidents, **extra):
    data = {"action": action, "index": "0", ACTION_CHECKBOX_NAME: [i.pk for i in incidents]}
    return client.post(CHANGELIST, {**data, **extra}, follow=True)


def confirm_action(client, action: str, incidents, **fields):
    """The POST of an action's intermediate page (no `index`, like Django's own)."""
    data = {"action": action, ACTION_CHECKBOX_NAME: [i.pk for i in incidents], **fields}
    return client.post(CHANGELIST, data, follow=True)


def texts(response) -> list[str]:
    return [str(message) for message in get_messages(response.wsgi_request)]


def status_of(incident) -> str:
    return Incident.objects.get(pk=incident.pk).status


def test_bulk_publish_refuses_an_unsourced_incident_by_name_and_publishes_the_rest(
    client, reviewer
):
    sourced = IncidentFactory()
    unsourced = services.create_incident(
        incident_document(title="Unsourced report", sources=[]), by=reviewer
    )
    client.force_login(reviewer)

    response = run_action(client, "publish_selected", [sourced, unsourced])

    assert (status_of(sourced), status_of(unsourced)) == ("published", "draft")
    assert texts(response) == [
        f"“Unsourced report” (#{unsourced.pk}) was not published: Cite at least one source.",
        "Published 1 incident.",
    ]


def test_a_curator_is_not_offered_publish_or_retract(client, curator):
    IncidentFactory()
    client.force_login(curator)

    response = client.get(CHANGELIST)

    actions = [name for name, _ in response.context["action_form"].fields["action"].choices]
    assert "publish_selected" not in actions and "retract_selected" not in actions
    assert {"mark_disputed", "clear_disputed"} <= set(actions)
    assert "delete_selected" not in actions and "delete_selected_incidents" not in actions


def test_a_curator_posting_the_publish_action_publishes_nothing(client, curator):
    incident = IncidentFactory()
    client.force_login(curator)

    run_action(client, "publish_selected", [incident])

    assert status_of(incident) == "draft"


def test_retract_action_asks_for_a_reason_first(client, reviewer):
    incident = IncidentFactory(status="published")
    client.force_login(reviewer)

    response = run_action(client, "retract_selected", [incident])

    assert response.templates[0].name == "admin/incidents/incident/retract.html"
    assert status_of(incident) == "published"


def test_retract_action_without_a_reason_is_shown_again_with_an_error(client, reviewer):
    incident = IncidentFactory(status="published")
    client.force_login(reviewer)

    response = confirm_action(client, "retract_selected", [incident], apply="1", reason="  ")

    assert response.context["form"].errors["reason"] == ["This field is required."]
    assert status_of(incident) == "published"


def test_retract_action_with_a_reason_retracts_and_names_a_refused_draft(client, reviewer):
    published = IncidentFactory(status="published")
    draft = IncidentFactory(title="Still a draft")
    client.force_login(reviewer)

    response = confirm_action(
        client, "retract_selected", [published, draft], apply="1", reason="Source withdrew it."
    )

    published.refresh_from_db()
    assert (published.status, published.retraction_reason) == ("retracted", "Source withdrew it.")
    assert texts(response) == [
        f"“Still a draft” (#{draft.pk}) was not retracted: "
        "Only a published incident can be retracted; this one is draft.",
        "Retracted 1 incident.",
    ]


def test_mark_and_clear_disputed_override_the_derived_verification(client, curator):
    incident = IncidentFactory()
    client.force_login(curator)

    run_action(client, "mark_disputed", [incident])
    marked = Incident.objects.get(pk=incident.pk).verification
    run_action(client, "clear_disputed", [incident])

    assert (marked, Incident.objects.get(pk=incident.pk).verification) == (
        "disputed",
        "unverified",
    )


def test_delete_action_deletes_drafts_and_refuses_published_ones_by_name(client, reviewer):
    draft = IncidentFactory()
    published = IncidentFactory(status="published", title="On the record")
    client.force_login(reviewer)

    response = confirm_action(client, "delete_selected_incidents", [draft, published], post="yes")

    assert list(Incident.objects.values_list("pk", flat=True)) == [published.pk]
    assert texts(response)[0] == (
        f"“On the record” (#{published.pk}) was not deleted: "
        "A published incident is not deleted: retract it, with a reason."
    )


def test_delete_page_of_a_published_incident_refuses_and_keeps_it(client, reviewer):
    incident = IncidentFactory(status="published")
    client.force_login(reviewer)
    url = reverse("admin:incidents_incident_delete", args=[incident.pk])

    response = client.post(url, {"post": "yes"}, follow=True)

    assert status_of(incident) == "published"
    assert "retract it" in texts(response)[0]


def test_publish_and_retract_buttons_on_the_change_page(client, reviewer):
    incident = IncidentFactory()
    client.force_login(reviewer)

    client.post(reverse("admin:incidents_incident_publish", args=[incident.pk]))
    published = status_of(incident)
    client.post(
        reverse("admin:incidents_incident_retract", args=[incident.pk]),
        {"reason": "Duplicate of another record."},
    )

    assert (published, status_of(incident)) == ("published", "retracted")


def test_a_curator_cannot_use_the_publish_button(client, curator):
    incident = IncidentFactory()
    client.force_login(curator)

    response = client.post(reverse("admin:incidents_incident_publish", args=[incident.pk]))

    assert response.status_code == 403
    assert status_of(incident) == "draft"
