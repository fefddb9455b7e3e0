"""GET /api/v1/incidents/stats/ against a hand-counted set."""

import pytest

from tests.incidents.api.read_fixtures import make, participant

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
