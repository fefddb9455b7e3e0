"""Backups restore the registry exactly (PostgreSQL only; docs/security.md, "Backups").

Two round trips, each into a scratch database named `reg_sec_…` that is dropped afterwards:

- `pg_dump -Fc` of the database and `pg_restore` into an empty database: the API serves the same
  documents, ETags (versions), histories and change feed, every table (history included) holds
  the same rows, and the restored database takes new writes (its sequences came along);
- `export_incidents --format json` and `import_incidents` into a freshly migrated database:
  the API serves the same documents (less ids and timestamps, which a new database assigns anew)
  and the same platforms, sources and contacts.
"""

import json
import os
import secrets
import subprocess
import sys

import pytest
from django.conf import settings
from django.db import connection

from incidents import services
from incidents.models import Platform
from incidents.selectors import incident_document as _stored
from tests.factories import (
    ContactFactory,
    IncidentFactory,
    SourceFactory,
    UserFactory,
    incident_document,
)
from tests.security.conftest import CROSSING_TRACK, postgresql_only

pytestmark = [
    postgresql_only,
    # The data must be committed for pg_dump and the commands to see it; the seeded regions and
    # groups come back from the serialized test database after each test.
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]

BASE_DIR = settings.BASE_DIR
TIMEOUT = 300  # seconds for any one command
VOLATILE = {"id", "created_at", "updated_at"}


def _database_url(name: str) -> str:
    params = connection.settings_dict
    credentials = params["USER"] + (f":{params['PASSWORD']}" if params["PASSWORD"] else "")
    return (
        f"postgres://{credentials}@{params['HOST'] or '127.0.0.1'}:{params['PORT'] or 5432}/{name}"
    )


def _pg_env() -> dict:
    params = connection.settings_dict
    env = dict(os.environ)
    env.update(
        PGHOST=params["HOST"] or "127.0.0.1",
        PGPORT=str(params["PORT"] or 5432),
        PGUSER=params["USER"],
    )
    if params["PASSWORD"]:
        env["PGPASSWORD"] = params["PASSWORD"]
    return env


def _run(args: list[str], *, database: str | None = None) -> str:
    env = _pg_env()
    if database is not None:
        env.update(DATABASE_URL=_database_url(database), API_THROTTLE_USER="", API_THROTTLE_ANON="")
    result = subprocess.run(
        args, cwd=BASE_DIR, env=env, capture_output=True, text=True, timeout=TIMEOUT
    )
    assert result.returncode == 0, f"{args[:3]}: {result.stdout[-2000:]}{result.stderr[-2000:]}"
    return result.stdout


def _manage(database: str, *args: str) -> str:
    return _run([sys.executable, "manage.py", *args], database=database)


def _snapshot(database: str) -> dict:
    return json.loads(
        _run([sys.executable, "-m", "tests.security.registry_snapshot"], database=database)
    )


@pytest.fixture
def scratch_database():
    """A fresh, empty database `reg_sec_<random>`; dropped after the test."""
    names = []

    def create() -> str:
        name = f"reg_sec_{secrets.token_hex(4)}"
        _run(["createdb", name])
        names.append(name)
        return name

    yield create
    for name in names:
        subprocess.run(["dropdb", "--if-exists", "--force", name], env=_pg_env(), timeout=60)


@pytest.fixture
def registry(db):
    """Every shape of record, with a history of several versions each."""
    reviewer = UserFactory(username="reviewer-backup", is_staff=True, groups=["reviewers"])
    Platform.objects.create(slug="j-16", name="Shenyang J-16", category="fighter", domain="air")
    shared = SourceFactory(url="https://shared.example.org/report", type="official")
    ContactFactory(external_id="hotline-2023").sources.add(shared)
    crossing = IncidentFactory(
        kind="median_line_crossing", region="taiwan-strait", status="published", by=reviewer
    )
    services.update_incident(
        crossing,
        {
            **_document(crossing),
            "details": {**_document(crossing)["details"], "track": CROSSING_TRACK},
        },
        by=reviewer,
    )
    edited = IncidentFactory(status="published", title="First title", by=reviewer)
    for title in ("Second title", "Third title"):
        edited = services.update_incident(
            edited, {**_document(edited), "title": title}, by=reviewer
        )
    IncidentFactory(kind="navigation_dispute", status="retracted", by=reviewer)
    IncidentFactory(title="A draft", by=reviewer)
    document = _document(IncidentFactory(status="published", by=reviewer))
    cited = IncidentFactory(
        external_id="cites-shared",
        sources=[
            {
                "url": shared.url,
                "publisher": shared.publisher,
                "title": shared.title,
                "published_on": "2023-05-27",
                "type": "official",
                "quote": "As stated.",
            }
        ],
        participants=[{**document["participants"][0], "platform": "j-16"}],
        by=reviewer,
    )
    services.set_disputed(cited, disputed=True, by=reviewer)
    services.delete_incident(IncidentFactory(by=reviewer), by=reviewer)


