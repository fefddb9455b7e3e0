"""The incident admin: the curators' list and change form, writing through the services only.

Django validates the form and inlines for field types; `save_related` assembles them into one
document and hands it to `create_incident`/`update_incident` inside the admin's transaction.
When the services refuse (invalid, stale version, possible duplicates not yet confirmed) the
transaction rolls back and the same POST is shown again with each error where it belongs.
"""

from django.contrib import admin
from django.contrib.admin.utils import unquote
from django.core.exceptions import ValidationError
from django.db import IntegrityError
from django.db.models import Count
from django.http import Http404, HttpResponseRedirect
from django.urls import path, reverse
from django_countries import countries
from simple_history.admin import SimpleHistoryAdmin

from incidents.admin.actions import ACTIONS, RecordActionsMixin, describe
from incidents.admin.filters import ParticipantCountryFilter
from incidents.admin.forms import IncidentForm, Refusal, document_from_forms
from incidents.admin.history import ViewOnlyHistoryMixin, child_changes
from incidents.admin.imports import ImportExportMixin
from incidents.admin.inlines import INLINES, REFUSAL_ATTRIBUTE
from incidents.duplicates import possible_duplicates
from incidents.models import Incident
from incidents.selectors import incident_document
from incidents.services import (
    Conflict,
    StaleVersion,
    create_incident,
    delete_incident,
    update_incident,
)

CONFIRM_DUPLICATES = "_confirm_duplicates"
_UNCOMPARED = {"id", "created_at", "updated_at"}


def stale_message(posted: int | None, current: int) -> str:
    return (
        f"Someone else saved this incident after you opened it (you edited version {posted}, "
        f"it is now at version {current}). Nothing was saved. Open the incident again to see "
        "the current record, then redo your changes."
    )


def _errors_of(error: ValidationError) -> dict[str, list[str]]:
    if hasattr(error, "error_dict"):
        return error.message_dict
    return {"non_field_errors": error.messages}


def _duplicates(document: dict, exclude_id: int | None) -> dict[int, str]:
    """Possible duplicates of the document (SPEC §3): incident id -> why."""
    found = possible_duplicates(document, exclude_id=exclude_id)
    return {duplicate.incident_id: duplicate.reason for duplicate in found}


