"""Geometry in lon/lat: great-circle distances and the Taiwan Strait median-line track analysis.

The median line is the one Taiwan's Ministry of National Defense published, taken (SPEC §1) as the
straight segment in lon/lat from 27°N 122°E (north end) to 23°N 118°E (south end). "East" is
Taiwan's side of the line, extended beyond the ends where a track passes north or south of it.
"""

import math
from dataclasses import dataclass

EARTH_RADIUS_KM = 6371.0088  # mean Earth radius (IUGG), the usual haversine constant
MEDIAN_LINE_NORTH = (122.0, 27.0)  # (lon, lat)
MEDIAN_LINE_SOUTH = (118.0, 23.0)
_GOLDEN = (math.sqrt(5) - 1) / 2  # the golden section, 0.618…


def haversine_km(lon1: float, lat1: float, lon2: float, lat2: float) -> float:
    """Great-circle distance in kilometres between two lon/lat points."""
    phi1, phi2 = math.radians(lat1), math.radians(lat2)
    dphi = phi2 - phi1
    dlmb = math.radians(lon2 - lon1)
    a = math.sin(dphi / 2) ** 2 + math.cos(phi1) * math.cos(phi2) * math.sin(dlmb / 2) ** 2
    return 2 * EARTH_RADIUS_KM * math.asin(min(1.0, math.sqrt(a)))


def bounding_box_around(
    lat: float, lon: float, radius_km: float
) -> tuple[float, float, float, float]:
    """(min_lat, max_lat, min_lon, max_lon) enclosing every point within radius_km.

    A cheap prefilter an index can serve before the exact great-circle test. Near a pole or
    when the box would wrap the antimeridian, longitude is left unbounded (-180..180).
    """
    dlat = math.degrees(radius_km / EARTH_RADIUS_KM)
    min_lat, max_lat = lat - dlat, lat + dlat
    if min_lat <= -90 or max_lat >= 90:
        return max(min_lat, -90.0), min(max_lat, 90.0), -180.0, 180.0
    dlon = math.degrees(
        math.asin(min(1.0, math.sin(radius_km / EARTH_RADIUS_KM) / math.cos(math.radians(lat))))
    )
    if lon - dlon < -180 or lon + dlon > 180:
        return min_lat, max_lat, -180.0, 180.0
    return min_lat, max_lat, lon - dlon, lon + dlon


class TrackError(ValueError):
    """A track that is not a valid GeoJSON LineString in lon/lat."""


def parse_track(track) -> list[tuple[float, float]]:
    """The coordinates of a GeoJSON LineString, checked: ≥ 2 positions, lon/lat in range."""
    if not isinstance(track, dict) or track.get("type") != "LineString":
        raise TrackError('must be a GeoJSON object {"type": "LineString", "coordinates": [...]}')
    unknown = set(track) - {"type", "coordinates", "bbox"}
    if unknown:
        raise TrackError(f"unknown keys {sorted(unknown)}; a LineString has type and coordinates")
    coordinates = track.get("coordinates")
    if not isinstance(coordinates, list) or len(coordinates) < 2:
        raise TrackError("coordinates must be a list of at least 2 [lon, lat] positions")
    points = []
    for index, position in enumerate(coordinates):
        if (
            not isinstance(position, list | tuple)
            or len(position) not in (2, 3)
            or not all(isinstance(v, int | float) and not isinstance(v, bool) for v in position)
            or not all(math.isfinite(v) for v in position)
        ):
            raise TrackError(f"coordinates[{index}] must be [lon, lat] numbers")
        lon, lat = float(position[0]), float(position[1])
        if not -180 <= lon <= 180:
            raise TrackError(f"coordinates[{index}]: longitude {lon} is outside -180..180")
        if not -90 <= lat <= 90:
            raise TrackError(f"coordinates[{index}]: latitude {lat} is outside -90..90")
        points.append((lon, lat))
    return points


@dataclass(frozen=True)
class TrackAnalysis:
    crossed: bool
    crossing_points: list[list[float]]
    ends_on: str
    max_penetration_km: float

    def as_dict(self) -> dict:
        return {
            "crossed": self.crossed,
            "crossing_points": self.crossing_points,
            "ends_on": self.ends_on,
            "max_penetration_km": self.max_penetration_km,
        }


