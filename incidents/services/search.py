"""The PostgreSQL full-text document of incidents: title (A), location (B), summary (C), sources (D)."""

from collections.abc import Iterable

from django.db import connection

_REFRESH_SQL = """
UPDATE incidents_incident AS i
SET search_vector =
    setweight(to_tsvector('english', coalesce(i.title, '')), 'A')
    || setweight(to_tsvector('english', coalesce(i.location_name, '')), 'B')
    || setweight(to_tsvector('english', coalesce(i.summary, '')), 'C')
    || setweight(to_tsvector('english', coalesce((
        SELECT string_agg(s.title, ' ')
        FROM incidents_citation c JOIN incidents_source s ON s.id = c.source_id
        WHERE c.incident_id = i.id), '')), 'D')
WHERE i.id = ANY(%s)
"""


def refresh_search_documents(incident_ids: Iterable[int]) -> None:
    """Rebuild the search document of these incidents (PostgreSQL only; SQLite searches live)."""
    incident_ids = list(incident_ids)
    if connection.vendor != "postgresql" or not incident_ids:
        return
    with connection.cursor() as cursor:
        cursor.execute(_REFRESH_SQL, [incident_ids])