def _document(incident) -> dict:
    return _stored(incident.pk)


def _pg_copy(scratch_database, tmp_path) -> str:
    """`pg_dump -Fc` of the test database restored whole into a new empty one; its name."""
    dump = tmp_path / "registry.dump"
    restored = scratch_database()
    _run(["pg_dump", "-Fc", "--no-owner", "-f", str(dump), connection.settings_dict["NAME"]])
    _run(["pg_restore", "--no-owner", "--exit-on-error", "-d", restored, str(dump)])
    return restored


def _json_copy(scratch_database, tmp_path) -> str:
    """`export_incidents --format json` of the test database imported into a new migrated one."""
    export = tmp_path / "registry.json"
    empty = scratch_database()
    _manage(empty, "migrate", "--noinput", "-v", "0")
    _manage(
        connection.settings_dict["NAME"],
        "export_incidents",
        "--format",
        "json",
        "--output",
        str(export),
    )
    _manage(empty, "import_incidents", str(export))
    return empty


def test_pg_dump_and_pg_restore_reproduce_the_registry_exactly(
    registry, scratch_database, tmp_path
):
    before = _snapshot(connection.settings_dict["NAME"])

    after = _snapshot(_pg_copy(scratch_database, tmp_path))
    assert after["api"] == before["api"]
    assert after["tables"] == before["tables"]
    assert len(before["api"]["incidents"]) == 6
    assert any(len(entries) > 3 for entries in before["api"]["history"].values())


def test_a_restored_database_takes_new_writes(registry, scratch_database, tmp_path):
    restored = _pg_copy(scratch_database, tmp_path)
    path = tmp_path / "one.json"
    path.write_text(json.dumps({"incidents": [incident_document(external_id="after-restore")]}))

    output = _manage(restored, "import_incidents", str(path), "--publish")

    assert "1 created" in output


def _portable(snapshot: dict) -> dict:
    """What an export carries, keyed by natural keys instead of the numbers a database assigns:
    the incidents, the vocabularies and the sources something cites (see the test below for
    sources nothing cites)."""
    api = snapshot["api"]
    incidents = sorted(
        ({k: v for k, v in d.items() if k not in VOLATILE} for d in api["incidents"]),
        key=lambda d: (d["external_id"] or "", d["title"]),
    )
    cited = {source["url"] for d in api["incidents"] for source in d["sources"]}
    cited |= {url for contact in api["contacts"] for url in contact["sources"]}
    sources = sorted(
        ({k: v for k, v in s.items() if k != "id"} for s in api["sources"] if s["url"] in cited),
        key=lambda s: s["url"],
    )
    contacts = sorted(
        ({k: v for k, v in c.items() if k not in VOLATILE} for c in api["contacts"]),
        key=lambda c: c["external_id"] or "",
    )
    return {
        "incidents": incidents,
        "platforms": api["platforms"],
        "regions": api["regions"],
        "sources": sources,
        "contacts": contacts,
    }


def test_a_json_export_imported_into_an_empty_database_reproduces_the_api(
    registry, scratch_database, tmp_path
):
    before = _snapshot(connection.settings_dict["NAME"])

    copy = _json_copy(scratch_database, tmp_path)

    assert _portable(_snapshot(copy)) == _portable(before)


def test_a_source_nothing_cites_yet_survives_a_json_export_and_import(scratch_database, tmp_path):
    """A curator may enter a source before citing it (admin, POST /sources/), and a deleted
    draft leaves its sources behind: the portable backup must keep them too."""
    SourceFactory(url="https://waiting.example.org/report", title="Not cited yet")
    copy = _json_copy(scratch_database, tmp_path)

    urls = [s["url"] for s in _snapshot(copy)["api"]["sources"]]
    assert urls == ["https://waiting.example.org/report"]
