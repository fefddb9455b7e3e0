"""OWASP API4:2023 Unrestricted Resource Consumption: every request is bounded.

Page size, export size and rate, request body size, query-string size, geometry arguments, the
search syntax and the time a query may run are all capped, and hitting a cap is a 4xx (or a 503
for a query that ran out of time) with a JSON body, never a 500 or a hung worker.
"""

import time

import psycopg
import pytest
from django.db import connection, transaction
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient
from rest_framework.throttling import SimpleRateThrottle

from incidents.models import Incident
from tests.factories import IncidentFactory, incident_document
from tests.security.conftest import postgresql_only, response_body

pytestmark = pytest.mark.django_db

URL = "/api/v1/incidents/"


def _errors(response) -> dict:
    assert response["Content-Type"].startswith("application/json"), response["Content-Type"]
    return {error["attr"]: error for error in response.json()["errors"]}


def _tolerant_client(user=None) -> APIClient:
    """A client that returns a 500 response instead of raising the server's exception."""
    client = APIClient(raise_request_exception=False)
    if user is not None:
        client.credentials(
            HTTP_AUTHORIZATION=f"Token {Token.objects.get_or_create(user=user)[0].key}"
        )
    return client


@pytest.fixture
def rates(monkeypatch):
    """Set a throttle scope's rate for one test.

    DRF's throttles keep the dict of REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"] they were imported
    with, so overriding the setting has no effect on them: the dict itself is patched.
    """

    def set_rate(scope: str, rate: str | None) -> None:
        monkeypatch.setitem(SimpleRateThrottle.THROTTLE_RATES, scope, rate)

    return set_rate


# --- page size ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "path",
    [URL, "/api/v1/changes/", "/api/v1/sources/", "/api/v1/platforms/", "/api/v1/contacts/"],
)
def test_a_page_above_1000_rows_is_refused(api_client, path):
    response = api_client.get(path, {"limit": 1001})

    assert response.status_code == 400
    assert "limit" in _errors(response)


def test_a_page_of_the_history_above_1000_entries_is_refused(api_client):
    incident = IncidentFactory(status="published")

    response = api_client.get(f"{URL}{incident.pk}/history/", {"limit": 1001})

    assert response.status_code == 400
    assert "limit" in _errors(response)


def test_a_page_of_1000_rows_is_served(api_client):
    assert api_client.get(URL, {"limit": 1000}).status_code == 200


@pytest.mark.parametrize("offset", ["99999999999999999999999", "9223372036854775807"])
def test_an_enormous_offset_is_an_empty_page_or_a_400_never_a_500(offset):
    response = _tolerant_client().get(URL, {"offset": offset})

    assert response.status_code in (200, 400)


# --- exports --------------------------------------------------------------------------------


@pytest.mark.parametrize("fmt", ["csv", "jsonl", "geojson"])
def test_an_export_above_the_row_cap_is_refused_before_streaming(api_client, settings, fmt):
    settings.EXPORT_MAX_ROWS = 2
    for _ in range(3):
        IncidentFactory(status="published", latitude=9.7, longitude=115.8)

    response = api_client.get(f"{URL}export/", {"format": fmt})

    assert response.status_code == 400
    assert not getattr(response, "streaming", False)
    assert _errors(response)[None]["code"] == "too_many_rows"


def test_the_export_cap_counts_only_what_the_client_may_see(api_client, settings):
    settings.EXPORT_MAX_ROWS = 2
    for _ in range(3):
        IncidentFactory(status="published")
    for _ in range(4):
        IncidentFactory()  # drafts: counting them would reveal how many there are

    detail = _errors(api_client.get(f"{URL}export/"))[None]["detail"]

    assert " 3 " in detail
    assert " 7 " not in detail


def test_an_export_within_the_cap_streams(api_client, settings):
    settings.EXPORT_MAX_ROWS = 3
    for _ in range(3):
        IncidentFactory(status="published")

    response = api_client.get(f"{URL}export/", {"format": "jsonl"})

    assert response.status_code == 200
    assert len(response_body(response).splitlines()) == 3


@pytest.mark.parametrize("client_name", ["api_client", "reader_client"])
def test_exports_have_their_own_tighter_rate_limit(request, rates, client_name):
    client = request.getfixturevalue(client_name)
    rates("export", "2/min")

    statuses = [client.get(f"{URL}export/").status_code for _ in range(3)]
    list_after = client.get(URL)

    assert statuses == [200, 200, 429]
    assert list_after.status_code == 200


def test_a_throttled_export_says_when_to_retry_in_json(api_client, rates):
    rates("export", "1/min")
    api_client.get(f"{URL}export/")

    response = api_client.get(f"{URL}export/", {"format": "csv"})

    assert response.status_code == 429
    assert int(response["Retry-After"]) > 0
    assert response.json()["errors"][0]["code"] == "throttled"


def test_the_anonymous_rate_limit_applies_to_every_endpoint(api_client, rates):
    rates("anon", "3/min")

    statuses = [api_client.get(path).status_code for path in [URL, URL, "/api/v1/regions/"]]
    refused = api_client.get("/api/v1/changes/")

    assert statuses == [200, 200, 200]
    assert refused.status_code == 429


def test_a_spoofed_x_forwarded_for_does_not_escape_the_anonymous_rate_limit(rates):
    rates("anon", "3/min")
    client = APIClient()

    statuses = [
        client.get(URL, HTTP_X_FORWARDED_FOR=f"203.0.113.{index}").status_code for index in range(4)
    ]

    assert statuses == [200, 200, 200, 429]


