"""Shared pieces of the security suite: a draft that must never leak, and who asks for it.

Every draft here carries SECRET_WORD in each free-text field a document has (title, summary,
location, participants, citation quote, kind details), so a leak through any read surface shows
up as that word in the response body. Each draft has a published twin with the same attributes
and without the word: a filter that selects the draft selects the twin too, so a public answer
is never empty by accident and the only thing that can keep the draft out is visibility.
"""

import pytest
from django.contrib.auth.models import Permission
from django.db import connection

from tests.conftest import _client_for
from tests.factories import IncidentFactory, PlatformFactory, UserFactory

SECRET_WORD = "zorblaxian"
SECOND_THOMAS = (9.733, 115.867)  # lat, lon
# Crosses the median line (27N 122E - 23N 118E) at 24.5N 119.5E and ends 150 km east of it.
CROSSING_TRACK = {"type": "LineString", "coordinates": [[119.0, 24.5], [121.0, 24.5]]}

postgresql_only = pytest.mark.skipif(
    connection.vendor != "postgresql", reason="needs PostgreSQL (pg_dump, psql, timeouts)"
)


def response_body(response) -> bytes:
    """The whole body of a plain or streamed response."""
    if getattr(response, "streaming", False):
        return b"".join(response.streaming_content)
    return response.content


def _participants(secret: str) -> list[dict]:
    return [
        {
            "country": "CN",
            "role": "initiator",
            "force": f"PLA Navy {secret}".strip(),
            "platform": "j-11",
            "platform_detail": f"J-11 {secret}".strip(),
            "count": 2,
        },
        {
            "country": "US",
            "role": "target",
            "force": "US Navy",
            "platform": "p-8a",
            "platform_detail": "P-8A",
            "count": 1,
        },
    ]


def _sources(n: int, secret: str) -> list[dict]:
    return [
        {
            "url": f"https://security.example.org/{n}",
            "publisher": "Example News",
            "title": f"Report {n}",
            "published_on": "2023-05-27",
            "type": "media",
            "quote": f"They said {secret}".strip(),
        }
    ]


def _document(kind: str, n: int, secret: str) -> dict:
    common = {
        "title": f"Incident {n} {secret}".strip(),
        "summary": f"What happened {secret}".strip(),
        "occurred_on": "2023-05-26",
        "region": "south-china-sea",
        "conduct": "unsafe",
        "location_name": f"Second Thomas Shoal {secret}".strip(),
        "latitude": SECOND_THOMAS[0],
        "longitude": SECOND_THOMAS[1],
        "participants": _participants(secret),
        "sources": _sources(n, secret),
    }
    if kind == "intercept":
        common["details"] = {
            "domain": "air",
            "closest_approach_m": 30.0,
            "closest_approach_text": f"within 100 feet {secret}".strip(),
            "maneuvers": [f"barrel roll {secret}".strip()],
        }
    elif kind == "median_line_crossing":
        common.update(region="taiwan-strait", latitude=24.5, longitude=120.0)
        common["details"] = {
            "aircraft_count": 20,
            "vessel_count": 3,
            "aircraft_total_reported": 30,
            "period_start": "2023-05-26",
            "period_end": "2023-05-26",
            "track": CROSSING_TRACK,
        }
    else:
        common["details"] = {
            "dispute_types": ["water_cannon"],
            "feature": "Second Thomas Shoal",
            "zone": "eez",
        }
    return common


KINDS = ["intercept", "median_line_crossing", "navigation_dispute"]


@pytest.fixture
def platforms(db):
    PlatformFactory(slug="j-11", name="Shenyang J-11", category="fighter", country="CN")
    PlatformFactory(slug="p-8a", name="Boeing P-8A", category="patrol", country="US")


@pytest.fixture
def drafts(platforms) -> dict:
    """One draft per kind, each full of SECRET_WORD: kind -> incident."""
    return {
        kind: IncidentFactory(kind=kind, status="draft", **_document(kind, 100 + i, SECRET_WORD))
        for i, kind in enumerate(KINDS)
    }


@pytest.fixture
def twins(platforms) -> dict:
    """The drafts' published twins (same attributes, no secret): kind -> incident."""
    return {
        kind: IncidentFactory(kind=kind, status="published", **_document(kind, 200 + i, ""))
        for i, kind in enumerate(KINDS)
    }


@pytest.fixture
def viewer(db):
    """Staff who may see drafts (view permission) and nothing else."""
    user = UserFactory(username="viewer", is_staff=True)
    user.user_permissions.add(Permission.objects.get(codename="view_incident"))
    return user


@pytest.fixture
def viewer_client(viewer):
    return _client_for(viewer)
