"""Incident documents as CSV, GeoJSON and JSON Lines: whole pages, or streamed in chunks.

`csv_chunks`, `geojson_chunks` and `jsonl_chunks` take a filtered, ordered incident queryset and
return an iterator of text chunks, one per batch of incidents, with flat memory whatever the
size of the set: rows come through a server-side cursor on PostgreSQL (a chunked cursor on
SQLite), and each batch's participants and sources in two queries (selectors.incident_documents).
On PostgreSQL the export reads one REPEATABLE READ snapshot, so rows and their children agree.
The `export_incidents` command writes these to a file; the API's `/incidents/export/` streams
`response_chunks`, which on PostgreSQL hands the CSV to one COPY statement (incidents/csv_sql.py).
"""

import io
import json
from collections.abc import Iterable, Iterator
from itertools import islice

from django.db import connections, transaction

from incidents import csv_sql, documents_sql
from incidents.interchange import CSV_COLUMNS, csv_writer, document_to_csv_row
from incidents.selectors import ROW_COLUMNS, incident_documents

BATCH_SIZE = 2000
MEDIA_TYPES = {
    "csv": "text/csv",
    "geojson": "application/geo+json",
    "jsonl": "application/x-ndjson",
}


def _json(value) -> str:
    return json.dumps(value, ensure_ascii=False, separators=(",", ":"))


def csv_text(documents: Iterable[dict], *, header: bool = True) -> str:
    """CSV of these documents: the interchange columns, formula-like cells neutralised."""
    buffer = io.StringIO()
    writer = csv_writer(buffer)
    if header:
        writer.writerow(CSV_COLUMNS)
    writer.writerows(document_to_csv_row(document) for document in documents)
    return buffer.getvalue()


def geojson_feature(document: dict) -> dict | None:
    """A GeoJSON Point Feature ([lon, lat]) with the document as properties; None without coordinates."""
    if document["latitude"] is None or document["longitude"] is None:
        return None
    return {
        "type": "Feature",
        "id": document["id"],
        "geometry": {"type": "Point", "coordinates": [document["longitude"], document["latitude"]]},
        "properties": document,
    }


def geojson_collection(documents: Iterable[dict]) -> dict:
    features = (geojson_feature(document) for document in documents)
    return {"type": "FeatureCollection", "features": [f for f in features if f is not None]}


def document_batches(queryset, *, batch_size: int | None = None) -> Iterator[list[dict]]:
    """The documents of a queryset, in its order, a batch at a time."""
    batch_size = batch_size or BATCH_SIZE
    rows = queryset.values(*ROW_COLUMNS)
    connection = connections[rows.db]
    outermost = not connection.in_atomic_block
    # Inside a transaction PostgreSQL's server-side cursor is not WITH HOLD: it streams
    # instead of materialising the whole result at DECLARE.
    with transaction.atomic(using=rows.db):
        if outermost and connection.vendor == "postgresql":
            with connection.cursor() as cursor:
                cursor.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ READ ONLY")
        iterator = rows.iterator(chunk_size=batch_size)
        while batch := list(islice(iterator, batch_size)):
            yield incident_documents(batch)


def csv_chunks(queryset, *, batch_size: int | None = None) -> Iterator[str]:
    yield csv_text([])
    for documents in document_batches(queryset, batch_size=batch_size):
        yield csv_text(documents, header=False)


def jsonl_chunks(queryset, *, batch_size: int | None = None) -> Iterator[str]:
    for documents in document_batches(queryset, batch_size=batch_size):
        yield "".join(_json(document) + "\n" for document in documents)


def geojson_chunks(queryset, *, batch_size: int | None = None) -> Iterator[str]:
    yield '{"type":"FeatureCollection","features":['
    separator = ""
    for documents in document_batches(exportable(queryset, "geojson"), batch_size=batch_size):
        features = [_json(f) for f in map(geojson_feature, documents) if f is not None]
        if features:
            yield separator + ",".join(features)
            separator = ","
    yield "]}\n"


def exportable(queryset, export_format: str):
    """The incidents an export in this format holds: GeoJSON leaves out those without coordinates."""
    if export_format == "geojson":
        return queryset.filter(latitude__isnull=False, longitude__isnull=False)
    return queryset


EXPORTERS = {"csv": csv_chunks, "geojson": geojson_chunks, "jsonl": jsonl_chunks}


def export_chunks(queryset, export_format: str, *, batch_size: int | None = None) -> Iterator[str]:
    """Chunks of `queryset` in `export_format` (csv, geojson or jsonl)."""
    return EXPORTERS[export_format](queryset, batch_size=batch_size)


def response_chunks(queryset, export_format: str) -> Iterator[str | bytes]:
    """What the API streams: the CSV from COPY on PostgreSQL (same rows, PostgreSQL formats
    them), every other format and database through export_chunks."""
    if export_format == "csv" and documents_sql.available(queryset.db):
        return csv_sql.copy_csv_chunks(queryset)
    return export_chunks(queryset, export_format)
