"""Search documents of new incidents, computed on a second connection while the first one writes.

`to_tsvector` is the most expensive part of writing an incident (PostgreSQL's text parser, some
60 us for a record's title, location, summary and source titles). It is a pure function of
the texts, so it needs nothing of the import's transaction: a second connection, on a thread
of its own, computes a batch's documents while the import's connection writes the batch's
other rows, and the incident rows then take them ready-made (a tsvector's binary form). Without the second
connection (one batch, or none to be had) `compute` does it on the import's own. The documents
are `services.search`'s: the same weights and configuration over the same texts.
"""

from concurrent.futures import Future, ThreadPoolExecutor

import psycopg
from django.db import DEFAULT_DB_ALIAS, DatabaseError, connections

from incidents.services.search import weighted_document_sql

# `services.search`'s document over given texts (the sources' titles in citation order, joined
# by spaces, as `search_document_sql`'s string_agg gathers them).
_BATCH_SQL = (
    "SELECT ("
    + weighted_document_sql(
        title="t.title",
        location_name="t.location_name",
        summary="t.summary",
        source_titles="t.source_titles",
    )
    + ") FROM unnest(%b::text[], %b::text[], %b::text[], %b::text[]) WITH ORDINALITY "
    "AS t(title, location_name, summary, source_titles, n) ORDER BY t.n"
)


def compute(raw_connection, texts: list[tuple]) -> list[bytes]:
    """The documents of `texts` ((title, location name, summary, sources' titles) each) in the
    binary form of a tsvector, ready for a binary COPY; on a psycopg connection."""
    with psycopg.Cursor(raw_connection) as cursor:
        columns = [list(column) for column in zip(*texts, strict=True)]
        cursor.execute(_BATCH_SQL, columns, binary=True)
        return [row[0] for row in cursor.fetchall()]


class SearchDocuments:
    """`submit(texts)` returns a Future of the documents (see `compute`), or of None when the
    second connection is not there (then the caller computes them on its own)."""

    def __init__(self, *, enabled: bool):
        self.enabled = enabled
        self.executor = None
        self.helper = None
        self.broken = False

    def __enter__(self) -> "SearchDocuments":
        if self.enabled:
            self.executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix="import-search")
        return self

    def submit(self, texts: list[tuple]) -> Future:
        if self.executor is None or self.broken or not texts:
            future = Future()
            future.set_result(None)
            return future
        return self.executor.submit(self._documents, texts)

    def _documents(self, texts: list[tuple]) -> list[str] | None:
        try:
            if self.helper is None:
                self.helper = connections.create_connection(DEFAULT_DB_ALIAS)
                self.helper.ensure_connection()
            return compute(self.helper.connection, texts)
        except (DatabaseError, psycopg.Error):
            # No second connection (a connection limit, say): the import computes them itself.
            self.broken = True
            return None

    def __exit__(self, *exc_info) -> None:
        if self.executor is not None:
            self.executor.submit(self._close).result()
            self.executor.shutdown(wait=True, cancel_futures=True)
            self.executor = None

    def _close(self) -> None:
        if self.helper is not None:
            self.helper.close()
            self.helper = None
