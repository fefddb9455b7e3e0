"""When the daily and monthly incident counts answer for a filtered queryset, and with which rows.

The rollups (incidents/models/rollup.py, kept exact by PostgreSQL triggers) hold a count per
day or month and status, kind, region, conduct and verification. A queryset whose every
condition is an `=`/`IN` on those columns or a range of `occurred_on` is counted exactly by
summing rows: whole months from the monthly rollup (a tenth of the daily one's rows at scale),
the days of partial months at the edges from the daily one. The stats (incidents/api/stats.py)
and the list's `count` (incidents/documents_sql.py, the list view) both ask here, so they cannot
disagree on which querysets the rollups may count. Anything else — a join, text, geometry, kind
details, `updated_at` — and SQLite (no triggers there) count the incidents themselves.
"""

import datetime as dt
import operator
from dataclasses import dataclass, field
from functools import reduce

from django.db import connections
from django.db.models import Q
from django.db.models.expressions import Col
from django.db.models.lookups import Lookup
from django.db.models.sql.where import AND, OR, WhereNode

from incidents.models import Incident, IncidentDailyCount, IncidentMonthlyCount

# incidents_incident column -> the rollup field holding its value (stats' group_by names them too)
ROLLUP_KEYS = {
    "status": "status",
    "kind": "kind",
    "region_id": "region",
    "conduct": "conduct",
    "verification": "verification",
}
DATE_COLUMN = "occurred_on"
ONE_DAY = dt.timedelta(days=1)


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

    def is_empty(self) -> bool:
        """Whether no incident can match: an empty date range, or a key with no value left."""
        first, last = self.first_day, self.last_day
        empty_range = first is not None and last is not None and first > last
        return empty_range or any(not values for values in self.values.values())


def rollup_filter(queryset) -> RollupFilter | None:
    """The conditions of a queryset of incidents if the rollups can count its rows exactly.

    Reads the WHERE clause counting the incidents would run, visibility and default statuses
    included, so both ways count the same incidents by construction. Anything else — a join,
    a subquery, a negation, another column or lookup, an annotation — gives None.
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


def rollup_rows(queryset, interval: str | None = None) -> list[tuple[str, object]] | None:
    """(date field, rollup rows) whose counts sum to the incidents of a queryset, or None when
    the rollups cannot count them exactly (SQLite included: no triggers keep them there).

    `interval` is the stats' bucket size: days and weeks need the daily rollup throughout.
    An empty list: no incident can match.
    """
    if connections[queryset.db].vendor != "postgresql":
        return None
    found = rollup_filter(queryset.order_by())
    if found is None:
        return None
    if found.is_empty():
        return []
    keys = {f"{key}__in": sorted(values) for key, values in found.values.items()}
    return [
        (date_field, model.objects.using(queryset.db).filter(days, **keys))
        for model, date_field, days in rollup_sources(found.first_day, found.last_day, interval)
    ]


def rollup_count_sql(queryset) -> tuple[str, tuple] | None:
    """A SELECT of one value — how many incidents the queryset holds, summed from the rollups —
    and its parameters; None when the rollups cannot count them exactly.

    A few hundred rollup rows against tens of thousands of index entries for COUNT(*)
    (docs/performance.md, R1 and R4); the list embeds it in its one statement.
    """
    sources = rollup_rows(queryset)
    if sources is None:
        return None
    if not sources:
        return "SELECT 0", ()
    parts, params = [], []
    for _, rows in sources:
        counts = rows.order_by().values("count")
        sql, row_params = counts.query.get_compiler(using=counts.db).as_sql()
        parts.append(sql)
        params.extend(row_params)
    union = " UNION ALL ".join(parts)
    return f"SELECT coalesce(sum(rollup.n), 0) FROM ({union}) AS rollup(n)", tuple(params)


def incident_count(queryset) -> int:
    """How many incidents a filtered queryset holds: from the rollups when they can tell
    exactly, else COUNT(*). Ordering and slicing aside, as for a paginator's count."""
    counted = rollup_count_sql(queryset)
    if counted is None:
        return queryset.count()
    sql, params = counted
    with connections[queryset.db].cursor() as cursor:
        cursor.execute(sql, params)
        return cursor.fetchone()[0]


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
