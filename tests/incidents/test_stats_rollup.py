"""The daily and monthly incident counts stay equal to the incidents through every write path.

PostgreSQL only: triggers keep the counts there (migration 0005); SQLite has none, and its
stats never read the rollups. After each kind of write the rollups must equal a GROUP BY of
incidents_incident on every key, each key down to one row and none left at 0; with writers in
concurrent transactions, no writer waits for another and the sums stay exact. Last, which
querysets the stats may answer from the rollups, and from which rows (no database needed).
"""

import datetime as dt
import importlib
import re
import threading

import pytest
from django.db import connection
from django.db.models import Count, F, Q, Sum
from django.db.models.functions import TruncMonth

from incidents import services
from incidents.models import Incident, IncidentDailyCount, IncidentMonthlyCount, Source
from incidents.rollup_counts import RollupFilter, rollup_filter, rollup_sources
from incidents.selectors import incident_document
from incidents.services.importing import import_data
from incidents.synthetic import synthetic_batch
from tests.factories import IncidentFactory
from tests.factories import incident_document as new_document
from tests.incidents.api.test_concurrency import WAIT, Worker, blocked, hold_open

pytestmark = pytest.mark.django_db
postgresql_only = pytest.mark.skipif(
    connection.vendor != "postgresql", reason="triggers are PostgreSQL's"
)

KEYS = ("status", "kind", "conduct", "verification")
migration = importlib.import_module("incidents.migrations.0005_incident_count_rollups")


def _incident_counts(period) -> set[tuple]:
    rows = (
        Incident.objects.values(*KEYS, period=period, key_region=F("region_id"))
        .annotate(n=Count("*"))
        .order_by()
    )
    return {(r["period"], *(r[k] for k in KEYS), r["key_region"], r["n"]) for r in rows}


def _rollup_counts(model, period: str) -> set[tuple]:
    """Each key with its count: the sum of its rows (a key summing to 0 holds no incident)."""
    rows = model.objects.values(period, *KEYS, "region").annotate(n=Sum("count")).order_by()
    return {(r[period], *(r[k] for k in KEYS), r["region"], r["n"]) for r in rows if r["n"]}


def assert_rollups_exact(*, merged: bool = True) -> int:
    """Both rollups equal the incidents' GROUP BY; returns how many incidents they count.

    `merged`: no other transaction was writing, so each key is down to one row, and a key
    whose last incident left has none.
    """
    daily = _rollup_counts(IncidentDailyCount, "day")
    assert daily == _incident_counts(F("occurred_on"))
    monthly = _rollup_counts(IncidentMonthlyCount, "month")
    assert monthly == _incident_counts(TruncMonth("occurred_on"))
    if merged:
        assert IncidentDailyCount.objects.count() == len(daily)
        assert IncidentMonthlyCount.objects.count() == len(monthly)
        assert not IncidentDailyCount.objects.filter(count__lte=0).exists()
        assert not IncidentMonthlyCount.objects.filter(count__lte=0).exists()
    return sum(row[-1] for row in daily)


def _count(model=IncidentDailyCount, **keys) -> int:
    return model.objects.filter(**keys).aggregate(n=Sum("count"))["n"] or 0


@postgresql_only
def test_each_service_call_moves_the_counts_with_the_incident(curator, reviewer):
    incident = services.create_incident(new_document(occurred_on="2023-05-26"), by=curator)
    assert assert_rollups_exact() == 1
    assert _count(day="2023-05-26", status="draft", region="south-china-sea") == 1

    document = incident_document(incident.pk)
    document.update(region="east-china-sea", occurred_on="2023-07-02", conduct="professional")
    incident = services.update_incident(incident, document, by=curator)
    assert assert_rollups_exact() == 1
    assert _count(day="2023-05-26") == 0
    assert _count(IncidentMonthlyCount, month="2023-07-01", conduct="professional") == 1

    dispute = new_document("navigation_dispute")
    document = incident_document(incident.pk)
    document.update(kind="navigation_dispute", details=dispute["details"])
    incident = services.update_incident(incident, document, by=curator)
    assert assert_rollups_exact() == 1
    assert _count(day="2023-07-02", kind="navigation_dispute") == 1

    incident = services.publish_incident(incident, by=reviewer)
    assert assert_rollups_exact() == 1
    assert _count(day="2023-07-02", status="published") == 1

    incident = services.set_disputed(incident, True, by=curator)
    assert assert_rollups_exact() == 1
    assert _count(day="2023-07-02", verification="disputed") == 1

    incident = services.retract_incident(incident, reason="Withdrawn.", by=reviewer)
    assert assert_rollups_exact() == 1
    assert _count(IncidentMonthlyCount, status="retracted") == 1

    services.delete_incident(incident, by=reviewer)
    assert assert_rollups_exact() == 0
    assert not IncidentMonthlyCount.objects.exists()


