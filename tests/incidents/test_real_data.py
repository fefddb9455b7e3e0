"""The real incidents the registry ships (data/incidents.json) import whole, and only once."""

import json
from urllib.parse import urlsplit

import pytest
from django.conf import settings

from incidents.models import ChangeEvent, Contact, Incident, Platform, Source
from incidents.services.importing import import_file
from incidents.services.validation import Lookups, clean_incident

pytestmark = pytest.mark.django_db

DATA = settings.BASE_DIR / "data" / "incidents.json"


@pytest.fixture(scope="module")
def dataset() -> dict:
    return json.loads(DATA.read_text(encoding="utf-8"))


@pytest.fixture
def imported():
    report = import_file(DATA)
    assert report.ok, [str(problem) for problem in report.problems[:10]]
    return report


def test_the_dataset_imports_whole(imported):
    assert (imported.created, imported.platforms_created, imported.contacts_created) == (
        232,
        33,
        12,
    )
    assert Incident.objects.count() == 232
    assert Contact.objects.count() == 12
    assert Platform.objects.count() == 33


def test_every_record_validates_on_its_own(imported, dataset):
    lookups = Lookups.load()

    for record in dataset["incidents"]:
        clean_incident(record, lookups=lookups, accept_status=True)


def test_every_incident_cites_at_least_one_http_source(dataset):
    for record in dataset["incidents"]:
        schemes = {urlsplit(source["url"]).scheme for source in record["sources"]}
        assert schemes and schemes <= {"http", "https"}, record["external_id"]


def test_every_incident_is_stored_published_with_a_source(imported):
    assert set(Incident.objects.values_list("status", flat=True)) == {"published"}
    assert not Incident.objects.filter(citations__isnull=True).exists()


def test_importing_the_dataset_again_changes_nothing(imported):
    counts = (
        Incident.history.count(),
        Source.history.count(),
        Contact.history.count(),
        ChangeEvent.objects.count(),
    )
    versions = list(Incident.objects.order_by("id").values_list("id", "version", "updated_at"))

    again = import_file(DATA)

    assert (again.ok, again.created, again.updated, again.unchanged) == (True, 0, 0, 232)
    assert (again.contacts_unchanged, again.platforms_created, again.platforms_updated) == (
        12,
        0,
        0,
    )
    assert (
        Incident.history.count(),
        Source.history.count(),
        Contact.history.count(),
        ChangeEvent.objects.count(),
    ) == counts
    assert list(Incident.objects.order_by("id").values_list("id", "version", "updated_at")) == (
        versions
    )


def test_a_dry_run_flags_no_consecutive_daily_report_as_a_duplicate():
    report = import_file(DATA, dry_run=True)

    assert report.ok
    assert not [notice for notice in report.duplicates if "(mnd-" in notice]
