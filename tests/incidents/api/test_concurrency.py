"""Concurrent writers and the change feed on PostgreSQL, with real concurrent transactions.

Each scenario runs a second database connection in a thread (Django opens one per thread) and
holds its transaction open at the moment that matters, so the interleaving is forced rather
than hoped for. SQLite has neither row locks nor concurrent writers: these tests skip there.
"""

import threading
import time

import pytest
from django.db import connection, transaction
from rest_framework.test import APIClient
from rest_framework.views import APIView

from incidents import services
from incidents.models import ChangeEvent, Incident
from incidents.selectors import incident_document as stored_document
from tests.conftest import _client_for
from tests.factories import IncidentFactory, incident_document
from tests.incidents.api.test_changes_feed import Mirror, listed_published_ids

pytestmark = [
    pytest.mark.postgresql,
    pytest.mark.skipif(
        connection.vendor != "postgresql",
        reason="needs PostgreSQL row locks and concurrent transactions",
    ),
    # Transactions must really commit for another connection to see them; the seeded regions
    # and groups are restored for each test from the serialized test database.
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]

WAIT = 60  # seconds; a scenario that takes longer has deadlocked
WRITERS, STEPS = 4, 5  # the mirror scenario: concurrent curators, incidents each


@pytest.fixture(autouse=True)
def _no_throttling(monkeypatch):
    # The mirrors poll as fast as they can; rate limits are tested elsewhere.
    monkeypatch.setattr(APIView, "throttle_classes", [])


class Worker(threading.Thread):
    """Runs `target` on its own database connection and keeps its result or exception."""

    def __init__(self, target):
        super().__init__(daemon=True)
        self.target = target
        self.result = None
        self.error = None

    def run(self):
        try:
            self.result = self.target()
        except BaseException as error:  # reported by join_checked in the test's thread
            self.error = error
        finally:
            connection.close()

    def join_checked(self):
        self.join(WAIT)
        assert not self.is_alive(), "worker still running: deadlock?"
        if self.error is not None:
            raise self.error
        return self.result


def hold_open(work, holding: threading.Event, release: threading.Event):
    """A transaction that does `work`, then stays open until released, then commits."""

    def run():
        with transaction.atomic():
            result = work()
            holding.set()
            assert release.wait(WAIT)
        return result

    return run


def blocked(worker: Worker, seconds: float = 0.5) -> bool:
    """Whether the worker is still waiting (on a row lock) after a moment."""
    worker.join(seconds)
    return worker.is_alive()


def test_two_writers_with_the_same_etag_one_wins_the_other_gets_412(curator, curator_client):
    incident = IncidentFactory()
    etag = incident.etag
    holding, release = threading.Event(), threading.Event()

    def first_edit():
        document = {**stored_document(incident.pk), "title": "First writer"}
        return services.update_incident(
            Incident.objects.get(pk=incident.pk), document, by=curator, expected_version=1
        )

    first = Worker(hold_open(first_edit, holding, release))
    first.start()
    assert holding.wait(WAIT)
    second = Worker(
        lambda: curator_client.patch(
            f"/api/v1/incidents/{incident.pk}/",
            {"title": "Second writer"},
            format="json",
            HTTP_IF_MATCH=etag,
        )
    )
    second.start()
    assert blocked(second)  # waits for the first writer's row lock
    release.set()
    first.join_checked()
    response = second.join_checked()

    assert response.status_code == 412
    stored = Incident.objects.get(pk=incident.pk)
    assert (stored.title, stored.version) == ("First writer", 2)


def test_concurrent_patches_of_different_fields_both_land(curator, curator_client):
    incident = IncidentFactory()
    holding, release = threading.Event(), threading.Event()

    def edit_title():
        document = {**stored_document(incident.pk), "title": "Title from the first writer"}
        return services.update_incident(Incident.objects.get(pk=incident.pk), document, by=curator)

    first = Worker(hold_open(edit_title, holding, release))
    first.start()
    assert holding.wait(WAIT)
    second = Worker(
        lambda: curator_client.patch(
            f"/api/v1/incidents/{incident.pk}/",
            {"summary": "Summary from the second writer"},
            format="json",
        )
    )
    second.start()
    assert blocked(second)
    release.set()
    first.join_checked()
    response = second.join_checked()

    assert response.status_code == 200
    stored = Incident.objects.get(pk=incident.pk)
    assert stored.title == "Title from the first writer"
    assert stored.summary == "Summary from the second writer"
    assert stored.version == 3


