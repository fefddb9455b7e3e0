"""The rollup trigger's statements planned so that statistics cannot make them crawl.

PL/pgSQL plans the trigger's statements once per connection and keeps the plans. Planned while
the count tables were empty (a new database, or just after a TRUNCATE), the merge joined the
whole count table as if it held one row and scanned it once per changed key: an import of
100,000 new incidents in batches of 2,000 slowed from under 1 s per batch to 12-25 s by the
tenth (auto_explain of `bench/import_benchmark.py`). APPLY_FUNCTION in 0005 now collects the ids
to merge first and deletes them by id, with sequential scans off inside the function; this
replaces the function in databases migrated before. Going back keeps the new function: it
computes the same counts.
"""

import importlib

from django.db import migrations

ROLLUPS = importlib.import_module("incidents.migrations.0005_incident_count_rollups")


def replace_function(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    schema_editor.execute(
        ROLLUPS.APPLY_FUNCTION.replace("CREATE FUNCTION", "CREATE OR REPLACE FUNCTION", 1)
    )


class Migration(migrations.Migration):
    dependencies = [("incidents", "0007_rollup_truncate_not_delete")]

    operations = [migrations.RunPython(replace_function, migrations.RunPython.noop)]
