"""Median-line track analysis against cases computed by hand.

The line runs from 27°N 122°E to 23°N 118°E, so in lon/lat it is x − y = 95: a point is east
(Taiwan's side) when lon − lat − 95 > 0, and its position along the segment from the north end
is u = (149 − lon − lat) / 8, on the segment for 0 ≤ u ≤ 1.
"""

import math
import re

import pytest

from incidents.geometry import (
    EARTH_RADIUS_KM,
    TrackError,
    analyse_track,
    distance_to_median_line_km,
    haversine_km,
    parse_track,
)


def _track(*points):
    return parse_track({"type": "LineString", "coordinates": [list(p) for p in points]})


def _law_of_cosines_km(lon1, lat1, lon2, lat2) -> float:
    """Great-circle distance by the spherical law of cosines: independent of the haversine."""
    p1, p2, dl = math.radians(lat1), math.radians(lat2), math.radians(lon2 - lon1)
    cosine = math.sin(p1) * math.sin(p2) + math.cos(p1) * math.cos(p2) * math.cos(dl)
    return EARTH_RADIUS_KM * math.acos(cosine)


def test_a_track_crossing_once_crosses_where_it_meets_the_line():
    # West (118.5, 24) to east (120.5, 24): x − 24 = 95 at x = 119, u = 0.75.
    analysis = analyse_track(_track((118.5, 24.0), (120.5, 24.0)))

    assert analysis.crossed is True
    assert analysis.crossing_points == [[119.0, 24.0]]
    assert analysis.ends_on == "east"


def test_a_track_crossing_twice_reports_both_points_and_ends_west():
    # Out at (119, 24); back between (120.5, 25) [+0.5] and (119, 25) [−1]: t = 1/3, x = 120.
    analysis = analyse_track(_track((118.5, 24.0), (120.5, 24.0), (120.5, 25.0), (119.0, 25.0)))

    assert analysis.crossed is True
    assert analysis.crossing_points == [[119.0, 24.0], [120.0, 25.0]]
    assert analysis.ends_on == "west"


def test_a_track_touching_the_line_and_turning_back_has_not_crossed():
    # (119, 24) lies on the segment (u = 0.75); both neighbours are west of it.
    analysis = analyse_track(_track((118.0, 24.0), (119.0, 24.0), (118.5, 24.5)))

    assert analysis.crossed is False
    assert analysis.crossing_points == []
    assert analysis.ends_on == "west"
    assert analysis.max_penetration_km == 0


def test_a_track_crossing_through_a_point_on_the_line_crosses_there():
    analysis = analyse_track(_track((118.0, 24.0), (119.0, 24.0), (120.0, 24.0)))

    assert analysis.crossing_points == [[119.0, 24.0]]
    assert analysis.ends_on == "east"


def test_a_track_passing_north_of_the_segments_end_is_not_a_crossing():
    # It meets the extended line at (123, 28): u = −0.25, beyond the north end.
    analysis = analyse_track(_track((121.0, 28.0), (124.0, 28.0)))

    assert analysis.crossed is False
    assert analysis.crossing_points == []
    assert analysis.ends_on == "east"


def test_penetration_beyond_the_north_end_is_the_distance_to_that_end():
    # (124, 28) is nearest to the north end (122, 27). By hand, haversine: Δφ = 1°, Δλ = 2°,
    # a = sin²(0.5°) + cos 28° cos 27° sin²(1°) = 7.61524e-5 + 0.786712 × 3.04586e-4
    #   = 3.15773e-4; c = 2 asin(√a) = 0.0355419; d = 6371.0088 × c = 226.44 km.
    analysis = analyse_track(_track((121.0, 28.0), (124.0, 28.0)))

    assert analysis.max_penetration_km == pytest.approx(226.44, abs=0.01)
    assert analysis.max_penetration_km == pytest.approx(
        _law_of_cosines_km(124, 28, 122, 27), abs=0.001
    )


def test_penetration_beyond_the_south_end_is_the_great_circle_distance_to_that_end():
    # (118.5, 22): u = 1.0625, nearest is the south end (118, 23). By hand: Δφ = 1°, Δλ = 0.5°,
    # a = 7.61524e-5 + cos 22° cos 23° sin²(0.25°) = 7.61524e-5 + 0.853479 × 1.90385e-5
    #   = 9.24013e-5; c = 2 asin(√a) = 0.0192254; d = 122.485 km. The track meets the extended
    # line at (117.75, 22.75), u = 1.0625: beyond the end, no crossing.
    analysis = analyse_track(_track((117.0, 23.5), (118.5, 22.0)))

    assert analysis.crossed is False
    assert analysis.ends_on == "east"
    assert analysis.max_penetration_km == pytest.approx(122.485, abs=0.001)


def test_penetration_is_the_largest_distance_of_an_east_point_to_the_segment():
    track = _track((118.5, 24.0), (120.5, 24.0), (120.0, 24.5), (118.0, 24.5))
    # The exact minimum over the segment, by brute force in 200,001 steps (about 3 m apart).
    nearest = min(
        haversine_km(120.5, 24.0, 122 - 4 * i / 200_000, 27 - 4 * i / 200_000)
        for i in range(200_001)
    )

    analysis = analyse_track(track)

    assert analysis.max_penetration_km == pytest.approx(nearest, abs=0.005)
    assert distance_to_median_line_km((120.0, 24.5)) < nearest


def test_a_track_that_stays_west_has_no_penetration():
    analysis = analyse_track(_track((118.0, 24.0), (118.5, 24.2)))

    assert (analysis.crossed, analysis.ends_on, analysis.max_penetration_km) == (False, "west", 0)


def test_a_track_running_along_the_line_onto_the_segment_and_leaving_east_crosses():
    # West at (122, 29.5), on the extended line at (123, 28) (u = −0.25), along it to (121, 26)
    # (u = 0.25, on the segment), then east: it passed through the segment at (121, 26).
    analysis = analyse_track(_track((122.0, 29.5), (123.0, 28.0), (121.0, 26.0), (122.0, 26.0)))

    assert analysis.crossing_points == [[121.0, 26.0]]


@pytest.mark.parametrize(
    "track, message",
    [
        ({"type": "Point", "coordinates": [120, 24]}, "LineString"),
        ({"type": "LineString", "coordinates": [[120, 24]]}, "at least 2"),
        ({"type": "LineString", "coordinates": [[120, 24], [120, 91]]}, "latitude 91.0"),
        ({"type": "LineString", "coordinates": [[120, 24], [181, 24]]}, "longitude 181.0"),
        ({"type": "LineString", "coordinates": [[120, 24], [True, 24]]}, "coordinates[1]"),
        ({"type": "LineString", "coordinates": [[120, 24], [120, 24]], "crs": 1}, "unknown"),
    ],
)
def test_an_invalid_track_is_refused_naming_the_problem(track, message):
    with pytest.raises(TrackError, match=re.escape(message)):
        parse_track(track)
