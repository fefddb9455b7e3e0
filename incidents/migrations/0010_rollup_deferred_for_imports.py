"""A bulk import counts its new incidents once, at its end, instead of once per batch.

The rollup trigger (0005) merges the counts of every key a statement changes. An import writes
its new incidents in batches of 2,000, a COPY each, so it merged fifty times, each time nearly
as many keys as incidents (a day, kind, region, status… is seldom shared within a batch): 2.6 s
of a 100,000-incident import on its one connection. Between `incidents_rollup_defer()` and
`incidents_rollup_flush()`, in one transaction, the trigger only notes the keys of inserted
rows (aggregated per statement) in a temporary table, and the flush merges them all in one
statement per rollup table, as the trigger would have. Updates and deletes are counted as
before, at once: an inserted incident changed before the flush is noted with the key it was
inserted with, and the update moves it from that key to its new one, so the sums come out
exact either way. The temporary table and the setting end with the transaction or with a
rolled-back savepoint around them, so nothing deferred outlives them uncounted.
"""

import importlib

from django.db import migrations

ROLLUPS = importlib.import_module("incidents.migrations.0005_incident_count_rollups")

PENDING = "incidents_rollup_pending"
SETTING = "incidents.rollup_deferred"
_KEYS = ", ".join(ROLLUPS.SOURCE_KEYS)

APPLY_FUNCTION = f"""
CREATE OR REPLACE FUNCTION incidents_rollup_apply() RETURNS trigger LANGUAGE plpgsql
SET enable_seqscan = off AS $$
BEGIN
    IF TG_OP = 'INSERT' AND current_setting('{SETTING}', true) = 'on' THEN
        INSERT INTO pg_temp.{PENDING} (occurred_on, {_KEYS}, n)
        SELECT occurred_on, {_KEYS}, count(*) FROM new_rows GROUP BY 1, 2, 3, 4, 5, 6;
        RETURN NULL;
    END IF;
    IF TG_OP = 'INSERT' THEN{ROLLUPS._branch("INSERT")}
    ELSIF TG_OP = 'DELETE' THEN{ROLLUPS._branch("DELETE")}
    ELSE{ROLLUPS._branch("UPDATE")}
    END IF;
    RETURN NULL;
END $$
"""

DEFER_FUNCTION = f"""
CREATE FUNCTION incidents_rollup_defer() RETURNS void LANGUAGE plpgsql AS $$
BEGIN
    CREATE TEMPORARY TABLE IF NOT EXISTS {PENDING} (
        occurred_on date NOT NULL,
        status text NOT NULL,
        kind text NOT NULL,
        region_id text NOT NULL,
        conduct text NOT NULL,
        verification text NOT NULL,
        n integer NOT NULL
    ) ON COMMIT DROP;
    PERFORM set_config('{SETTING}', 'on', true);
END $$
"""

_NOTED = f"SELECT occurred_on, {_KEYS}, n AS delta FROM pg_temp.{PENDING}"
FLUSH_FUNCTION = f"""
CREATE FUNCTION incidents_rollup_flush() RETURNS void LANGUAGE plpgsql
SET enable_seqscan = off AS $$
BEGIN
    PERFORM set_config('{SETTING}', 'off', true);
    IF to_regclass('pg_temp.{PENDING}') IS NULL THEN
        RETURN;
    END IF;{"".join(ROLLUPS._apply(table, _NOTED) for table in ROLLUPS.PERIODS)}
    TRUNCATE pg_temp.{PENDING};
END $$
"""


def install(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    for statement in (APPLY_FUNCTION, DEFER_FUNCTION, FLUSH_FUNCTION):
        schema_editor.execute(statement)


def uninstall(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    schema_editor.execute(
        ROLLUPS.APPLY_FUNCTION.replace("CREATE FUNCTION", "CREATE OR REPLACE FUNCTION", 1)
    )
    schema_editor.execute("DROP FUNCTION IF EXISTS incidents_rollup_defer()")
    schema_editor.execute("DROP FUNCTION IF EXISTS incidents_rollup_flush()")


class Migration(migrations.Migration):
    dependencies = [("incidents", "0009_leaner_indexes")]

    operations = [migrations.RunPython(install, uninstall)]