@postgresql_only
def test_a_source_type_change_moves_the_re_derived_verification(curator):
    shared = {
        "url": "https://example.org/shared",
        "publisher": "Example News",
        "title": "Shared report",
        "published_on": None,
        "type": "media",
    }
    for _ in range(3):
        IncidentFactory(status="published", sources=[shared], occurred_on="2022-02-02")
    assert _count(day="2022-02-02", verification="unverified") == 3

    services.update_source(Source.objects.get(url=shared["url"]), {"type": "official"}, by=curator)

    assert assert_rollups_exact() == 3
    assert _count(day="2022-02-02", verification="confirmed") == 3
    assert _count(day="2022-02-02", verification="unverified") == 0


@postgresql_only
def test_an_import_and_a_changed_re_import_keep_the_counts(curator):
    data = synthetic_batch(0, 120, seed=3)
    import_data(data, by=curator)
    assert assert_rollups_exact() == 120

    import_data(data, by=curator)  # unchanged: nothing moves
    assert assert_rollups_exact() == 120

    for record in data["incidents"][:40]:
        record.update(region="yellow-sea", occurred_on="2016-02-29", occurred_at=None)
        record.update(date_precision="day", conduct="unprofessional")
    data["incidents"] += synthetic_batch(120, 150, seed=3)["incidents"]
    report = import_data(data, by=curator)

    assert report.ok, report.problems
    assert assert_rollups_exact() == 150
    assert _count(IncidentMonthlyCount, month="2016-02-01", region="yellow-sea") >= 40


@postgresql_only
def test_an_import_in_many_batches_counts_its_new_incidents_at_its_end(curator, monkeypatch):
    from incidents.services.importing import pipeline

    monkeypatch.setattr(pipeline, "BATCH", 25)  # five batches, written on the database thread
    report = import_data(synthetic_batch(0, 120, seed=7), by=curator)

    assert report.ok and report.created == 120, report.problems
    assert assert_rollups_exact() == 120
    with connection.cursor() as cursor:
        cursor.execute("SELECT current_setting('incidents.rollup_deferred', true)")
        assert cursor.fetchone()[0] == "off"
    IncidentFactory()  # after the import, in the same transaction: counted at once
    assert assert_rollups_exact() == 121


def _defer() -> None:
    with connection.cursor() as cursor:
        cursor.execute("SELECT incidents_rollup_defer()")


def _flush() -> None:
    with connection.cursor() as cursor:
        cursor.execute("SELECT incidents_rollup_flush()")


@postgresql_only
def test_deferred_inserts_are_counted_at_the_flush_even_when_changed_before_it(curator):
    IncidentFactory(occurred_on="2020-05-05", status="published")
    _defer()
    first = IncidentFactory(occurred_on="2021-03-03", status="draft")
    IncidentFactory(occurred_on="2021-03-03", status="draft")
    assert _count(day="2021-03-03") == 0  # noted, not yet counted

    Incident.objects.filter(pk=first.pk).update(occurred_on="2022-07-07")
    Incident.objects.filter(occurred_on="2020-05-05").delete()
    _flush()

    assert assert_rollups_exact() == 2
    assert _count(day="2021-03-03") == 1
    assert _count(day="2022-07-07") == 1
    IncidentFactory(occurred_on="2023-01-01")  # after the flush: counted at once
    assert _count(day="2023-01-01") == 1


