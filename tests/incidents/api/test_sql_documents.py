"""On PostgreSQL the JSON list, the detail and the CSV export are written by SQL: the same answers
as the Python path (selectors.incident_documents, DRF's renderer, interchange's CSV rows).

The Python path stays reachable on PostgreSQL — `Accept: application/json; indent=2` for JSON,
the CSV page of the list for CSV — so each test asks both for the same incidents and compares.
"""

import csv
import datetime as dt
import io
import json

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from incidents import csv_sql, services
from incidents.models import Incident
from tests.factories import PlatformFactory
from tests.incidents.api.read_fixtures import details, make, participant, source

pytestmark = [
    pytest.mark.django_db,
    pytest.mark.skipif(connection.vendor != "postgresql", reason="the SQL paths are PostgreSQL's"),
]

LIST = "/api/v1/incidents/"
PYTHON_JSON = {"HTTP_ACCEPT": "application/json; indent=2"}  # DRF renders: the Python path
TRICKY_TEXT = 'Quote " backslash \\ tab \t newline \n ctrl \x01 sep \u2028 Ünïcödé 南海 — ok'


def canonical(content: bytes) -> str:
    """Parsed JSON written back with key order kept and numbers as Python writes them, so
    150.0 and 150, or two key orders, compare different; whitespace does not count."""
    return json.dumps(json.loads(content, object_pairs_hook=list), ensure_ascii=False)


def csv_rows(content: bytes) -> list[list[str]]:
    return list(csv.reader(io.StringIO(content.decode("utf-8"), newline="")))


def statements(client, url, data=None, **headers) -> tuple:
    with CaptureQueriesContext(connection) as captured:
        response = client.get(url, data, **headers)
    assert response.status_code == 200, response.content[:300]
    return response, [query["sql"] for query in captured.captured_queries]


def body(response) -> bytes:
    return b"".join(response.streaming_content) if response.streaming else response.content


@pytest.fixture
def varied():
    """Every kind with its details (and a draft without), nulls, awkward text and floats, many
    children, a retracted incident with a formula-like reason, and drafts."""
    for slug in ("j-11", "p-8a", "ccg-cutter"):
        PlatformFactory(slug=slug)
    many = [
        participant("CN", "initiator", "PLA Navy", "j-11", 3),
        *(participant("US", "target", f'US Navy "{n}"', "p-8a") for n in range(10)),
        {**participant("PH", "other", TRICKY_TEXT, "ccg-cutter"), "platform_detail": "USS \\X"},
    ]
    sources = [
        {**source(f"https://many.example.org/{n}", title=TRICKY_TEXT), "quote": f'"{n}" said'}
        for n in range(6)
    ]
    sources[2] = {**sources[2], "published_on": None, "type": "official", "quote": ""}
    rows = [
        make(
            "intercept",
            external_id="-leading-dash",
            title=TRICKY_TEXT,
            summary='=HYPERLINK("http://evil.example")\nsecond line',
            occurred_on="2023-05-26",
            occurred_at="2023-05-26T03:04:05.000120Z",
            location_name="+Scarborough",
            latitude=1e-05,
            longitude=-179.99999,
            participants=many,
            sources=sources,
            details=details(
                "intercept",
                closest_approach_m=0.1,
                closest_approach_text="@within 10 feet",
                maneuvers=["barrel roll", 'flares, "chaff" | more', "-dive"],
            ),
        ),
        make(
            "intercept",
            latitude=-89.5,
            longitude=179.99999,
            details=details("intercept", closest_approach_m=150.0, domain="sea", maneuvers=[]),
        ),
        make("intercept", details=details("intercept", closest_approach_m=1e-05)),
        make("intercept", details=details("intercept", closest_approach_m=None)),
        make(
            "median_line_crossing",
            occurred_on="2023-04-09",
            occurred_at="2023-04-08T22:30:00Z",
            latitude=24.5,
            longitude=119.9,
            details=details(
                "median_line_crossing",
                aircraft_count=0,
                vessel_count=3,
                track={"type": "LineString", "coordinates": [[119.0, 24.5], [120.75, 24.125]]},
            ),
        ),
        make(
            "median_line_crossing",
            details=details(
                "median_line_crossing",
                aircraft_count=None,
                vessel_count=None,
                aircraft_total_reported=None,
                period_start=None,
                period_end=None,
            ),
        ),
        make(
            "navigation_dispute",
            details=details(
                "navigation_dispute",
                dispute_types=["water_cannon", "collision", "laser"],
                feature=None,
                zone="unknown",
            ),
        ),
        make(
            "navigation_dispute",
            details=details("navigation_dispute", feature='@Ayungin "Shoal"', zone="eez"),
        ),
        make(
            "intercept", status="draft", details=None, participants=[participant("CN", "initiator")]
        ),
        make("median_line_crossing", status="draft", title="Draft crossing"),
    ]
    retracted = services.retract_incident(
        services.publish_incident(Incident.objects.get(pk=make(status="draft").id), by=None),
        reason='-Withdrawn: the source\'s "photo" was from 2019',
        by=None,
    )
    # A timestamp on a whole second: isoformat() then prints no fraction.
    Incident.objects.filter(pk=rows[1].id).update(
        created_at=dt.datetime(2024, 1, 2, 3, 4, 5, tzinfo=dt.UTC)
    )
    return [row.id for row in rows] + [retracted.pk]


