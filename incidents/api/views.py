"""Read side of the incident API: list, detail, stats and the streamed export (SPEC §2).

On PostgreSQL the JSON list page (with its count) and the detail are each one statement in
which the database writes the documents (incidents/documents_sql.py), whatever the page size.
Other formats (CSV and GeoJSON pages, the browsable API, JSON with `indent`) and SQLite build
the same documents with
selectors.incident_documents — plain dicts, no model instances or serializers per row — and
render them: a count, one page query and two child queries. Either way the count is summed
from the rollups when they hold every filter (incidents/rollup_counts.py), else counted.
"""

import json

from django.conf import settings
from django.http import StreamingHttpResponse
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import NotFound, ValidationError
from rest_framework.response import Response
from rest_framework.settings import api_settings

from incidents import documents_sql
from incidents.api.conditional import not_modified
from incidents.api.filters import IncidentFilterSet, IncidentStatsFilterSet
from incidents.api.mixins import StrictQueryMixin
from incidents.api.renderers import (
    CsvRenderer,
    GeoJsonRenderer,
    JsonLinesRenderer,
    json_text_response,
)
from incidents.api.schema import document_query_errors
from incidents.api.serializers import (
    IncidentFeatureCollectionSerializer,
    IncidentSerializer,
    IncidentStatsSerializer,
    StatsQuerySerializer,
)
from incidents.api.stats import incident_stats
from incidents.api.throttling import AnonThrottle, ExportThrottle, UserThrottle
from incidents.api.writes import IncidentWriteMixin
from incidents.exports import MEDIA_TYPES, exportable, response_chunks
from incidents.models import Incident
from incidents.rollup_counts import incident_count
from incidents.selectors import ROW_COLUMNS, documents_for, incident_documents, incidents_visible_to

PAGE_FORMATS = ("csv", "geojson")
LIST_EXTRAS = ("format", "limit", "offset")
STATS_EXTRAS = ("interval", "group_by")
LIST_FORMAT = OpenApiParameter(
    "format",
    enum=["json", "csv", "geojson"],
    description="Response format (also by Accept: text/csv, application/geo+json). CSV and "
    "GeoJSON hold the page; the total and the next/previous pages are in X-Total-Count and Link.",
)
EXPORT_FORMAT = OpenApiParameter(
    "format",
    enum=list(MEDIA_TYPES),
    description="csv (default), geojson or jsonl (one document per line); also by Accept.",
)


class PagedDocuments:
    """What the paginator pages: it counts the filtered rows and builds documents for one page."""

    def __init__(self, queryset):
        self.queryset = queryset

    def count(self) -> int:
        return incident_count(self.queryset)  # the JSON page's count, from the rollups if exact

    def __getitem__(self, page: slice) -> list[dict]:
        return documents_for(self.queryset[page])


def json_from_sql(request, alias: str) -> bool:
    """Whether this response is JSON that PostgreSQL may write whole.

    Not for the browsable API or other formats, nor for `Accept: application/json; indent=N`,
    which DRF's renderer honours (the Python path does).
    """
    return (
        request.accepted_renderer.format == "json"
        and "indent" not in (request.accepted_media_type or "")
        and documents_sql.available(alias)
    )


