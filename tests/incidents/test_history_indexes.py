"""History and foreign keys keep an index for every way the registry reads them (migration 0009).

The history tables index only the object a history is read by (incidents.models.history), and
three foreign keys lean on a composite index whose first column they are. Each read below is
planned with sequential scans off: the plan still reads the table whole only when no index
can serve it. Then the editor, now without a database constraint: deleting a user still blanks
their name from the history rows they wrote, through the ORM, and history keeps working.
"""

import pytest
from django.contrib.auth import get_user_model
from django.db import connection

from incidents import services
from incidents.api.history import TRACKED
from incidents.models import Citation, Contact, Incident, Participant, Platform, Source
from tests.factories import incident_document

pytestmark = pytest.mark.django_db
postgresql_only = pytest.mark.skipif(
    connection.vendor != "postgresql", reason="query plans are PostgreSQL's"
)


def _plan(queryset) -> str:
    sql, params = queryset.query.sql_with_params()
    with connection.cursor() as cursor:
        cursor.execute("SET LOCAL enable_seqscan = off")
        cursor.execute(f"EXPLAIN {sql}", params)
        return "\n".join(row[0] for row in cursor.fetchall())


@postgresql_only
@pytest.mark.parametrize(
    ("model", "key"),
    [(model, key) for model, key, _hidden in TRACKED]
    # the admin's history page of a source, platform or contact: by the object's id
    + [(Source, "id"), (Platform, "id"), (Contact, "id")],
    ids=lambda value: getattr(value, "__name__", value),
)
def test_each_history_is_read_through_an_index(model, key):
    plan = _plan(model.history.filter(**{key: 1}).order_by("history_date"))

    assert "Seq Scan" not in plan, plan
    assert "Index" in plan, plan


@postgresql_only
@pytest.mark.parametrize(
    "queryset",
    [
        # a region's or platform's deletion is refused by these look-ups (PROTECT)
        lambda: Incident.objects.filter(region_id="yellow-sea"),
        lambda: Participant.objects.filter(platform_id=1),
        # an incident's sources, and its deletion's cascade
        lambda: Citation.objects.filter(incident_id=1),
    ],
    ids=["incident.region", "participant.platform", "citation.incident"],
)
def test_foreign_keys_without_their_own_index_are_looked_up_through_a_composite_one(queryset):
    plan = _plan(queryset())

    assert "Seq Scan" not in plan, plan
    assert "Index" in plan, plan


def test_deleting_an_editor_keeps_their_changes_in_history_without_their_name(curator):
    document = incident_document()
    incident = services.create_incident(document, by=curator)
    services.update_incident(incident, {**document, "title": "Renamed"}, by=curator)

    get_user_model().objects.filter(pk=curator.pk).delete()

    history = Incident.history.filter(id=incident.pk).order_by("history_id")
    assert [(row.history_type, row.title, row.history_user) for row in history] == [
        ("+", document["title"], None),
        ("~", "Renamed", None),
    ]
    assert not Participant.history.filter(incident_id=incident.pk, history_user__isnull=False)
