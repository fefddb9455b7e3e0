"""The list's `count` summed from the daily and monthly rollups equals counting the incidents.

PostgreSQL only: triggers keep the rollups there (migration 0005); SQLite counts the incidents.
incidents/rollup_counts.py decides which filters the rollups hold (the stats use the same
decision). Each check asks a page of up to 1,000 rows — the whole matching set here — so the
count must equal the number of rows listed, and the whole answer (count, next, previous, rows)
must equal what counting the incidents gives, before and after every kind of write.
"""

import datetime as dt

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from incidents import rollup_counts, services
from incidents.choices import IncidentStatus
from incidents.models import Incident
from incidents.selectors import incident_document
from tests.factories import incident_document as new_document
from tests.incidents.api.read_fixtures import import_random_incidents

pytestmark = [
    pytest.mark.django_db,
    pytest.mark.skipif(
        connection.vendor != "postgresql", reason="the rollups are kept by PostgreSQL triggers"
    ),
]

URL = "/api/v1/incidents/"
ROLLUP_TABLES = ("incidents_incidentdailycount", "incidents_incidentmonthlycount")
W1 = {
    "kind": "intercept",
    "region": "south-china-sea",
    "occurred_after": "2019-01-01",
    "occurred_before": "2023-12-31",
}
# Every shape the rollups count: whole months, partial months at either end, one day, a range
# inside one month, open ranges, repeated values, each key, statuses; with any ordering, limit
# or offset (none of which changes a count).
ROLLUP_QUERIES = [
    {},
    W1,
    {**W1, "limit": "7", "offset": "10"},
    {**W1, "ordering": "closest_approach_m"},
    {"ordering": "-updated_at", "limit": "3"},
    {"occurred_after": "2019-03-15", "occurred_before": "2023-08-20"},
    {"occurred_after": "2021-06-10"},
    {"occurred_before": "2022-02-14", "kind": ["intercept", "navigation_dispute"]},
    {"region": ["south-china-sea", "taiwan-strait"], "occurred_after": "2018-01-03"},
    {"occurred_after": "2022-05-10", "occurred_before": "2022-05-20"},
    {"occurred_after": "2022-05-31", "occurred_before": "2022-07-01"},
    {"conduct": "unsafe", "verification": ["corroborated", "confirmed"]},
    {"kind": "median_line_crossing", "occurred_before": "2024-03-31", "offset": "2"},
    {"status": "retracted"},
    {"status": ["published", "retracted"], "kind": "intercept"},
]
# Filters the rollups do not hold: the incidents are counted.
COUNTED_QUERIES = [
    {"q": "flares"},
    {"country": "CN", **W1},
    {"initiator": "CN", "occurred_after": "2020-01-01"},
    {"bbox": "105,0,125,25"},
    {"min_aircraft": "3"},
    {"zone": "eez"},
    {"crossed_median_line": "true"},
    {"updated_after": "2000-01-01", **W1},
    {"near": "15.158,117.772", "radius_km": "500"},
]
STAFF_QUERIES = [{}, {"status": "draft"}, {"status": ["draft", "published"], **W1}]


@pytest.fixture
def random_incidents(curator):
    """600 synthetic incidents (read_fixtures.import_random_incidents)."""
    import_random_incidents(curator, seed=23)


def _listed(client, query, *, accept="application/json"):
    with CaptureQueriesContext(connection) as captured:
        response = client.get(URL, {"limit": "1000", **query}, HTTP_ACCEPT=accept)
    assert response.status_code == 200, response.content
    return response, [statement["sql"] for statement in captured.captured_queries]


def _counted(client, query, monkeypatch, **options):
    """The response when the rollups are never asked: the incidents are counted."""
    with monkeypatch.context() as patched:
        patched.setattr(rollup_counts, "rollup_rows", lambda *args: None)
        return _listed(client, query, **options)


def _reads_rollups(statements) -> bool:
    return any(table in sql for sql in statements for table in ROLLUP_TABLES)


