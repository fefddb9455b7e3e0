"""CSV, GeoJSON and JSON Lines renderers: a page of documents on the list, formats for export.

They render lists of incident documents (selectors.incident_documents). Error bodies are always
JSON: the views switch to the JSON renderer for any response with an error status.
`json_text_response` sends JSON that PostgreSQL already wrote (incidents/documents_sql.py).
"""

from django.http import HttpResponse
from rest_framework import renderers

from incidents.exports import MEDIA_TYPES, csv_text, geojson_collection


class CsvRenderer(renderers.BaseRenderer):
    media_type = MEDIA_TYPES["csv"]
    format = "csv"
    charset = "utf-8"

    def render(self, data, accepted_media_type=None, renderer_context=None):
        return csv_text(data or []).encode(self.charset)


class GeoJsonRenderer(renderers.JSONRenderer):
    media_type = MEDIA_TYPES["geojson"]
    format = "geojson"

    def render(self, data, accepted_media_type=None, renderer_context=None):
        return super().render(geojson_collection(data or []), accepted_media_type, renderer_context)


class JsonLinesRenderer(renderers.BaseRenderer):
    """Only negotiated on the export, which streams its own body."""

    media_type = MEDIA_TYPES["jsonl"]
    format = "jsonl"
    charset = "utf-8"

    def render(self, data, accepted_media_type=None, renderer_context=None):
        raise NotImplementedError("JSON Lines are streamed by the export, never rendered.")


def json_text_response(text: str, *, headers: dict | None = None) -> HttpResponse:
    """JSON text sent as DRF's JSONRenderer sends its own output.

    Same media type (no charset), and U+2028/U+2029 escaped as the renderer escapes them, so
    the body stays valid JavaScript.
    """
    text = text.replace("\u2028", "\\u2028").replace("\u2029", "\\u2029")
    return HttpResponse(
        text.encode(), content_type=renderers.JSONRenderer.media_type, headers=headers
    )
