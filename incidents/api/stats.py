"""Counts of a filtered incident set per time bucket and group, aggregated in the database.

`incident_stats` is the one entry point, so a precomputed rollup can later answer the filter
combinations it covers, with this query as the exact fallback.
"""

from django.db.models import Count, F, Subquery
from django.db.models.functions import TruncDay, TruncMonth, TruncQuarter, TruncWeek, TruncYear

from incidents.models import Participant

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