@postgresql_only
def test_a_deferral_rolled_back_with_its_savepoint_leaves_nothing_uncounted(curator):
    from django.db import transaction

    with pytest.raises(RuntimeError), transaction.atomic():
        _defer()
        IncidentFactory(occurred_on="2021-03-03")
        raise RuntimeError("abandon")
    IncidentFactory(occurred_on="2021-04-04")

    assert _count(day="2021-04-04") == 1
    assert assert_rollups_exact() == 1
    _flush()  # nothing noted: a flush without a deferral changes nothing
    assert assert_rollups_exact() == 1


@postgresql_only
def test_queryset_update_and_delete_move_the_counts(curator):
    import_data(synthetic_batch(0, 80, seed=5), by=curator)

    Incident.objects.filter(kind="intercept").update(conduct="unsafe", region_id="taiwan-strait")
    assert assert_rollups_exact() == 80
    Incident.objects.filter(status="published").update(occurred_on="2020-01-31")
    assert assert_rollups_exact() == 80

    Incident.objects.filter(status="published").delete()
    remaining = Incident.objects.count()
    assert assert_rollups_exact() == remaining
    assert not IncidentDailyCount.objects.filter(status="published").exists()


@postgresql_only
def test_a_rolled_back_write_leaves_the_counts_as_they_were(curator):
    from django.db import transaction

    IncidentFactory(occurred_on="2021-03-03")
    with pytest.raises(RuntimeError), transaction.atomic():
        Incident.objects.update(status="published")
        raise RuntimeError("abandon")

    assert assert_rollups_exact() == 1
    assert _count(day="2021-03-03", status="draft") == 1


@postgresql_only
def test_truncating_the_incidents_empties_the_counts(curator):
    IncidentFactory(status="published")
    with connection.cursor() as cursor:
        cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")  # no deferred checks may be pending
        cursor.execute("TRUNCATE incidents_incident CASCADE")

    assert assert_rollups_exact() == 0
    assert not IncidentDailyCount.objects.exists()
    with connection.cursor() as cursor:
        # Emptied by TRUNCATE, not DELETE: dead pages left behind made every import statement
        # after the next ANALYZE crawl (migration 0007).
        cursor.execute(
            "SELECT pg_relation_size('incidents_incidentdailycount'),"
            " pg_relation_size('incidents_incidentmonthlycount')"
        )
        assert cursor.fetchone() == (0, 0)


def _trigger_plans(write) -> list[str]:
    """The plans of the rollup trigger's statements while `write()` runs (auto_explain)."""
    plans: list[str] = []
    with connection.cursor() as cursor:
        try:
            cursor.execute("LOAD 'auto_explain'")
        except Exception as error:  # noqa: BLE001 - the module is optional in PostgreSQL
            pytest.skip(f"auto_explain is not installed here: {error}")
        for setting in (
            "auto_explain.log_min_duration = 0",
            "auto_explain.log_nested_statements = on",
            "auto_explain.log_level = notice",
            "client_min_messages = notice",
        ):
            cursor.execute(f"SET LOCAL {setting}")
        # Plans are kept per connection: make the trigger plan afresh, on the empty tables.
        cursor.execute("DISCARD PLANS")

    def collect(diagnostic):
        text = diagnostic.message_primary or ""
        if "Delete on incidents_incident" in text:
            plans.append(text)

    connection.connection.add_notice_handler(collect)
    try:
        write()
    finally:
        connection.connection.remove_notice_handler(collect)
        with connection.cursor() as cursor:
            cursor.execute("SET LOCAL auto_explain.log_min_duration = -1")
    return plans


