"""The rollup tables emptied by TRUNCATE when incidents_incident is truncated (see
TRUNCATE_FUNCTION in 0005, which now creates it so): emptied by DELETE, their dead pages made
every import statement after the next ANALYZE crawl (86 instead of 2,400 incidents/s)."""

import importlib

from django.db import migrations

ROLLUPS = importlib.import_module("incidents.migrations.0005_incident_count_rollups")


def replace_function(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    with schema_editor.connection.cursor() as cursor:
        cursor.execute(
            ROLLUPS.TRUNCATE_FUNCTION.replace("CREATE FUNCTION", "CREATE OR REPLACE FUNCTION", 1)
        )


class Migration(migrations.Migration):
    dependencies = [("incidents", "0006_published_recent_index")]

    operations = [migrations.RunPython(replace_function, migrations.RunPython.noop)]
