"""CSV, GeoJSON and JSON Lines renderers: a page of documents on the list, formats for export.

They render lists of incident documents (selectors.incident_documents). Error bodies are always
JSON: the views switch to the JSON renderer for any response with an error status.
"""

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
