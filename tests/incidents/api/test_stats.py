"""GET /api/v1/incidents/stats/ against a hand-counted set."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from incidents.api import stats
from tests.incidents.api.read_fixtures import import_random_incidents, make, participant

pytestmark = pytest.mark.django_db

URL = "/api/v1/incidents/stats/"


@pytest.fixture
def incidents():
    cn_us = [participant("CN", "initiator"), participant("US", "target")]
    make(occurred_on="2023-01-02", region="south-china-sea", conduct="unsafe", participants=cn_us)
    make(
        occurred_on="2023-01-08",
        region="east-china-sea",
        conduct="professional",
        participants=[participant("CN", "initiator"), participant("JP", "target")],
    )
    make(
        "navigation_dispute",
        occurred_on="2023-01-09",
        region="south-china-sea",
        conduct="unsafe",
        participants=[participant("CN", "initiator"), participant("PH", "target")],
    )
    make(
        "median_line_crossing",
        occurred_on="2023-04-01",
        region="taiwan-strait",
        conduct="unknown",
        participants=[participant("CN", "initiator")],
    )
    make(
        occurred_on="2024-02-29",
        region="south-china-sea",
        conduct="unsafe",
        participants=[*cn_us, participant("CN", "other")],
    )
    make(status="retracted", occurred_on="2023-01-03", participants=cn_us)
    make(status="draft", occurred_on="2023-01-03", participants=cn_us)


def buckets(response) -> list[tuple]:
    return [(b["period"], b["key"], b["count"]) for b in response.json()["buckets"]]


def test_without_interval_or_group_the_stats_are_one_total(api_client, incidents):
    response = api_client.get(URL)

    assert response.status_code == 200
    assert response.json() == {
        "interval": None,
        "group_by": None,
        "total": 5,
        "buckets": [{"period": None, "key": None, "count": 5}],
    }


def test_weeks_start_on_monday(api_client, incidents):
    response = api_client.get(URL, {"interval": "week"})

    # 2023-01-08 is a Sunday (the week of Monday 2 January); 2023-04-01 a Saturday.
    assert buckets(response) == [
        ("2023-01-02", None, 2),
        ("2023-01-09", None, 1),
        ("2023-03-27", None, 1),
        ("2024-02-26", None, 1),
    ]


def test_months_by_kind_are_sorted_by_period_then_key(api_client, incidents):
    response = api_client.get(URL, {"interval": "month", "group_by": "kind"})

    assert response.json()["total"] == 5
    assert buckets(response) == [
        ("2023-01-01", "intercept", 2),
        ("2023-01-01", "navigation_dispute", 1),
        ("2023-04-01", "median_line_crossing", 1),
        ("2024-02-01", "intercept", 1),
    ]


@pytest.mark.parametrize(
    ("interval", "expected"),
    [
        (
            "day",
            [
                ("2023-01-02", 1),
                ("2023-01-08", 1),
                ("2023-01-09", 1),
                ("2023-04-01", 1),
                ("2024-02-29", 1),
            ],
        ),
        ("quarter", [("2023-01-01", 3), ("2023-04-01", 1), ("2024-01-01", 1)]),
        ("year", [("2023-01-01", 4), ("2024-01-01", 1)]),
    ],
)
def test_each_interval_buckets_by_the_first_day_of_its_period(
    api_client, incidents, interval, expected
):
    response = api_client.get(URL, {"interval": interval})

    assert buckets(response) == [(period, None, count) for period, count in expected]


@pytest.mark.parametrize(
    ("group_by", "expected"),
    [
        ("region", [("east-china-sea", 1), ("south-china-sea", 3), ("taiwan-strait", 1)]),
        ("conduct", [("professional", 1), ("unknown", 1), ("unsafe", 3)]),
        ("verification", [("unverified", 5)]),
    ],
)
def test_group_by_counts_each_incident_once(api_client, incidents, group_by, expected):
    response = api_client.get(URL, {"group_by": group_by})

    assert buckets(response) == [(None, key, count) for key, count in expected]


def test_by_country_an_incident_counts_once_per_distinct_participant_country(api_client, incidents):
    response = api_client.get(URL, {"interval": "year", "group_by": "country"})

    assert response.json()["total"] == 5
    assert buckets(response) == [
        ("2023-01-01", "CN", 4),
        ("2023-01-01", "JP", 1),
        ("2023-01-01", "PH", 1),
        ("2023-01-01", "US", 1),
        ("2024-01-01", "CN", 1),
        ("2024-01-01", "US", 1),
    ]


def test_the_filters_apply_to_the_stats(api_client, incidents):
    response = api_client.get(URL, {"interval": "year", "kind": "intercept", "country": "US"})

    assert response.json()["total"] == 2
    assert buckets(response) == [("2023-01-01", None, 1), ("2024-01-01", None, 1)]


def test_retracted_incidents_are_counted_only_when_asked_for(api_client, incidents):
    retracted = api_client.get(URL, {"status": "retracted"})
    both = api_client.get(URL, {"status": ["published", "retracted"]})

    assert retracted.json()["total"] == 1
    assert both.json()["total"] == 6


def test_staff_stats_count_drafts_but_not_retracted_incidents(curator_client, incidents):
    response = curator_client.get(URL, {"group_by": "kind"})

    assert response.json()["total"] == 6


def test_an_empty_set_has_no_buckets(api_client, incidents):
    response = api_client.get(URL, {"interval": "month", "occurred_after": "2030-01-01"})

    assert response.json() == {"interval": "month", "group_by": None, "total": 0, "buckets": []}


@pytest.mark.parametrize(
    ("query", "attr"),
    [
        ({"interval": "fortnight"}, "interval"),
        ({"group_by": "platform"}, "group_by"),
        ({"ordering": "id"}, "ordering"),
        ({"limit": "10"}, "limit"),
        ({"kind": "sortie"}, "kind"),
    ],
)
def test_a_bad_or_unknown_stats_parameter_is_a_400_naming_it(api_client, query, attr):
    response = api_client.get(URL, query)

    assert response.status_code == 400
    assert [e["attr"] for e in response.json()["errors"]] == [attr]


@pytest.mark.parametrize(
    "query",
    [
        {"interval": "month", "occurred_after": "9999-12-15"},
        {"interval": "year", "occurred_before": "0001-01-15"},
        {"interval": "quarter", "occurred_after": "0001-01-01", "occurred_before": "9999-12-31"},
    ],
)
def test_ranges_at_the_ends_of_the_calendar_are_counted(api_client, incidents, query):
    response = api_client.get(URL, query)

    assert response.status_code == 200
    expected = 5 if "occurred_before" in query and "occurred_after" in query else 0
    assert response.json()["total"] == expected


postgresql_only = pytest.mark.skipif(
    connection.vendor != "postgresql", reason="the rollups are kept by PostgreSQL triggers"
)
W3 = {
    "interval": "month",
    "group_by": "kind",
    "occurred_after": "2020-01-01",
    "occurred_before": "2024-12-31",
}
# Each shape the rollups answer: whole months, partial months at either end, a range inside one
# month, open ranges, days and weeks, every group and filter, retracted and draft statuses.
ROLLUP_QUERIES = [
    W3,
    {"interval": "month", "occurred_after": "2019-03-15", "occurred_before": "2023-08-20"},
    {"interval": "year", "group_by": "region", "occurred_after": "2021-06-10"},
    {
        "interval": "quarter",
        "group_by": "conduct",
        "occurred_before": "2022-02-14",
        "kind": ["intercept", "navigation_dispute"],
    },
    {
        "interval": "week",
        "group_by": "verification",
        "region": ["south-china-sea", "taiwan-strait"],
        "occurred_after": "2018-01-03",
    },
    {"interval": "day", "kind": "median_line_crossing", "occurred_before": "2024-03-31"},
    {"interval": "month", "occurred_after": "2022-05-10", "occurred_before": "2022-05-20"},
    {"interval": "month", "occurred_after": "2022-05-31", "occurred_before": "2022-07-01"},
    {"group_by": "region", "conduct": "unsafe", "verification": ["corroborated", "confirmed"]},
    {"group_by": "kind", "status": ["published", "retracted"]},
    {"interval": "year", "status": "retracted"},
    {},
]
STAFF_QUERIES = [{"group_by": "kind", "interval": "year"}, {"status": "draft", "interval": "month"}]


@pytest.fixture
def random_incidents(curator):
    """600 synthetic incidents (read_fixtures.import_random_incidents)."""
    import_random_incidents(curator, seed=17)


def _stats_sql(client, query) -> tuple[dict, list[str]]:
    with CaptureQueriesContext(connection) as queries:
        response = client.get(URL, query)
    assert response.status_code == 200, response.content
    return response.json(), [q["sql"] for q in queries if "incidents_region" not in q["sql"]]


@postgresql_only
@pytest.mark.parametrize("query", ROLLUP_QUERIES)
def test_the_rollups_answer_exactly_what_counting_the_incidents_answers(
    api_client, random_incidents, monkeypatch, query
):
    answer, sql = _stats_sql(api_client, query)
    monkeypatch.setattr(stats, "_rollup_buckets", lambda *args: None)
    counted, counted_sql = _stats_sql(api_client, query)

    assert answer == counted
    assert answer["total"] > 0 or query.get("status") == "retracted"
    assert sql and all('incidents_incident"' not in statement for statement in sql)
    assert any('FROM "incidents_incident"' in statement for statement in counted_sql)


@postgresql_only
@pytest.mark.parametrize("query", [*STAFF_QUERIES, W3])
def test_staff_stats_from_the_rollups_count_drafts_as_counting_does(
    curator_client, random_incidents, monkeypatch, query
):
    answer, sql = _stats_sql(curator_client, query)
    monkeypatch.setattr(stats, "_rollup_buckets", lambda *args: None)

    assert answer == _stats_sql(curator_client, query)[0]
    assert answer["total"] > 0
    assert all('incidents_incident"' not in statement for statement in sql)


@postgresql_only
def test_the_benchmark_stats_request_is_one_query_on_the_monthly_rollup(api_client, incidents):
    answer, sql = _stats_sql(api_client, W3)

    assert len(sql) == 1
    assert '"incidents_incidentmonthlycount"' in sql[0]
    assert [(b["period"], b["key"], b["count"]) for b in answer["buckets"]] == [
        ("2023-01-01", "intercept", 2),
        ("2023-01-01", "navigation_dispute", 1),
        ("2023-04-01", "median_line_crossing", 1),
        ("2024-02-01", "intercept", 1),
    ]


@postgresql_only
@pytest.mark.parametrize(
    "query", [{"country": "US"}, {"q": "patrol"}, {"min_aircraft": "3"}, {"group_by": "country"}]
)
def test_filters_the_rollups_do_not_hold_count_the_incidents(api_client, incidents, query):
    _, sql = _stats_sql(api_client, {"interval": "year", **query})

    assert not any("incidents_incidentdailycount" in statement for statement in sql)
    assert not any("incidents_incidentmonthlycount" in statement for statement in sql)
