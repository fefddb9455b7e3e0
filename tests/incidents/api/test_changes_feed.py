"""GET /api/v1/changes/: the change feed a mirror follows, and the issue's end-to-end scenario."""

import pytest

from incidents import services
from incidents.services.feed import record_change
from tests.factories import IncidentFactory, incident_document

pytestmark = pytest.mark.django_db

FEED = "/api/v1/changes/"


class Mirror:
    """A client that keeps a copy of the published set by following the feed from after=0."""

    def __init__(self, client, limit: int = 100):
        self.client = client
        self.limit = limit
        self.after = 0
        self.events: list[dict] = []
        self.published: set[int] = set()

    def poll(self) -> int:
        """Follow `next` until the feed has nothing new; returns how many events were read."""
        read = 0
        while True:
            response = self.client.get(FEED, {"after": self.after, "limit": self.limit})
            assert response.status_code == 200, response.content
            body = response.json()
            for event in body["results"]:
                self.apply(event)
            read += len(body["results"])
            assert body["next"] >= self.after
            self.after = body["next"]
            if not body["results"]:
                return read

    def apply(self, event: dict) -> None:
        self.events.append(event)
        if event["action"] == "published":
            self.published.add(event["incident_id"])
        elif event["action"] in ("retracted", "deleted"):
            self.published.discard(event["incident_id"])


def listed_published_ids(client) -> set[int]:
    """The published set as the list endpoint returns it."""
    response = client.get("/api/v1/incidents/", {"status": "published", "limit": 1000})
    assert response.status_code == 200, response.content
    return {item["id"] for item in response.json()["results"] if item["status"] == "published"}


def test_an_empty_feed_returns_no_results_and_after_as_next(api_client):
    response = api_client.get(FEED, {"after": 7})

    assert response.status_code == 200
    assert response.json() == {"results": [], "next": 7}


def test_each_change_to_the_public_set_is_one_event_in_order(api_client, reviewer):
    incident = IncidentFactory(status="retracted", by=reviewer)
    services.delete_incident(incident, by=reviewer)

    body = api_client.get(FEED).json()

    assert [(e["cursor"], e["incident_id"], e["action"]) for e in body["results"]] == [
        (1, incident.pk, "published"),
        (2, incident.pk, "retracted"),
        (3, incident.pk, "deleted"),
    ]
    assert body["next"] == 3
    assert all(e["at"].endswith("Z") for e in body["results"])


def test_changes_to_drafts_never_appear(api_client, curator_client):
    incident = IncidentFactory()
    curator_client.patch(f"/api/v1/incidents/{incident.pk}/", {"title": "X"}, format="json")

    assert api_client.get(FEED).json()["results"] == []


def test_following_next_with_a_small_limit_reads_every_event_once(api_client):
    for incident_id in range(1, 8):
        record_change(incident_id, "published")
    mirror = Mirror(api_client, limit=3)

    mirror.poll()

    assert [e["cursor"] for e in mirror.events] == [1, 2, 3, 4, 5, 6, 7]
    assert mirror.after == 7


def test_the_default_limit_is_100_and_at_most_1000_are_returned(api_client):
    for incident_id in range(1, 102):
        record_change(incident_id, "updated")

    assert len(api_client.get(FEED).json()["results"]) == 100
    assert len(api_client.get(FEED, {"limit": 1000}).json()["results"]) == 101


@pytest.mark.parametrize(
    "params, attr",
    [
        ({"after": -1}, "after"),
        ({"after": "abc"}, "after"),
        ({"after": "1.5"}, "after"),
        ({"after": ""}, "after"),
        ({"after": str(2**63)}, "after"),
        ({"limit": 0}, "limit"),
        ({"limit": 1001}, "limit"),
        ({"limit": "ten"}, "limit"),
        ({"since": 3}, "since"),
        ({"cursor": 3}, "cursor"),
    ],
)
def test_a_bad_or_unknown_parameter_is_400_naming_it(api_client, params, attr):
    response = api_client.get(FEED, params)

    assert response.status_code == 400
    assert [error["attr"] for error in response.json()["errors"]] == [attr]


def test_a_repeated_after_is_400(api_client):
    response = api_client.get(f"{FEED}?after=1&after=2")

    assert response.status_code == 400


def test_the_feed_is_read_only(reviewer_client):
    assert reviewer_client.post(FEED, {}, format="json").status_code == 405


def test_done_when_a_reviewer_script_curates_and_a_mirror_keeps_up(reviewer_client, api_client):
    """Issue 4's scenario: create a sourced intercept, publish, edit with If-Match, retract.

    Every step is in /history/ and /changes/, and a second client following /changes/
    meanwhile ends with the same published set as the list endpoint.
    """
    mirror = Mirror(api_client, limit=2)
    kept = reviewer_client.post("/api/v1/incidents/", incident_document(), format="json")
    reviewer_client.post(f"/api/v1/incidents/{kept.json()['id']}/publish/")
    mirror.poll()

    created = reviewer_client.post("/api/v1/incidents/", incident_document(), format="json")
    assert created.status_code == 201
    incident_id = created.json()["id"]
    detail = f"/api/v1/incidents/{incident_id}/"
    published = reviewer_client.post(f"{detail}publish/", HTTP_IF_MATCH=created["ETag"])
    assert published.status_code == 200
    mirror.poll()
    edited = reviewer_client.patch(
        detail,
        {"details": {"closest_approach_m": 6.0}, "conduct": "unsafe"},
        format="json",
        HTTP_IF_MATCH=published["ETag"],
    )
    assert edited.status_code == 200
    stale = reviewer_client.patch(
        detail, {"title": "Lost update"}, format="json", HTTP_IF_MATCH=published["ETag"]
    )
    assert stale.status_code == 412
    retracted = reviewer_client.post(
        f"{detail}retract/",
        {"reason": "Duplicate of an earlier report."},
        format="json",
        HTTP_IF_MATCH=edited["ETag"],
    )
    assert retracted.status_code == 200
    mirror.poll()

    history = reviewer_client.get(f"{detail}history/").json()["results"]
    incident_steps = [
        (entry["action"], [change["field"] for change in entry["changes"]])
        for entry in history
        if entry["object"] in ("incident", "intercept details") and entry["action"] != "created"
    ]
    assert incident_steps == [
        ("changed", ["status"]),
        ("changed", ["closest_approach_m"]),
        ("changed", ["status", "retraction_reason"]),
    ]
    assert {entry["by"] for entry in history} == {"reviewer"}
    assert [e["action"] for e in mirror.events if e["incident_id"] == incident_id] == [
        "published",
        "updated",
        "retracted",
    ]
    assert len({e["cursor"] for e in mirror.events}) == len(mirror.events) == 4
    assert mirror.published == listed_published_ids(api_client) == {kept.json()["id"]}