class IncidentViewSet(IncidentWriteMixin, StrictQueryMixin, viewsets.GenericViewSet):
    """Incidents: intercepts, median-line crossings and navigation disputes."""

    filterset_class = IncidentFilterSet
    # Ids are positive 64-bit integers: anything else is a URL miss, never a database error.
    lookup_value_regex = "[0-9]{1,18}"
    filtered_actions = {"list", "stats", "export"}
    query_parameters = {
        "list": set(LIST_EXTRAS),
        "retrieve": set(),
        "stats": set(STATS_EXTRAS),
        "export": set(),
    }

    def get_queryset(self):  # never self.queryset: it is evaluated once and cached
        return incidents_visible_to(self.request.user)

    def get_renderers(self):
        if self.action == "list":
            return [
                *(renderer() for renderer in api_settings.DEFAULT_RENDERER_CLASSES),
                CsvRenderer(),
                GeoJsonRenderer(),
            ]
        return super().get_renderers()

    @extend_schema(
        parameters=[LIST_FORMAT],
        responses={
            (200, "application/json"): IncidentSerializer(many=True),
            (200, MEDIA_TYPES["csv"]): OpenApiTypes.STR,
            (200, MEDIA_TYPES["geojson"]): IncidentFeatureCollectionSerializer,
        },
    )
    def list(self, request, *args, **kwargs):
        """Incidents matching every filter given, newest first (`ordering` to change)."""
        queryset = self.filter_queryset(self.get_queryset())
        if json_from_sql(request, queryset.db):
            results = self.paginator.paginate_counted(
                queryset, request, documents_sql.counted_page_json
            )
            return self._json_page(results)
        documents = self.paginate_queryset(PagedDocuments(queryset))
        if request.accepted_renderer.format in PAGE_FORMATS:
            return Response(documents, headers=self._paging_headers())
        return self.get_paginated_response(documents)

    def _json_page(self, results: str):
        """The paginated answer get_paginated_response gives, around a page already in JSON."""
        head = json.dumps(
            {
                "count": self.paginator.count,
                "next": self.paginator.get_next_link(),
                "previous": self.paginator.get_previous_link(),
            },
            ensure_ascii=False,
            separators=(",", ":"),
        )
        return json_text_response(f'{head[:-1]},"results":{results}}}')

    def _paging_headers(self) -> dict:
        links = [
            f'<{url}>; rel="{rel}"'
            for rel, url in (
                ("next", self.paginator.get_next_link()),
                ("prev", self.paginator.get_previous_link()),
            )
            if url
        ]
        headers = {"X-Total-Count": str(self.paginator.count)}
        if links:
            headers["Link"] = ", ".join(links)
        return headers

    @extend_schema(responses=IncidentSerializer)
    def retrieve(self, request, *args, **kwargs):
        """One incident; a retracted one too. Its ETag is the one If-Match expects on writes."""
        incident_id = int(kwargs[self.lookup_url_kwarg or self.lookup_field])
        visible = self.get_queryset().filter(pk=incident_id)
        if json_from_sql(request, visible.db):
            found = documents_sql.document_json(visible)
            if found is None:
                raise NotFound()
            document, version = found
            etag = Incident(pk=incident_id, version=version).etag
            return not_modified(request, etag) or json_text_response(
                document, headers={"ETag": etag}
            )
        rows = list(visible.values(*ROW_COLUMNS, "version"))
        if not rows:
            raise NotFound()
        etag = Incident(pk=incident_id, version=rows[0]["version"]).etag
        return not_modified(request, etag) or Response(
            incident_documents(rows)[0], headers={"ETag": etag}
        )

    @extend_schema(
        operation_id="incidents_stats",
        parameters=[StatsQuerySerializer],
        responses=IncidentStatsSerializer,
        filters=True,
    )
    @action(
        detail=False,
        methods=["get"],
        filterset_class=IncidentStatsFilterSet,
        pagination_class=None,
    )
    def stats(self, request, *args, **kwargs):
        """Counts of the filtered incidents per time bucket and group; retracted ones only
        with `status=retracted`."""
        query = StatsQuerySerializer(data=request.query_params)
        query.is_valid(raise_exception=True)
        queryset = self.filter_queryset(self.get_queryset())
        return Response(
            incident_stats(
                queryset,
                interval=query.validated_data.get("interval"),
                group_by=query.validated_data.get("group_by"),
            )
        )

    @extend_schema(
        operation_id="incidents_export",
        parameters=[EXPORT_FORMAT],
        responses={
            (200, MEDIA_TYPES["csv"]): OpenApiTypes.STR,
            (200, MEDIA_TYPES["geojson"]): IncidentFeatureCollectionSerializer,
            (200, MEDIA_TYPES["jsonl"]): OpenApiResponse(
                OpenApiTypes.STR, description="One incident document (JSON) per line."
            ),
        },
        filters=True,
    )
    @action(
        detail=False,
        methods=["get"],
        renderer_classes=[CsvRenderer, GeoJsonRenderer, JsonLinesRenderer],
        throttle_classes=[AnonThrottle, UserThrottle, ExportThrottle],
        pagination_class=None,
    )
    def export(self, request, *args, **kwargs):
        """The whole filtered set, streamed (same filters, visibility and ordering as the list).

        Refused with a 400 above API_EXPORT_MAX_ROWS incidents; exports have their own, tighter
        request rate (API_THROTTLE_EXPORT)."""
        queryset = self.filter_queryset(self.get_queryset())
        export_format = request.accepted_renderer.format
        headers = {"Content-Disposition": f'attachment; filename="incidents.{export_format}"'}
        cap = settings.EXPORT_MAX_ROWS
        if cap:
            count = exportable(queryset, export_format).count()
            if count > cap:
                raise ValidationError(
                    f"The export would hold {count} incidents, more than the {cap} allowed: "
                    "narrow it with filters (e.g. occurred_after/occurred_before) and export "
                    "the parts.",
                    code="too_many_rows",
                )
            headers["X-Total-Count"] = str(count)
        return StreamingHttpResponse(
            response_chunks(queryset, export_format),
            content_type=f"{MEDIA_TYPES[export_format]}; charset=utf-8",
            headers=headers,
        )


document_query_errors(IncidentViewSet, "list", [*IncidentFilterSet.base_filters, *LIST_EXTRAS])
document_query_errors(IncidentViewSet, "retrieve", ["format"])
document_query_errors(
    IncidentViewSet, "stats", [*IncidentStatsFilterSet.base_filters, "format", *STATS_EXTRAS]
)
document_query_errors(IncidentViewSet, "export", [*IncidentFilterSet.base_filters, "format"])
document_query_errors(IncidentViewSet, "export", [None], codes=["too_many_rows"])
