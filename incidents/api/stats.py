"""Counts of a filtered incident set per time bucket and group, aggregated in the database.

`incident_stats` is the one entry point. On PostgreSQL it sums the daily and monthly rollups
(incidents/models/rollup.py, kept exact by triggers) when every condition of the filtered
queryset is one they hold: status, kind, region, conduct, verification and a range of
`occurred_on`. Whole months come from the monthly rollup, the days of partial months at the
edges of the range (and `interval=day|week`) from the daily one. Any other condition — the
participants' countries, text, geometry, kind details — and SQLite count the incidents
themselves: the exact fallback, and the reference the rollup path is tested against.
"""

import datetime as dt
import operator
from collections import Counter
from dataclasses import dataclass, field
from functools import reduce

from django.db import connections
from django.db.models import Count, F, Q, Subquery, Sum
from django.db.models.expressions import Col
from django.db.models.functions import TruncDay, TruncMonth, TruncQuarter, TruncWeek, TruncYear
from django.db.models.lookups import Lookup
from django.db.models.sql.where import AND, OR, WhereNode

from incidents.models import Incident, IncidentDailyCount, IncidentMonthlyCount, Participant

TRUNCATIONS = {
    "day": TruncDay,
    "week": TruncWeek,  # ISO weeks: Monday, on PostgreSQL and in Django's SQLite function
    "month": TruncMonth,
    "quarter": TruncQuarter,
    "year": TruncYear,
}
GROUP_COLUMNS = {
    "kind": "kind",
    "region": "region_id",
    "conduct": "conduct",
    "verification": "verification",
}
# incidents_incident column -> the rollup field holding its value (group_by names them too)
ROLLUP_KEYS = {
    "status": "status",
    "kind": "kind",
    "region_id": "region",
    "conduct": "conduct",
    "verification": "verification",
}
DATE_COLUMN = "occurred_on"
ONE_DAY = dt.timedelta(days=1)


def incident_stats(queryset, *, interval: str | None, group_by: str | None) -> dict:
    """`{"interval", "group_by", "total", "buckets": [{"period", "key", "count"}]}`.

    Buckets hold at least one incident and are sorted by period, then key. With
    `group_by=country` an incident counts once for each distinct participant country.
    """
    incidents = queryset.order_by()
    if group_by == "country":
        buckets = _country_buckets(incidents, interval)
        total = incidents.count()
    else:
        buckets = _rollup_buckets(incidents, interval, group_by)
        if buckets is None:
            buckets = _buckets(incidents, interval, group_by)
        total = sum(bucket["count"] for bucket in buckets)
    buckets.sort(key=lambda bucket: (bucket["period"] or "", bucket["key"] or ""))
    return {"interval": interval, "group_by": group_by, "total": total, "buckets": buckets}


def _buckets(incidents, interval, group_by) -> list[dict]:
    dimensions = {}
    if interval:
        dimensions["period"] = TRUNCATIONS[interval]("occurred_on")
    if group_by:
        dimensions["key"] = F(GROUP_COLUMNS[group_by])
    if not dimensions:
        total = incidents.count()
        return [{"period": None, "key": None, "count": total}] if total else []
    rows = incidents.values(**dimensions).annotate(count=Count("*")).order_by()
    return [_bucket(row) for row in rows]


def _country_buckets(incidents, interval) -> list[dict]:
    dimensions = {"key": F("country")}
    if interval:
        dimensions["period"] = TRUNCATIONS[interval]("incident__occurred_on")
    rows = (
        Participant.objects.filter(incident_id__in=Subquery(incidents.values("pk")))
        .values(**dimensions)
        .annotate(count=Count("incident_id", distinct=True))
        .order_by()
    )
    return [_bucket(row) for row in rows]


def _bucket(row: dict) -> dict:
    period = row.get("period")
    return {
        "period": period.isoformat() if period is not None else None,
        "key": row.get("key"),
        "count": row["count"],
    }


@dataclass
class RollupFilter:
    """A queryset's conditions in the rollups' terms.

    `values`: the values each rollup key may take (a key left out takes any); `first_day` and
    `last_day`: the inclusive range of occurred_on (None: open on that side).
    """

    values: dict[str, set[str]] = field(default_factory=dict)
    first_day: dt.date | None = None
    last_day: dt.date | None = None

    def allow(self, key: str, values: set[str]) -> None:
        self.values[key] = self.values[key] & values if key in self.values else values


def rollup_filter(queryset) -> RollupFilter | None:
    """The conditions of a queryset of incidents if the rollups can count its rows exactly.

    Reads the WHERE clause the fallback would run, visibility and default statuses included,
    so both paths count the same incidents by construction. Anything else — a join, a
    subquery, a negation, another column or lookup, an annotation — gives None.
    """
    query = queryset.query
    if (
        query.model is not Incident
        or query.distinct
        or query.combinator
        or query.is_sliced
        or query.annotations
        or query.extra
        or query.extra_tables
        or query.group_by is not None
        or any(n for alias, n in query.alias_refcount.items() if alias != query.base_table)
    ):
        return None
    found = RollupFilter()
    return found if _read(query.where, query.base_table, found) else None


