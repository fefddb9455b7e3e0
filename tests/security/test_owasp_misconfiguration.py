"""OWASP API8:2023 Security Misconfiguration: the production settings are hardened.

Django's deployment checklist passes with production environment variables; every response
carries the security headers; errors under /api/ are JSON without internals, whatever DEBUG
says; responses that may contain drafts never land in a shared cache.
"""

import os
import secrets
import subprocess
import sys

import pytest
from django.conf import settings as django_settings
from django.test import Client
from rest_framework.test import APIClient

from incidents.api.changes import ChangesView
from incidents.api.filters import IncidentFilterSet
from incidents.api.views import IncidentViewSet
from tests.factories import IncidentFactory, incident_document

pytestmark = pytest.mark.django_db

URL = "/api/v1/incidents/"
MANAGE = str(django_settings.BASE_DIR / "manage.py")


def _check_deploy(**overrides) -> subprocess.CompletedProcess:
    env = {
        key: value
        for key, value in os.environ.items()
        if key not in {"DEBUG", "SECRET_KEY", "ALLOWED_HOSTS"} and not key.startswith("SECURE_")
    }
    env.update(overrides)
    return subprocess.run(
        [sys.executable, MANAGE, "check", "--deploy", "--fail-level", "WARNING"],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_check_deploy_passes_with_production_settings():
    result = _check_deploy(SECRET_KEY=secrets.token_urlsafe(50), ALLOWED_HOSTS="registry.org")

    assert result.returncode == 0, result.stdout + result.stderr


@pytest.mark.parametrize(
    ("overrides", "warning"),
    [
        ({"ALLOWED_HOSTS": "registry.org"}, "security.W009"),  # the development key
        ({"DEBUG": "true", "ALLOWED_HOSTS": "registry.org"}, "security.W018"),
        ({"SECURE_SSL_REDIRECT": "false", "ALLOWED_HOSTS": "registry.org"}, "security.W008"),
        ({"SECURE_HSTS_SECONDS": "0", "ALLOWED_HOSTS": "registry.org"}, "security.W004"),
    ],
)
def test_check_deploy_fails_when_production_is_left_open(overrides, warning):
    overrides.setdefault("SECRET_KEY", secrets.token_urlsafe(50))
    if warning == "security.W009":
        del overrides["SECRET_KEY"]

    result = _check_deploy(**overrides)

    assert result.returncode != 0
    assert warning in result.stdout + result.stderr


# --- headers --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "path", [URL, f"{URL}export/", "/api/v1/schema/", "/api/v1/docs/", "/admin/login/", "/healthz"]
)
def test_every_response_carries_the_security_headers(api_client, path):
    response = api_client.get(path)

    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["Referrer-Policy"] == "same-origin"
    assert response["X-Frame-Options"] == "DENY"
    if path != "/api/v1/docs/":  # drf-spectacular relaxes it for Swagger UI's OAuth pop-up
        assert response["Cross-Origin-Opener-Policy"] == "same-origin"


def test_a_secure_response_carries_hsts_for_a_year_with_subdomains(api_client):
    response = api_client.get(URL, secure=True)

    directives = {d.strip() for d in response["Strict-Transport-Security"].split(";")}
    assert "includeSubDomains" in directives
    max_age = next(d for d in directives if d.startswith("max-age="))
    assert int(max_age.split("=")[1]) >= 31_536_000


def test_plain_http_is_redirected_to_https_in_production(settings):
    settings.SECURE_SSL_REDIRECT = True

    response = APIClient().get(URL)

    assert response.status_code == 301
    assert response["Location"].startswith("https://")


def test_the_health_check_answers_a_load_balancer_over_plain_http(settings):
    settings.SECURE_SSL_REDIRECT = True

    assert APIClient().get("/healthz").status_code == 200


def test_session_and_csrf_cookies_are_secure_and_the_session_is_http_only(settings, reviewer):
    client = Client()

    client.get("/admin/login/", secure=True)
    client.post(
        "/admin/login/",
        {"username": "reviewer", "password": "correct horse battery"},
        secure=True,
    )

    session, csrf = client.cookies["sessionid"], client.cookies["csrftoken"]
    assert session["secure"] and session["httponly"]
    assert csrf["secure"]
    assert settings.SESSION_COOKIE_SECURE and settings.CSRF_COOKIE_SECURE


def test_the_api_sends_no_wildcard_cors_header(api_client):
    response = api_client.get(URL, HTTP_ORIGIN="https://evil.example.com")

    assert "Access-Control-Allow-Origin" not in response
    assert "Access-Control-Allow-Credentials" not in response


# --- error bodies ---------------------------------------------------------------------------


def _assert_json_error_without_internals(response, status: int) -> None:
    assert response.status_code == status
    assert response["Content-Type"] == "application/json"
    body = response.content
    for internal in (b"Traceback", b'File "', b"django", b"/work/", b"SECRET", b"<html"):
        assert internal not in body, internal


@pytest.mark.parametrize("debug", [False, True])
@pytest.mark.parametrize(
    "path", ["/api/v1/nothing/", "/api/v1/incidents/999999/", "/api/v1/incidents/abc/"]
)
def test_a_url_miss_under_api_is_a_json_404_without_internals(settings, debug, path):
    settings.DEBUG = debug

    response = APIClient().get(path)

    _assert_json_error_without_internals(response, 404)


