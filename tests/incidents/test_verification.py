"""`verification` follows the cited sources through every write path (SPEC §1)."""

import pytest

from incidents import services
from incidents.models import Incident
from incidents.selectors import incident_document
from incidents.services.verification import derive_verification
from tests.factories import IncidentFactory
from tests.factories import incident_document as new_document

pytestmark = pytest.mark.django_db


def _source(n: int, publisher: str, type_: str = "media") -> dict:
    return {
        "url": f"https://example.org/verification/{n}",
        "publisher": publisher,
        "title": f"Report {n}",
        "published_on": None,
        "type": type_,
    }


@pytest.mark.parametrize(
    ("sources", "disputed", "expected"),
    [
        ([], False, "unverified"),
        ([("media", "Reuters")], False, "unverified"),
        ([("media", "Reuters"), ("media", " reuters ")], False, "unverified"),
        ([("media", "Reuters"), ("research", "CSIS")], False, "corroborated"),
        ([("official", "Japan Ministry of Defense")], False, "confirmed"),
        ([("media", "Reuters"), ("official", "US INDOPACOM")], False, "confirmed"),
        ([("official", "US INDOPACOM")], True, "disputed"),
    ],
)
def test_verification_is_derived_from_source_types_and_publishers(sources, disputed, expected):
    assert derive_verification(sources, disputed=disputed) == expected


def test_a_new_incident_with_one_publisher_is_unverified(curator):
    incident = services.create_incident(new_document(sources=[_source(1, "AP")]), by=curator)

    assert incident.verification == "unverified"


def test_citing_a_second_publisher_corroborates_the_incident(curator):
    incident = services.create_incident(new_document(sources=[_source(1, "AP")]), by=curator)
    document = incident_document(incident.pk)
    document["sources"].append(_source(2, "Reuters"))

    incident = services.update_incident(incident, document, by=curator)

    assert incident.verification == "corroborated"


def test_removing_the_official_source_lowers_confirmed_to_unverified(curator):
    document = new_document(sources=[_source(1, "AP"), _source(2, "MND", "official")])
    incident = services.create_incident(document, by=curator)
    document = incident_document(incident.pk)
    document["sources"] = [s for s in document["sources"] if s["type"] != "official"]

    incident = services.update_incident(incident, document, by=curator)

    assert incident.verification == "unverified"


def test_changing_a_source_type_reverifies_every_incident_citing_it(curator):
    shared = _source(1, "Ministry")
    first = services.create_incident(new_document(sources=[shared]), by=curator)
    second = services.create_incident(new_document(sources=[shared]), by=curator)
    source = first.citations.get().source

    services.update_source(source, {"type": "official"}, by=curator)

    assert set(Incident.objects.values_list("verification", flat=True)) == {"confirmed"}
    assert {first.pk, second.pk} == set(Incident.objects.values_list("pk", flat=True))


def test_a_source_changed_through_another_incident_reverifies_the_first(curator):
    first = services.create_incident(new_document(sources=[_source(1, "AP")]), by=curator)

    services.create_incident(new_document(sources=[_source(1, "AP", "official")]), by=curator)

    assert Incident.objects.get(pk=first.pk).verification == "confirmed"


def test_disputed_flag_overrides_and_clearing_it_restores_the_derived_value(curator):
    incident = IncidentFactory(sources=[_source(1, "MND", "official")])

    disputed = services.set_disputed(incident, True, by=curator)
    cleared = services.set_disputed(incident, False, by=curator)

    assert disputed.verification == "disputed"
    assert cleared.verification == "confirmed"
