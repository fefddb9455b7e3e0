"""The PostgreSQL full-text document of incidents: title (A), location (B), summary (C), sources (D)."""

from collections.abc import Iterable

from django.db import connection


def weighted_document_sql(
    *, title: str, location_name: str, summary: str, source_titles: str
) -> str:
    """The search document over four SQL text expressions: the one weighting and configuration.

    The refresh below gives it an incident row's columns; the importer (`importing.
    search_documents`) gives it texts it already holds, so both write the same document.
    """
    return f"""
    setweight(to_tsvector('english', coalesce({title}, '')), 'A')
    || setweight(to_tsvector('english', coalesce({location_name}, '')), 'B')
    || setweight(to_tsvector('english', coalesce({summary}, '')), 'C')
    || setweight(to_tsvector('english', coalesce({source_titles}, '')), 'D')
    """


def search_document_sql(row: str) -> str:
    """The search document of the incident row aliased `row`, as an SQL expression: its cited
    sources' titles in citation order. `row` must not be `c` or `s`, the aliases inside."""
    return weighted_document_sql(
        title=f"{row}.title",
        location_name=f"{row}.location_name",
        summary=f"{row}.summary",
        source_titles=f"""(
        SELECT string_agg(s.title, ' ' ORDER BY c.position, c.id)
        FROM incidents_citation c JOIN incidents_source s ON s.id = c.source_id
        WHERE c.incident_id = {row}.id)""",
    )


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
