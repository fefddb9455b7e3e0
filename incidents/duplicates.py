"""Possible duplicates of an incident (SPEC §3), shown before a curator saves and by a dry run.

Two incidents may describe the same event when they are of the same kind and region and
- (intercepts, navigation disputes) happened within a day of each other, or
- (median-line crossings) their report periods overlap: consecutive daily reports of Taiwan's
  defence ministry cover consecutive windows and are distinct, so days alone say nothing;
or when they cite the same source URL. A shared URL is not enough between two median-line
crossings whose report windows do not overlap: one daily round-up often quotes two windows.

Dates are compared as half-open spans of days: [d, d + 2) for a day-dated incident (so that two
spans meet exactly when the dates are at most a day apart), [period_start, period_end) for a
report window (06:00 to 06:00 reads as its first day), one day when the window starts and ends
on the same day or has no end, and [occurred_on, occurred_on + 1) for a crossing without one.
"""

import datetime as dt
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass

from django.db.models import Q

from incidents.choices import IncidentKind
from incidents.models import Citation, Incident

_DAY = dt.timedelta(days=1)
_CROSSING = IncidentKind.MEDIAN_LINE_CROSSING
# Above this many separate date ranges, one query over their hull is cheaper than many ORs.
_MAX_RANGES = 40
_MAX_URL_PARTNERS = 10


@dataclass(frozen=True)
class DuplicateKey:
    """What the duplicate rule reads of an incident."""

    kind: str
    region: str
    start: dt.date
    end: dt.date  # exclusive
    urls: frozenset[str]
    has_period: bool = False

    def overlaps(self, other: "DuplicateKey") -> bool:
        return self.start < other.end and other.start < self.end


@dataclass(frozen=True)
class PossibleDuplicate:
    """A stored incident that may describe the same event, and why."""

    incident_id: int
    external_id: str | None
    title: str
    occurred_on: dt.date
    reason: str

    def __str__(self) -> str:
        name = f"incident {self.incident_id}"
        if self.external_id:
            name += f" ({self.external_id})"
        return f"{name}, {self.occurred_on.isoformat()}, {self.title!r}: {self.reason}"


def duplicate_reason(a: DuplicateKey, b: DuplicateKey) -> str | None:
    """Why `a` and `b` may be the same incident, or None."""
    both_crossings = a.kind == b.kind == _CROSSING
    if a.kind == b.kind and a.region == b.region and a.overlaps(b):
        if both_crossings:
            return "same region and overlapping report periods"
        return "same kind and region within a day"
    shared = sorted(a.urls & b.urls)
    if shared and not (both_crossings and not a.overlaps(b)):
        return f"shares the source {shared[0]}"
    return None


def span(kind: str, occurred_on: dt.date, period_start=None, period_end=None):
    """(start, end, has_period): the half-open span of days the rule compares."""
    if kind == _CROSSING:
        if period_start is not None:
            end = period_end if period_end is not None and period_end > period_start else None
            return period_start, end or period_start + _DAY, True
        return occurred_on, occurred_on + _DAY, False
    return occurred_on, occurred_on + 2 * _DAY, False


def key_of(incident) -> DuplicateKey | None:
    """The key of a CleanIncident or of an incident document (API, file or export shape).

    None when the document lacks a readable kind, region or date (validation reports those).
    """
    fields = getattr(incident, "fields", None)
    if fields is not None:  # a CleanIncident
        kind, region, occurred_on = fields.get("kind"), fields.get("region_id"), None
        occurred_on = fields.get("occurred_on")
        details = incident.details or {}
        urls = [c.get("url") for c in incident.citations]
    elif isinstance(incident, dict):
        kind, region = incident.get("kind"), incident.get("region")
        occurred_on = _date(incident.get("occurred_on"))
        details = incident.get("details") if isinstance(incident.get("details"), dict) else {}
        sources = incident.get("sources") if isinstance(incident.get("sources"), list) else []
        urls = [s.get("url") if isinstance(s, dict) else s for s in sources]
    else:
        return None
    if not isinstance(kind, str) or not isinstance(region, str) or occurred_on is None:
        return None
    start, end, has_period = span(
        kind, occurred_on, _date(details.get("period_start")), _date(details.get("period_end"))
    )
    return DuplicateKey(
        kind=kind,
        region=region,
        start=start,
        end=end,
        urls=frozenset(url for url in urls if isinstance(url, str) and url),
        has_period=has_period,
    )


def _date(value) -> dt.date | None:
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    if isinstance(value, str):
        try:
            return dt.date.fromisoformat(value)
        except ValueError:
            return None
    return None


def possible_duplicates(incident, exclude_id: int | None = None) -> list[PossibleDuplicate]:
    """Stored incidents that may duplicate this CleanIncident or document (SPEC §3).

    `exclude_id` leaves out the incident being edited. A few queries whatever the registry's
    size: candidates by kind, region and date window, and by the cited URLs.
    """
    key = key_of(incident)
    if key is None:
        return []
    found = []
    for candidate in stored_candidates([key], exclude_ids={exclude_id} - {None}):
        reason = duplicate_reason(key, candidate.key)
        if reason is not None:
            found.append(
                PossibleDuplicate(
                    incident_id=candidate.incident_id,
                    external_id=candidate.external_id,
                    title=candidate.title,
                    occurred_on=candidate.occurred_on,
                    reason=reason,
                )
            )
    return sorted(found, key=lambda d: (d.occurred_on, d.incident_id))


