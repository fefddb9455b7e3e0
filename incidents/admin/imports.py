"""Import and export of incidents from the admin, through the same importer and documents as the
commands: an upload is first run as a dry run and previewed, and written only when confirmed.

Between the two steps the file waits in the session (database-backed, so any web process can
confirm it) with its digest; confirming imports exactly the file that was previewed.
"""

import base64
import copy
import datetime as dt
import hashlib
import json

from django.conf import settings
from django.contrib import messages
from django.contrib.admin.options import IncorrectLookupParameters
from django.core.exceptions import PermissionDenied
from django.http import HttpResponseRedirect, StreamingHttpResponse
from django.template.response import TemplateResponse
from django.urls import reverse

from incidents.admin.forms import ImportForm
from incidents.interchange import CSV_COLUMNS, csv_writer, document_to_csv_row
from incidents.models import Incident, Platform
from incidents.selectors import documents_for
from incidents.services.importing import import_file

SESSION_KEY = "incident_admin_import"
EXPORT_CHUNK = 500
FORMATS = {".json": "json", ".csv": "csv"}


def _import_file(content: bytes, *, name: str, publish: bool, dry_run: bool, by):
    fmt = next((fmt for suffix, fmt in FORMATS.items() if name.lower().endswith(suffix)), None)
    return import_file(content, format=fmt, dry_run=dry_run, publish=publish, by=by)


def _upload_limit() -> int:
    return settings.DATA_UPLOAD_MAX_MEMORY_SIZE or 5 * 1024 * 1024


class ImportExportMixin:
    """The Import page and the Export downloads of the incident changelist."""

    def has_import_permission(self, request) -> bool:
        return self.has_add_permission(request) and self.has_change_permission(request)

    def _changelist_url(self) -> str:
        return reverse("admin:incidents_incident_changelist")

    def import_view(self, request):
        if not self.has_import_permission(request):
            raise PermissionDenied
        can_publish = self.has_publish_permission(request)
        if request.method == "POST" and "_confirm" in request.POST:
            return self._confirm_import(request)
        form = ImportForm(request.POST or None, request.FILES or None)
        if not can_publish:
            del form.fields["publish"]
        report = None
        if request.method == "POST" and form.is_valid():
            upload = form.cleaned_data["file"]
            if upload.size > _upload_limit():
                form.add_error(
                    "file",
                    f"The file is larger than {_upload_limit() // (1024 * 1024)} MB: import it "
                    "with `manage.py import_incidents FILE` instead.",
                )
            else:
                content = upload.read()
                publish = bool(form.cleaned_data.get("publish"))
                report = _import_file(
                    content, name=upload.name, publish=publish, dry_run=True, by=request.user
                )
                request.session[SESSION_KEY] = {
                    "name": upload.name,
                    "content": base64.b64encode(content).decode("ascii"),
                    "digest": hashlib.sha256(content).hexdigest(),
                    "publish": publish,
                }
                return self._import_page(
                    request, form, report, pending=request.session[SESSION_KEY]
                )
        return self._import_page(request, form, report, pending=None)

    def _confirm_import(self, request):
        pending = request.session.get(SESSION_KEY)
        if not pending or pending.get("digest") != request.POST.get("digest"):
            self.message_user(
                request,
                "That preview has expired or was replaced: upload the file again.",
                messages.ERROR,
            )
            return HttpResponseRedirect(reverse("admin:incidents_incident_import"))
        if pending["publish"] and not self.has_publish_permission(request):
            raise PermissionDenied
        content = base64.b64decode(pending["content"])
        report = _import_file(
            content,
            name=pending["name"],
            publish=pending["publish"],
            dry_run=False,
            by=request.user,
        )
        del request.session[SESSION_KEY]
        if not report.ok:
            # The database changed since the preview; the importer wrote nothing.
            return self._import_page(request, ImportForm(), report, pending=None)
        self.message_user(
            request,
            f"Imported {pending['name']}: {report.created} created, {report.updated} updated, "
            f"{report.unchanged} unchanged, {report.published} published.",
            messages.SUCCESS,
        )
        return HttpResponseRedirect(self._changelist_url())

    def _import_page(self, request, form, report, *, pending):
        context = {
            **self.admin_site.each_context(request),
            "title": "Import incidents",
            "opts": self.model._meta,
            "form": form,
            "report": report,
            "pending": pending,
            "can_confirm": bool(pending and report is not None and report.ok),
            "media": self.media + form.media,
        }
        return TemplateResponse(request, "admin/incidents/incident/import.html", context)

    def export_view(self, request):
        """The changelist's filtered set (its filters, search and order) as CSV or JSON."""
        if not self.has_view_permission(request):
            raise PermissionDenied
        query = request.GET.copy()
        fmt = query.pop("_format", ["csv"])[-1]
        if fmt not in ("csv", "json"):
            fmt = "csv"
        changelist_request = copy.copy(request)
        changelist_request.GET = query
        try:
            changelist = self.get_changelist_instance(changelist_request)
        except IncorrectLookupParameters:
            return HttpResponseRedirect(self._changelist_url() + "?e=1")
        ids = list(changelist.queryset.values_list("pk", flat=True))
        stamp = dt.datetime.now(dt.UTC).strftime("%Y%m%d-%H%M%S")
        if fmt == "json":
            body, content_type = _json_lines(ids), "application/json"
        else:
            body, content_type = _csv_lines(ids), "text/csv; charset=utf-8"
        response = StreamingHttpResponse(body, content_type=content_type)
        response["Content-Disposition"] = f'attachment; filename="incidents-{stamp}.{fmt}"'
        return response


def _documents(ids: list[int]):
    """The documents of these incidents in this order, fetched a chunk at a time."""
    for start in range(0, len(ids), EXPORT_CHUNK):
        chunk = ids[start : start + EXPORT_CHUNK]
        by_id = {doc["id"]: doc for doc in documents_for(Incident.objects.filter(pk__in=chunk))}
        yield from (by_id[pk] for pk in chunk if pk in by_id)


class _Line:
    def write(self, value):
        return value


def _csv_lines(ids):
    writer = csv_writer(_Line())
    yield writer.writerow(CSV_COLUMNS)
    for document in _documents(ids):
        yield writer.writerow(document_to_csv_row(document))


def _json_lines(ids):
    platforms = set()
    yield '{"incidents": ['
    for index, document in enumerate(_documents(ids)):
        platforms.update(p["platform"] for p in document["participants"] if p["platform"])
        yield ("," if index else "") + "\n" + json.dumps(document, ensure_ascii=False)
    yield '\n], "platforms": '
    rows = Platform.objects.filter(slug__in=platforms).order_by("slug")
    yield json.dumps(
        list(rows.values("slug", "name", "category", "domain", "country")), ensure_ascii=False
    )
    yield "}\n"
