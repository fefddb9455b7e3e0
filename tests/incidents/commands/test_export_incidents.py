"""`manage.py export_incidents`: the interchange format out; export -> import reproduces it."""

import csv
import io
import json

import pytest
from django.conf import settings
from django.core.management import CommandError, call_command

from incidents import services
from incidents.interchange import CSV_COLUMNS
from incidents.models import Contact, Incident, Platform, Source
from incidents.selectors import documents_for
from incidents.services.importing import import_data, import_file
from tests.factories import SourceFactory, incident_document

pytestmark = pytest.mark.django_db

TRACK = {"type": "LineString", "coordinates": [[118.5, 24.0], [120.5, 24.0], [119.0, 25.0]]}
VOLATILE = {"id", "created_at", "updated_at"}


def _export(*args) -> str:
    out = io.StringIO()
    call_command("export_incidents", *args, stdout=out)
    return out.getvalue()


def _api_output() -> list[dict]:
    """What the API serves of every incident, less what a new database numbers anew."""
    documents = documents_for(Incident.objects.order_by("external_id"))
    return [{k: v for k, v in d.items() if k not in VOLATILE} for d in documents]


@pytest.fixture
def registry(reviewer):
    """Every shape a record can take: each kind, a track, statuses, a dispute, shared sources."""
    crossing = incident_document(kind="median_line_crossing", region="taiwan-strait")
    crossing["details"]["track"] = TRACK
    retracted = incident_document(
        status="retracted", retraction_reason="The source withdrew it.", title="=1+2 formula-like"
    )
    shared = incident_document(kind="navigation_dispute", verification="disputed")
    shared["sources"].append(dict(retracted["sources"][0], quote="They said so."))
    platform = {"slug": "j-11", "name": "Shenyang J-11", "category": "fighter", "domain": "air"}
    intercept = incident_document(status="published", summary="- a line\nand another")
    intercept["participants"][0]["platform"] = "j-11"
    report = import_data(
        {
            "platforms": [platform],
            "incidents": [crossing, retracted, shared, intercept, incident_document()],
        },
        by=reviewer,
    )
    assert report.ok, report.problems
    services.create_incident(incident_document(external_id=None), by=reviewer)


def _flush(*, platforms: bool) -> None:
    Incident.objects.all().delete()
    Contact.objects.all().delete()
    Source.objects.all().delete()
    if platforms:
        Platform.objects.all().delete()


def test_the_json_export_is_the_interchange_format(registry):
    exported = json.loads(_export("--format", "json"))

    assert list(exported) == ["platforms", "incidents", "contacts"]
    assert exported["platforms"] == [
        {
            "slug": "j-11",
            "name": "Shenyang J-11",
            "category": "fighter",
            "domain": "air",
            "country": None,
        }
    ]
    assert exported["incidents"] == documents_for(Incident.objects.order_by("id"))


def test_json_export_then_import_into_an_empty_database_gives_identical_api_output(
    registry, tmp_path
):
    before = _api_output()
    path = tmp_path / "registry.json"
    call_command("export_incidents", "--format", "json", "--output", str(path))
    _flush(platforms=True)

    report = import_file(path)

    assert report.ok, report.problems
    assert _api_output() == before


def test_sources_nothing_cites_travel_in_their_own_section_and_come_back(registry, tmp_path):
    """Entered ahead of use, or left by a deleted draft: only this section can carry them."""
    SourceFactory(url="https://ahead.example.org/1", title="Not cited yet", type="official")
    cited = set(Source.objects.exclude(url="https://ahead.example.org/1").values_list("url"))
    path = tmp_path / "registry.json"
    call_command("export_incidents", "--format", "json", "--output", str(path))
    exported = json.loads(path.read_text())
    before = _api_output()
    _flush(platforms=True)

    report = import_file(path)

    assert list(exported) == ["platforms", "sources", "incidents", "contacts"]
    assert [s["url"] for s in exported["sources"]] == ["https://ahead.example.org/1"]
    assert report.ok, report.problems
    assert _api_output() == before
    assert set(Source.objects.values_list("url")) == cited | {("https://ahead.example.org/1",)}
    assert Source.objects.get(url="https://ahead.example.org/1").type == "official"


def test_the_real_dataset_survives_an_export_and_import_round_trip(tmp_path):
    assert import_file(settings.BASE_DIR / "data" / "incidents.json").ok
    before = _api_output()
    contacts = json.loads(_export())["contacts"]
    path = tmp_path / "registry.json"
    call_command("export_incidents", "--output", str(path))
    _flush(platforms=True)

    report = import_file(path)

    assert (report.ok, report.created, report.contacts_created) == (True, 232, 12)
    assert _api_output() == before
    assert json.loads(_export())["contacts"] == contacts


def test_csv_export_then_import_gives_identical_api_output(registry, tmp_path):
    before = _api_output()
    path = tmp_path / "registry.csv"
    call_command("export_incidents", "--format", "csv", "--output", str(path))
    _flush(platforms=False)

    report = import_file(path)

    assert report.ok, report.problems
    assert _api_output() == before


def test_the_csv_export_has_the_interchange_columns_and_neutralises_formulas(registry):
    rows = list(csv.reader(io.StringIO(_export("--format", "csv"))))

    assert rows[0] == CSV_COLUMNS
    assert len(rows) == 1 + Incident.objects.count()
    assert "'=1+2 formula-like" in {row[CSV_COLUMNS.index("title")] for row in rows[1:]}


@pytest.mark.parametrize(
    "args, expected",
    [
        (["--kind", "median_line_crossing"], {"median_line_crossing"}),
        (
            ["--kind", "intercept", "--kind", "navigation_dispute"],
            {"intercept", "navigation_dispute"},
        ),
    ],
)
def test_export_filters_by_kind(registry, args, expected):
    exported = json.loads(_export(*args))

    assert {d["kind"] for d in exported["incidents"]} == expected


def test_export_filters_by_status_region_and_dates(registry):
    exported = json.loads(
        _export(
            "--status",
            "published",
            "--region",
            "south-china-sea",
            "--occurred-after",
            "2023-05-26",
            "--occurred-before",
            "2023-05-26",
        )
    )

    assert [d["status"] for d in exported["incidents"]] == ["published"]


def test_an_unknown_region_is_refused():
    with pytest.raises(CommandError, match="Unknown region"):
        _export("--region", "atlantis")
