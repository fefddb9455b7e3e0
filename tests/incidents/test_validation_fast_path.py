"""The import's fast paths give exactly what the full paths give (issue 5, speed).

`clean_incident` checks plain valid values with plain Python and falls back to the model
fields' `clean()` for anything else; the importer reads stored documents in one statement on
PostgreSQL. Both must be indistinguishable from the paths they shortcut.
"""

import copy
import functools
import json
from pathlib import Path

import pytest
from django.conf import settings

from incidents.models import Incident, Participant, Source
from incidents.selectors import documents_for
from incidents.services import validation
from incidents.services.importing import import_data, plain
from incidents.services.importing.plain import clean_plain
from incidents.services.importing.unchanged import record_key, stored_keys
from incidents.services.records import _new
from incidents.services.validation import Lookups, clean_incident
from incidents.synthetic import synthetic_batch
from tests.factories import incident_document

pytestmark = pytest.mark.django_db


def _slow(monkeypatch):
    """Every field through the model field's own clean()."""
    monkeypatch.setattr(validation, "_FAST_CLEANERS", {}, raising=True)
    monkeypatch.setattr(validation, "_fast_cleaner", lambda model_field: None, raising=True)


def _both(monkeypatch, record, lookups):
    def outcome():
        try:
            return clean_incident(copy.deepcopy(record), lookups=lookups, accept_status=True)
        except Exception as error:  # noqa: BLE001 - compared below, type and messages
            return (type(error), getattr(error, "message_dict", str(error)))

    fast = outcome()
    with monkeypatch.context() as patch:
        _slow(patch)
        slow = outcome()
    return fast, slow


@functools.cache
def _records():
    """(synthetic data, records to validate): shared by the tests, which copy before changing."""
    data = synthetic_batch(0, 300, seed=7)
    real = json.loads((Path(settings.BASE_DIR) / "data" / "incidents.json").read_text())
    return data, data["incidents"] + real["incidents"][:200]


def test_fast_validation_equals_full_validation(monkeypatch):
    data, records = _records()
    import_data({"platforms": data["platforms"]})
    real = json.loads((Path(settings.BASE_DIR) / "data" / "incidents.json").read_text())
    import_data({"platforms": real.get("platforms", [])})
    lookups = Lookups.load()
    for record in records:
        fast, slow = _both(monkeypatch, record, lookups)
        assert fast == slow, record.get("external_id")