@dataclass
class StoredCandidate:
    incident_id: int
    external_id: str | None
    title: str
    occurred_on: dt.date
    key: DuplicateKey


def stored_candidates(
    keys: list[DuplicateKey],
    *,
    exclude_ids: Iterable[int] = (),
    exclude_external_ids: Iterable[str] = (),
) -> list[StoredCandidate]:
    """Stored incidents that might match any of `keys` (a superset; apply duplicate_reason)."""
    if not keys:
        return []
    date_filter = Q()
    by_kind = defaultdict(list)
    for key in keys:
        by_kind[key.kind].append(key)
    for kind, kind_keys in by_kind.items():
        regions = sorted({key.region for key in kind_keys})
        for start, end in _ranges(kind_keys):
            if kind == _CROSSING:
                window = Q(crossing__period_start__lt=end) & (
                    Q(crossing__period_end__gt=start) | Q(crossing__period_start__gte=start)
                ) | Q(
                    crossing__period_start__isnull=True,
                    occurred_on__gte=start,
                    occurred_on__lt=end,
                )
            else:
                # A stored span [d, d + 2) meets [start, end) when start - 1 <= d < end.
                window = Q(occurred_on__gte=start - _DAY, occurred_on__lt=end)
            date_filter |= Q(kind=kind, region_id__in=regions) & window
    urls = sorted({url for key in keys for url in key.urls})
    ids = set()
    if urls:
        for chunk in _chunks(urls, 5000):
            ids.update(
                Citation.objects.filter(source__url__in=chunk).values_list("incident_id", flat=True)
            )
    matches = date_filter | Q(pk__in=ids) if ids else date_filter
    rows = (
        Incident.objects.filter(matches)
        .exclude(pk__in=list(exclude_ids))
        .exclude(external_id__in=list(exclude_external_ids))
        .values_list(
            "id",
            "external_id",
            "title",
            "kind",
            "region_id",
            "occurred_on",
            "crossing__period_start",
            "crossing__period_end",
        )
    )
    rows = list(rows)
    urls_of = defaultdict(set)
    if rows:
        row_ids = [row[0] for row in rows]
        for chunk in _chunks(row_ids, 5000):
            for incident_id, url in Citation.objects.filter(incident_id__in=chunk).values_list(
                "incident_id", "source__url"
            ):
                urls_of[incident_id].add(url)
    candidates = []
    for incident_id, external_id, title, kind, region, occurred_on, p_start, p_end in rows:
        start, end, has_period = span(kind, occurred_on, p_start, p_end)
        candidates.append(
            StoredCandidate(
                incident_id=incident_id,
                external_id=external_id,
                title=title,
                occurred_on=occurred_on,
                key=DuplicateKey(
                    kind, region, start, end, frozenset(urls_of[incident_id]), has_period
                ),
            )
        )
    return candidates


def _ranges(keys: list[DuplicateKey]) -> list[tuple[dt.date, dt.date]]:
    """The keys' spans merged into few [start, end) ranges."""
    ranges = []
    for key in sorted(keys, key=lambda k: k.start):
        if ranges and key.start <= ranges[-1][1]:
            ranges[-1][1] = max(ranges[-1][1], key.end)
        else:
            ranges.append([key.start, key.end])
    if len(ranges) > _MAX_RANGES:
        return [(ranges[0][0], max(end for _, end in ranges))]
    return [(start, end) for start, end in ranges]


def _chunks(items: list, size: int):
    for index in range(0, len(items), size):
        yield items[index : index + size]


def duplicate_pairs(entries: list[tuple[object, DuplicateKey, bool]]) -> list[tuple]:
    """(a, b, reason) for every pair of entries that may be duplicates, one of them new.

    `entries` are (label, key, is_new). One sweep per kind and region over spans sorted by
    start, plus one pass over shared URLs: fast for a whole import file.
    """
    pairs: dict[tuple[int, int], str] = {}
    groups = defaultdict(list)
    for index, (_, key, _) in enumerate(entries):
        groups[(key.kind, key.region)].append(index)
    for indexes in groups.values():
        indexes.sort(key=lambda i: entries[i][1].start)
        active: list[int] = []
        for i in indexes:
            key = entries[i][1]
            active = [j for j in active if entries[j][1].end > key.start]
            for j in active:
                if entries[i][2] or entries[j][2]:
                    pairs.setdefault((min(i, j), max(i, j)), duplicate_reason(key, entries[j][1]))
            active.append(i)
    by_url = defaultdict(list)
    for index, (_, key, _) in enumerate(entries):
        for url in key.urls:
            by_url[url].append(index)
    for indexes in by_url.values():
        if len(indexes) < 2:
            continue
        for i in indexes:
            if not entries[i][2]:
                continue
            # A round-up cited by hundreds of records says little: a few partners suffice.
            partners = 0
            for j in indexes:
                if j == i or partners >= _MAX_URL_PARTNERS:
                    continue
                pair = (min(i, j), max(i, j))
                if pair not in pairs:
                    reason = duplicate_reason(entries[i][1], entries[j][1])
                    if reason is None:
                        continue
                    pairs[pair] = reason
                partners += 1
    return [
        (entries[i][0], entries[j][0], reason)
        for (i, j), reason in sorted(pairs.items())
        if reason is not None
    ]