def assert_counts_exact(client, monkeypatch, queries, *, from_rollups: bool) -> int:
    """Each query's count is the rows it lists and what counting gives; returns their sum."""
    total = 0
    for query in queries:
        response, statements = _listed(client, query)
        answer = response.json()
        counted, counted_statements = _counted(client, query, monkeypatch)

        assert answer == counted.json(), query
        if "limit" not in query and "offset" not in query:
            assert answer["count"] == len(answer["results"]), query
        # Count and page: still one statement (the rollups' names start with the incidents').
        assert len([sql for sql in statements if "incidents_incident" in sql]) == 1, query
        assert _reads_rollups(statements) == from_rollups, query
        assert not _reads_rollups(counted_statements)
        total += answer["count"]
    return total


def test_the_list_counts_from_the_rollups_exactly_what_counting_gives(
    api_client, random_incidents, monkeypatch
):
    assert assert_counts_exact(api_client, monkeypatch, ROLLUP_QUERIES, from_rollups=True) > 0


def test_filters_the_rollups_do_not_hold_count_the_incidents_correctly(
    api_client, random_incidents, monkeypatch
):
    assert assert_counts_exact(api_client, monkeypatch, COUNTED_QUERIES, from_rollups=False) > 0


def test_staff_counts_with_drafts_come_from_the_rollups_too(
    curator_client, random_incidents, monkeypatch
):
    total = assert_counts_exact(curator_client, monkeypatch, STAFF_QUERIES, from_rollups=True)

    assert total > Incident.objects.count()  # drafts and the W1 subset were counted


def test_the_counts_follow_every_kind_of_write_in_the_same_transaction(
    api_client, curator_client, curator, reviewer, random_incidents, monkeypatch
):
    before = {str(q): _listed(api_client, q)[0].json()["count"] for q in ROLLUP_QUERIES}
    published = list(Incident.objects.filter(status=IncidentStatus.PUBLISHED).order_by("pk")[:13])
    draft = Incident.objects.filter(status=IncidentStatus.DRAFT).order_by("pk").first()

    services.publish_incident(draft, by=reviewer)
    retracted = services.retract_incident(published[0], reason="Withdrawn.", by=reviewer)
    services.delete_incident(retracted, by=reviewer)
    services.retract_incident(published[1], reason="Misreported.", by=reviewer)
    moved = published[2]
    document = incident_document(moved.pk)
    dispute = new_document("navigation_dispute")
    document.update(
        kind="navigation_dispute",
        details=dispute["details"],
        region="south-china-sea",
        occurred_on="2021-05-17",
        occurred_at=None,
    )
    services.update_incident(moved, document, by=curator)
    Incident.objects.filter(pk__in=[p.pk for p in published[3:13]]).update(
        kind="intercept", region_id="south-china-sea", occurred_on=dt.date(2020, 2, 29)
    )
    created = services.create_incident(new_document(occurred_on="2019-01-01"), by=curator)
    services.publish_incident(created, by=reviewer)

    after = {str(q): _listed(api_client, q)[0].json()["count"] for q in ROLLUP_QUERIES}
    assert after != before  # the writes moved some counts: the checks below see them
    assert_counts_exact(api_client, monkeypatch, ROLLUP_QUERIES, from_rollups=True)
    assert_counts_exact(api_client, monkeypatch, COUNTED_QUERIES, from_rollups=False)
    assert_counts_exact(curator_client, monkeypatch, STAFF_QUERIES, from_rollups=True)


@pytest.mark.parametrize("accept", ["text/csv", "application/geo+json"])
def test_page_formats_total_from_the_rollups_as_the_json_count(
    api_client, random_incidents, monkeypatch, accept
):
    query = {**W1, "limit": "5", "offset": "5"}
    response, statements = _listed(api_client, query, accept=accept)
    counted, _ = _counted(api_client, query, monkeypatch, accept=accept)

    assert _reads_rollups(statements)
    assert response["X-Total-Count"] == counted["X-Total-Count"]
    assert response["Link"] == counted["Link"]
    assert int(response["X-Total-Count"]) == _listed(api_client, W1)[0].json()["count"]


def test_no_incident_can_match_contradicting_conditions_and_the_count_is_0(random_incidents):
    reversed_range = Incident.objects.filter(
        occurred_on__gte=dt.date(2022, 1, 2), occurred_on__lte=dt.date(2022, 1, 1)
    )
    no_status_left = Incident.objects.filter(status="draft").filter(status__in=["published"])

    for queryset in (reversed_range, no_status_left):
        assert rollup_counts.rollup_count_sql(queryset) == ("SELECT 0", ())
        assert rollup_counts.incident_count(queryset) == 0 == queryset.count()
