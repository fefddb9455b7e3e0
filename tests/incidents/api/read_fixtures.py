"""Incidents for the read-side tests, each kept with the document it was created from.

Tests compute their expected answers from these documents in plain Python, independently of
the filters, the selectors and the database.
"""

from dataclasses import dataclass

from incidents.models import Incident
from incidents.services.importing import import_data
from incidents.synthetic import synthetic_batch
from tests.factories import IncidentFactory, PlatformFactory, incident_document

SECOND_THOMAS = (9.733, 115.867)  # lat, lon
SCARBOROUGH = (15.158, 117.772)
DRAFT_WORD = "quixotrelle"  # appears only in a draft


@dataclass
class Row:
    id: int
    document: dict
    status: str = "published"


def participant(country, role, force="", platform=None, count=1):
    return {
        "country": country,
        "role": role,
        "force": force,
        "platform": platform,
        "platform_detail": None,
        "count": count,
    }


def source(url, title="A report", publisher="Example News", type="media"):
    return {
        "url": url,
        "publisher": publisher,
        "title": title,
        "published_on": "2023-05-27",
        "type": type,
    }


def make(kind="intercept", status="published", **overrides) -> Row:
    document = incident_document(kind, **overrides)
    fields = {name: value for name, value in document.items() if name != "kind"}
    incident = IncidentFactory(kind=kind, status=status, **fields)
    return Row(incident.pk, document, status)


def coordinates(point):
    return {"latitude": point[0], "longitude": point[1]}


def details(kind, **values):
    return {**incident_document(kind)["details"], **values}


def filter_dataset() -> dict[str, Row]:
    """Published incidents varying along every filter, plus a retracted one and a draft."""
    PlatformFactory(slug="j-11", name="Shenyang J-11", category="fighter", country="CN")
    PlatformFactory(slug="p-8a", name="P-8A", category="patrol", country="US")
    PlatformFactory(slug="ccg-cutter", name="CCG cutter", category="coast_guard", domain="surface")
    rows = {
        "a": make(
            "intercept",
            title="J-11 intercepts P-8A",
            summary="An albatross of a day over the sea.",
            occurred_on="2023-05-26",
            occurred_at="2023-05-26T03:00:00Z",
            region="south-china-sea",
            conduct="unsafe",
            participants=[
                participant("CN", "initiator", "PLA Navy", "j-11"),
                participant("US", "target", "US Navy", "p-8a"),
            ],
            details=details("intercept", closest_approach_m=30.0),
            **coordinates(SECOND_THOMAS),
        ),
        "b": make(
            "intercept",
            occurred_on="2022-01-10",
            region="east-china-sea",
            conduct="professional",
            participants=[
                participant("CN", "initiator", "PLA Air Force", "j-11"),
                participant("JP", "target", "JASDF"),
            ],
            sources=[
                source("https://b.example.org/1", publisher="Kyodo"),
                source("https://b.example.org/2", publisher="NHK"),
            ],
            details=details("intercept", closest_approach_m=150.0, domain="air"),
        ),
        "c": make(
            "intercept",
            occurred_on="2023-05-26",
            region="south-china-sea",
            conduct="unsafe",
            participants=[participant("CN", "initiator"), participant("AU", "target")],
            sources=[source("https://c.example.org/1", publisher="Defence", type="official")],
            details=details("intercept", closest_approach_m=None, domain="sea"),
            **coordinates(SCARBOROUGH),
        ),
        "d": make(
            "median_line_crossing",
            occurred_on="2022-08-05",
            region="taiwan-strait",
            conduct="unknown",
            participants=[participant("CN", "initiator", "PLA Air Force")],
            details=details(
                "median_line_crossing",
                aircraft_count=20,
                vessel_count=None,
                track={"type": "LineString", "coordinates": [[119.0, 24.5], [121.0, 24.5]]},
            ),
        ),
        "e": make(
            "median_line_crossing",
            occurred_on="2023-04-09",
            region="taiwan-strait",
            conduct="unknown",
            participants=[participant("CN", "initiator", "PLA Navy")],
            details=details(
                "median_line_crossing",
                aircraft_count=5,
                vessel_count=2,
                track={"type": "LineString", "coordinates": [[118.5, 25.5], [119.5, 25.8]]},
            ),
        ),
        "f": make(
            "median_line_crossing",
            occurred_on="2024-01-02",
            region="taiwan-strait",
            conduct="unknown",
            participants=[participant("CN", "initiator")],
            details=details("median_line_crossing", aircraft_count=None, vessel_count=None),
        ),
        "g": make(
            "navigation_dispute",
            occurred_on="2024-03-05",
            region="south-china-sea",
            conduct="unsafe",
            location_name="Ayungin",
            participants=[
                participant("CN", "initiator", "China Coast Guard", "ccg-cutter", 2),
                participant("PH", "target", "Philippine Navy"),
            ],
            sources=[source("https://g.example.org/1", title="The lighthouse keeper's log")],
            details=details(
                "navigation_dispute",
                dispute_types=["water_cannon", "collision"],
                feature="Second Thomas Shoal",
                zone="eez",
            ),
            latitude=9.8,
            longitude=115.9,
        ),
        "h": make(
            "navigation_dispute",
            occurred_on="2023-08-05",
            region="south-china-sea",
            conduct="unknown",
            location_name="Near the reef",
            participants=[participant("CN", "initiator"), participant("PH", "target")],
            details=details(
                "navigation_dispute",
                dispute_types=["blocking"],
                feature="Scarborough Shoal",
                zone="territorial_sea",
            ),
            **coordinates(SCARBOROUGH),
        ),
        "i": make(
            "intercept",
            occurred_on="2021-06-01",
            region="western-pacific",
            conduct="unprofessional",
            participants=[participant("RU", "initiator"), participant("US", "target")],
            details=details("intercept", closest_approach_m=1000.0),
            latitude=10.0,
            longitude=179.5,
        ),
        "j": make(
            "navigation_dispute",
            occurred_on="2021-07-01",
            region="western-pacific",
            conduct="unknown",
            participants=[participant("US", "initiator", "US Navy", "p-8a")],
            details=details(
                "navigation_dispute", dispute_types=["fonop"], feature=None, zone="high_seas"
            ),
            latitude=-5.0,
            longitude=-179.5,
        ),
        "retracted": make("intercept", status="retracted", occurred_on="2023-05-26"),
        "draft": make(
            "intercept",
            status="draft",
            title=f"Draft {DRAFT_WORD}",
            summary=f"Unpublished {DRAFT_WORD} account.",
            occurred_on="2023-05-26",
            **coordinates(SECOND_THOMAS),
        ),
    }
    return rows


def public(rows: dict[str, Row]) -> dict[str, Row]:
    return {name: row for name, row in rows.items() if row.status == "published"}


def ids(response) -> list[int]:
    return [document["id"] for document in response.json()["results"]]


def import_random_incidents(curator, seed: int) -> None:
    """600 synthetic incidents (all kinds, regions, conducts, 2015-2025; 7 % drafts, 3 %
    retracted), the 40 oldest ids disputed: the data the rollup-versus-counting tests compare
    both paths on."""
    report = import_data(synthetic_batch(0, 600, seed=seed), by=curator)
    assert report.ok
    Incident.objects.filter(pk__in=Incident.objects.order_by("pk")[:40].values("pk")).update(
        verification="disputed"
    )
