"""Counts of a filtered incident set per time bucket and group, aggregated in the database.

`incident_stats` is the one entry point. On PostgreSQL it sums the daily and monthly rollups
(incidents/models/rollup.py, kept exact by triggers) when every condition of the filtered
queryset is one they hold: status, kind, region, conduct, verification and a range of
`occurred_on` (incidents/rollup_counts.py decides, for the list's count too). Whole months come
from the monthly rollup, the days of partial months at the edges of the range (and
`interval=day|week`) from the daily one. Any other condition — the participants' countries,
text, geometry, kind details — and SQLite count the incidents themselves: the exact fallback,
and the reference the rollup path is tested against.
"""

from collections import Counter

from django.db.models import Count, F, Subquery, Sum
from django.db.models.functions import TruncDay, TruncMonth, TruncQuarter, TruncWeek, TruncYear

from incidents.models import Participant
from incidents.rollup_counts import rollup_rows

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


def _rollup_buckets(incidents, interval, group_by) -> list[dict] | None:
    """The buckets summed from the rollups, or None when they cannot answer exactly."""
    sources = rollup_rows(incidents, interval)
    if sources is None:
        return None
    counts = Counter()
    for date_field, rows in sources:
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