@pytest.mark.parametrize("debug", [False, True])
def test_a_method_not_allowed_is_a_json_405_with_allow(settings, superuser_client, debug):
    settings.DEBUG = debug

    response = superuser_client.delete(URL)

    _assert_json_error_without_internals(response, 405)
    assert "GET" in response["Allow"]


@pytest.mark.parametrize("debug", [False, True])
@pytest.mark.parametrize("client_name", ["api_client", "curator_client"])
def test_a_crash_under_api_is_a_json_500_without_internals(
    request, settings, monkeypatch, debug, client_name
):
    settings.DEBUG = debug
    client = request.getfixturevalue(client_name)
    client.raise_request_exception = False

    def crash(*args, **kwargs):
        raise RuntimeError("SECRET internals: /work/main/incidents/api/views.py line 1")

    monkeypatch.setattr(IncidentViewSet, "list", crash)

    response = client.get(URL)

    _assert_json_error_without_internals(response, 500)


@pytest.mark.parametrize("value", ["%s", "%d", "%(value)s", "100%"])
@pytest.mark.parametrize("name", sorted(IncidentFilterSet.base_filters))
def test_a_percent_sign_in_any_filter_is_a_400_not_a_500(name, value):
    """Found by .ci/fuzz: an error message that interpolates the value it refuses is formatted
    a second time by django-filter, so a `%` in the value crashed the request."""
    response = APIClient(raise_request_exception=False).get(URL, {name: value})

    assert response.status_code in (200, 400)
    assert response["Content-Type"] == "application/json"


@pytest.mark.parametrize("value", ["%s", "100%"])
@pytest.mark.parametrize(
    ("path", "name"),
    [
        ("/api/v1/contacts/", "party"),
        ("/api/v1/contacts/", "occurred_after"),
        ("/api/v1/platforms/", "category"),
        ("/api/v1/sources/", "type"),
        ("/api/v1/changes/", "after"),
        (f"{URL}stats/", "interval"),
    ],
)
def test_a_percent_sign_in_other_parameters_is_a_400_not_a_500(path, name, value):
    response = APIClient(raise_request_exception=False).get(path, {name: value})

    assert response.status_code == 400
    assert response["Content-Type"] == "application/json"


def test_a_crash_outside_drf_under_api_is_a_json_500_without_internals(monkeypatch):
    """Django's handler500, for a crash that DRF's exception handling never sees."""

    def crash(*args, **kwargs):
        raise RuntimeError("SECRET internals: /work/main/incidents/api/changes.py line 1")

    monkeypatch.setattr(ChangesView, "dispatch", crash)

    response = APIClient(raise_request_exception=False).get("/api/v1/changes/")

    _assert_json_error_without_internals(response, 500)


# --- caching --------------------------------------------------------------------------------


def _private_no_store(response) -> bool:
    directives = {d.strip() for d in response.get("Cache-Control", "").split(",")}
    return {"private", "no-store"} <= directives


@pytest.fixture
def draft(db):
    return IncidentFactory()


@pytest.mark.parametrize(
    "path",
    [
        URL,
        f"{URL}?format=csv",
        f"{URL}?format=geojson",
        f"{URL}DRAFT/",
        f"{URL}DRAFT/history/",
        f"{URL}export/?format=jsonl",
        f"{URL}stats/",
    ],
)
@pytest.mark.parametrize("client_name", ["viewer_client", "curator_client", "superuser_client"])
def test_responses_that_may_hold_drafts_are_private_and_never_stored(
    request, draft, client_name, path
):
    client = request.getfixturevalue(client_name)

    response = client.get(path.replace("DRAFT", str(draft.pk)))

    assert response.status_code == 200
    assert _private_no_store(response), response.get("Cache-Control")
    assert "Authorization" in response.get("Vary", "")


def test_a_session_read_by_staff_is_private_and_never_stored(draft, curator):
    client = APIClient()
    client.force_login(curator)

    response = client.get(f"{URL}{draft.pk}/")

    assert _private_no_store(response)
    assert "Cookie" in response.get("Vary", "")


@pytest.mark.parametrize(
    ("method", "path", "body"),
    [
        ("post", URL, "DOCUMENT"),
        ("patch", f"{URL}DRAFT/", {"title": "Edited"}),
        ("post", f"{URL}DRAFT/publish/", None),
    ],
)
def test_write_responses_are_private_and_never_stored(reviewer_client, draft, method, path, body):
    body = incident_document() if body == "DOCUMENT" else body

    response = getattr(reviewer_client, method)(
        path.replace("DRAFT", str(draft.pk)), body, format="json"
    )

    assert response.status_code in (200, 201)
    assert _private_no_store(response), response.get("Cache-Control")


def test_the_admin_pages_of_a_draft_are_never_cached(client, draft, curator):
    client.force_login(curator)

    response = client.get(f"/admin/incidents/incident/{draft.pk}/change/")

    assert response.status_code == 200
    assert _private_no_store(response)


def test_public_reads_vary_on_authorization(api_client):
    IncidentFactory(status="published")

    response = api_client.get(URL)

    assert "Authorization" in response.get("Vary", "")
