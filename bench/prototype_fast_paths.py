"""An experiment, not production code: the registry with the read-path changes docs/performance.md
recommends, applied by monkeypatching at startup, so the benchmark can measure them before anyone
edits the real modules.

    PROTOTYPE=filters,json,copy .venv/bin/python bench/run_benchmark.py \
        --registry-app bench.prototype_fast_paths:application

`PROTOTYPE` names the changes to apply (default: all):

- `filters`: the FilterSet without per-request rebuilding — shallow copies of the declared
  filters instead of `copy.deepcopy`, the form class built once per FilterSet class and its
  fields copied shallowly per request, and `platform` skipped unevaluated when not given.
- `json`: on PostgreSQL, the list page and the detail document built as JSON text by one SQL
  statement (`json_build_object`/`json_agg`, the raw floor's expressions) over the ids the
  filtered, ordered, sliced queryset selects; the count stays `queryset.count()`. The response
  body is that text wrapped with count/next/previous — no dicts, no JSON encoding in Python.
- `copy`: on PostgreSQL, `export?format=csv` streamed by `COPY (…) TO STDOUT` of the filtered,
  ordered queryset's ids joined to the CSV columns, in 256 KB chunks.

Filters, visibility, ordering and paging stay the registry's own: every change starts from the
queryset `filter_queryset(get_queryset())` returns. The harness's answer check compares the
results with the raw floor as for the real registry.
"""

import copy
import json
import os

from django.db import connections
from django.http import HttpResponse, StreamingHttpResponse
from django_filters.filters import FilterMethod

from bench.raw_floor import COPY_CHUNK, CSV_SELECT, DETAILS_JOINS, DOCUMENT_JSON
from config.wsgi import application  # noqa: F401  (sets Django up before the imports below)
from incidents.api import filters as incident_filters
from incidents.api import views

CHANGES = set(filter(None, os.environ.get("PROTOTYPE", "filters,json,copy").split(",")))


def _ids_sql(queryset) -> tuple[str, tuple]:
    """SQL selecting the ids of a filtered, ordered (and sliced) queryset, in its order."""
    query = queryset.values("pk").query
    return query.get_compiler(using=queryset.db).as_sql()


def page_json(queryset) -> str:
    """The JSON array (text) of the documents of an ordered, sliced queryset, in its order."""
    ids_sql, params = _ids_sql(queryset)
    sql = (
        f"SELECT coalesce(json_agg({DOCUMENT_JSON} ORDER BY page.n), '[]')::text "
        f"FROM unnest(ARRAY({ids_sql})) WITH ORDINALITY AS page(id, n) "
        f"JOIN incidents_incident i ON i.id = page.id {DETAILS_JOINS}"
    )
    with connections[queryset.db].cursor() as cursor:
        cursor.execute(sql, params)
        return cursor.fetchone()[0]


class _PagedJson(views.PagedDocuments):
    def __getitem__(self, page: slice) -> list[str]:
        return [page_json(self.queryset[page])]


_original_list = views.IncidentViewSet.list
_original_retrieve = views.IncidentViewSet.retrieve
_original_export = views.IncidentViewSet.export


def _json_wanted(view, request) -> bool:
    queryset = view.get_queryset()
    return (
        connections[queryset.db].vendor == "postgresql"
        and request.accepted_renderer.format == "json"
    )


def list_(self, request, *args, **kwargs):
    if not _json_wanted(self, request):
        return _original_list(self, request, *args, **kwargs)
    queryset = self.filter_queryset(self.get_queryset())
    results = self.paginate_queryset(_PagedJson(queryset))[0]
    head = json.dumps(
        {
            "count": self.paginator.count,
            "next": self.paginator.get_next_link(),
            "previous": self.paginator.get_previous_link(),
        },
        separators=(",", ":"),
    )
    return HttpResponse(f'{head[:-1]},"results":{results}}}', content_type="application/json")


