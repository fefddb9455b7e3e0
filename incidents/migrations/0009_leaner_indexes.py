"""Only the indexes something reads by (incidents.models.history, docs/performance.md).

History tables keep the object's id (or the incident's, for an incident's children); the
foreign keys whose first-column twin exists lose their own index (incident.region,
participant.platform, citation.incident); the editor's constraint goes. Last, PostgreSQL's
`varchar_pattern_ops` twins of the unique external id and source url: they serve only
LIKE 'prefix%', which nothing runs, and each new incident or source paid for them. (Django
makes such a twin again if a later migration alters those columns.)
"""

import django.core.validators
import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models

# (table, column) whose pattern-ops twin index goes
PATTERN_TWINS = [("incidents_incident", "external_id"), ("incidents_source", "url")]


def _twin(schema_editor, table: str, column: str) -> str:
    # The name Django gave it (PostgreSQL's schema editor, `_like` suffix).
    return schema_editor._create_index_name(table, [column], suffix="_like")


def drop_pattern_twins(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    for table, column in PATTERN_TWINS:
        schema_editor.execute(
            f"DROP INDEX IF EXISTS {schema_editor.quote_name(_twin(schema_editor, table, column))}"
        )


def restore_pattern_twins(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    for table, column in PATTERN_TWINS:
        name = schema_editor.quote_name(_twin(schema_editor, table, column))
        schema_editor.execute(
            f"CREATE INDEX IF NOT EXISTS {name} ON {schema_editor.quote_name(table)} "
            f"({schema_editor.quote_name(column)} varchar_pattern_ops)"
        )


class Migration(migrations.Migration):
    dependencies = [
        ("incidents", "0008_rollup_plan_independent_of_statistics"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.AlterField(
            model_name="citation",
            name="incident",
            field=models.ForeignKey(
                db_index=False,
                on_delete=django.db.models.deletion.CASCADE,
                related_name="citations",
                to="incidents.incident",
            ),
        ),
        migrations.AlterField(
            model_name="historicalcitation",
            name="history_date",
            field=models.DateTimeField(),
        ),
        migrations.AlterField(
            model_name="historicalcitation",
            name="history_user",
            field=models.ForeignKey(
                db_constraint=False,
                db_index=False,
                null=True,
                on_delete=django.db.models.deletion.SET_NULL,
                related_name="+",
                to=settings.AUTH_USER_MODEL,
            ),
        ),
        migrations.AlterField(
            model_name="historicalcitation",
            name="id",
            field=models.BigIntegerField(auto_created=True, blank=True, verbose_name="ID"),
        ),
        migrations.AlterField(
            model_name="historicalcitation",
            name="source",
            field=models.ForeignKey(
                blank=True,
                db_constraint=False,
                db_index=False,
                null=True,
                on_delete=django.db.models.deletion.DO_NOTHING,
                related_name="+",
                to="incidents.source",
            ),
        ),
        migrations.AlterField(
            model_name="historicalcontact",
            name="external_id",
            field=models.CharField(blank=True, max_length=120, null=True),
        ),
        migrations.AlterField(
            model_name="historicalcontact",
            name="history_date",
            field=models.DateTimeField(),
        ),
        migrations.AlterField(
            model_name="historicalcontact",
            name="history_user",
            field=models.ForeignKey(
                db_constraint=False,
                db_index=False,
                null=True,
                on_delete=django.db.models.deletion.SET_NULL,
                related_name="+",
                to=settings.AUTH_USER_MODEL,
            ),
        ),
        migrations.AlterField(
            model_name="historicalcontact_sources",
            name="contact",
            field=models.ForeignKey(
                blank=True,
                db_constraint=False,
                db_index=False,
                db_tablespace="",
                null=True,
                on_delete=django.db.models.deletion.DO_NOTHING,
                related_name="+",
                to="incidents.contact",
            ),
        ),
        migrations.AlterField(
            model_name="historicalcontact_sources",
            name="source",
            field=models.ForeignKey(
                blank=True,
                db_constraint=False,
                db_index=False,
                db_tablespace="",
                null=True,
                on_delete=django.db.models.deletion.DO_NOTHING,
                related_name="+",
                to="incidents.source",
            ),
        ),
        migrations.AlterField(
            model_name="historicalincident",
            name="external_id",
            field=models.CharField(blank=True, max_length=120, null=True),
        ),
        migrations.AlterField(
            model_name="historicalincident",
            name="history_date",
            field=models.DateTimeField(),
        ),
        migrations.AlterField(
            model_name="historicalincident",
            name="history_user",
            field=models.ForeignKey(
                db_constraint=False,
                db_index=False,
                null=True,
                on_delete=django.db.models.deletion.SET_NULL,
                related_name="+",
                to=settings.AUTH_USER_MODEL,
            ),
        ),
        migrations.AlterField(
            model_name="historicalincident",
            name="region",
            field=models.ForeignKey(
                blank=True,
                db_constraint=False,
                db_index=False,
                null=True,
                on_delete=django.db.models.deletion.DO_NOTHING,
                related_name="+",
                to="incidents.region",
            ),
        ),
        migrations.AlterField(
            model_name="historicalinterceptdetails",
            name="history_date",
            field=models.DateTimeField(),
        ),
        migrations.AlterField(
            model_name="historicalinterceptdetails",
            name="history_user",
            field=models.ForeignKey(
                db_constraint=False,
                db_index=False,
                null=True,
                on_delete=django.db.models.deletion.SET_NULL,
                related_name="+",
                to=settings.AUTH_USER_MODEL,
            ),
        ),
        migrations.AlterField(
            model_name="historicalmedianlinecrossingdetails",
            name="history_date",
            field=models.DateTimeField(),
        ),
        migrations.AlterField(
            model_name="historicalmedianlinecrossingdetails",
            name="history_user",
            field=models.ForeignKey(
                db_constraint=False,
                db_index=False,
                null=True,
                on_delete=django.db.models.deletion.SET_NULL,
                related_name="+",
                to=settings.AUTH_USER_MODEL,
            ),
        ),
        migrations.AlterField(
            model_name="historicalnavigationdisputedetails",
            name="history_date",
            field=models.DateTimeField(),
        ),
        migrations.AlterField(
            model_name="historicalnavigationdisputedetails",
            name="history_user",
            field=models.ForeignKey(
                db_constraint=False,
                db_index=False,
                null=True,
                on_delete=django.db.models.deletion.SET_NULL,
                related_name="+",
                to=settings.AUTH_USER_MODEL,
            ),
        ),
        migrations.AlterField(
            model_name="historicalparticipant",
            name="history_date",
            field=models.DateTimeField(),
        ),
        migrations.AlterField(
            model_name="historicalparticipant",
            name="history_user",
            field=models.ForeignKey(
                db_constraint=False,
                db_index=False,
                null=True,
                on_delete=django.db.models.deletion.SET_NULL,
                related_name="+",
                to=settings.AUTH_USER_MODEL,
            ),
        ),
        migrations.AlterField(
            model_name="historicalparticipant",
            name="id",
            field=models.BigIntegerField(auto_created=True, blank=True, verbose_name="ID"),
        ),
        migrations.AlterField(
            model_name="historicalparticipant",
            name="platform",
            field=models.ForeignKey(
                blank=True,
                db_constraint=False,
                db_index=False,
                null=True,
                on_delete=django.db.models.deletion.DO_NOTHING,
                related_name="+",
                to="incidents.platform",
            ),
        ),
        migrations.AlterField(
            model_name="historicalplatform",
            name="history_date",
            field=models.DateTimeField(),
        ),
        migrations.AlterField(
            model_name="historicalplatform",
            name="history_user",
            field=models.ForeignKey(
                db_constraint=False,
                db_index=False,
                null=True,
                on_delete=django.db.models.deletion.SET_NULL,
                related_name="+",
                to=settings.AUTH_USER_MODEL,
            ),
        ),
        migrations.AlterField(
            model_name="historicalplatform",
            name="slug",
            field=models.SlugField(db_index=False, max_length=80),
        ),
        migrations.AlterField(
            model_name="historicalsource",
            name="history_date",
            field=models.DateTimeField(),
        ),
        migrations.AlterField(
            model_name="historicalsource",
            name="history_user",
            field=models.ForeignKey(
                db_constraint=False,
                db_index=False,
                null=True,
                on_delete=django.db.models.deletion.SET_NULL,
                related_name="+",
                to=settings.AUTH_USER_MODEL,
            ),
        ),
        migrations.AlterField(
            model_name="historicalsource",
            name="url",
            field=models.URLField(
                max_length=1000,
                validators=[django.core.validators.URLValidator(schemes=["http", "https"])],
            ),
        ),
        migrations.AlterField(
            model_name="incident",
            name="region",
            field=models.ForeignKey(
                db_index=False,
                on_delete=django.db.models.deletion.PROTECT,
                related_name="incidents",
                to="incidents.region",
            ),
        ),
        migrations.AlterField(
            model_name="participant",
            name="platform",
            field=models.ForeignKey(
                blank=True,
                db_index=False,
                null=True,
                on_delete=django.db.models.deletion.PROTECT,
                related_name="participants",
                to="incidents.platform",
            ),
        ),
        migrations.RunPython(drop_pattern_twins, restore_pattern_twins),
    ]
