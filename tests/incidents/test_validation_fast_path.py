"""The import's fast paths give exactly what the full paths give (issue 5, speed).

`clean_incident` checks plain valid values with plain Python and falls back to the model
fields' `clean()` for anything else; the importer reads stored documents in one statement on
PostgreSQL. Both must be indistinguishable from the paths they shortcut.
"""

import copy
import json
from pathlib import Path

import pytest
from django.conf import settings

from incidents.models import Incident, Participant, Source
from incidents.selectors import documents_for
from incidents.services import validation
from incidents.services.importing import import_data
from incidents.services.importing.unchanged import stored_documents
from incidents.services.records import _new
from incidents.services.validation import Lookups, clean_incident
from incidents.synthetic import synthetic_batch

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


def _records():
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


@pytest.mark.parametrize(
    "path, value",
    [
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
    ],
)
def test_fast_validation_falls_back_with_the_same_messages(monkeypatch, path, value):
    data, records = _records()
    import_data({"platforms": data["platforms"]})
    lookups = Lookups.load()
    for record in records[:3]:
        record = copy.deepcopy(record)
        target, *keys = path.split(".")
        node = record
        for key in [target, *keys][:-1]:
            node = node[int(key)] if isinstance(node, list) else node.setdefault(key, {})
        node[[target, *keys][-1] if not isinstance(node, list) else int(keys[-1])] = value
        fast, slow = _both(monkeypatch, record, lookups)
        assert fast == slow, (path, value)


def test_plain_construction_equals_model_init():
    values = {"country": "CN", "role": "initiator", "force": "", "count": 2, "position": 1}
    built = _new(Participant, values)
    reference = Participant(**values)
    names = [f.attname for f in Participant._meta.concrete_fields]
    assert [getattr(built, n) for n in names] == [getattr(reference, n) for n in names]
    assert built._state.adding and built._state.db is None
    source = _new(Source, {"url": "https://example.org/a", "publisher": "P"})
    assert source.title == "" and source.published_on is None and source.pk is None


def test_stored_documents_equal_the_export_documents():
    data = synthetic_batch(0, 120, seed=3)
    assert import_data(data).ok
    keys = list(Incident.objects.values_list("external_id", flat=True))
    expected = {d["external_id"]: d for d in documents_for(Incident.objects.all())}
    got = {d["external_id"]: d for d in stored_documents(keys)}
    assert got == expected
    assert stored_documents([]) == []
