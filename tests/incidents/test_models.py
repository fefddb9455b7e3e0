"""The database itself refuses rows that break SPEC §1, whatever code writes them."""

import datetime as dt

import pytest
from django.db import DataError, IntegrityError, transaction

from incidents.models import (
    Citation,
    Incident,
    InterceptDetails,
    MedianLineCrossingDetails,
    NavigationDisputeDetails,
    Participant,
    Platform,
    Source,
)
from tests.factories import IncidentFactory, SourceFactory

pytestmark = pytest.mark.django_db


def _refused(write) -> bool:
    try:
        with transaction.atomic():
            write()
    except (IntegrityError, DataError):  # PostgreSQL reports an over-long value as DataError
        return True
    return False


@pytest.mark.parametrize(
    "changes",
    [
        {"kind": "dogfight"},
        {"status": "archived"},
        {"conduct": "rude"},
        {"date_precision": "week"},
        {"verification": "trusted"},
        {"title": "   "},
        {"latitude": 10.0, "longitude": None},
        {"latitude": None, "longitude": 10.0},
        {"latitude": 91.0, "longitude": 10.0},
        {"latitude": 10.0, "longitude": -180.5},
        {"status": "retracted", "retraction_reason": None},
        {"status": "retracted", "retraction_reason": "  "},
        {"version": 0},
    ],
    ids=lambda changes: ",".join(f"{k}={v!r}" for k, v in changes.items()),
)
def test_database_refuses_an_invalid_incident_row(changes):
    incident = IncidentFactory()

    assert _refused(lambda: Incident.objects.filter(pk=incident.pk).update(**changes))


def test_database_refuses_a_second_incident_with_the_same_external_id():
    first = IncidentFactory()
    second = IncidentFactory()

    assert _refused(
        lambda: Incident.objects.filter(pk=second.pk).update(external_id=first.external_id)
    )


def test_database_allows_many_incidents_without_external_id():
    IncidentFactory(external_id=None)
    IncidentFactory(external_id=None)

    assert Incident.objects.filter(external_id__isnull=True).count() == 2


@pytest.mark.parametrize(
    "changes",
    [{"count": 0}, {"role": "victim"}, {"country": "cn"}, {"country": "CHN"}],
    ids=str,
)
def test_database_refuses_an_invalid_participant(changes):
    incident = IncidentFactory()
    participant = incident.participants.first()

    assert _refused(lambda: Participant.objects.filter(pk=participant.pk).update(**changes))


@pytest.mark.parametrize(
    "changes",
    [{"type": "blog"}, {"url": "ftp://example.org/report"}, {"url": "javascript:alert(1)"}],
    ids=str,
)
def test_database_refuses_an_invalid_source(changes):
    source = SourceFactory()

    assert _refused(lambda: Source.objects.filter(pk=source.pk).update(**changes))


def test_database_refuses_two_sources_with_one_url():
    source = SourceFactory()

    assert _refused(lambda: SourceFactory(url=source.url))


def test_database_refuses_citing_the_same_source_twice():
    incident = IncidentFactory()
    citation = incident.citations.first()

    assert _refused(
        lambda: Citation.objects.create(incident=incident, source_id=citation.source_id)
    )


@pytest.mark.parametrize(
    "changes",
    [{"category": "spaceship"}, {"domain": "space"}, {"country": "usa"}],
    ids=str,
)
def test_database_refuses_an_invalid_platform(changes):
    platform = Platform.objects.create(slug="j-20", name="J-20", category="fighter", domain="air")

    assert _refused(lambda: Platform.objects.filter(pk=platform.pk).update(**changes))


def test_database_refuses_a_negative_closest_approach():
    incident = IncidentFactory(kind="intercept")

    assert _refused(
        lambda: InterceptDetails.objects.filter(incident=incident).update(closest_approach_m=-1)
    )


@pytest.mark.parametrize(
    "changes",
    [
        {"aircraft_count": 0, "vessel_count": 0},
        {"period_start": dt.date(2023, 4, 9), "period_end": dt.date(2023, 4, 8)},
        {"track_max_penetration_km": -0.5},
        {"track_ends_on": "up"},
    ],
    ids=str,
)
def test_database_refuses_invalid_crossing_details(changes):
    incident = IncidentFactory(kind="median_line_crossing")

    assert _refused(
        lambda: MedianLineCrossingDetails.objects.filter(incident=incident).update(**changes)
    )


def test_database_allows_a_crossing_with_no_reported_counts():
    incident = IncidentFactory(kind="median_line_crossing")

    MedianLineCrossingDetails.objects.filter(incident=incident).update(
        aircraft_count=None, vessel_count=None
    )

    assert MedianLineCrossingDetails.objects.get(incident=incident).aircraft_count is None


def test_database_refuses_an_unknown_zone():
    incident = IncidentFactory(kind="navigation_dispute")

    assert _refused(
        lambda: NavigationDisputeDetails.objects.filter(incident=incident).update(zone="moon")
    )


def test_regions_of_the_specification_are_seeded_with_bounding_boxes():
    from incidents.models import Region

    regions = {region.slug: region.bbox for region in Region.objects.all()}

    assert set(regions) == {
        "taiwan-strait",
        "south-china-sea",
        "east-china-sea",
        "yellow-sea",
        "philippine-sea",
        "sea-of-japan",
        "western-pacific",
        "indian-ocean",
    }
    assert all(b[0] < b[2] and b[1] < b[3] for b in regions.values())