@admin.register(Incident)
class IncidentAdmin(
    ViewOnlyHistoryMixin, RecordActionsMixin, ImportExportMixin, SimpleHistoryAdmin
):
    form = IncidentForm
    inlines = INLINES
    actions = ACTIONS
    list_display = [
        "occurred_on",
        "kind",
        "title",
        "region",
        "conduct",
        "status",
        "verification",
        "source_count",
    ]
    list_display_links = ["title"]
    list_filter = ["kind", "region", "status", "verification", "conduct", ParticipantCountryFilter]
    list_select_related = ["region"]
    date_hierarchy = "occurred_on"
    search_fields = ["title", "summary", "external_id", "citations__source__url"]
    search_help_text = "Title, summary, external id or a cited source's URL."
    autocomplete_fields = ["region"]
    readonly_fields = [
        "status",
        "verification",
        "retraction_reason",
        "current_version",
        "created_at",
        "updated_at",
    ]
    fieldsets = [
        (None, {"fields": ["kind", "title", "summary", "external_id", "version"]}),
        (
            "When and where",
            {
                "fields": [
                    "occurred_on",
                    "occurred_at",
                    "date_precision",
                    "region",
                    "location_name",
                    ("latitude", "longitude"),
                ]
            },
        ),
        ("Assessment", {"fields": ["conduct", "disputed"]}),
        ("Curation", {"fields": readonly_fields}),
    ]
    change_form_template = "admin/incidents/incident/change_form.html"
    change_list_template = "admin/incidents/incident/change_list.html"
    object_history_template = "admin/incidents/incident/object_history.html"

    # -- list ---------------------------------------------------------------------------------

    def get_queryset(self, request):
        return (
            super().get_queryset(request).annotate(source_count=Count("citations", distinct=True))
        )

    @admin.display(description="sources", ordering="source_count")
    def source_count(self, obj):
        return obj.source_count

    @admin.display(description="version")
    def current_version(self, obj):
        return obj.version

    def has_publish_permission(self, request, obj=None):
        return request.user.has_perm("incidents.publish_incident")

    def get_actions(self, request):
        actions = super().get_actions(request)
        actions.pop("delete_selected", None)  # deletion goes through delete_incident
        return actions

    def changelist_view(self, request, extra_context=None):
        context = {"has_import_permission": self.has_import_permission(request)}
        return super().changelist_view(request, {**context, **(extra_context or {})})

    def get_urls(self):
        view = self.admin_site.admin_view
        return [
            path("import/", view(self.import_view), name="incidents_incident_import"),
            path("export/", view(self.export_view), name="incidents_incident_export"),
            path(
                "<int:object_id>/publish/",
                view(self.publish_view),
                name="incidents_incident_publish",
            ),
            path(
                "<int:object_id>/retract/",
                view(self.retract_view),
                name="incidents_incident_retract",
            ),
            *super().get_urls(),
        ]

    # -- change form --------------------------------------------------------------------------

    def get_fieldsets(self, request, obj=None):
        fieldsets = super().get_fieldsets(request, obj)
        if obj is None or self.has_change_permission(request, obj):
            return fieldsets
        # Read-only page: the hidden version would show twice (it is under Curation too).
        return [
            (name, {**options, "fields": [f for f in options["fields"] if f != "version"]})
            for name, options in fieldsets
        ]

    def get_form(self, request, obj=None, change=False, **kwargs):
        form = super().get_form(request, obj, change=change, **kwargs)
        return type(form.__name__, (form,), {"refusal": getattr(request, REFUSAL_ATTRIBUTE, None)})

    def changeform_view(self, request, object_id=None, form_url="", extra_context=None):
        if request.method == "POST" and object_id and "_saveasnew" not in request.POST:
            stale = self._stale_version(request, object_id)
            if stale is not None:
                setattr(request, REFUSAL_ATTRIBUTE, stale)
        try:
            return super().changeform_view(request, object_id, form_url, extra_context)
        except Refusal as refusal:
            # The admin's transaction is rolled back: show the same POST with the reasons.
            setattr(request, REFUSAL_ATTRIBUTE, refusal)
            return super().changeform_view(request, object_id, form_url, extra_context)

    def _stale_version(self, request, object_id) -> Refusal | None:
        try:
            posted = int(request.POST.get("version", ""))
            current = (
                Incident.objects.filter(pk=unquote(object_id))
                .values_list("version", flat=True)
                .first()
            )
        except (ValueError, ValidationError):
            return None  # the form reports a malformed version; a bad id is a 404
        if current is None or current == posted:
            return None
        return Refusal({"non_field_errors": [stale_message(posted, current)]})

    def render_change_form(self, request, context, add=False, change=False, form_url="", obj=None):
        refusal = getattr(request, REFUSAL_ATTRIBUTE, None)
        context["refusal"] = refusal
        context["confirm_duplicates_name"] = CONFIRM_DUPLICATES
        context["can_publish"] = self.has_publish_permission(request)
        context["country_codes"] = list(countries)
        if refusal is not None and refusal.duplicates:
            context["duplicates"] = self._describe(dict(refusal.duplicates))
        elif obj is not None and obj.pk and request.method == "GET":
            document = incident_document(obj.pk)
            context["known_duplicates"] = self._describe(_duplicates(document, obj.pk))
        return super().render_change_form(request, context, add, change, form_url, obj)

    def _describe(self, reasons: dict[int, str]) -> list[dict]:
        incidents = Incident.objects.filter(pk__in=reasons).order_by("-occurred_on", "pk")
        return [
            {
                "label": describe(incident),
                "summary": f"{incident.occurred_on} · {incident.get_kind_display()} · "
                f"{incident.region_id} · {incident.get_status_display()}",
                "reason": reasons[incident.pk],
                "url": reverse("admin:incidents_incident_change", args=[incident.pk]),
            }
            for incident in incidents
        ]

    def save_model(self, request, obj, form, change):
        """Nothing here: the incident and its inlines are written as one in save_related."""

    def save_related(self, request, form, formsets, change):
        by_section = {fs.kind or fs.section: fs for fs in formsets}
        document = document_from_forms(form, by_section)
        kind = document.get("kind")
        before = incident_document(form.instance.pk) if change else None
        try:
            if change:
                saved = update_incident(
                    form.instance,
                    document,
                    by=request.user,
                    expected_version=form.cleaned_data["version"],
                )
            else:
                saved = create_incident(document, by=request.user)
        except StaleVersion as stale:
            message = stale_message(form.cleaned_data.get("version"), stale.current_version)
            raise Refusal({"non_field_errors": [message]}, kind=kind) from None
        except ValidationError as error:
            raise Refusal(_errors_of(error), kind=kind) from None
        except IntegrityError as error:
            raise Refusal({"non_field_errors": [f"The database refused it: {error}"]}) from None
        if CONFIRM_DUPLICATES not in request.POST:
            found = _duplicates(document, saved.pk)
            if before is not None:
                for known in _duplicates(before, saved.pk):  # warn only about new ones
                    found.pop(known, None)
            if found:
                raise Refusal({}, kind=kind, duplicates=sorted(found.items()))
        for field in Incident._meta.concrete_fields:
            setattr(form.instance, field.attname, getattr(saved, field.attname))
        form.instance._state.adding = False
        after = incident_document(saved.pk)
        request._incident_changed = [
            name
            for name in after
            if name not in _UNCOMPARED and before is not None and before.get(name) != after[name]
        ]

    def construct_change_message(self, request, form, formsets, add=False):
        if add:
            return [{"added": {}}]
        return [{"changed": {"fields": getattr(request, "_incident_changed", [])}}]

    # -- delete and history -------------------------------------------------------------------

    def delete_model(self, request, obj):
        delete_incident(obj, by=request.user)

    def delete_queryset(self, request, queryset):
        for incident in queryset:
            delete_incident(incident, by=request.user)

    def delete_view(self, request, object_id, extra_context=None):
        try:
            return super().delete_view(request, object_id, extra_context)
        except Conflict as refused:
            self.message_user(request, str(refused), level="ERROR")
            return HttpResponseRedirect(
                reverse("admin:incidents_incident_change", args=[unquote(object_id)])
            )

    def history_view(self, request, object_id, extra_context=None):
        if not str(unquote(object_id)).isdigit():
            raise Http404
        context = {"child_changes": child_changes(int(unquote(object_id))), **(extra_context or {})}
        return super().history_view(request, object_id, context)
