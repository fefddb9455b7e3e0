"""Property-based fuzzing of every operation of the committed OpenAPI schema, in process.

Schemathesis reads docs/openapi.yaml (the file CI diffs against the code, so the contract that
clients get) and sends generated requests — valid and invalid — to the WSGI application, once
anonymous and once with a reviewer's token, over a registry holding a published incident of
each kind and a draft. Every check is on (tests/security/schemathesis.toml): no 5xx, status
codes, content types, headers and bodies as documented, invalid data refused, valid data
accepted, 401 without credentials, 405 with Allow. The examples are bounded and derandomized,
so a run is short and repeatable; .ci/fuzz runs the same checks longer against gunicorn.
"""

import os
from pathlib import Path

import pytest
import schemathesis
from django.conf import settings
from django.core.handlers.wsgi import WSGIHandler
from django.core.signals import request_finished, request_started
from django.db import close_old_connections
from hypothesis import HealthCheck, Phase
from hypothesis import settings as hypothesis_settings
from rest_framework.authtoken.models import Token
from rest_framework.throttling import SimpleRateThrottle

from tests.factories import IncidentFactory
from tests.security.conftest import KINDS

pytestmark = pytest.mark.django_db

SCHEMA = Path(os.environ.get("REGISTRY_OPENAPI_SCHEMA", settings.BASE_DIR / "docs/openapi.yaml"))
CONFIG = Path(__file__).with_name("schemathesis.toml")
EXAMPLES = int(os.environ.get("REGISTRY_FUZZ_EXAMPLES", "6"))


class Application:
    """The WSGI application, built when a test starts so that it sees the test's settings."""

    handler = None

    def __call__(self, environ, start_response):
        return self.handler(environ, start_response)


APPLICATION = Application()


@pytest.fixture(autouse=True)
def application(twins, monkeypatch):
    """The registry under test: a published incident of each kind and a draft, no throttling
    (it has its own tests, and would turn most requests into 429s), and requests that share the
    test's database connection and transaction, as with Django's test client."""
    assert len(twins) == len(KINDS)
    IncidentFactory(title="A draft")
    for scope in list(SimpleRateThrottle.THROTTLE_RATES):
        monkeypatch.setitem(SimpleRateThrottle.THROTTLE_RATES, scope, None)
    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    APPLICATION.handler = WSGIHandler()
    yield
    request_started.connect(close_old_connections)
    request_finished.connect(close_old_connections)


def test_the_committed_schema_is_there_to_fuzz():
    assert SCHEMA.exists(), f"{SCHEMA} is missing: manage.py spectacular --file {SCHEMA}"


BOUNDED = hypothesis_settings(
    max_examples=EXAMPLES,
    deadline=None,
    derandomize=True,
    database=None,
    suppress_health_check=list(HealthCheck),
    # No shrinking: a failure is reported as found (with its curl line), and a failing run
    # stays as short as a passing one.
    phases=[Phase.explicit, Phase.generate],
)


def _config() -> schemathesis.Config:
    config = schemathesis.Config.from_path(CONFIG)
    # The coverage phase sends every boundary and invalid value of every parameter, one at a
    # time: thousands of requests for the incident list alone (minutes). .ci/fuzz runs it against
    # gunicorn; here the examples and the bounded fuzzing phase keep the suite fast.
    config.projects.default.phases.coverage.enabled = False
    return config


if SCHEMA.exists():
    schema = schemathesis.openapi.from_path(SCHEMA, config=_config())
    schema.app = APPLICATION

    @schema.parametrize()
    @BOUNDED
    def test_every_operation_holds_its_contract_for_an_anonymous_client(case):
        case.call_and_validate()

    @schema.parametrize()
    @BOUNDED
    def test_every_operation_holds_its_contract_for_a_reviewer(case, reviewer):
        token = Token.objects.get_or_create(user=reviewer)[0].key

        case.call_and_validate(headers={"Authorization": f"Token {token}"})
