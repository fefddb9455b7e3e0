"""Possible duplicates (SPEC §3) are shown in the admin before a curator saves."""

import pytest

from incidents.models import Incident
from tests.factories import IncidentFactory, SourceFactory
from tests.incidents.test_admin import ADD, add_form_data, change_form_data, change_url

pytestmark = pytest.mark.django_db


def test_possible_duplicates_are_shown_before_saving_and_nothing_is_saved(client, curator):
    existing = IncidentFactory(occurred_on="2022-05-25", title="Same event, other report")
    client.force_login(curator)

    response = client.post(ADD, add_form_data(SourceFactory()))

    assert response.status_code == 200
    assert [d["label"] for d in response.context["duplicates"]] == [
        f"“Same event, other report” (#{existing.pk})"
    ]
    assert 'name="_confirm_duplicates"' in response.content.decode()
    assert Incident.objects.count() == 1


def test_ticking_save_anyway_saves_a_possible_duplicate(client, curator):
    IncidentFactory(occurred_on="2022-05-25")
    client.force_login(curator)

    response = client.post(ADD, add_form_data(SourceFactory(), _confirm_duplicates="1"))

    assert response.status_code == 302
    assert Incident.objects.count() == 2


def test_citing_another_incidents_source_is_a_possible_duplicate(client, curator):
    existing = IncidentFactory(occurred_on="2019-01-01", region="east-china-sea")
    client.force_login(curator)

    response = client.post(ADD, add_form_data(existing.citations.get().source))

    assert response.context["duplicates"][0]["reason"].startswith("shares the source")


def test_an_edit_warns_only_about_duplicates_it_brings_about(client, curator):
    first = IncidentFactory()
    second = IncidentFactory()  # same kind, region and day: already a possible duplicate
    client.force_login(curator)

    unchanged_pair = client.post(change_url(second), change_form_data(second, title="Edited"))
    moved = client.post(
        change_url(first), change_form_data(first, occurred_on="2021-03-03", title="Moved")
    )
    third = IncidentFactory(occurred_on="2020-07-07")
    onto_third = client.post(change_url(first), change_form_data(first, occurred_on="2020-07-08"))

    assert unchanged_pair.status_code == 302
    assert moved.status_code == 302
    assert [d["url"] for d in onto_third.context["duplicates"]] == [change_url(third)]
    assert Incident.objects.get(pk=first.pk).occurred_on.isoformat() == "2021-03-03"


def test_the_change_page_lists_known_possible_duplicates(client, curator):
    first = IncidentFactory()
    second = IncidentFactory()
    client.force_login(curator)

    response = client.get(change_url(first))

    assert [d["url"] for d in response.context["known_duplicates"]] == [change_url(second)]
