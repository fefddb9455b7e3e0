"""`manage.py import_incidents FILE`: a report on stdout, problems on stderr, non-zero exit."""

import csv
import io
import json

import pytest
from django.core.management import CommandError, call_command

from incidents.interchange import CSV_COLUMNS
from incidents.models import Incident
from tests.factories import SourceFactory, incident_document

pytestmark = pytest.mark.django_db

SPREADSHEET_COLUMNS = [
    "external_id",
    "kind",
    "title",
    "occurred_on",
    "region",
    "conduct",
    "participants",
    "sources",
    "domain",
    "closest_approach_m",
]


def _run(*args) -> tuple[str, str]:
    out, err = io.StringIO(), io.StringIO()
    call_command("import_incidents", *args, stdout=out, stderr=err, verbosity=0)
    return out.getvalue(), err.getvalue()


def _refused(*args) -> tuple[str, str]:
    out, err = io.StringIO(), io.StringIO()
    with pytest.raises(CommandError) as refused:
        call_command("import_incidents", *args, stdout=out, stderr=err, verbosity=0)
    return err.getvalue(), str(refused.value)


def _spreadsheet(tmp_path, rows: list[dict], *, line_end: str = "\r\n") -> str:
    path = tmp_path / "incidents.csv"
    with path.open("w", encoding="utf-8", newline="") as file:
        writer = csv.DictWriter(file, fieldnames=SPREADSHEET_COLUMNS, lineterminator=line_end)
        writer.writeheader()
        writer.writerows(rows)
    return str(path)


def _row(n: int, **overrides) -> dict:
    row = {
        "external_id": f"sheet-{n}",
        "kind": "intercept",
        "title": f"Intercept {n}",
        "occurred_on": "2023-05-26",
        "region": "south-china-sea",
        "conduct": "unsafe",
        "participants": "CN:initiator:PLA Navy|US:target:US Navy",
        "sources": "https://source.example.org/sheet",
        "domain": "air",
        "closest_approach_m": "30",
    }
    return row | overrides


def test_a_json_file_imports_and_the_report_says_so(tmp_path):
    path = tmp_path / "incidents.json"
    path.write_text(json.dumps({"incidents": [incident_document(), incident_document()]}))

    out, err = _run(str(path))

    assert "incidents: 2 created, 0 updated, 0 unchanged, 0 published" in out
    assert Incident.objects.count() == 2


def test_a_refused_json_file_names_record_and_field_and_writes_nothing(tmp_path):
    bad = incident_document()
    bad["participants"][0]["country"] = "XX"
    path = tmp_path / "incidents.json"
    path.write_text(json.dumps({"incidents": [incident_document(), bad]}))

    err, message = _refused(str(path))

    assert "record 1, participants[0].country: 'XX' is not an upper-case ISO" in err
    assert "nothing was written" in message
    assert Incident.objects.count() == 0


@pytest.mark.parametrize("line_end", ["\r\n", "\n"], ids=["spreadsheet-crlf", "registry-lf"])
def test_a_spreadsheet_with_one_bad_row_is_refused_then_imports_fixed_then_changes_nothing(
    tmp_path, line_end
):
    SourceFactory(url="https://source.example.org/sheet", publisher="Example", type="media")
    rows = [_row(1, title="Two\nlines"), _row(2, occurred_on="26/05/2023"), _row(3)]

    err, _ = _refused(_spreadsheet(tmp_path, rows, line_end=line_end))
    assert err.startswith("line 4, occurred_on: ")  # the file's line: row 1's title spans two
    assert Incident.objects.count() == 0

    rows[1]["occurred_on"] = "2023-05-27"
    out, _ = _run(_spreadsheet(tmp_path, rows, line_end=line_end))
    assert "incidents: 3 created" in out
    assert Incident.objects.get(external_id="sheet-1").title == "Two\nlines"

    out, _ = _run(_spreadsheet(tmp_path, rows, line_end=line_end))
    assert "incidents: 0 created, 0 updated, 3 unchanged" in out


def test_a_csv_source_given_by_url_alone_must_be_in_the_registry(tmp_path):
    err, _ = _refused(_spreadsheet(tmp_path, [_row(1)]))

    assert err.startswith(
        "line 2, sources: https://source.example.org/sheet is not in the registry"
    )


def test_a_csv_cell_that_a_spreadsheet_would_run_is_refused(tmp_path):
    SourceFactory(url="https://source.example.org/sheet")
    rows = [_row(1, title='=HYPERLINK("http://evil.example","click")')]

    err, _ = _refused(_spreadsheet(tmp_path, rows))

    assert err.startswith("line 2, title: Starts like a spreadsheet formula")


def test_a_csv_detail_column_is_named_as_the_column(tmp_path):
    SourceFactory(url="https://source.example.org/sheet")

    err, _ = _refused(_spreadsheet(tmp_path, [_row(1, closest_approach_m="-5")]))

    assert err.startswith("line 2, closest_approach_m: ")


def test_an_exported_csv_is_read_by_its_header_whatever_the_file_name(tmp_path):
    path = tmp_path / "export.txt"
    with path.open("w", encoding="utf-8", newline="") as file:
        csv.writer(file).writerow(CSV_COLUMNS)

    out, _ = _run(str(path), "--format", "csv")

    assert "incidents: 0 created" in out


def test_a_dry_run_reports_and_writes_nothing(tmp_path):
    path = tmp_path / "incidents.json"
    path.write_text(json.dumps({"incidents": [incident_document()]}))

    out, _ = _run(str(path), "--dry-run")

    assert out.startswith("Dry run: nothing was written.")
    assert "incidents: 1 created" in out
    assert Incident.objects.count() == 0


def test_publish_publishes_the_drafts_that_pass(tmp_path):
    path = tmp_path / "incidents.json"
    path.write_text(json.dumps({"incidents": [incident_document(), incident_document(sources=[])]}))

    out, _ = _run(str(path), "--publish")

    assert "2 created, 0 updated, 0 unchanged, 1 published" in out
    assert "Left as draft: record 1" in out


def test_a_missing_file_is_a_clear_error():
    with pytest.raises(CommandError, match="Cannot read /no/such/file.json"):
        _run("/no/such/file.json")
