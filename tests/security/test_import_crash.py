"""A crash in the middle of an import leaves the database as it was (PostgreSQL only).

`manage.py import_incidents` runs in a subprocess against the test database with a large file
that both updates existing records and adds thousands of new ones. Once it holds write locks on
the incident table (it is writing), it gets SIGKILL: no Python cleanup, no rollback sent. The
server must roll the whole transaction back by itself: every row of every incidents table,
history and change feed included, is what it was before.
"""

import json
import os
import signal
import subprocess
import sys
import time

import pytest
from django.conf import settings
from django.db import connection

from incidents import services
from incidents.models import Incident
from incidents.synthetic import synthetic_batch
from tests.factories import IncidentFactory, UserFactory
from tests.security.conftest import postgresql_only
from tests.security.registry_snapshot import table_rows

pytestmark = [
    postgresql_only,
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]

INCIDENTS = 10_000
GROWTH = 256 * 1024  # bytes of new incident rows (some hundreds) before the kill
WAIT = 120  # seconds: bound of every wait below


def _database_url() -> str:
    params = connection.settings_dict
    credentials = params["USER"] + (f":{params['PASSWORD']}" if params["PASSWORD"] else "")
    host = params["HOST"] or "127.0.0.1"
    return f"postgres://{credentials}@{host}:{params['PORT'] or 5432}/{params['NAME']}"


def _writer_pid(process_started_after: float) -> int | None:
    """The backend of another session holding a write lock on the incident table, if any."""
    with connection.cursor() as cursor:
        cursor.execute(
            """
            SELECT a.pid FROM pg_locks l
            JOIN pg_class c ON c.oid = l.relation
            JOIN pg_stat_activity a ON a.pid = l.pid
            WHERE c.relname = 'incidents_incident' AND l.mode = 'RowExclusiveLock'
              AND a.datname = current_database() AND a.pid <> pg_backend_pid()
              AND a.backend_start >= to_timestamp(%s)
            """,
            [process_started_after - 5],
        )
        row = cursor.fetchone()
    return row[0] if row else None


def _incident_table_bytes() -> int:
    """On-disk size of the incident table: it grows with rows not yet committed too."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_relation_size('incidents_incident')")
        return cursor.fetchone()[0]


def _backend_alive(pid: int) -> bool:
    with connection.cursor() as cursor:
        cursor.execute("SELECT count(*) FROM pg_stat_activity WHERE pid = %s", [pid])
        return cursor.fetchone()[0] > 0


@pytest.fixture
def registry(db) -> dict:
    reviewer = UserFactory(username="reviewer-crash", is_staff=True, groups=["reviewers"])
    # The file's first two records are a crossing and an intercept with these external ids.
    published = IncidentFactory(
        kind="median_line_crossing",
        region="taiwan-strait",
        external_id="synthetic-7-00000000",
        status="published",
        by=reviewer,
    )
    draft = IncidentFactory(external_id="synthetic-7-00000001", by=reviewer)
    services.retract_incident(
        IncidentFactory(status="published", by=reviewer), reason="Withdrawn.", by=reviewer
    )
    return {"published": published, "draft": draft}


@pytest.fixture
def large_file(tmp_path):
    """Synthetic incidents whose first external ids are those of the registry: updates + adds."""
    path = tmp_path / "large.json"
    path.write_text(json.dumps(synthetic_batch(0, INCIDENTS, seed=7)))
    return path


def _start_and_kill(large_file) -> subprocess.Popen:
    """Start the import, SIGKILL it once it has written hundreds of incident rows (uncommitted),
    wait until its server session is gone."""
    size_before = _incident_table_bytes()
    started = time.time()
    process = subprocess.Popen(
        [sys.executable, "manage.py", "import_incidents", str(large_file), "-v", "0"],
        cwd=settings.BASE_DIR,
        env={**os.environ, "DATABASE_URL": _database_url()},
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        pid = None
        deadline = time.monotonic() + WAIT
        while process.poll() is None and time.monotonic() < deadline:
            pid = _writer_pid(started)
            if pid is not None and _incident_table_bytes() - size_before >= GROWTH:
                break
            time.sleep(0.02)
        assert pid is not None, "the import never started writing"
        assert _incident_table_bytes() - size_before >= GROWTH, "no incident rows were written"
        assert process.poll() is None, "the import finished before it could be killed"

        os.kill(process.pid, signal.SIGKILL)
        process.wait(timeout=WAIT)
    finally:
        if process.poll() is None:
            process.kill()
            process.wait(timeout=WAIT)

    deadline = time.monotonic() + WAIT
    while _backend_alive(pid) and time.monotonic() < deadline:
        time.sleep(0.1)
    assert not _backend_alive(pid), "the killed import's transaction is still open"
    assert process.returncode == -signal.SIGKILL
    return process


def test_killing_an_import_mid_write_leaves_the_database_as_before(registry, large_file):
    before = table_rows()

    _start_and_kill(large_file)

    assert table_rows() == before


def test_the_registry_takes_writes_at_once_after_the_killed_import(registry, large_file):
    """Nothing stays locked: the curator's next save goes through."""
    _start_and_kill(large_file)

    with connection.cursor() as cursor:
        cursor.execute("SET lock_timeout = '5s'")
    services.publish_incident(registry["draft"], by=None)

    assert Incident.objects.get(pk=registry["draft"].pk).status == "published"
