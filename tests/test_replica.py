"""Read replicas against a real streaming replica: which requests read where (docs/deployment.md).

Runs only where a replica is configured (.ci/setup-replica makes one on port 5433):
REPLICA_TEST_PRIMARY_URL and REPLICA_TEST_REPLICA_URL name the same database on the primary and
on the replica. The test pauses the replica's WAL replay, so a read served by the replica cannot
see a write made meanwhile on the primary: that is how it tells where each request was served.
"""

import json
import os
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import psycopg
import pytest

from tests.factories import incident_document

PRIMARY_URL = os.environ.get("REPLICA_TEST_PRIMARY_URL", "")
REPLICA_URL = os.environ.get("REPLICA_TEST_REPLICA_URL", "")
PORT = 8131
BASE = f"http://127.0.0.1:{PORT}"
PROJECT = Path(__file__).resolve().parent.parent

pytestmark = [
    pytest.mark.replica,
    pytest.mark.skipif(
        not (PRIMARY_URL and REPLICA_URL),
        reason="needs REPLICA_TEST_PRIMARY_URL and REPLICA_TEST_REPLICA_URL (a streaming replica)",
    ),
]


def _maintenance_url(url: str) -> str:
    parts = urlsplit(url)
    return urlunsplit(parts._replace(path="/postgres"))


def _database_name(url: str) -> str:
    return urlsplit(url).path.lstrip("/")


def _request(method: str, path: str, body=None, token: str | None = None) -> tuple[int, dict]:
    headers = {"Content-Type": "application/json"}
    if token:
        headers["Authorization"] = f"Token {token}"
    data = json.dumps(body).encode() if body is not None else None
    request = urllib.request.Request(BASE + path, data=data, method=method, headers=headers)
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            return response.status, json.loads(response.read() or b"{}")
    except urllib.error.HTTPError as error:
        return error.code, json.loads(error.read() or b"{}")


def _wait_until(condition, seconds: float, what: str) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if condition():
            return
        time.sleep(0.2)
    raise AssertionError(f"timed out waiting for {what}")


def _replica_has_token(token: str) -> bool:
    try:
        with psycopg.connect(REPLICA_URL, connect_timeout=2) as connection:
            row = connection.execute(
                "SELECT 1 FROM authtoken_token WHERE key = %s", [token]
            ).fetchone()
            return row is not None
    except psycopg.Error:
        return False


@pytest.fixture
def registry_on_primary_and_replica():
    name = _database_name(PRIMARY_URL)
    with psycopg.connect(_maintenance_url(PRIMARY_URL), autocommit=True) as admin:
        admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        admin.execute(f'CREATE DATABASE "{name}"')
    environment = {
        **os.environ,
        "DATABASE_URL": PRIMARY_URL,
        "DATABASE_REPLICA_URLS": REPLICA_URL,
        "DEBUG": "false",
        "SECURE_SSL_REDIRECT": "false",
        "API_THROTTLE_ANON": "",
        "API_THROTTLE_USER": "",
    }
    manage = [sys.executable, str(PROJECT / "manage.py")]
    subprocess.run(
        [*manage, "migrate", "--noinput", "-v0"], env=environ_for(environment), check=True
    )
    token = (
        subprocess.run(
            [*manage, "shell", "-c", _MAKE_REVIEWER],
            env=environ_for(environment),
            check=True,
            capture_output=True,
            text=True,
        )
        .stdout.strip()
        .splitlines()[-1]
    )
    _wait_until(lambda: _replica_has_token(token), 30, "the replica to replay the migration")
    server = subprocess.Popen(
        [*manage, "runserver", "--noreload", f"127.0.0.1:{PORT}"],
        env=environ_for(environment),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        _wait_until(lambda: _healthy(), 30, "the server to start")
        yield token
    finally:
        server.terminate()
        server.wait(timeout=10)
        with psycopg.connect(_maintenance_url(REPLICA_URL), autocommit=True) as replica:
            replica.execute("SELECT pg_wal_replay_resume()")
        with psycopg.connect(_maintenance_url(PRIMARY_URL), autocommit=True) as admin:
            admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def environ_for(environment: dict) -> dict:
    # The suite's own database settings must not leak into the server it starts.
    return {k: v for k, v in environment.items() if k != "TEST_DATABASE_NAME"}


_MAKE_REVIEWER = """
from django.contrib.auth.models import Group, User
from rest_framework.authtoken.models import Token
user = User.objects.create_user("replica-reviewer", is_staff=True)
user.groups.add(Group.objects.get(name="reviewers"))
print(Token.objects.create(user=user).key)
"""


def _healthy() -> bool:
    try:
        return _request("GET", "/healthz")[0] == 200
    except OSError:
        return False


def test_reads_go_to_the_replica_but_a_writer_and_the_feed_read_the_primary(
    registry_on_primary_and_replica,
):
    token = registry_on_primary_and_replica
    with psycopg.connect(_maintenance_url(REPLICA_URL), autocommit=True) as replica:
        replica.execute("SELECT pg_wal_replay_pause()")

    created_status, created = _request("POST", "/api/v1/incidents/", incident_document(), token)
    published_status, _ = _request("POST", f"/api/v1/incidents/{created['id']}/publish/", {}, token)
    writer_status, writer_view = _request("GET", f"/api/v1/incidents/{created['id']}/", None, token)
    public_status, _ = _request("GET", f"/api/v1/incidents/{created['id']}/")
    _, feed = _request("GET", "/api/v1/changes/?after=0")

    assert (created_status, published_status) == (201, 200)
    # The writer's own read stays on the primary, which has the write.
    assert (writer_status, writer_view["status"]) == (200, "published")
    # An anonymous read is served by the paused replica, which does not have it yet.
    assert public_status == 404
    # The change feed is read on the primary.
    assert [(e["incident_id"], e["action"]) for e in feed["results"]] == [
        (created["id"], "published")
    ]

    with psycopg.connect(_maintenance_url(REPLICA_URL), autocommit=True) as replica:
        replica.execute("SELECT pg_wal_replay_resume()")
    _wait_until(
        lambda: _request("GET", f"/api/v1/incidents/{created['id']}/")[0] == 200,
        30,
        "the replica to catch up",
    )
