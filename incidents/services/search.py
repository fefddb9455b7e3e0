"""The PostgreSQL full-text document of incidents: title (A), location (B), summary (C), sources (D)."""

from collections.abc import Iterable

from django.db import connection


def search_document_sql(row: str) -> str:
    """The search document of the incident row aliased `row`, as an SQL expression.

    One definition for the refresh below and for the importer, which computes it while
    inserting (its citations go in first). `row` must not be `c` or `s`, the aliases inside.
    """
    return f"""
    setweight(to_tsvector('english', coalesce({row}.title, '')), 'A')
    || setweight(to_tsvector('english', coalesce({row}.location_name, '')), 'B')
    || setweight(to_tsvector('english', coalesce({row}.summary, '')), 'C')
    || setweight(to_tsvector('english', coalesce((
        SELECT string_agg(s.title, ' ' ORDER BY c.position, c.id)
        FROM incidents_citation c JOIN incidents_source s ON s.id = c.source_id
        WHERE c.incident_id = {row}.id), '')), 'D')
    """


_REFRESH_SQL = f"""
UPDATE incidents_incident AS i
SET search_vector = {search_document_sql("i")}
WHERE i.id = ANY(%s)
"""


def refresh_search_documents(incident_ids: Iterable[int]) -> None:
    """Rebuild the search document of these incidents (PostgreSQL only; SQLite searches live)."""
    incident_ids = list(incident_ids)
    if connection.vendor != "postgresql" or not incident_ids:
        return
    with connection.cursor() as cursor:
        cursor.execute(_REFRESH_SQL, [incident_ids])
