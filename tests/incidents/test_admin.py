"""The incident admin: changelist, change form through the services, stale saves, history."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from incidents import services
from incidents.models import Citation, Incident, Participant
from tests.factories import IncidentFactory, PlatformFactory, SourceFactory, incident_document

pytestmark = pytest.mark.django_db


CHANGELIST = reverse("admin:incidents_incident_changelist")
ADD = reverse("admin:incidents_incident_add")


def change_url(incident) -> str:
    return reverse("admin:incidents_incident_change", args=[incident.pk])


def management(prefix: str, total: int, initial: int = 0) -> dict:
    return {
        f"{prefix}-TOTAL_FORMS": str(total),
        f"{prefix}-INITIAL_FORMS": str(initial),
        f"{prefix}-MIN_NUM_FORMS": "0",
        f"{prefix}-MAX_NUM_FORMS": "1000",
    }


def add_form_data(source, **overrides) -> dict:
    """What a curator submits on the add page: an intercept, one participant, one citation."""
    data = {
        "kind": "intercept",
        "title": "PLA J-16 intercepts RAAF P-8A",
        "summary": "Chaff released ahead of the aircraft.",
        "external_id": "",
        "occurred_on": "2022-05-26",
        "occurred_at_0": "",
        "occurred_at_1": "",
        "date_precision": "day",
        "region": "south-china-sea",
        "location_name": "",
        "latitude": "",
        "longitude": "",
        "conduct": "unsafe",
        "version": "",
        **management("participants", 1),
        "participants-0-country": "cn",
        "participants-0-role": "initiator",
        "participants-0-force": "PLA Air Force",
        "participants-0-platform": "",
        "participants-0-platform_detail": "J-16",
        "participants-0-count": "1",
        **management("citations", 1),
        "citations-0-source": str(source.pk),
        "citations-0-quote": "released a bundle of chaff",
        **management("intercept", 1),
        "intercept-0-domain": "air",
        "intercept-0-closest_approach_m": "",
        "intercept-0-closest_approach_text": "",
        "intercept-0-maneuvers": "flew close alongside\nreleased chaff",
        **management("crossing", 0),
        **management("dispute", 0),
    }
    data.update(overrides)
    return data


def change_form_data(incident: Incident, **overrides) -> dict:
    """What the change page of `incident` submits unchanged (its hidden version included)."""
    incident = Incident.objects.get(pk=incident.pk)
    participants = list(incident.participants.all())
    citations = list(incident.citations.all())
    data = {
        "kind": incident.kind,
        "title": incident.title,
        "summary": incident.summary,
        "external_id": incident.external_id or "",
        "occurred_on": incident.occurred_on.isoformat(),
        "occurred_at_0": "",
        "occurred_at_1": "",
        "date_precision": incident.date_precision,
        "region": incident.region_id,
        "location_name": incident.location_name or "",
        "latitude": "",
        "longitude": "",
        "conduct": incident.conduct,
        "version": str(incident.version),
        **management("participants", len(participants), len(participants)),
        **management("citations", len(citations), len(citations)),
        **management("intercept", 1, 1),
        **management("crossing", 0),
        **management("dispute", 0),
    }
    for index, p in enumerate(participants):
        prefix = f"participants-{index}-"
        data.update(
            {
                prefix + "id": str(p.pk),
                prefix + "incident": str(incident.pk),
                prefix + "country": p.country,
                prefix + "role": p.role,
                prefix + "force": p.force,
                prefix + "platform": str(p.platform_id or ""),
                prefix + "platform_detail": p.platform_detail or "",
                prefix + "count": str(p.count),
            }
        )
    for index, c in enumerate(citations):
        prefix = f"citations-{index}-"
        data.update(
            {
                prefix + "id": str(c.pk),
                prefix + "incident": str(incident.pk),
                prefix + "source": str(c.source_id),
                prefix + "quote": c.quote,
            }
        )
    details = incident.intercept
    data.update(
        {
            "intercept-0-incident": str(incident.pk),
            "intercept-0-domain": details.domain,
            "intercept-0-closest_approach_m": str(details.closest_approach_m or ""),
            "intercept-0-closest_approach_text": details.closest_approach_text,
            "intercept-0-maneuvers": "\n".join(details.maneuvers),
        }
    )
    data.update(overrides)
    return data


@pytest.mark.parametrize(
    "query",
    [
        "",
        "kind__exact=intercept",
        "region__slug__exact=south-china-sea",
        "status__exact=draft",
        "verification__exact=unverified",
        "conduct__exact=unsafe",
        "country=CN",
        "occurred_on__year=2023",
        "q=news.example.org",
    ],
)
def test_curator_sees_the_changelist_with_each_filter(client, curator, query):
    incident = IncidentFactory()
    client.force_login(curator)

    response = client.get(f"{CHANGELIST}?{query}")

    assert response.status_code == 200
    assert list(response.context["cl"].result_list) == [incident]


def test_participant_country_filter_leaves_out_incidents_without_that_country(client, curator):
    IncidentFactory()
    client.force_login(curator)

    response = client.get(f"{CHANGELIST}?country=PH")

    assert list(response.context["cl"].result_list) == []


def test_searching_a_source_url_lists_an_incident_once_with_its_source_count(client, curator):
    document = incident_document()
    document["sources"].append({**document["sources"][0], "url": "https://news.example.org/x"})
    incident = services.create_incident(document, by=curator)
    client.force_login(curator)

    response = client.get(f"{CHANGELIST}?q=news.example.org")

    assert [(i.pk, i.source_count) for i in response.context["cl"].result_list] == [
        (incident.pk, 2)
    ]


def _changelist_queries(client) -> int:
    with CaptureQueriesContext(connection) as queries:
        assert client.get(CHANGELIST).status_code == 200
    return len(queries)


def test_changelist_runs_the_same_number_of_queries_for_2_or_6_incidents(client, curator):
    client.force_login(curator)
    IncidentFactory.create_batch(2)
    with_two = _changelist_queries(client)

    IncidentFactory.create_batch(4)

    assert _changelist_queries(client) == with_two


def test_add_form_renders_the_inlines_for_participants_citations_and_details(client, curator):
    client.force_login(curator)

    response = client.get(ADD)

    prefixes = [inline.formset.prefix for inline in response.context["inline_admin_formsets"]]
    assert prefixes == ["participants", "citations", "intercept", "crossing", "dispute"]


def test_change_form_renders_with_its_inlines_filled_in(client, curator):
    incident = IncidentFactory()
    client.force_login(curator)

    response = client.get(change_url(incident))

    assert response.status_code == 200
    assert response.context["adminform"].form["version"].value() == incident.version
    assert b"PLA Navy" in response.content and b"within 100 feet" in response.content


def test_curator_creates_an_incident_with_a_participant_and_a_citation(client, curator):
    source = SourceFactory(type="official")
    platform = PlatformFactory(slug="j-16", name="J-16")
    client.force_login(curator)

    response = client.post(ADD, add_form_data(source, **{"participants-0-platform": platform.pk}))

    assert response.status_code == 302, response.context and response.context["errors"]
    incident = Incident.objects.get()
    assert (incident.status, incident.verification) == ("draft", "confirmed")
    assert list(incident.participants.values_list("country", "role", "platform__slug")) == [
        ("CN", "initiator", "j-16")
    ]
    assert list(incident.citations.values_list("source", "quote")) == [
        (source.pk, "released a bundle of chaff")
    ]
    assert incident.intercept.maneuvers == ["flew close alongside", "released chaff"]
    assert incident.history.get().history_user == curator


def test_a_refused_document_shows_each_error_where_it_belongs_and_saves_nothing(client, curator):
    source = SourceFactory()
    client.force_login(curator)
    data = add_form_data(source, latitude="10.5", **{"participants-0-role": "target"})

    response = client.post(ADD, data)

    assert response.status_code == 200
    assert response.context["adminform"].form.errors["longitude"] == [
        "Give both latitude and longitude, or neither."
    ]
    assert ("longitude", "Give both latitude and longitude, or neither.") in response.context[
        "refusal"
    ].listed()
    assert not Incident.objects.exists() and not Participant.objects.exists()


def test_a_service_error_on_an_inline_lands_on_that_inline_form(client, curator):
    source = SourceFactory()
    client.force_login(curator)
    data = add_form_data(
        source,
        kind="navigation_dispute",
        **management("intercept", 0),
        **management("dispute", 1),
        **{"dispute-0-feature": "Second Thomas Shoal", "dispute-0-zone": "eez"},
    )

    response = client.post(ADD, data)

    dispute_formset = response.context["inline_admin_formsets"][4].formset
    assert dispute_formset.forms[0].errors["dispute_types"][0].startswith("Must be a non-empty")
    assert not Incident.objects.exists()


def test_a_change_saves_through_the_services_and_bumps_the_version(client, curator):
    incident = IncidentFactory()
    client.force_login(curator)

    response = client.post(change_url(incident), change_form_data(incident, title="Renamed"))

    assert response.status_code == 302
    incident.refresh_from_db()
    assert (incident.title, incident.version) == ("Renamed", 2)


def test_a_stale_change_form_is_refused_and_changes_nothing(client, curator, reviewer):
    incident = IncidentFactory()
    stale = change_form_data(incident, title="Curator's edit")
    services.update_incident(incident, incident_document(title="Reviewer's edit"), by=reviewer)
    client.force_login(curator)

    response = client.post(change_url(incident), stale)

    assert response.status_code == 200
    assert "Someone else saved this incident" in str(response.context["adminform"].form.errors)
    incident.refresh_from_db()
    assert (incident.title, incident.version) == ("Reviewer's edit", 2)


def test_history_page_shows_the_incidents_and_its_childrens_changes(client, curator):
    incident = IncidentFactory(by=curator)
    client.force_login(curator)
    client.post(
        change_url(incident),
        change_form_data(incident, title="Renamed", **{"participants-0-force": "PLA Air Force"}),
    )

    response = client.get(reverse("admin:incidents_incident_history", args=[incident.pk]))

    assert response.status_code == 200
    content = response.content.decode()
    assert "Renamed" in content and "PLA Air Force" in content
    child_rows = response.context["child_changes"]
    assert {(row["what"], row["action"]) for row in child_rows} >= {
        ("participant", "added"),
        ("participant", "removed"),
        ("cited source", "added"),
    }
    assert all(row["user"] == curator for row in child_rows)


def test_reverting_from_the_history_page_is_not_possible(client, superuser):
    incident = IncidentFactory()
    record = incident.history.get()
    client.force_login(superuser)
    url = reverse("admin:incidents_incident_simple_history", args=[incident.pk, record.pk])

    response = client.post(url, {"title": "Reverted"})

    assert response.status_code == 405
    assert Citation.objects.filter(incident=incident).exists()


def test_a_median_line_crossing_with_a_track_gets_its_analysis(client, curator):
    client.force_login(curator)
    track = '{"type": "LineString", "coordinates": [[118.5, 24.0], [121.0, 24.0]]}'
    data = add_form_data(
        SourceFactory(),
        kind="median_line_crossing",
        region="taiwan-strait",
        **management("intercept", 0),
        **management("crossing", 1),
        **{
            "crossing-0-aircraft_count": "12",
            "crossing-0-vessel_count": "",
            "crossing-0-aircraft_total_reported": "",
            "crossing-0-period_start": "2022-05-25",
            "crossing-0-period_end": "2022-05-26",
            "crossing-0-track": track,
        },
    )

    response = client.post(ADD, data)

    assert response.status_code == 302
    crossing = Incident.objects.get().crossing
    assert (crossing.aircraft_count, crossing.track_crossed, crossing.track_ends_on) == (
        12,
        True,
        "east",
    )


def test_a_navigation_dispute_keeps_its_ticked_dispute_types(client, curator):
    client.force_login(curator)
    data = add_form_data(
        SourceFactory(),
        kind="navigation_dispute",
        **management("intercept", 0),
        **management("dispute", 1),
        **{
            "dispute-0-dispute_types": ["blocking", "water_cannon"],
            "dispute-0-feature": "Second Thomas Shoal",
            "dispute-0-zone": "eez",
        },
    )

    response = client.post(ADD, data)

    assert response.status_code == 302
    assert Incident.objects.get().dispute.dispute_types == ["blocking", "water_cannon"]
