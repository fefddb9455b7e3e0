"""Shared fixtures: users in each role, API clients authenticated as them, test-only settings."""

import pytest
from django.core.cache import cache
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from tests.factories import UserFactory


@pytest.fixture(autouse=True)
def _test_settings(settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    # The test client speaks plain HTTP; production redirects it to HTTPS.
    settings.SECURE_SSL_REDIRECT = False
    cache.clear()  # throttle counters must not leak between tests
    yield
    cache.clear()


def _client_for(user) -> APIClient:
    client = APIClient()
    if user is not None:
        token, _ = Token.objects.get_or_create(user=user)
        client.credentials(HTTP_AUTHORIZATION=f"Token {token.key}")
    return client


@pytest.fixture
def curator(db):
    return UserFactory(username="curator", is_staff=True, groups=["curators"])


@pytest.fixture
def reviewer(db):
    return UserFactory(username="reviewer", is_staff=True, groups=["reviewers"])


@pytest.fixture
def reader(db):
    """An authenticated user with no permissions (a partner with a read token)."""
    return UserFactory(username="reader")


@pytest.fixture
def superuser(db):
    return UserFactory(username="admin", is_staff=True, is_superuser=True)


@pytest.fixture
def api_client():
    return APIClient()


@pytest.fixture
def reader_client(reader):
    return _client_for(reader)


@pytest.fixture
def curator_client(curator):
    return _client_for(curator)


@pytest.fixture
def reviewer_client(reviewer):
    return _client_for(reviewer)


@pytest.fixture
def superuser_client(superuser):
    return _client_for(superuser)