MUTATIONS = [
    ("title", ""),
    ("title", "x" * 201),
    ("title", 12),
    ("kind", "flyby"),
    ("kind", ["intercept"]),
    ("occurred_on", "2021-02-30"),
    ("occurred_on", "11 March 2021"),
    ("occurred_on", 20210311),
    ("latitude", "12.5"),
    ("latitude", True),
    ("latitude", float("nan")),
    ("latitude", 10**400),
    ("conduct", "rude"),
    ("conduct", ""),
    ("date_precision", None),
    ("location_name", ""),
    ("status", ["published"]),
    ("verification", {"x": 1}),
    ("participants.0.count", 0),
    ("participants.0.count", 2.0),
    ("participants.0.count", 2.5),
    ("participants.0.count", 2**40),
    ("participants.0.count", "3"),
    ("participants.0.role", "bystander"),
    ("participants.0.force", None),
    ("participants.0.country", "XX"),
    ("participants.0.country", "cn"),
    ("sources.0.url", "ftp://example.org/a"),
    ("sources.0.url", "https://"),
    ("sources.0.url", "https://exa mple.org/"),
    ("sources.0.url", "https://example.org/" + "a" * 1000),
    ("sources.0.published_on", ""),
    ("sources.0.type", "rumour"),
    ("sources.0.title", ""),
    ("details.dispute_types", [["shadowing"]]),
    ("details.dispute_types", ["shadowing", {"a": 1}]),
]
# Values the record-level plain path (importing.plain) must give back to clean_incident.
PLAIN_MUTATIONS = [
    ("title", "  padded  "),
    ("title", "   "),
    ("external_id", "  spaced  "),
    ("external_id", ""),
    ("external_id", 5),
    ("location_name", "  "),
    ("summary", None),
    ("summary", 5),
    ("conduct", None),
    ("date_precision", "month"),
    ("date_precision", "year"),
    ("occurred_at", "2023-05-26T02:15:00+08:00"),
    ("occurred_at", "2023-05-26T02:15:00"),
    ("occurred_at", ""),
    ("occurred_at", "2999-01-01T00:00:00Z"),
    ("occurred_at", "1999-01-01T00:00:00Z"),
    ("occurred_at", 5),
    ("latitude", 91.0),
    ("longitude", None),
    ("participants", {}),
    ("participants", None),
    ("participants.0", "CN"),
    ("participants.0.platform", "J-11"),
    ("participants.0.platform", "Shenyang J-11"),
    ("participants.0.platform", 5),
    ("participants.0.platform", ""),
    ("participants.0.count", None),
    ("participants.0.count", True),
    ("participants.0.platform_detail", ""),
    ("participants.0.force", ""),
    ("participants.0.extra", 1),
    ("sources", []),
    ("sources", "x"),
    ("sources.0", 5),
    ("sources.0.quote", None),
    ("sources.0.quote", 5),
    ("sources.0.quote", 0),
    ("sources.0.id", 7),
    ("sources.0.extra", 1),
    ("sources.0.title", None),
    ("sources.0.published_on", None),
    ("sources.0.url", "https://example.org:8080/a"),
    ("sources.0.url", "HTTPS://Example.org/a"),
    ("sources.0.url", "https://Example.ORG/A"),
    ("sources.0.url", "https://example.org/a\u00a0b"),
    ("sources.0.url", "https://xn--bcher-kva.example/a"),
    ("sources.0.url", "https://b\u00fccher.example/a"),
    ("sources.0.url", "https://localhost/a"),
    ("sources.0.url", "https://192.168.0.1/a"),
    ("sources.0.url", "https://-example.org/a"),
    ("sources.0.url", "https://example.o/a"),
    ("sources.0.url", "https://" + "a" * 64 + ".example/a"),
    ("sources.0.url", "https://" + ".".join(["a" * 60] * 5) + ".example/a"),
    ("details", {}),
    ("details", []),
    ("details", None),
    ("details.domain", ""),
    ("details.domain", None),
    ("details.maneuvers", None),
    ("details.maneuvers", [" "]),
    ("details.maneuvers", "roll"),
    ("details.closest_approach_m", -1),
    ("details.closest_approach_m", 0),
    ("details.closest_approach_text", None),
    ("details.zone", None),
    ("details.zone", ""),
    ("details.feature", ""),
    ("details.track_analysis", {"crossed": True}),
    ("details.aircraft_count", 0),
    ("details.vessel_count", 0),
    ("details.period_end", "2000-01-01"),
    ("details.track", {"type": "LineString", "coordinates": [[118, 23], [121.5, 25, 3]]}),
    ("details.track", {"type": "LineString", "coordinates": [[118, 23]]}),
    ("details.track", {"type": "Point"}),
    ("details.unknown", 1),
    ("status", ""),
    ("status", None),
    ("status", "retracted"),
    ("status", 5),
    ("status", False),
    ("sources.0.quote", False),
    ("sources.0.quote", 0),
    ("status", 0),
    ("retraction_reason", "  "),
    ("retraction_reason", 5),
    ("retraction_reason", " reason "),
    ("disputed", "yes"),
    ("disputed", True),
    ("verification", "disputed"),
    ("verification", "bogus"),
    ("verification", None),
    ("region", None),
    ("region", ["x"]),
    ("region", "atlantis"),
    ("unknown_key", 1),
    ("id", 5),
    ("created_at", "x"),
]


def _mutated(record: dict, path: str, value) -> dict:
    record = copy.deepcopy(record)
    target, *keys = path.split(".")
    node = record
    for key in [target, *keys][:-1]:
        node = node[int(key)] if isinstance(node, list) else node.setdefault(key, {})
    node[[target, *keys][-1] if not isinstance(node, list) else int(keys[-1])] = value
    return record


@pytest.mark.parametrize("path, value", MUTATIONS)
def test_fast_validation_falls_back_with_the_same_messages(monkeypatch, path, value):
    data, records = _records()
    import_data({"platforms": data["platforms"]})
    lookups = Lookups.load()
    for record in records[:3]:
        fast, slow = _both(monkeypatch, _mutated(record, path, value), lookups)
        assert fast == slow, (path, value)


def _plain_agrees(record: dict, lookups: Lookups) -> bool:
    """The plain path gives nothing, or exactly what clean_incident gives (which must accept)."""
    plain = clean_plain(copy.deepcopy(record), lookups=lookups)
    if plain is None:
        return True
    return plain == clean_incident(copy.deepcopy(record), lookups=lookups, accept_status=True)