def retrieve(self, request, *args, **kwargs):
    if not _json_wanted(self, request):
        return _original_retrieve(self, request, *args, **kwargs)
    incident_id = int(kwargs[self.lookup_url_kwarg or self.lookup_field])
    ids_sql, params = _ids_sql(self.get_queryset().filter(pk=incident_id))
    sql = (
        f"SELECT {DOCUMENT_JSON}::text, i.version FROM incidents_incident i {DETAILS_JOINS} "
        f"WHERE i.id IN ({ids_sql})"
    )
    with connections[self.get_queryset().db].cursor() as cursor:
        cursor.execute(sql, params)
        row = cursor.fetchone()
    if row is None:
        return _original_retrieve(self, request, *args, **kwargs)  # the registry's own 404
    return HttpResponse(
        row[0], content_type="application/json", headers={"ETag": f'"{incident_id}-{row[1]}"'}
    )


def export(self, request, *args, **kwargs):
    queryset = self.filter_queryset(self.get_queryset())
    connection = connections[queryset.db]
    if connection.vendor != "postgresql" or request.accepted_renderer.format != "csv":
        return _original_export(self, request, *args, **kwargs)
    ids_sql, params = _ids_sql(queryset)
    sql = (
        f"COPY ({CSV_SELECT} JOIN (SELECT pk, row_number() OVER () AS n FROM ({ids_sql}) s) f "
        "ON f.pk = i.id ORDER BY f.n) TO STDOUT WITH (FORMAT csv, HEADER)"
    )

    def stream():
        connection.ensure_connection()
        with connection.connection.cursor() as cursor:
            # One COPY statement for the whole export: the request timeout does not fit it.
            cursor.execute("SET statement_timeout = 0")
            chunks, size = [], 0
            with cursor.copy(sql, params) as copy_:
                for data in copy_:
                    chunks.append(bytes(data))
                    size += len(data)
                    if size >= COPY_CHUNK:
                        yield b"".join(chunks)
                        chunks, size = [], 0
            if chunks:
                yield b"".join(chunks)
            cursor.execute("RESET statement_timeout")

    return StreamingHttpResponse(
        stream(),
        content_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": 'attachment; filename="incidents.csv"'},
    )


_form_classes: dict = {}


class _ShallowCopiedFields(dict):
    """Form fields that a form instance copies one by one (BaseForm deep-copies base_fields)."""

    def __deepcopy__(self, memo):
        return {name: copy.copy(field) for name, field in self.items()}


def get_form_class(self):
    cls = type(self)
    if cls not in _form_classes:
        form_class = _original_get_form_class(self)
        form_class.base_fields = _ShallowCopiedFields(form_class.base_fields)
        _form_classes[cls] = form_class
    return _form_classes[cls]


def with_platform(self, queryset, name, value):
    # Without the parameter the cleaned value is an empty queryset: skip it unevaluated.
    if not self.data.get(name):
        return queryset
    return _original_with_platform(self, queryset, name, value)


def _shallow_deepcopy(value, memo=None):
    """copy.deepcopy for the declared filters only: each filter copied, its options shared.

    A filter with `method=` calls it through a FilterMethod bound to the filter: rebind it to
    the copy, whose `parent` is the FilterSet of this request.
    """
    copies = {}
    for name, filter_ in value.items():
        copies[name] = copied = copy.copy(filter_)
        if isinstance(filter_.__dict__.get("filter"), FilterMethod):
            copied.filter = FilterMethod(copied)
    return copies


_original_get_form_class = incident_filters.IncidentFilterSet.get_form_class
_original_with_platform = incident_filters.IncidentFilterSet.with_platform

if "filters" in CHANGES:
    import django_filters.filterset as filterset_module

    class _CopyModule:
        """The `copy` module as django-filter's FilterSet.__init__ sees it."""

        deepcopy = staticmethod(_shallow_deepcopy)
        copy = staticmethod(copy.copy)

    filterset_module.copy = _CopyModule
    incident_filters.IncidentFilterSet.get_form_class = get_form_class
    incident_filters.IncidentFilterSet.with_platform = with_platform
if "json" in CHANGES:
    views.IncidentViewSet.list = list_
    views.IncidentViewSet.retrieve = retrieve
if "copy" in CHANGES:
    export.__dict__.update(_original_export.__dict__)  # the @action's routing attributes
    views.IncidentViewSet.export = export
