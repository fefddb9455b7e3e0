"""GET /healthz: 200 with the database reachable, 503 otherwise."""

from unittest import mock

import pytest
from django.db import OperationalError, connection

pytestmark = pytest.mark.django_db


def test_health_is_200_when_the_database_answers(api_client):
    response = api_client.get("/healthz")

    assert response.status_code == 200
    assert response.json() == {"status": "ok", "database": "ok"}
    assert "no-cache" in response["Cache-Control"]


def test_health_is_503_when_the_database_is_unreachable(api_client):
    # The only test that fakes the database: an unreachable server, as the driver reports it.
    with mock.patch.object(connection, "cursor", side_effect=OperationalError("unreachable")):
        response = api_client.get("/healthz")

    assert response.status_code == 503
    assert response.json() == {"status": "unavailable", "database": "unreachable"}


def test_health_answers_only_get(api_client):
    response = api_client.post("/healthz")

    assert response.status_code == 405