@postgresql_only
def test_the_merge_looks_up_each_key_even_when_planned_on_empty_counts(curator):
    """PL/pgSQL keeps a connection's first plan of the trigger; made while the count tables
    were empty, the old one joined the whole table as "one row" once per changed key and an
    import of 100,000 incidents crawled (migration 0008). Every statement must stay lookups."""
    assert not IncidentDailyCount.objects.exists()  # the statistics say: empty

    plans = _trigger_plans(lambda: import_data(synthetic_batch(0, 40, seed=4), by=curator))

    assert len(plans) >= 2  # the daily and the monthly merge of the import's insert
    for plan in plans:
        assert "Seq Scan on incidents_incident" not in plan, plan
        assert "Join Filter" not in plan, plan
        # the merged rows found by id in the primary key (an index or a bitmap scan)
        assert re.search(r"Index Scan on incidents_incident(daily|monthly)count_pkey", plan) or (
            re.search(r"Index Scan using incidents_incident(daily|monthly)count_pkey", plan)
        ), plan
        assert "Index Cond: (id = ANY ($" in plan, plan
        assert "Index Scan using incident_daily_count_key_idx" in plan or (
            "Index Scan using incident_monthly_count_key_idx" in plan
        ), plan
    assert assert_rollups_exact() == 40


@postgresql_only
def test_the_rebuild_counts_incidents_written_without_the_triggers(curator):
    IncidentFactory(status="published", occurred_on="2019-11-30")
    with connection.cursor() as cursor:
        # ALTER TABLE refuses to run while deferred foreign-key checks are pending.
        cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
        cursor.execute("ALTER TABLE incidents_incident DISABLE TRIGGER USER")
        cursor.execute("SET CONSTRAINTS ALL DEFERRED")  # the importer writes children first
        import_data(synthetic_batch(0, 50, seed=9), by=curator)
        Incident.objects.filter(kind="intercept").delete()
        cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
        cursor.execute("ALTER TABLE incidents_incident ENABLE TRIGGER USER")
        cursor.execute("SET CONSTRAINTS ALL DEFERRED")
        assert _rollup_counts(IncidentDailyCount, "day") != _incident_counts(F("occurred_on"))

        cursor.execute("SELECT incidents_rollup_rebuild()")

    assert assert_rollups_exact() == Incident.objects.count()


@postgresql_only
def test_the_migration_counts_existing_incidents_and_its_reverse_drops_the_triggers(curator):
    IncidentFactory(status="published", occurred_on="2024-02-29")
    with connection.schema_editor() as editor:
        migration.drop_triggers(None, editor)
    import_data(synthetic_batch(0, 40, seed=11), by=curator)
    assert IncidentDailyCount.objects.count() == 1  # nothing moved the counts

    with connection.schema_editor() as editor:
        migration.install_triggers(None, editor)
    assert assert_rollups_exact() == 41

    IncidentFactory(occurred_on="2024-03-01")  # and the triggers are back
    assert assert_rollups_exact() == 42


def test_the_rollup_filter_reads_statuses_keys_and_dates_of_the_where_clause():
    visible = Incident.objects.filter(status__in=["published", "retracted"])
    queryset = visible.filter(
        Q(region_id="taiwan-strait") | Q(region_id="south-china-sea"),
        status__in=["published"],
        kind__in=["intercept", "navigation_dispute"],
        occurred_on__gte=dt.date(2020, 1, 1),
        occurred_on__lte=dt.date(2024, 12, 31),
    ).filter(occurred_on__gte=dt.date(2021, 3, 1))

    found = rollup_filter(queryset.order_by())

    assert found == RollupFilter(
        values={
            "status": {"published"},
            "region": {"taiwan-strait", "south-china-sea"},
            "kind": {"intercept", "navigation_dispute"},
        },
        first_day=dt.date(2021, 3, 1),
        last_day=dt.date(2024, 12, 31),
    )


@pytest.mark.parametrize(
    "queryset",
    [
        lambda: Incident.objects.filter(~Q(kind="intercept")),
        lambda: Incident.objects.filter(Q(kind="intercept") | Q(conduct="unsafe")),
        lambda: Incident.objects.filter(participants__country="US"),
        lambda: Incident.objects.filter(title__icontains="j-11"),
        lambda: Incident.objects.filter(occurred_on__gt=dt.date(2020, 1, 1)),
        lambda: Incident.objects.filter(occurred_on__year=2020),
        lambda: Incident.objects.filter(kind="intercept").distinct(),
        lambda: Incident.objects.none(),
        lambda: Incident.objects.filter(intercept__closest_approach_m__lte=100),
        lambda: Incident.objects.annotate(n=Count("participants")),
    ],
)
def test_conditions_the_rollups_do_not_hold_leave_the_stats_to_counting(queryset):
    assert rollup_filter(queryset()) is None


