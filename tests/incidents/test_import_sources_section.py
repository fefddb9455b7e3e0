"""The `sources` section of the JSON interchange: sources nothing in the file cites.

A curator may enter a source before citing it, and a deleted draft leaves its sources behind;
`export_incidents` writes such sources in this section so a backup keeps them, and the importer
upserts them on url like any other vocabulary.
"""

import pytest

from incidents.models import Incident, Source
from incidents.services.importing import import_data
from tests.factories import incident_document
from tests.incidents.api.read_fixtures import make, source

pytestmark = pytest.mark.django_db

AHEAD = {
    "url": "https://ahead.example.org/report",
    "publisher": "Ministry of National Defense",
    "title": "PLA activities around Taiwan",
    "published_on": "2024-05-23",
    "type": "official",
}


def test_the_section_creates_its_sources_and_importing_it_again_changes_nothing(curator):
    first = import_data({"sources": [AHEAD]}, by=curator)
    history = Source.history.count()
    again = import_data({"sources": [AHEAD]}, by=curator)

    stored = Source.objects.get(url=AHEAD["url"])
    assert first.ok and (first.sources_created, first.sources_updated) == (1, 0)
    assert (stored.publisher, stored.type, stored.published_on.isoformat()) == (
        "Ministry of National Defense",
        "official",
        "2024-05-23",
    )
    assert stored.history.get().history_user == curator
    assert again.ok and (again.sources_created, again.sources_updated) == (0, 0)
    assert Source.history.count() == history


def test_a_dry_run_reports_the_sources_and_writes_none(curator):
    report = import_data({"sources": [AHEAD]}, by=curator, dry_run=True)

    assert report.ok and report.sources_created == 1
    assert "uncited sources: 1 created" in report.summary()
    assert not Source.objects.exists()


def test_a_changed_source_updates_it_and_the_verification_of_incidents_citing_it(curator):
    row = make(sources=[source(AHEAD["url"], publisher="Ministry of National Defense")])
    assert Incident.objects.get(pk=row.id).verification == "unverified"

    report = import_data({"sources": [AHEAD]}, by=curator)

    assert report.ok and report.sources_updated == 1
    assert Source.objects.get(url=AHEAD["url"]).type == "official"
    assert Incident.objects.get(pk=row.id).verification == "confirmed"


def test_a_source_also_cited_in_the_same_file_is_refused_naming_where(curator):
    cited = incident_document(external_id="cites-it")
    cited["sources"] = [dict(AHEAD, type="media")]

    report = import_data({"incidents": [cited], "sources": [AHEAD]}, by=curator)

    assert [(p.location, p.field) for p in report.problems] == [("source 0", "url")]
    assert "record 0" in report.problems[0].message
    assert not Incident.objects.exists() and not Source.objects.exists()


@pytest.mark.parametrize(
    ("section", "location", "field"),
    [
        ([dict(AHEAD, type="rumour")], "source 0", "type"),
        ([dict(AHEAD, url="ftp://example.org/x")], "source 0", "url"),
        ([{k: v for k, v in AHEAD.items() if k != "publisher"}], "source 0", "publisher"),
        ([AHEAD, dict(AHEAD, title="Twice")], "source 1", "url"),
        ([dict(AHEAD, colour="red")], "source 0", "colour"),
        (["https://ahead.example.org/report"], "source 0", "sources"),
        ({"url": AHEAD["url"]}, "file", "sources"),
    ],
)
def test_a_bad_source_is_refused_naming_its_index_and_field(curator, section, location, field):
    report = import_data({"sources": section, "incidents": [incident_document()]}, by=curator)

    assert (location, field) in [(p.location, p.field) for p in report.problems]
    assert not Source.objects.exists() and not Incident.objects.exists()