def _read(node, table: str, found: RollupFilter) -> bool:
    if isinstance(node, WhereNode):
        if node.negated:
            return False
        if node.connector == AND:
            return all(_read(child, table, found) for child in node.children)
        if node.connector == OR:  # e.g. `region` repeated: one equality per value
            alternatives = [_key_values(child, table) for child in _either(node)]
            keys = {alternative[0] if alternative else None for alternative in alternatives}
            if len(keys) != 1 or None in keys:
                return False
            found.allow(keys.pop(), set().union(*(values for _, values in alternatives)))
            return True
        return False
    if not isinstance(node, Lookup):
        return False
    if _column(node, table) == DATE_COLUMN:
        return _read_dates(node, found)
    key_values = _key_values(node, table)
    if key_values is None:
        return False
    found.allow(*key_values)
    return True


def _either(node: WhereNode) -> list:
    """The alternatives of an OR node, nested ORs flattened; [None] if any is something else."""
    alternatives = []
    for child in node.children:
        if isinstance(child, WhereNode):
            if child.negated or child.connector != OR or not child.children:
                return [None]
            alternatives += _either(child)
        else:
            alternatives.append(child)
    return alternatives or [None]


def _column(lookup: Lookup, table: str) -> str | None:
    lhs = lookup.lhs
    if isinstance(lhs, Col) and lhs.alias == table and lhs.target.model is Incident:
        return lhs.target.column
    return None


def _key_values(lookup, table: str) -> tuple[str, set[str]] | None:
    """(rollup key, values) of an `=` or `IN` on one of the rollup's key columns."""
    if not isinstance(lookup, Lookup) or not lookup.rhs_is_direct_value():
        return None
    key = ROLLUP_KEYS.get(_column(lookup, table))
    if key is None:
        return None
    if lookup.lookup_name == "exact":
        values = [lookup.rhs]
    elif lookup.lookup_name == "in" and isinstance(lookup.rhs, list | tuple | set | frozenset):
        values = list(lookup.rhs)
    else:
        return None
    if not all(isinstance(value, str) for value in values):
        return None
    return key, {str(value) for value in values}  # str(): plain values, not TextChoices


def _read_dates(lookup: Lookup, found: RollupFilter) -> bool:
    day = lookup.rhs
    if type(day) is not dt.date or lookup.lookup_name not in ("gte", "lte", "exact"):
        return False
    if lookup.lookup_name in ("gte", "exact"):
        found.first_day = day if found.first_day is None else max(found.first_day, day)
    if lookup.lookup_name in ("lte", "exact"):
        found.last_day = day if found.last_day is None else min(found.last_day, day)
    return True


def _rollup_buckets(incidents, interval, group_by) -> list[dict] | None:
    """The buckets summed from the rollups, or None when they cannot answer exactly."""
    if connections[incidents.db].vendor != "postgresql":
        return None  # no triggers keep the rollups there
    found = rollup_filter(incidents)
    if found is None:
        return None
    first, last = found.first_day, found.last_day
    if first is not None and last is not None and first > last:
        return []
    counts = Counter()
    for model, date_field, days in rollup_sources(first, last, interval):
        rows = model.objects.using(incidents.db).filter(
            days, **{f"{key}__in": sorted(values) for key, values in found.values.items()}
        )
        dimensions = {}
        if interval:
            dimensions["period"] = TRUNCATIONS[interval](date_field)
        if group_by:
            dimensions["key"] = F(group_by)
        if dimensions:
            rows = rows.values(**dimensions).annotate(count=Sum("count")).order_by()
        else:
            rows = [{"count": rows.aggregate(count=Sum("count"))["count"] or 0}]
        for row in rows:
            counts[row.get("period"), row.get("key")] += row["count"]
    return [
        _bucket({"period": period, "key": key, "count": count})
        for (period, key), count in counts.items()
        if count > 0
    ]


def rollup_sources(first, last, interval) -> list[tuple]:
    """(rollup model, its date field, the rows' condition) that hold the days first..last.

    Whole months come from the monthly rollup (a tenth of the daily one's rows at scale); days
    and weeks, and the partial months at either end, from the daily one.
    """
    if interval in ("day", "week"):
        return [(IncidentDailyCount, "day", _day_range(first, last))]
    try:
        start = first if first is None or first.day == 1 else _month_after(first)
        end = last if last is None or _is_month_end(last) else last.replace(day=1) - ONE_DAY
    except OverflowError:  # a range at the calendar's ends (year 1 or 9999): days will do
        return [(IncidentDailyCount, "day", _day_range(first, last))]
    if start is not None and end is not None and start > end:
        return [(IncidentDailyCount, "day", _day_range(first, last))]
    months = Q()
    if start is not None:
        months &= Q(month__gte=start)
    if end is not None:
        months &= Q(month__lte=end)
    sources = [(IncidentMonthlyCount, "month", months)]
    edges = []
    if first is not None and first < start:
        edges.append(_day_range(first, start - ONE_DAY))
    if last is not None and end < last:
        edges.append(_day_range(end + ONE_DAY, last))
    if edges:
        sources.append((IncidentDailyCount, "day", reduce(operator.or_, edges)))
    return sources


def _day_range(first, last) -> Q:
    days = Q()
    if first is not None:
        days &= Q(day__gte=first)
    if last is not None:
        days &= Q(day__lte=last)
    return days


def _month_after(day: dt.date) -> dt.date:
    return (day.replace(day=28) + dt.timedelta(days=4)).replace(day=1)


def _is_month_end(day: dt.date) -> bool:
    return (day + ONE_DAY).day == 1
