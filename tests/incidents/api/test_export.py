"""GET /api/v1/incidents/export/ and incidents.exports: the whole filtered set, streamed."""

import csv
import io
import json

import pytest

from incidents import exports
from incidents.api.throttling import ExportThrottle
from incidents.interchange import CSV_COLUMNS
from incidents.models import Incident
from tests.factories import IncidentFactory
from tests.incidents.api.read_fixtures import ids, make

pytestmark = pytest.mark.django_db

URL = "/api/v1/incidents/export/"


def body(response) -> str:
    assert response.streaming
    return b"".join(response.streaming_content).decode("utf-8")


@pytest.fixture
def small_batches(monkeypatch):
    monkeypatch.setattr(exports, "BATCH_SIZE", 7)


def test_the_csv_export_streams_every_matching_incident_beyond_one_page(api_client, small_batches):
    IncidentFactory.create_batch(55, status="published")
    make("navigation_dispute")
    expected = ids(api_client.get("/api/v1/incidents/", {"kind": "intercept", "limit": 1000}))

    response = api_client.get(URL, {"format": "csv", "kind": "intercept"})

    assert response.status_code == 200
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert response["Content-Disposition"] == 'attachment; filename="incidents.csv"'
    assert response["X-Total-Count"] == "55"
    rows = list(csv.reader(io.StringIO(body(response))))
    assert rows[0] == CSV_COLUMNS
    assert [int(row[0]) for row in rows[1:]] == expected


def test_csv_is_the_export_format_when_none_is_asked_for(api_client):
    make()

    response = api_client.get(URL)

    assert response["Content-Type"] == "text/csv; charset=utf-8"


@pytest.mark.parametrize(
    ("query", "headers"),
    [({"format": "jsonl"}, {}), ({}, {"HTTP_ACCEPT": "application/x-ndjson"})],
    ids=["format", "accept"],
)
def test_the_jsonl_export_has_one_whole_document_per_line(
    api_client, small_batches, query, headers
):
    rows = [make(occurred_on=f"2023-01-{day:02}") for day in range(1, 11)]
    documents = [api_client.get(f"/api/v1/incidents/{row.id}/").json() for row in reversed(rows)]

    response = api_client.get(URL, query, **headers)

    assert response["Content-Type"] == "application/x-ndjson; charset=utf-8"
    lines = body(response).splitlines()
    assert [json.loads(line) for line in lines] == documents


def test_the_geojson_export_is_one_feature_collection_of_the_located_incidents(
    api_client, small_batches
):
    located = [make(latitude=10.0 + n, longitude=115.0, occurred_on="2023-01-01") for n in range(9)]
    make(latitude=None, longitude=None)

    response = api_client.get(URL, {"format": "geojson", "ordering": "id"})

    assert response["Content-Type"] == "application/geo+json; charset=utf-8"
    collection = json.loads(body(response))
    assert collection["type"] == "FeatureCollection"
    assert [f["id"] for f in collection["features"]] == [row.id for row in located]
    assert collection["features"][0]["geometry"] == {
        "type": "Point",
        "coordinates": [115.0, 10.0],
    }


def test_an_empty_geojson_export_is_still_valid_json(api_client):
    response = api_client.get(URL, {"format": "geojson"})

    assert json.loads(body(response)) == {"type": "FeatureCollection", "features": []}


def test_the_export_keeps_drafts_and_retracted_incidents_out_by_default(api_client):
    published = make()
    make(status="draft")
    make(status="retracted")

    response = api_client.get(URL, {"format": "jsonl"})

    assert [json.loads(line)["id"] for line in body(response).splitlines()] == [published.id]


def test_an_export_above_the_row_cap_is_refused_before_streaming(api_client, settings):
    settings.EXPORT_MAX_ROWS = 2
    for _ in range(3):
        make()

    response = api_client.get(URL, {"format": "csv"})

    assert response.status_code == 400
    assert response["Content-Type"] == "application/json"
    assert response.json()["errors"][0]["code"] == "too_many_rows"


def test_exports_have_their_own_tighter_rate_limit(api_client, monkeypatch):
    monkeypatch.setitem(ExportThrottle.THROTTLE_RATES, "export", "2/min")

    statuses = [api_client.get(URL).status_code for _ in range(3)]
    refused = api_client.get(URL)

    assert statuses == [200, 200, 429]
    assert refused["Content-Type"] == "application/json"
    assert int(refused["Retry-After"]) > 0
    assert api_client.get("/api/v1/incidents/").status_code == 200


def test_a_bad_export_parameter_is_a_400_in_json(api_client):
    response = api_client.get(URL, {"format": "xlsx", "limit": "10"})

    assert response.status_code == 400
    assert response["Content-Type"] == "application/json"
    assert {e["attr"] for e in response.json()["errors"]} == {"format"}


def test_export_chunks_come_one_per_batch(small_batches):
    for _ in range(15):
        make()
    queryset = Incident.objects.order_by("id")

    chunks = list(exports.csv_chunks(queryset))

    assert len(chunks) == 1 + 3  # the header, then batches of 7, 7 and 1
    assert sum(chunk.count("\n") for chunk in chunks) == 16
    assert not any("\r" in chunk for chunk in chunks)  # "\n" only, as COPY ends rows


def test_export_chunks_read_as_the_api_lists(api_client):
    for _ in range(3):
        make()
    page = api_client.get("/api/v1/incidents/", {"format": "csv"}).content.decode()

    text = "".join(exports.export_chunks(Incident.objects.order_by("-occurred_on", "-id"), "csv"))

    assert text == page


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_an_export_outside_a_transaction_reads_one_snapshot(api_client):
    # The suite's other tests run inside a transaction; this one takes the path a server takes.
    make()

    response = api_client.get(URL, {"format": "jsonl"})

    assert len(body(response).splitlines()) == 1


def test_options_on_the_export_describes_it_in_json(api_client):
    response = api_client.options(URL)

    assert response.status_code == 200
    assert response["Content-Type"] == "application/json"
    assert response.json()["name"] == "Export"
