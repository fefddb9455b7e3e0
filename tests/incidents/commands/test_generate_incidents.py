"""`manage.py generate_incidents`: deterministic synthetic incidents, loaded through the importer."""

import hashlib
import io
import json

import pytest
from django.core.management import CommandError, call_command

from incidents.management.commands import generate_incidents
from incidents.models import ChangeEvent, Incident
from incidents.selectors import documents_for
from incidents.services.importing.unchanged import record_key
from incidents.synthetic import synthetic_batch, synthetic_incident

pytestmark = pytest.mark.django_db

# sha256 of the first 200 incidents of seed 1 (json, sorted keys). The benchmark database, a
# resumed load (--start) and "running it again changes nothing" all rely on the same seed
# giving the same documents, in any process: a change to incidents/synthetic.py changes this
# digest, and must be deliberate (the data set of every recorded benchmark changes with it).
SEED_1_DIGEST = "ea2ae4cd868cbe281f3d7f44cdece963af7dd8f22bf68088af93ac5d3becdc73"


def _generate(*args) -> str:
    out = io.StringIO()
    call_command("generate_incidents", *args, stdout=out, verbosity=0)
    return out.getvalue()


def test_synthetic_incidents_of_a_seed_are_always_the_same():
    documents = synthetic_batch(0, 200, seed=1)["incidents"]

    digest = hashlib.sha256(json.dumps(documents, sort_keys=True).encode()).hexdigest()

    assert digest == SEED_1_DIGEST


def test_a_synthetic_incident_depends_on_its_index_and_seed_only():
    in_order = synthetic_batch(0, 30, seed=4)["incidents"]

    backwards = [synthetic_incident(index, seed=4) for index in reversed(range(30))]

    assert backwards[::-1] == in_order
    assert synthetic_batch(10, 20, seed=4)["incidents"] == in_order[10:20]
    assert synthetic_incident(0, seed=5) != in_order[0]


def test_the_command_loads_the_incidents_as_an_import_of_them_would():
    out = _generate("--count", "25", "--seed", "3", "--batch", "10")

    assert out.startswith("Loaded synthetic incidents 0..24 of seed 3 (25 created, ")
    stored = {d["external_id"]: record_key(d) for d in documents_for(Incident.objects.all())}
    expected = synthetic_batch(0, 25, seed=3)["incidents"]
    assert stored == {d["external_id"]: record_key(d) for d in expected}
    assert Incident.history.filter(history_type="+").count() == 25
    public = [d for d in expected if d["status"] != "draft"]
    assert ChangeEvent.objects.count() == len(public)


def test_running_the_command_again_changes_nothing():
    _generate("--count", "25", "--seed", "3", "--batch", "10")
    before = (Incident.objects.count(), Incident.history.count(), ChangeEvent.objects.count())

    out = _generate("--count", "25", "--seed", "3", "--batch", "10")

    assert out.startswith("Loaded synthetic incidents 0..24 of seed 3 (25 unchanged).")
    after = (Incident.objects.count(), Incident.history.count(), ChangeEvent.objects.count())
    assert after == before


def test_start_resumes_an_interrupted_load():
    _generate("--count", "10", "--seed", "3")

    out = _generate("--count", "25", "--seed", "3", "--start", "10", "--batch", "7")

    assert "(15 created" in out
    assert Incident.objects.count() == 25


def test_a_batch_the_importer_refuses_stops_the_command_with_its_problems(monkeypatch):
    def with_a_bad_record(first, stop, *, seed):
        data = synthetic_batch(first, stop, seed=seed)
        if first == 10:
            data["incidents"][3]["region"] = "atlantis"
        return data

    monkeypatch.setattr(generate_incidents, "synthetic_batch", with_a_bad_record)

    with pytest.raises(CommandError) as refused:
        _generate("--count", "30", "--seed", "3", "--batch", "10")

    message = str(refused.value)
    assert message.startswith("Incidents 10..19 were refused (nothing of them was written): ")
    assert "record 3, region: Unknown region 'atlantis'" in message
    assert Incident.objects.count() == 10


@pytest.mark.parametrize(
    "args", [("--count", "-1"), ("--count", "5", "--batch", "0"), ("--count", "5", "--start", "6")]
)
def test_impossible_arguments_are_refused(args):
    with pytest.raises(CommandError, match="Need --count >= 0"):
        _generate(*args)