@pytest.mark.parametrize(
    "query",
    [
        {"ordering": "id", "limit": 1000},
        {"ordering": "-closest_approach_m", "limit": 4, "offset": 2},
        {"status": "retracted"},
        {"kind": "median_line_crossing", "region": "south-china-sea"},
        {"q": "backslash"},
        {"status": "draft"},
    ],
    ids=["all", "page", "retracted", "filtered", "search", "drafts"],
)
def test_a_list_page_from_sql_equals_the_python_path(curator_client, varied, query):
    from_sql, sql_statements = statements(curator_client, LIST, query)
    from_python, python_statements = statements(curator_client, LIST, query, **PYTHON_JSON)

    assert any("json_agg" in sql for sql in sql_statements)
    assert not any("json_agg" in sql for sql in python_statements)
    assert from_sql["Content-Type"] == from_python["Content-Type"] == "application/json"
    assert from_sql.json()["results"], "the page must not be empty"
    assert canonical(from_sql.content) == canonical(from_python.content)


def test_the_public_list_from_sql_equals_the_python_path(api_client, varied):
    from_sql = api_client.get(LIST, {"limit": 5, "offset": 1})
    from_python = api_client.get(LIST, {"limit": 5, "offset": 1}, **PYTHON_JSON)

    assert from_sql.json()["next"] and from_sql.json()["previous"]
    assert canonical(from_sql.content) == canonical(from_python.content)


def test_every_detail_from_sql_equals_the_python_path(curator_client, varied):
    from_sql = {n: curator_client.get(f"{LIST}{n}/") for n in varied}
    from_python = {n: curator_client.get(f"{LIST}{n}/", **PYTHON_JSON) for n in varied}

    assert {n: canonical(r.content) for n, r in from_sql.items()} == {
        n: canonical(r.content) for n, r in from_python.items()
    }
    assert {n: r["ETag"] for n, r in from_sql.items()} == {
        n: r["ETag"] for n, r in from_python.items()
    }


def test_the_detail_is_one_statement_that_writes_the_document(api_client, varied):
    response, sql = statements(api_client, f"{LIST}{varied[0]}/")

    assert len(sql) == 1
    assert "json_build_object" in sql[0]
    assert response.json()["id"] == varied[0]


def test_floats_keep_python_digits_and_text_keeps_every_character(api_client, varied):
    content = api_client.get(f"{LIST}{varied[0]}/").content
    document = json.loads(content, parse_float=str)  # each number's digits as written
    integral = json.loads(api_client.get(f"{LIST}{varied[1]}/").content, parse_float=str)

    assert (document["latitude"], document["longitude"]) == ("1e-05", "-179.99999")
    assert document["details"]["closest_approach_m"] == "0.1"
    assert integral["details"]["closest_approach_m"] == "150.0"
    assert document["title"] == TRICKY_TEXT
    assert b"\\u2028" in content  # escaped, as DRF's renderer escapes it
    assert document["occurred_at"] == "2023-05-26T03:04:05.000120Z"
    assert integral["created_at"] == "2024-01-02T03:04:05Z"


@pytest.mark.parametrize(
    "query",
    [{"ordering": "id"}, {"ordering": "-closest_approach_m"}, {"status": "retracted"}, {}],
    ids=["all", "by-distance", "retracted", "default"],
)
def test_the_copy_export_equals_the_python_csv_cell_for_cell(curator_client, varied, query):
    exported = body(curator_client.get(f"{LIST}export/", {**query, "format": "csv"}))
    python_page = curator_client.get(LIST, {**query, "format": "csv", "limit": 1000}).content

    rows = csv_rows(exported)
    assert rows == csv_rows(python_page)
    assert len(rows) > 1
    assert exported == python_page  # byte for byte: line ends too


def test_the_copy_export_neutralises_formulas_and_writes_python_floats(api_client, varied):
    header, *rows = csv_rows(body(api_client.get(f"{LIST}export/", {"format": "csv"})))
    by_id = {row[0]: dict(zip(header, row, strict=True)) for row in rows}

    first = by_id[str(varied[0])]
    assert first["summary"].startswith("'=HYPERLINK")
    assert first["external_id"] == "'-leading-dash"
    assert first["closest_approach_text"] == "'@within 10 feet"
    assert first["maneuvers"] == 'barrel roll|flares, "chaff" | more|-dive'
    assert (first["latitude"], first["closest_approach_m"]) == ("1e-05", "0.1")
    assert by_id[str(varied[1])]["closest_approach_m"] == "150.0"


def settings_now() -> tuple:
    with connection.cursor() as cursor:
        cursor.execute("SELECT current_setting('statement_timeout'), current_setting('jit')")
        return cursor.fetchone()


def test_the_export_streams_in_chunks_and_restores_the_settings_it_lifts(
    api_client, varied, monkeypatch
):
    monkeypatch.setattr(csv_sql, "CHUNK_BYTES", 1024)
    before = settings_now()

    chunks = list(api_client.get(f"{LIST}export/", {"format": "csv"}).streaming_content)

    assert len(chunks) > 2
    assert settings_now() == before


def test_an_export_abandoned_after_its_first_chunk_leaves_the_connection_usable(
    varied, monkeypatch
):
    monkeypatch.setattr(csv_sql, "CHUNK_BYTES", 1024)
    chunks = csv_sql.copy_csv_chunks(Incident.objects.order_by("id"))

    first = next(chunks)
    chunks.close()  # as Django closes the response when the client goes away

    assert first.startswith(b"id,external_id,kind,")
    assert Incident.objects.count() == len(varied)
