"""OWASP API2:2023 Broken Authentication: only a live token of an active user, or the admin's
session with its CSRF token, may write; repeated failed admin logins lock the attacker out."""

import datetime as dt

import pytest
from axes.models import AccessAttempt
from django.contrib.auth.models import User
from django.db.models import F
from django.test import Client
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from incidents.models import Incident
from tests.factories import IncidentFactory, incident_document

pytestmark = pytest.mark.django_db

URL = "/api/v1/incidents/"
PASSWORD = "correct horse battery"  # tests.factories.UserFactory's


def _token(user) -> str:
    return Token.objects.get_or_create(user=user)[0].key


def _create_with(client: APIClient, **extra):
    return client.post(URL, incident_document(), format="json", **extra)


@pytest.mark.parametrize(
    "authorization",
    [
        "Token 0000000000000000000000000000000000000000",
        "Token ",
        "Token a b",
        "Token \u00e9\u00e9\u00e9",
        "Bearer 0000000000000000000000000000000000000000",
        "Basic cmV2aWV3ZXI6Y29ycmVjdCBob3JzZSBiYXR0ZXJ5",  # reviewer:<password>
    ],
)
def test_a_forged_or_foreign_credential_is_401_and_writes_nothing(reviewer, authorization):
    client = APIClient()

    response = _create_with(client, HTTP_AUTHORIZATION=authorization)

    assert response.status_code == 401
    assert response["Content-Type"] == "application/json"
    assert not Incident.objects.exists()


def test_the_token_of_a_deleted_user_is_401(reviewer):
    key = _token(reviewer)
    User.objects.filter(pk=reviewer.pk).delete()

    response = _create_with(APIClient(), HTTP_AUTHORIZATION=f"Token {key}")

    assert response.status_code == 401
    assert not Incident.objects.exists()


def test_the_token_of_a_deactivated_user_is_401(reviewer):
    key = _token(reviewer)
    reviewer.is_active = False
    reviewer.save()

    response = _create_with(APIClient(), HTTP_AUTHORIZATION=f"Token {key}")

    assert response.status_code == 401
    assert not Incident.objects.exists()


def test_a_deactivated_users_token_cannot_read_drafts_either(reviewer):
    draft = IncidentFactory()
    key = _token(reviewer)
    reviewer.is_active = False
    reviewer.save()

    response = APIClient().get(f"{URL}{draft.pk}/", HTTP_AUTHORIZATION=f"Token {key}")

    assert response.status_code == 401


@pytest.mark.parametrize("parameter", ["token", "auth_token", "access_token", "key", "api_key"])
def test_a_token_in_the_query_string_is_ignored(reviewer, parameter):
    key = _token(reviewer)

    response = APIClient().post(f"{URL}?{parameter}={key}", incident_document(), format="json")

    assert response.status_code == 401
    assert not Incident.objects.exists()


def test_a_token_in_the_body_is_ignored(reviewer):
    key = _token(reviewer)

    response = APIClient().post(URL, {**incident_document(), "token": key}, format="json")

    assert response.status_code == 401
    assert not Incident.objects.exists()


def test_a_token_in_a_cookie_is_ignored(reviewer):
    client = APIClient()
    client.cookies["token"] = _token(reviewer)
    client.cookies["auth_token"] = _token(reviewer)

    response = _create_with(client)

    assert response.status_code == 401
    assert not Incident.objects.exists()


def test_a_session_write_without_the_csrf_token_is_403(reviewer):
    client = APIClient(enforce_csrf_checks=True)
    client.force_login(reviewer)

    response = _create_with(client)

    assert response.status_code == 403
    assert response["Content-Type"] == "application/json"
    assert not Incident.objects.exists()


def test_a_session_write_with_a_forged_csrf_token_is_403(reviewer):
    client = APIClient(enforce_csrf_checks=True)
    client.force_login(reviewer)
    client.cookies["csrftoken"] = "a" * 32

    response = _create_with(client, HTTP_X_CSRFTOKEN="b" * 32)

    assert response.status_code == 403
    assert not Incident.objects.exists()


def test_a_session_write_from_a_foreign_origin_is_403(reviewer):
    client = APIClient(enforce_csrf_checks=True)
    client.force_login(reviewer)
    client.get("/admin/")  # sets the CSRF cookie
    token = client.cookies["csrftoken"].value

    response = _create_with(
        client,
        HTTP_X_CSRFTOKEN=token,
        HTTP_ORIGIN="https://evil.example.com",
        secure=True,
        HTTP_REFERER="https://evil.example.com/page",
    )

    assert response.status_code == 403
    assert not Incident.objects.exists()