def _side(point: tuple[float, float]) -> float:
    """> 0 east of the line (Taiwan's side), < 0 west, 0 on it: a cross product in lon/lat."""
    (ax, ay), (bx, by) = MEDIAN_LINE_NORTH, MEDIAN_LINE_SOUTH
    return (bx - ax) * (point[1] - ay) - (by - ay) * (point[0] - ax)


def _along(point: tuple[float, float]) -> float:
    """Position of a point's projection along the segment: 0 at the north end, 1 at the south."""
    (ax, ay), (bx, by) = MEDIAN_LINE_NORTH, MEDIAN_LINE_SOUTH
    dx, dy = bx - ax, by - ay
    return ((point[0] - ax) * dx + (point[1] - ay) * dy) / (dx * dx + dy * dy)


def _on_segment(point: tuple[float, float]) -> bool:
    return -1e-12 <= _along(point) <= 1 + 1e-12


def _passage_along(touches: list[tuple[float, float]]) -> tuple[float, float] | None:
    """Where a track that ran along the line (through these points) passed the segment.

    The first point on the segment itself; else, when the stretch ran from beyond one end to
    beyond the other, the end it reached first; else None (it stayed beyond an end).
    """
    for point in touches:
        if _on_segment(point):
            return point
    positions = [_along(point) for point in touches]
    if min(positions) <= 0 <= max(positions) or min(positions) <= 1 <= max(positions):
        return MEDIAN_LINE_NORTH if positions[0] < 0 else MEDIAN_LINE_SOUTH
    return None


def distance_to_median_line_km(point: tuple[float, float]) -> float:
    """Great-circle distance from a point to the nearest point of the lon/lat segment.

    The distance along the segment is unimodal for points this close to it, so a golden-section
    search over the segment parameter finds the minimum: one distance per step (a ternary
    search takes two), and 48 steps narrow the parameter to 1e-10 of the segment's ~600 km,
    under a millimetre.
    """
    (ax, ay), (bx, by) = MEDIAN_LINE_NORTH, MEDIAN_LINE_SOUTH
    lon, lat = point

    def distance(u: float) -> float:
        return haversine_km(lon, lat, ax + u * (bx - ax), ay + u * (by - ay))

    low, high = 0.0, 1.0
    inner_low, inner_high = high - _GOLDEN * (high - low), low + _GOLDEN * (high - low)
    at_low, at_high = distance(inner_low), distance(inner_high)
    for _ in range(48):
        if at_low < at_high:  # the minimum is left of inner_high
            high, inner_high, at_high = inner_high, inner_low, at_low
            inner_low = high - _GOLDEN * (high - low)
            at_low = distance(inner_low)
        else:
            low, inner_low, at_low = inner_low, inner_high, at_high
            inner_high = low + _GOLDEN * (high - low)
            at_high = distance(inner_high)
    return distance((low + high) / 2)


def _rounded(point: tuple[float, float]) -> list[float]:
    return [round(point[0], 6), round(point[1], 6)]


def analyse_track(points: list[tuple[float, float]]) -> TrackAnalysis:
    """Where a track crosses the median line, which side it ends on, how far east it went.

    A crossing is a passage from one side to the other through the segment itself; a track
    that touches the line and turns back, or passes beyond its ends, has not crossed it.
    """
    sides = [_side(p) for p in points]
    crossings: list[list[float]] = []
    last_side = 0.0  # sign of the last point off the line
    touches: list[tuple[float, float]] = []  # points on the line since last_side was set
    for index, point in enumerate(points):
        side = sides[index]
        if side == 0:
            touches.append(point)
            continue
        if last_side and (side > 0) != (last_side > 0):
            if touches:
                where = _passage_along(touches)
            else:
                previous = points[index - 1]
                t = sides[index - 1] / (sides[index - 1] - side)
                where = (
                    previous[0] + t * (point[0] - previous[0]),
                    previous[1] + t * (point[1] - previous[1]),
                )
            if where is not None and _on_segment(where):
                crossings.append(_rounded(where))
        last_side = side
        touches = []
    ends_on = "east" if last_side > 0 else "west"
    east_points = [p for p, s in zip(points, sides, strict=True) if s > 0]
    penetration = max((distance_to_median_line_km(p) for p in east_points), default=0.0)
    return TrackAnalysis(
        crossed=bool(crossings),
        crossing_points=crossings,
        ends_on=ends_on,
        max_penetration_km=round(penetration, 3),
    )
