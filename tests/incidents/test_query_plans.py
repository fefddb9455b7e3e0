"""The list's common query is served by its index on PostgreSQL (docs/performance.md, W1/W5)."""

import datetime as dt

import pytest
from django.db import connection

from incidents.models import Incident

pytestmark = [
    pytest.mark.django_db,
    pytest.mark.skipif(connection.vendor != "postgresql", reason="query plans are PostgreSQL's"),
]


def _plan(queryset) -> str:
    with connection.cursor() as cursor:
        # A test database is tiny, where a sequential scan is always cheapest: forbid it to
        # see which index the planner can use for this shape of query at scale.
        cursor.execute("SET LOCAL enable_seqscan = off")
        return queryset.explain()


def test_public_list_by_kind_region_and_dates_reads_only_the_published_order_index():
    page = (
        Incident.objects.filter(
            status="published",
            kind="median_line_crossing",
            region_id="taiwan-strait",
            occurred_on__range=(dt.date(2019, 1, 1), dt.date(2023, 12, 31)),
        )
        .order_by("-occurred_on", "-occurred_at", "-id")
        .values("id")[5000:5050]
    )

    plan = _plan(page)

    assert "Index Only Scan using incident_published_order_idx" in plan
    assert "Sort" not in plan


def test_unfiltered_list_in_default_order_needs_no_sort():
    page = Incident.objects.order_by("-occurred_on", "-occurred_at", "-id").values("id")[:50]

    plan = _plan(page)

    assert "incident_occurred_idx" in plan
    assert "Sort" not in plan