def _one_of_each_kind(records: list[dict]) -> list[dict]:
    """An intercept, a crossing with a track, a crossing without, a dispute, a real record."""
    first = {}
    for record in records:
        details = record.get("details") or {}
        first.setdefault((record["kind"], "track" in details), record)
    return list(first.values())


def test_the_plain_path_gives_what_full_validation_gives(monkeypatch):
    data, records = _records()
    real = json.loads((Path(settings.BASE_DIR) / "data" / "incidents.json").read_text())
    import_data({"platforms": data["platforms"]})
    import_data({"platforms": real.get("platforms", [])})
    lookups = Lookups.load()

    assert all(_plain_agrees(record, lookups) for record in records)
    # ... and it is the path taken for every synthetic record.
    assert all(clean_plain(record, lookups=lookups) for record in data["incidents"])


@pytest.mark.parametrize("path, value", MUTATIONS + PLAIN_MUTATIONS)
def test_the_plain_path_gives_what_full_validation_gives_or_nothing(path, value):
    data, records = _records()
    import_data({"platforms": data["platforms"]})
    lookups = Lookups.load()

    for record in _one_of_each_kind(records):
        assert _plain_agrees(_mutated(record, path, value), lookups), (record["kind"], path)


def test_the_plain_path_turns_itself_off_for_a_field_rule_it_does_not_know(monkeypatch):
    data = synthetic_batch(0, 5, seed=2)
    import_data({"platforms": data["platforms"]})
    url = Source._meta.get_field("url")
    monkeypatch.setattr(url, "validators", [*url.validators, lambda value: None])
    monkeypatch.setattr(validation, "_FAST_CLEANERS", {})
    monkeypatch.setattr(plain, "_cleaners", None)

    assert clean_plain(data["incidents"][0], lookups=Lookups.load()) is None
    assert import_data(data).created == 5


def test_plain_construction_equals_model_init():
    values = {"country": "CN", "role": "initiator", "force": "", "count": 2, "position": 1}
    built = _new(Participant, values)
    reference = Participant(**values)
    names = [f.attname for f in Participant._meta.concrete_fields]
    assert [getattr(built, n) for n in names] == [getattr(reference, n) for n in names]
    assert built._state.adding and built._state.db is None
    source = _new(Source, {"url": "https://example.org/a", "publisher": "P"})
    assert source.title == "" and source.published_on is None and source.pk is None


def _awkward_incidents() -> list[dict]:
    """Records whose stored values print differently in PostgreSQL and Python unless helped."""
    intercept = incident_document(
        title='Quote " backslash \\ tab\t é 漢字 \u2028 \x7f',
        latitude=15.0,
        longitude=-120.0,
        occurred_at="2023-05-26T02:15:00.250000Z",
        status="retracted",
        retraction_reason="Withdrawn by the source.",
        verification="disputed",
    )
    intercept["details"]["closest_approach_m"] = 90.0
    intercept["details"]["maneuvers"] = ["crossed the nose", 'said "break"']
    intercept["sources"][0].update(published_on=None, title="", quote="line one\nline two")
    crossing = incident_document(
        kind="median_line_crossing", region="taiwan-strait", latitude=0.1, longitude=1e-05
    )
    crossing["details"]["track"] = {
        "type": "LineString",
        "coordinates": [[118.0, 23.5], [120.25, 24.125], [121.0, 24.0]],
    }
    dispute = incident_document(kind="navigation_dispute", details={})
    return [intercept, crossing, dispute]


def test_stored_keys_equal_the_keys_of_the_export_documents():
    data = synthetic_batch(0, 120, seed=3)
    data["incidents"] += _awkward_incidents()
    assert import_data(data).ok

    documents = documents_for(Incident.objects.all())
    stored = stored_keys([d["external_id"] for d in documents])

    assert {d["external_id"]: record_key(d) for d in documents} == {
        external_id: key.key for external_id, key in stored.items()
    }
    assert all(key.key for key in stored.values())
    assert stored_keys([]) == {}


def test_every_record_of_a_file_is_recognised_as_stored_when_imported_again():
    data = synthetic_batch(0, 120, seed=3)
    data["incidents"] += _awkward_incidents()
    import_data(copy.deepcopy(data))

    stored = stored_keys([r["external_id"] for r in data["incidents"]])

    assert [
        r["external_id"] for r in data["incidents"] if record_key(r) != stored[r["external_id"]].key
    ] == []
