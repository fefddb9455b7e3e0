"""Admins of sources, platforms, regions, contacts and the change feed."""

import pytest
from django.urls import reverse

from incidents.models import ChangeEvent, Contact, Incident, Platform, Source
from tests.factories import IncidentFactory

pytestmark = pytest.mark.django_db


def test_changing_a_sources_type_updates_the_verification_of_its_incidents(client, curator):
    incident = IncidentFactory()
    source = incident.citations.get().source
    client.force_login(curator)
    data = {
        "url": source.url,
        "publisher": source.publisher,
        "title": source.title,
        "published_on": "2023-05-27",
        "type": "official",
    }

    response = client.post(reverse("admin:incidents_source_change", args=[source.pk]), data)

    assert response.status_code == 302
    incident = Incident.objects.get(pk=incident.pk)
    assert (incident.verification, incident.version) == ("confirmed", 2)
    assert Source.history.filter(id=source.pk).latest().history_user == curator


def test_a_curator_adds_a_source_to_cite(client, curator):
    client.force_login(curator)
    data = {
        "url": "https://www.mnd.gov.tw/report",
        "publisher": "Taiwan MND",
        "title": "PLA activities",
        "published_on": "",
        "type": "official",
    }

    response = client.post(reverse("admin:incidents_source_add"), data)

    assert response.status_code == 302
    assert Source.objects.get().publisher == "Taiwan MND"


def test_a_source_with_a_non_http_url_is_refused(client, curator):
    client.force_login(curator)
    data = {"url": "ftp://example.org/x", "publisher": "X", "type": "media"}

    response = client.post(reverse("admin:incidents_source_add"), data)

    assert response.status_code == 200
    assert not Source.objects.exists()


def test_source_autocomplete_finds_a_source_by_publisher(client, curator):
    IncidentFactory()
    client.force_login(curator)

    response = client.get(
        reverse("admin:autocomplete"),
        {
            "app_label": "incidents",
            "model_name": "citation",
            "field_name": "source",
            "term": "Example News",
        },
    )

    assert [r["text"] for r in response.json()["results"]][0].startswith("Example News")


def test_region_autocomplete_answers_a_curator(client, curator):
    client.force_login(curator)

    response = client.get(
        reverse("admin:autocomplete"),
        {
            "app_label": "incidents",
            "model_name": "incident",
            "field_name": "region",
            "term": "strait",
        },
    )

    assert [r["id"] for r in response.json()["results"]] == ["taiwan-strait"]


def test_a_curator_adds_a_platform(client, curator):
    client.force_login(curator)
    data = {"slug": "j-16", "name": "J-16", "category": "fighter", "domain": "air", "country": "CN"}

    client.post(reverse("admin:incidents_platform_add"), data)

    assert Platform.objects.get().history.get().history_user == curator


def test_a_curator_adds_a_contact_with_its_parties(client, curator):
    client.force_login(curator)
    data = {
        "external_id": "",
        "occurred_on": "2023-11-15",
        "kind": "summit",
        "title": "Woodside summit",
        "summary": "",
        "parties": "us, CN",
    }

    response = client.post(reverse("admin:incidents_contact_add"), data)

    assert response.status_code == 302
    assert Contact.objects.get().parties == ["US", "CN"]


def test_a_contact_with_an_unknown_country_code_is_refused(client, curator):
    client.force_login(curator)
    data = {"occurred_on": "2023-11-15", "kind": "call", "title": "Call", "parties": "US, XX"}

    response = client.post(reverse("admin:incidents_contact_add"), data)

    assert response.context["adminform"].form.errors["parties"] == [
        "Item 1: 'XX' is not an upper-case ISO 3166-1 alpha-2 code."
    ]


def test_the_change_feed_is_read_only_even_for_a_superuser(client, superuser):
    IncidentFactory(status="published")
    event = ChangeEvent.objects.get()
    client.force_login(superuser)

    listing = client.get(reverse("admin:incidents_changeevent_changelist"), {"q": "abc"})
    change = client.post(
        reverse("admin:incidents_changeevent_change", args=[event.pk]), {"action": "deleted"}
    )

    assert listing.status_code == 200
    assert change.status_code == 403
    assert ChangeEvent.objects.get().action == "published"


def test_a_historical_version_of_an_incident_can_be_viewed(client, superuser):
    incident = IncidentFactory()
    record = incident.history.get()
    client.force_login(superuser)

    response = client.get(
        reverse("admin:incidents_incident_simple_history", args=[incident.pk, record.pk])
    )

    assert response.status_code == 200
    assert incident.title in response.content.decode()
