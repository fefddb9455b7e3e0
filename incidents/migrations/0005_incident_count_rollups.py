"""Daily and monthly incident counts, kept exact by PostgreSQL triggers (docs/performance.md, R4).

Three statement-level triggers with transition tables move the counts of every key an INSERT,
UPDATE or DELETE on incidents_incident touches, in the same transaction and with one aggregate
per statement and table, whatever wrote the rows (services, the importer's COPY, bulk updates,
the admin). A fourth empties the counts when incidents_incident is truncated. The function
`incidents_rollup_rebuild()` recounts both tables from the incidents under a lock that keeps
writers out; the migration calls it to count the rows that exist already.

A key's count is the sum of its rows, and a statement writes one new row per key it changes,
merging into it the key's committed rows that no other transaction is merging (`FOR UPDATE SKIP
LOCKED`). An upsert on a unique key would make every writer wait for the commit of any other
transaction that changed the same key (the same day, kind, region… — two curators publishing
similar incidents, an API write during an import); here no writer waits for another.

SQLite gets the tables but no triggers: there the stats never read them.
"""

from django.db import migrations, models

DAILY = "incidents_incidentdailycount"
MONTHLY = "incidents_incidentmonthlycount"
# rollup table -> (its date column, that date computed from an incident's occurred_on)
PERIODS = {
    DAILY: ("day", "occurred_on"),
    MONTHLY: ("month", "date_trunc('month', occurred_on)::date"),
}
# The other key columns, in the rollup table and in incidents_incident.
KEYS = ("status", "kind", "region", "conduct", "verification")
SOURCE_KEYS = ("status", "kind", "region_id", "conduct", "verification")

# Each changed row as (occurred_on, keys..., delta): -1 for the row before, +1 for the row after.
_CHANGED = "SELECT occurred_on, {keys}, {delta} AS delta FROM {rows}"
CHANGES = {
    "INSERT": _CHANGED.format(keys=", ".join(SOURCE_KEYS), delta=1, rows="new_rows"),
    "DELETE": _CHANGED.format(keys=", ".join(SOURCE_KEYS), delta=-1, rows="old_rows"),
    "UPDATE": _CHANGED.format(keys=", ".join(SOURCE_KEYS), delta=-1, rows="old_rows")
    + " UNION ALL "
    + _CHANGED.format(keys=", ".join(SOURCE_KEYS), delta=1, rows="new_rows"),
}


def _apply(table: str, changes: str) -> str:
    """One statement: the net change per key, merged with the key's rows, as one row per key.

    An update that moves no incident between keys (a title, a search document) nets to nothing
    and writes nothing. `merged` deletes the key's rows this transaction can lock without
    waiting — committed rows, and its own — and their counts go into the new row, so the sum
    per key moves by exactly the change. Rows another transaction is merging are skipped: that
    one folds them into its own row. A key whose new sum is 0 gets no row.

    The plan must not depend on the count tables' statistics: PL/pgSQL plans this statement
    once per connection, often while the tables are empty (a new database, just after a
    TRUNCATE), and keeps that plan while they grow. LATERAL makes the probe one lookup per
    changed key; the ids it locks are collected first (ARRAY, computed once) and deleted by id,
    so the table is never joined as a whole (planned as "one row", it was scanned once per
    key: 12 s per import batch of 2,000 incidents); the function runs with sequential scans
    off, so the lookups use the key index and the primary key (0008).
    """
    period, computed = PERIODS[table]
    columns = ", ".join((period, *KEYS))
    match = " AND ".join(f"s.{c} = d.{c}" for c in (period, *KEYS))
    return f"""
        WITH net ({columns}, n) AS (
            SELECT {computed}, {", ".join(SOURCE_KEYS)}, sum(delta)::integer
            FROM ({changes}) AS c
            GROUP BY 1, 2, 3, 4, 5, 6 HAVING sum(delta) <> 0
        ), merged AS (
            DELETE FROM {table} AS r
            WHERE r.id = ANY (ARRAY(
                SELECT mine.id FROM net AS d, LATERAL (
                    SELECT s.id FROM {table} AS s WHERE {match} FOR UPDATE SKIP LOCKED
                ) AS mine
            ))
            RETURNING {", ".join(f"r.{c}" for c in (period, *KEYS))}, r.count
        )
        INSERT INTO {table} ({columns}, count)
        SELECT {columns}, sum(n)
        FROM (SELECT * FROM net UNION ALL SELECT * FROM merged) AS m ({columns}, n)
        GROUP BY 1, 2, 3, 4, 5, 6 HAVING sum(n) <> 0;"""


def _branch(operation: str) -> str:
    return "".join(_apply(table, CHANGES[operation]) for table in PERIODS)


APPLY_FUNCTION = f"""
CREATE FUNCTION incidents_rollup_apply() RETURNS trigger LANGUAGE plpgsql
SET enable_seqscan = off AS $$
BEGIN
    IF TG_OP = 'INSERT' THEN{_branch("INSERT")}
    ELSIF TG_OP = 'DELETE' THEN{_branch("DELETE")}
    ELSE{_branch("UPDATE")}
    END IF;
    RETURN NULL;
END $$
"""

