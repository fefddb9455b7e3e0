"""CSV and GeoJSON on the list (format= or Accept), with errors always in JSON."""

import csv
import io

import pytest

from incidents.interchange import CSV_COLUMNS, document_to_csv_row
from tests.incidents.api.read_fixtures import SECOND_THOMAS, ids, make

pytestmark = pytest.mark.django_db

URL = "/api/v1/incidents/"


def csv_rows(response) -> list[list[str]]:
    return list(csv.reader(io.StringIO(response.content.decode("utf-8"))))


@pytest.mark.parametrize(
    ("query", "headers"),
    [({"format": "csv"}, {}), ({}, {"HTTP_ACCEPT": "text/csv"})],
    ids=["format", "accept"],
)
def test_the_list_as_csv_has_the_interchange_header_and_one_row_per_incident(
    api_client, query, headers
):
    rows = [make(occurred_on="2023-01-01"), make("navigation_dispute", occurred_on="2024-01-01")]
    documents = api_client.get(URL).json()["results"]

    response = api_client.get(URL, query, **headers)

    assert response.status_code == 200
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert csv_rows(response) == [
        CSV_COLUMNS,
        *([str(cell) for cell in document_to_csv_row(d)] for d in documents),
    ]
    assert [int(row[0]) for row in csv_rows(response)[1:]] == [rows[1].id, rows[0].id]


def test_a_csv_page_carries_the_total_and_the_next_page_in_headers(api_client):
    for _ in range(3):
        make()

    response = api_client.get(URL, {"format": "csv", "limit": 2})

    assert response["X-Total-Count"] == "3"
    assert response["Link"] == (
        '<http://testserver/api/v1/incidents/?format=csv&limit=2&offset=2>; rel="next"'
    )
    assert len(csv_rows(response)) == 3


def test_csv_cells_that_a_spreadsheet_would_evaluate_are_neutralised(api_client):
    make(title='=HYPERLINK("http://evil.example")', summary="@SUM(A1:A2)")

    response = api_client.get(URL, {"format": "csv"})

    row = dict(zip(CSV_COLUMNS, csv_rows(response)[1], strict=True))
    assert row["title"] == '\'=HYPERLINK("http://evil.example")'
    assert row["summary"] == "'@SUM(A1:A2)"


def test_csv_flattens_participants_and_sources(api_client):
    make(
        sources=[
            {
                "url": "https://x.example.org/1",
                "publisher": "X",
                "title": "t",
                "published_on": None,
                "type": "media",
            }
        ]
    )

    response = api_client.get(URL, {"format": "csv"})

    row = dict(zip(CSV_COLUMNS, csv_rows(response)[1], strict=True))
    assert row["participants"] == "CN:initiator:PLA Navy:|US:target:US Navy:"
    assert row["sources"] == "https://x.example.org/1"
    assert row["closest_approach_m"] == "30.0"


@pytest.mark.parametrize(
    ("query", "headers"),
    [({"format": "geojson"}, {}), ({}, {"HTTP_ACCEPT": "application/geo+json"})],
    ids=["format", "accept"],
)
def test_the_list_as_geojson_is_a_feature_collection_of_points_with_coordinates_only(
    api_client, query, headers
):
    located = make(latitude=SECOND_THOMAS[0], longitude=SECOND_THOMAS[1])
    make(latitude=None, longitude=None)
    document = api_client.get(f"{URL}{located.id}/").json()

    response = api_client.get(URL, query, **headers)

    assert response.status_code == 200
    assert response["Content-Type"] == "application/geo+json"
    assert response.json() == {
        "type": "FeatureCollection",
        "features": [
            {
                "type": "Feature",
                "id": located.id,
                "geometry": {"type": "Point", "coordinates": [SECOND_THOMAS[1], SECOND_THOMAS[0]]},
                "properties": document,
            }
        ],
    }


def test_formats_apply_the_same_filters_as_json(api_client):
    wanted = make(kind="intercept", latitude=1.0, longitude=2.0)
    make("navigation_dispute", latitude=1.0, longitude=2.0)

    geojson = api_client.get(URL, {"format": "geojson", "kind": "intercept"})
    as_json = api_client.get(URL, {"kind": "intercept"})

    assert [f["id"] for f in geojson.json()["features"]] == ids(as_json) == [wanted.id]


@pytest.mark.parametrize("fmt", ["csv", "geojson"])
def test_an_error_asked_for_in_csv_or_geojson_comes_back_as_json(api_client, fmt):
    response = api_client.get(URL, {"format": fmt, "kind": "submarine_race"})

    assert response.status_code == 400
    assert response["Content-Type"] == "application/json"
    assert response.json()["errors"][0]["attr"] == "kind"


def test_an_unknown_format_is_a_400_naming_format(api_client):
    response = api_client.get(URL, {"format": "xlsx"})

    assert response.status_code == 400
    assert response.json()["errors"] == [
        {
            "code": "invalid_choice",
            "detail": "Unknown format; this endpoint offers api, csv, geojson, json.",
            "attr": "format",
        }
    ]


def test_jsonl_is_offered_on_the_export_only(api_client):
    response = api_client.get(URL, {"format": "jsonl"})

    assert response.status_code == 400
    assert response.json()["errors"][0]["attr"] == "format"


def test_an_accept_header_the_list_cannot_satisfy_is_a_406_in_json(api_client):
    response = api_client.get(URL, HTTP_ACCEPT="application/xml")

    assert response.status_code == 406
    assert response["Content-Type"] == "application/json"
    assert response.json()["errors"][0]["code"] == "not_acceptable"