def test_a_session_write_with_the_csrf_token_is_accepted(reviewer):
    client = APIClient(enforce_csrf_checks=True)
    client.force_login(reviewer)
    client.get("/admin/")
    token = client.cookies["csrftoken"].value

    response = _create_with(client, HTTP_X_CSRFTOKEN=token)

    assert response.status_code == 201


def _admin_login(
    client: Client, username: str, password: str, address: str = "10.1.1.1", **headers
):
    return client.post(
        "/admin/login/?next=/admin/",
        {"username": username, "password": password},
        REMOTE_ADDR=address,
        **headers,
    )


def test_the_admin_login_locks_out_after_repeated_failures(settings, reviewer):
    client = Client()
    failures = [
        _admin_login(client, "reviewer", "wrong password").status_code
        for _ in range(settings.AXES_FAILURE_LIMIT)
    ]

    response = _admin_login(client, "reviewer", PASSWORD)

    assert failures == [200] * (settings.AXES_FAILURE_LIMIT - 1) + [429]
    assert response.status_code == 429
    assert "_auth_user_id" not in client.session


def test_a_locked_out_address_cannot_try_another_username(settings, reviewer, curator):
    client = Client()
    for _ in range(settings.AXES_FAILURE_LIMIT):
        _admin_login(client, "reviewer", "wrong password")

    response = _admin_login(client, "curator", PASSWORD)

    assert response.status_code == 429
    assert "_auth_user_id" not in client.session


def test_a_locked_out_username_cannot_be_tried_from_another_address(settings, reviewer):
    for index in range(settings.AXES_FAILURE_LIMIT):
        _admin_login(Client(), "reviewer", "wrong password", address=f"10.2.0.{index}")
    client = Client()

    response = _admin_login(client, "reviewer", PASSWORD, address="10.3.0.1")

    assert response.status_code == 429
    assert "_auth_user_id" not in client.session


def _behind_one_proxy(settings):
    settings.REST_FRAMEWORK = {**settings.REST_FRAMEWORK, "NUM_PROXIES": 1}


def test_behind_a_proxy_the_lockout_keys_on_the_client_not_the_proxy(settings, reviewer, curator):
    """NUM_PROXIES governs the admin lockout too: every login arrives from the proxy's address."""
    _behind_one_proxy(settings)
    for _ in range(settings.AXES_FAILURE_LIMIT):
        _admin_login(Client(), "reviewer", "wrong", HTTP_X_FORWARDED_FOR="203.0.113.9")
    client = Client()

    response = _admin_login(client, "curator", PASSWORD, HTTP_X_FORWARDED_FOR="198.51.100.7")
    locked = _admin_login(Client(), "curator", PASSWORD, HTTP_X_FORWARDED_FOR="203.0.113.9")

    assert response.status_code == 302
    assert client.session["_auth_user_id"] == str(curator.pk)
    assert locked.status_code == 429


def test_without_a_proxy_a_forwarded_for_header_does_not_escape_the_lockout(settings, reviewer):
    for index in range(settings.AXES_FAILURE_LIMIT):
        _admin_login(Client(), "nobody", "wrong", HTTP_X_FORWARDED_FOR=f"203.0.113.{index}")

    response = _admin_login(Client(), "reviewer", PASSWORD, HTTP_X_FORWARDED_FOR="198.51.100.7")

    assert response.status_code == 429


def test_failures_below_the_limit_do_not_lock_out(settings, reviewer):
    client = Client()
    for _ in range(settings.AXES_FAILURE_LIMIT - 1):
        _admin_login(client, "reviewer", "wrong password")

    response = _admin_login(client, "reviewer", PASSWORD)

    assert response.status_code == 302
    assert client.session["_auth_user_id"] == str(reviewer.pk)


@pytest.mark.parametrize(("minutes_ago", "expected"), [(59, 429), (61, 302)])
def test_the_lockout_lasts_an_hour(settings, reviewer, minutes_ago, expected):
    client = Client()
    for _ in range(settings.AXES_FAILURE_LIMIT):
        _admin_login(client, "reviewer", "wrong password")
    AccessAttempt.objects.update(attempt_time=F("attempt_time") - dt.timedelta(minutes=minutes_ago))

    response = _admin_login(client, "reviewer", PASSWORD)

    assert response.status_code == expected


def test_a_locked_out_admin_keeps_using_the_api_with_a_token(settings, reviewer):
    for _ in range(settings.AXES_FAILURE_LIMIT):
        _admin_login(Client(), "reviewer", "wrong password")

    response = _create_with(APIClient(), HTTP_AUTHORIZATION=f"Token {_token(reviewer)}")

    assert response.status_code == 201