TRUNCATE_FUNCTION = f"""
CREATE FUNCTION incidents_rollup_truncate() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    -- TRUNCATE, not DELETE: DELETE left the tables' pages full of dead rows, and after an
    -- ANALYZE (0 rows in 395 pages) every following import statement's merge crawled
    -- (30,000 incidents: 86/s instead of 2,400/s). 0007 replaces the function in older databases.
    TRUNCATE {DAILY}, {MONTHLY};
    RETURN NULL;
EXCEPTION WHEN object_in_use THEN
    -- The same TRUNCATE statement empties them too (Django's flush lists every table).
    DELETE FROM {DAILY};
    DELETE FROM {MONTHLY};
    RETURN NULL;
END $$
"""


def _recount(table: str) -> str:
    period, computed = PERIODS[table]
    return f"""
    DELETE FROM {table};
    INSERT INTO {table} ({", ".join((period, *KEYS))}, count)
    SELECT {computed}, {", ".join(SOURCE_KEYS)}, count(*)
    FROM incidents_incident GROUP BY 1, 2, 3, 4, 5, 6;"""


REBUILD_FUNCTION = f"""
CREATE FUNCTION incidents_rollup_rebuild() RETURNS void LANGUAGE plpgsql AS $$
BEGIN
    -- Writers wait until the caller's transaction ends, and the lock waits for those in
    -- flight: no change can fall between the recount and the triggers that take over from it.
    LOCK TABLE incidents_incident IN SHARE MODE;{_recount(DAILY)}{_recount(MONTHLY)}
END $$
"""

TRIGGERS = [
    "CREATE TRIGGER incidents_rollup_insert AFTER INSERT ON incidents_incident "
    "REFERENCING NEW TABLE AS new_rows "
    "FOR EACH STATEMENT EXECUTE FUNCTION incidents_rollup_apply()",
    "CREATE TRIGGER incidents_rollup_update AFTER UPDATE ON incidents_incident "
    "REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows "
    "FOR EACH STATEMENT EXECUTE FUNCTION incidents_rollup_apply()",
    "CREATE TRIGGER incidents_rollup_delete AFTER DELETE ON incidents_incident "
    "REFERENCING OLD TABLE AS old_rows "
    "FOR EACH STATEMENT EXECUTE FUNCTION incidents_rollup_apply()",
    "CREATE TRIGGER incidents_rollup_truncate AFTER TRUNCATE ON incidents_incident "
    "FOR EACH STATEMENT EXECUTE FUNCTION incidents_rollup_truncate()",
]

DROP = [
    *(
        f"DROP TRIGGER IF EXISTS incidents_rollup_{event} ON incidents_incident"
        for event in ("insert", "update", "delete", "truncate")
    ),
    "DROP FUNCTION IF EXISTS incidents_rollup_apply()",
    "DROP FUNCTION IF EXISTS incidents_rollup_truncate()",
    "DROP FUNCTION IF EXISTS incidents_rollup_rebuild()",
]


def install_triggers(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    for statement in [APPLY_FUNCTION, TRUNCATE_FUNCTION, REBUILD_FUNCTION, *TRIGGERS]:
        schema_editor.execute(statement)
    # Count the incidents stored before the triggers existed (the migration's transaction
    # holds the lock until it commits), and give the planner the new tables' statistics.
    schema_editor.execute("SELECT incidents_rollup_rebuild()")
    schema_editor.execute(f"ANALYZE {DAILY}, {MONTHLY}")


def drop_triggers(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    for statement in DROP:
        schema_editor.execute(statement)


CHOICES = {
    "status": [("draft", "Draft"), ("published", "Published"), ("retracted", "Retracted")],
    "kind": [
        ("intercept", "Intercept"),
        ("median_line_crossing", "Median-line crossing"),
        ("navigation_dispute", "Navigation dispute"),
    ],
    "conduct": [
        ("professional", "Professional"),
        ("unprofessional", "Unprofessional"),
        ("unsafe", "Unsafe"),
        ("unknown", "Unknown"),
    ],
    "verification": [
        ("unverified", "Unverified"),
        ("corroborated", "Corroborated"),
        ("confirmed", "Confirmed"),
        ("disputed", "Disputed"),
    ],
}


def _fields(period: str) -> list:
    return [
        (
            "id",
            models.BigAutoField(
                auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
            ),
        ),
        (period, models.DateField()),
        ("status", models.CharField(choices=CHOICES["status"], max_length=9)),
        ("kind", models.CharField(choices=CHOICES["kind"], max_length=24)),
        ("region", models.SlugField(db_index=False)),
        ("conduct", models.CharField(choices=CHOICES["conduct"], max_length=14)),
        ("verification", models.CharField(choices=CHOICES["verification"], max_length=12)),
        ("count", models.IntegerField()),
    ]


def _key_index(period: str, name: str) -> models.Index:
    return models.Index(
        fields=["status", period, "kind", "region", "conduct", "verification"], name=name
    )


class Migration(migrations.Migration):
    dependencies = [
        ("incidents", "0004_list_order_indexes"),
    ]

    operations = [
        migrations.CreateModel(
            name="IncidentDailyCount",
            fields=_fields("day"),
            options={"indexes": [_key_index("day", "incident_daily_count_key_idx")]},
        ),
        migrations.CreateModel(
            name="IncidentMonthlyCount",
            fields=_fields("month"),
            options={"indexes": [_key_index("month", "incident_monthly_count_key_idx")]},
        ),
        migrations.RunPython(install_triggers, drop_triggers),
    ]
