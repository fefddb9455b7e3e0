"""An import's per-batch look-ups probe an index per key, whatever the planner would rather do.

Each batch asks for the stored incidents of its 2,000 external ids and for its cited urls. As a
plain join or `= ANY(...)` over thousands of keys the planner often hashes or scans the whole
table instead (once per batch: an import of N incidents would read it N/2,000 times). The
statements put each key's look-up in a LATERAL subquery with LIMIT, which cannot be turned into
a join: here they are planned for more keys than the table has rows, where a plain join hashes
the table (checked against the statements before, which read it whole), and still probe.
"""

import pytest
from django.db import connection

from incidents.models import Source
from incidents.services.importing import sources, unchanged
from incidents.services.importing.rows import binding_cursor

pytestmark = [
    pytest.mark.django_db,
    pytest.mark.skipif(connection.vendor != "postgresql", reason="query plans are PostgreSQL's"),
]


def _plan(sql: str, keys: list[str]) -> str:
    with binding_cursor() as cursor:
        cursor.execute(f"EXPLAIN {sql}", [keys])
        return "\n".join(row[0] for row in cursor.fetchall())


@pytest.fixture
def many_sources():
    Source.objects.bulk_create(
        Source(url=f"https://example.org/report/{n}", publisher="Example", type="media")
        for n in range(3000)
    )
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE incidents_source")


def test_the_cited_urls_are_looked_up_one_index_probe_each(many_sources):
    urls = [f"https://example.org/report/{n}" for n in range(0, 3000, 2)]

    plan = _plan(sources._LOOKUP_SQL, urls)

    assert "Index Scan using incidents_source_url_key" in plan, plan
    assert "Seq Scan on incidents_source" not in plan, plan
    assert "Hash" not in plan, plan


def test_the_stored_incidents_are_looked_up_one_index_probe_each():
    plan = _plan(unchanged._KEYS_SQL, [f"ext-{n}" for n in range(2000)])

    # (Below it, the subplans that read each incident's participants, sources and details.)
    outer = plan.split("SubPlan")[0]
    assert outer.startswith("Nested Loop"), plan
    assert "Index Scan using incidents_incident_external_id_key" in outer, plan
    assert "Seq Scan on incidents_incident " not in plan, plan


def test_the_look_ups_find_what_is_stored(many_sources):
    registry = sources.SourceRegistry()
    wanted = ["https://example.org/report/7", "https://example.org/report/2999", "https://no/"]

    registry._load(wanted)

    assert set(registry.entries) == set(wanted[:2])
    assert registry.entries[wanted[0]][1] == (wanted[0], "Example", "", None, "media")
