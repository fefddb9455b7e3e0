"""A contact's parties follow one rule whichever way the contact comes in (services.contacts).

The API, the admin and the importer each take a contact; the same parties must be stored or
refused by all three: a non-empty list of upper-case ISO 3166-1 alpha-2 codes, each kept once
in the order given. (The admin's text box upper-cases what a curator types: `us, cn` is the
curator's way of writing ["US", "CN"].)
"""

import pytest
from django.urls import reverse

from incidents.models import Contact
from incidents.services.importing import import_data

pytestmark = pytest.mark.django_db

CONTACT = {"occurred_on": "2023-11-15", "kind": "call", "title": "Defense chiefs' call"}


def _by_api(client, parties):
    response = client.post("/api/v1/contacts/", {**CONTACT, "parties": parties}, format="json")
    if response.status_code == 201:
        return True, None
    assert response.status_code == 400
    errors = response.json()["errors"]
    assert {error["attr"] for error in errors} == {"parties"}
    return False, " ".join(error["detail"] for error in errors)


def _by_admin(client, parties):
    typed = ", ".join(parties) if isinstance(parties, list) else ""
    response = client.post(reverse("admin:incidents_contact_add"), {**CONTACT, "parties": typed})
    if response.status_code == 302:
        return True, None
    form = response.context["adminform"].form
    assert set(form.errors) == {"parties"}
    return False, " ".join(form.errors["parties"])


def _by_import(_client, parties):
    report = import_data({"contacts": [{**CONTACT, "parties": parties}]})
    if report.ok:
        return True, None
    assert {(p.location, p.field.split("[")[0]) for p in report.problems} == {
        ("contact 0", "parties")
    }
    return False, " ".join(p.message for p in report.problems)


WAYS = {"api": _by_api, "admin": _by_admin, "import": _by_import}


@pytest.fixture(params=WAYS)
def take(request, curator, curator_client, client):
    client.force_login(curator)
    http = curator_client if request.param == "api" else client
    return lambda parties: WAYS[request.param](http, parties)


def test_repeated_codes_are_stored_once_in_the_order_given(take):
    assert take(["US", "CN", "US"]) == (True, None)

    assert Contact.objects.get().parties == ["US", "CN"]


@pytest.mark.parametrize("parties", [[], None])
def test_a_contact_without_parties_is_refused(take, parties):
    stored, problem = take(parties)

    assert not stored and not Contact.objects.exists()
    assert problem


def test_an_unknown_code_is_refused_naming_it(take):
    stored, problem = take(["US", "XX"])

    assert not stored and not Contact.objects.exists()
    assert "'XX'" in problem


@pytest.mark.parametrize("way", ["api", "import"])
def test_json_clients_and_files_give_the_codes_upper_case(way, curator_client, curator):
    stored, problem = WAYS[way](curator_client, ["us"])

    assert not stored and "'us'" in problem and "upper-case" in problem