def test_a_write_waiting_on_a_concurrent_delete_gets_404(reviewer, reviewer_client):
    incident = IncidentFactory()
    holding, release = threading.Event(), threading.Event()

    deleting = Worker(
        hold_open(lambda: services.delete_incident(incident, by=reviewer), holding, release)
    )
    deleting.start()
    assert holding.wait(WAIT)
    patching = Worker(
        lambda: reviewer_client.patch(
            f"/api/v1/incidents/{incident.pk}/", {"title": "Too late"}, format="json"
        )
    )
    patching.start()
    assert blocked(patching)
    release.set()
    deleting.join_checked()

    assert patching.join_checked().status_code == 404


def test_the_feed_never_skips_a_transaction_that_commits_late(reviewer):
    first, second = IncidentFactory(), IncidentFactory()
    mirror = Mirror(APIClient())
    holding, release = threading.Event(), threading.Event()

    # The first publication writes its event first but commits last.
    late = Worker(
        hold_open(lambda: services.publish_incident(first, by=reviewer), holding, release)
    )
    late.start()
    assert holding.wait(WAIT)
    services.publish_incident(second, by=reviewer)
    mirror.poll()
    seen_before_late_commit = [e["incident_id"] for e in mirror.events]
    release.set()
    late.join_checked()
    mirror.poll()

    assert seen_before_late_commit == [second.pk]
    assert [(e["cursor"], e["incident_id"]) for e in mirror.events] == [
        (1, second.pk),
        (2, first.pk),
    ]
    # The dangerous order: the late event has the smaller id, so a feed read by id would
    # have moved past it before it became visible.
    event_ids = dict(ChangeEvent.objects.values_list("incident_id", "id"))
    assert event_ids[first.pk] < event_ids[second.pk]
    assert mirror.published == listed_published_ids(APIClient()) == {first.pk, second.pk}


def test_mirrors_following_the_feed_during_concurrent_writes_end_with_the_public_set(
    curator, reviewer
):
    stop = threading.Event()

    def curate(thread_index: int):
        client = _client_for(reviewer if thread_index % 2 else curator)
        publisher = _client_for(reviewer)
        for step in range(STEPS):
            created = client.post("/api/v1/incidents/", incident_document(), format="json")
            assert created.status_code == 201, created.content
            detail = f"/api/v1/incidents/{created.json()['id']}/"
            published = publisher.post(f"{detail}publish/")
            assert published.status_code == 200, published.content
            edited = client.patch(
                detail,
                {"summary": f"edit {thread_index}-{step}"},
                format="json",
                HTTP_IF_MATCH=published["ETag"],
            )
            assert edited.status_code == 200, edited.content
            if step % 3:
                retracted = publisher.post(
                    f"{detail}retract/", {"reason": "Withdrawn."}, format="json"
                )
                assert retracted.status_code == 200, retracted.content
            if step % 3 == 2:
                assert publisher.delete(detail).status_code == 204

    def follow(mirror: Mirror):
        while not stop.is_set():
            mirror.poll()
            time.sleep(0.005)
        return mirror

    mirrors = [Mirror(APIClient(), limit=limit) for limit in (3, 1000)]
    followers = [Worker(lambda m=m: follow(m)) for m in mirrors]
    writers = [Worker(lambda i=i: curate(i)) for i in range(WRITERS)]
    for worker in [*followers, *writers]:
        worker.start()
    for writer in writers:
        writer.join_checked()
    stop.set()
    for follower in followers:
        follower.join_checked()
    for mirror in mirrors:
        mirror.poll()  # the writes are all committed now: catch up

    stored_events = sorted(ChangeEvent.objects.values_list("cursor", "incident_id", "action"))
    # per step: published and updated; then retracted (steps 1, 2 mod 3), deleted (2 mod 3)
    per_writer = sum(2 + (step % 3 > 0) + (step % 3 == 2) for step in range(STEPS))
    assert len(stored_events) == WRITERS * per_writer
    public = listed_published_ids(APIClient())
    assert public == set(Incident.objects.filter(status="published").values_list("pk", flat=True))
    for mirror in mirrors:
        seen = [(e["cursor"], e["incident_id"], e["action"]) for e in mirror.events]
        assert seen == stored_events  # every event exactly once, in cursor order
        assert [cursor for cursor, _, _ in seen] == list(range(1, len(seen) + 1))
        assert mirror.published == public
