"""The list's queries are served by their indexes on PostgreSQL (docs/performance.md, W1/W4/W5).

The statements checked are the ones the registry runs: captured from a request, or built by the
same code (FilterSet, then documents_sql). A test database is tiny, where a sequential scan or a
sort is always cheapest: the plans are asked for with both discouraged and fresh statistics, to
see which index the planner can use for each shape of query at scale.
"""

import datetime as dt
import re
from urllib.parse import urlencode

import pytest
from django.db import connection
from django.http import QueryDict
from django.test.utils import CaptureQueriesContext

from incidents import documents_sql
from incidents.api.filters import IncidentFilterSet
from incidents.models import Incident
from incidents.selectors import incidents_visible_to
from tests.incidents.api.read_fixtures import make

pytestmark = [
    pytest.mark.django_db,
    pytest.mark.skipif(connection.vendor != "postgresql", reason="query plans are PostgreSQL's"),
]

LIST = "/api/v1/incidents/"
W1 = {
    "kind": "intercept",
    "region": "south-china-sea",
    "occurred_after": "2019-01-01",
    "occurred_before": "2023-12-31",
    "limit": "50",
}
W4 = {"q": "flares", "limit": "50"}
SEQ_SCAN_ON_INCIDENTS = re.compile(r"Seq Scan on incidents_incident\b")


@pytest.fixture
def incidents():
    """Incidents inside and outside W1's filter, some with W4's word, among enough others
    (written directly: only their shape matters) that an index beats reading everything."""
    Incident.objects.bulk_create(
        Incident(
            kind="navigation_dispute",
            title=f"Other {n}",
            occurred_on=dt.date(2016, 1, 1) + dt.timedelta(days=n),
            region_id="yellow-sea",
            status="published",
        )
        for n in range(1000)
    )
    for day in range(1, 6):
        make("intercept", occurred_on=f"2021-03-0{day}", region="south-china-sea")
    make("intercept", occurred_on="2021-03-01", summary="The aircraft fired flares.")
    make("navigation_dispute", occurred_on="2020-01-01", region="south-china-sea")
    make("intercept", occurred_on="2024-01-01", region="east-china-sea", summary="More flares.")
    make("intercept", status="draft", occurred_on="2021-03-01", summary="Draft flares.")
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE incidents_incident")
        # The rows just written wait in the GIN index's pending list, which the planner costs as
        # read whole: after tests that commit rows (test_stats_rollup.py), W4's plan turned to
        # a status index. At scale autovacuum merges the list; merge it here as that would.
        cursor.execute("SELECT gin_clean_pending_list('incident_search_idx')")


def _plan(sql: str, params=(), *, discourage=("seqscan", "sort")) -> str:
    with connection.cursor() as cursor:
        for method in discourage:
            cursor.execute(f"SET LOCAL enable_{method} = off")
        cursor.execute(f"EXPLAIN {sql}", params)
        return "\n".join(row[0] for row in cursor.fetchall())


def _requested(client, query) -> str:
    """The one statement a JSON list request runs (count and page), with parameters bound."""
    with CaptureQueriesContext(connection) as captured:
        response = client.get(LIST, query)
    assert response.status_code == 200
    assert response.json()["results"]
    statements = [query["sql"] for query in captured.captured_queries]
    (page,) = [sql for sql in statements if "json_agg" in sql]
    return page


def _ids_query(query: dict, offset: int, limit: int = 50):
    filterset = IncidentFilterSet(QueryDict(urlencode(query)), incidents_visible_to(None))
    assert filterset.is_valid(), filterset.errors
    return filterset.qs[offset : offset + limit]


def test_w1_counts_from_the_monthly_rollup_and_pages_from_the_published_order_index(
    api_client, incidents
):
    plan = _plan(_requested(api_client, W1))

    # W1's range is whole months: its count sums the monthly rollup's rows for the key, by
    # index, never the 43,687 incidents it stands for at scale (docs/performance.md, R4).
    assert "Index Scan using incident_monthly_count_key_idx" in plan, plan
    assert "incidents_incidentdailycount" not in plan
    assert plan.count("Index Only Scan using incident_published_order_idx") == 1  # the ids
    assert not SEQ_SCAN_ON_INCIDENTS.search(plan)
    assert "Sort" not in plan


def test_a_count_the_rollups_cannot_give_reads_the_published_order_index(api_client, incidents):
    # The day of the week is no rollup key: the incidents are counted, through the same index.
    plan = _plan(_requested(api_client, {**W1, "updated_after": "2000-01-01"}))

    assert "incidentmonthlycount" not in plan and "incidentdailycount" not in plan
    assert plan.count("incident_published_order_idx") == 2  # count, ids
    assert not SEQ_SCAN_ON_INCIDENTS.search(plan)


def test_w5_deep_page_ids_skip_the_offset_inside_the_published_order_index(incidents):
    sql, params = documents_sql.ids_sql(_ids_query(W1, offset=5000))

    plan = _plan(sql, params)

    assert "Index Only Scan using incident_published_order_idx" in plan
    assert "Sort" not in plan


def test_w1_page_joins_details_and_children_for_the_page_ids_only(api_client, incidents):
    # Fifty page rows against a whole table join by key at scale; here, where every table is
    # tiny, a hash join could look as cheap.
    plan = _plan(
        _requested(api_client, W1), discourage=("seqscan", "sort", "hashjoin", "mergejoin")
    )

    # The ids are chosen first (an InitPlan over the index, LIMIT inside), then joined by key.
    assert re.search(r"InitPlan.*\n(.*\n)*?.*Limit", plan)
    assert re.search(r"Index Scan (using|on) incidents_incident_pkey", plan), plan
    assert "Index Cond: (id = page.id)" in plan, plan


def test_w4_search_reads_the_full_text_index_for_its_count_and_page(api_client, incidents):
    plan = _plan(_requested(api_client, W4))

    assert plan.count("Bitmap Index Scan on incident_search_idx") == 2  # count, ids
    assert not SEQ_SCAN_ON_INCIDENTS.search(plan)


def test_default_public_list_deep_page_ids_are_an_index_only_scan_of_the_recent_index(
    incidents,
):
    # No kind or region: without incident_published_recent_idx PostgreSQL sorts the published
    # rows read through incident_status_occurred_idx (5.3 ms against 0.5 ms at 50,000).
    sql, params = documents_sql.ids_sql(_ids_query({}, offset=5000))

    # Presorted by occurred_on, an incremental sort of a tiny table looks cheap too.
    plan = _plan(sql, params, discourage=("seqscan", "sort", "incremental_sort"))

    assert "Index Only Scan using incident_published_recent_idx" in plan, plan
    assert "Sort" not in plan


def test_public_list_by_kind_region_and_dates_reads_only_the_published_order_index(incidents):
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

    plan = _plan(*page.query.sql_with_params())

    assert "Index Only Scan using incident_published_order_idx" in plan
    assert "Sort" not in plan


def test_unfiltered_list_in_default_order_needs_no_sort(incidents):
    page = Incident.objects.order_by("-occurred_on", "-occurred_at", "-id").values("id")[:50]

    plan = _plan(*page.query.sql_with_params())

    assert "incident_occurred_idx" in plan
    assert "Sort" not in plan