def test_a_token_user_is_limited_per_user_not_per_address(reviewer, rates):
    rates("user", "2/min")
    client = _tolerant_client(reviewer)

    statuses = [
        client.get(URL, REMOTE_ADDR=f"198.51.100.{index}").status_code for index in range(3)
    ]

    assert statuses == [200, 200, 429]


# --- request size ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("path", "body"),
    [
        (URL, incident_document(summary="x" * 5000)),
        ("/api/v1/sources/", {"url": "https://a.example.org/", "publisher": "x" * 5000}),
    ],
)
def test_a_body_above_the_upload_limit_is_refused_without_a_500(reviewer, settings, path, body):
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 2000

    response = _tolerant_client(reviewer).post(path, body, format="json")

    assert response.status_code in (400, 413)
    assert response["Content-Type"] == "application/json"
    assert not Incident.objects.exists()


def test_a_deeply_nested_json_body_is_a_400_not_a_500(reviewer):
    body = "[" * 100_000 + "]" * 100_000

    response = _tolerant_client(reviewer).generic(
        "POST", URL, body, content_type="application/json"
    )

    assert response.status_code == 400
    assert response["Content-Type"] == "application/json"


def test_a_query_string_with_too_many_parameters_is_a_400_not_a_500():
    query = "&".join(["kind=intercept"] * 1500)  # DATA_UPLOAD_MAX_NUMBER_FIELDS is 1000

    response = _tolerant_client().get(f"{URL}?{query}")

    assert response.status_code == 400
    assert response["Content-Type"] == "application/json"


def test_a_search_longer_than_200_characters_is_refused(api_client):
    response = api_client.get(URL, {"q": "a" * 201})

    assert response.status_code == 400
    assert "q" in _errors(response)


# --- geometry bounds ------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("query", "attr"),
    [
        ({"near": "9.7,115.8", "radius_km": "5000.1"}, "radius_km"),
        ({"near": "9.7,115.8", "radius_km": "-1"}, "radius_km"),
        ({"near": "9.7,115.8", "radius_km": "inf"}, "radius_km"),
        ({"near": "9.7,115.8", "radius_km": "nan"}, "radius_km"),
        ({"near": "91,115.8", "radius_km": "10"}, "near"),
        ({"near": "9.7,181", "radius_km": "10"}, "near"),
        ({"near": "9.7", "radius_km": "10"}, "near"),
        ({"near": "nan,nan", "radius_km": "10"}, "near"),
        ({"bbox": "-181,0,10,10"}, "bbox"),
        ({"bbox": "0,-91,10,10"}, "bbox"),
        ({"bbox": "0,0,10,91"}, "bbox"),
        ({"bbox": "0,10,10,0"}, "bbox"),
        ({"bbox": "0,0,10,10,10"}, "bbox"),
        ({"bbox": "1e309,0,1,1"}, "bbox"),
        ({"bbox": "nan,0,1,1"}, "bbox"),
    ],
)
def test_geometry_arguments_out_of_bounds_are_refused(api_client, query, attr):
    response = api_client.get(URL, query)

    assert response.status_code == 400
    assert attr in _errors(response)


def test_the_widest_legal_radius_is_served(api_client):
    IncidentFactory(status="published", latitude=9.7, longitude=115.8)

    response = api_client.get(URL, {"near": "-9.7,-64.2", "radius_km": "5000"})

    assert response.status_code == 200


# --- search ---------------------------------------------------------------------------------


@pytest.fixture
def searchable(db):
    IncidentFactory(status="published", title="Alpha intercept", summary="Nothing else.")
    IncidentFactory(status="published", title="Beta intercept", summary="Nothing else.")


@pytest.mark.parametrize("q", [".*", "Alph.", "A.*a", "[a-z]+", "a|b", "^Alph", "%", "_", "\\"])
def test_search_takes_regular_expression_syntax_literally(api_client, searchable, q):
    response = api_client.get(URL, {"q": q})

    assert response.status_code == 200
    assert response.json()["count"] == 0


def test_a_catastrophic_backtracking_pattern_is_just_text(api_client, searchable):
    started = time.monotonic()

    response = api_client.get(URL, {"q": "(a+)+$" + "a" * 150 + "!"})

    assert response.status_code == 200
    assert response.json()["count"] == 0
    assert time.monotonic() - started < 5


def test_a_literal_word_still_matches(api_client, searchable):
    assert api_client.get(URL, {"q": "Alpha"}).json()["count"] == 1


# --- time -----------------------------------------------------------------------------------


@postgresql_only
def test_a_query_that_outlives_the_statement_timeout_is_a_503_in_json(settings):
    """A query stuck behind a lock runs into statement_timeout: the client gets a 503 it may
    retry, the worker is free again at once."""
    blocker = psycopg.connect(**connection.get_connection_params())
    try:
        blocker.execute("LOCK TABLE incidents_incident IN ACCESS EXCLUSIVE MODE")
        with transaction.atomic():
            with connection.cursor() as cursor:
                cursor.execute("SET LOCAL statement_timeout = 200")
            started = time.monotonic()
            response = _tolerant_client().get(URL)
            elapsed = time.monotonic() - started
            transaction.set_rollback(True)
    finally:
        blocker.rollback()
        blocker.close()

    assert elapsed < 5
    assert response.status_code == 503
    assert response["Content-Type"] == "application/json"
    assert b"statement" not in response.content and b"SELECT" not in response.content