def test_whole_months_come_from_the_monthly_rollup_and_the_edges_from_the_daily_one():
    sources = rollup_sources(dt.date(2020, 1, 15), dt.date(2020, 3, 10), "month")

    assert sources == [
        (
            IncidentMonthlyCount,
            "month",
            Q(month__gte=dt.date(2020, 2, 1), month__lte=dt.date(2020, 2, 29)),
        ),
        (
            IncidentDailyCount,
            "day",
            Q(day__gte=dt.date(2020, 1, 15), day__lte=dt.date(2020, 1, 31))
            | Q(day__gte=dt.date(2020, 3, 1), day__lte=dt.date(2020, 3, 10)),
        ),
    ]


@pytest.mark.parametrize(
    ("first", "last", "interval", "expected"),
    [
        (dt.date(2020, 1, 1), dt.date(2024, 12, 31), "year", [IncidentMonthlyCount]),
        (None, None, None, [IncidentMonthlyCount]),
        (dt.date(2020, 1, 1), dt.date(2020, 1, 31), "week", [IncidentDailyCount]),
        (dt.date(2020, 5, 2), dt.date(2020, 5, 30), "month", [IncidentDailyCount]),
        (dt.date(9999, 12, 2), None, "month", [IncidentDailyCount]),
        (None, dt.date(1, 1, 30), "year", [IncidentDailyCount]),
    ],
)
def test_which_rollups_hold_a_range(first, last, interval, expected):
    assert [model for model, _, _ in rollup_sources(first, last, interval)] == expected


# Transactions must commit for another connection to wait on them; the seeded regions and
# groups come back from the serialized test database.
committing = pytest.mark.django_db(transaction=True, serialized_rollback=True)


def _same_key_incidents(count: int) -> list[int]:
    return [IncidentFactory(status="published", occurred_on="2023-03-03").pk for _ in range(count)]


@postgresql_only
@committing
@pytest.mark.parametrize("second_move", ["out", "in"])
@pytest.mark.usefixtures("curator")
def test_a_write_never_waits_for_another_transaction_on_the_same_key(second_move):
    """T1 takes an incident out of a key and stays open; T2 moves another out of the same key
    (down to 0) or into it, and commits first, without waiting. Both counts land, and the next
    write to the key merges its rows again."""
    moved, other = _same_key_incidents(2)
    if second_move == "in":
        Incident.objects.filter(pk=other).update(conduct="professional")
    holding, release = threading.Event(), threading.Event()
    first = Worker(
        hold_open(
            lambda: Incident.objects.filter(pk=moved).update(occurred_on="2023-03-04"),
            holding,
            release,
        )
    )
    first.start()
    assert holding.wait(WAIT)
    conduct = "professional" if second_move == "out" else "unsafe"
    second = Worker(lambda: Incident.objects.filter(pk=other).update(conduct=conduct))
    second.start()
    assert not blocked(second, seconds=10)  # done while the first is still open
    second.join_checked()
    release.set()
    first.join_checked()

    assert assert_rollups_exact(merged=False) == 2
    expected = 0 if second_move == "out" else 1
    assert _count(day="2023-03-03", conduct="unsafe") == expected
    Incident.objects.filter(pk=moved).update(occurred_on="2023-03-03", conduct="unsafe")
    assert assert_rollups_exact() == 2


@postgresql_only
@committing
@pytest.mark.usefixtures("curator")
def test_concurrent_writers_on_the_same_keys_lose_no_count(reviewer):
    def write(n: int):
        for step in range(4):
            incident = IncidentFactory(occurred_on="2023-03-03")
            incident = services.publish_incident(incident, by=reviewer)
            if (n + step) % 2:
                services.retract_incident(incident, reason="Withdrawn.", by=reviewer)

    workers = [Worker(lambda n=n: write(n)) for n in range(4)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join_checked()

    assert assert_rollups_exact(merged=False) == 16
    assert _count(day="2023-03-03", status="retracted") == 8
