"""Curation actions of the incident admin: one service call per record, one message per refusal.

A refused record is named with the service's reason and the others go ahead, each in its own
transaction (the services are atomic), so one unsourced draft never holds back a batch.
"""

from django.contrib import admin, messages
from django.contrib.admin import helpers
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpResponseNotAllowed, HttpResponseRedirect
from django.shortcuts import get_object_or_404
from django.template.response import TemplateResponse
from django.urls import reverse
from django.utils.text import capfirst

from incidents.admin.forms import RetractForm
from incidents.models import Incident
from incidents.services import (
    Conflict,
    delete_incident,
    publish_incident,
    retract_incident,
    set_disputed,
)


def describe(incident) -> str:
    return f"“{incident.title}” (#{incident.pk})"


def _plural(count: int) -> str:
    return f"{count} incident" + ("" if count == 1 else "s")


def _each(modeladmin, request, incidents, service, *, done: str, refused: str) -> None:
    """Run `service(incident)` for each; report the refused ones by name, then the count done."""
    count = 0
    for incident in incidents:
        try:
            service(incident)
        except (ValidationError, Conflict) as error:
            reason = " ".join(error.messages) if isinstance(error, ValidationError) else str(error)
            modeladmin.message_user(
                request, f"{describe(incident)} was not {refused}: {reason}", messages.ERROR
            )
        else:
            count += 1
    if count:
        modeladmin.message_user(request, f"{capfirst(done)} {_plural(count)}.", messages.SUCCESS)


@admin.action(description="Publish selected incidents", permissions=["publish"])
def publish_selected(modeladmin, request, queryset):
    _each(
        modeladmin,
        request,
        queryset.order_by("pk"),
        lambda incident: publish_incident(incident, by=request.user),
        done="published",
        refused="published",
    )


def _retract_page(modeladmin, request, incidents, form, *, bulk: bool):
    context = {
        **modeladmin.admin_site.each_context(request),
        "title": "Retract incidents" if bulk else f"Retract {describe(incidents[0])}",
        "opts": modeladmin.model._meta,
        "incidents": incidents,
        "form": form,
        "bulk": bulk,
        "action_checkbox_name": helpers.ACTION_CHECKBOX_NAME,
        "media": modeladmin.media,
    }
    return TemplateResponse(request, "admin/incidents/incident/retract.html", context)


def _retract_all(modeladmin, request, incidents, reason: str) -> None:
    _each(
        modeladmin,
        request,
        incidents,
        lambda incident: retract_incident(incident, reason=reason, by=request.user),
        done="retracted",
        refused="retracted",
    )


@admin.action(description="Retract selected incidents (asks for a reason)", permissions=["publish"])
def retract_selected(modeladmin, request, queryset):
    incidents = list(queryset.order_by("pk"))
    form = RetractForm(request.POST if "apply" in request.POST else None)
    if form.is_valid():
        _retract_all(modeladmin, request, incidents, form.cleaned_data["reason"])
        return None
    return _retract_page(modeladmin, request, incidents, form, bulk=True)


@admin.action(description="Mark selected incidents disputed", permissions=["change"])
def mark_disputed(modeladmin, request, queryset):
    _each(
        modeladmin,
        request,
        queryset.order_by("pk"),
        lambda incident: set_disputed(incident, True, by=request.user),
        done="marked disputed:",
        refused="marked disputed",
    )


@admin.action(description="Clear the disputed mark of selected incidents", permissions=["change"])
def clear_disputed(modeladmin, request, queryset):
    _each(
        modeladmin,
        request,
        queryset.order_by("pk"),
        lambda incident: set_disputed(incident, False, by=request.user),
        done="cleared the disputed mark of",
        refused="changed",
    )


@admin.action(description="Delete selected drafts and retracted incidents", permissions=["delete"])
def delete_selected_incidents(modeladmin, request, queryset):
    incidents = list(queryset.order_by("pk"))
    if request.POST.get("post") == "yes":
        _each(
            modeladmin,
            request,
            incidents,
            lambda incident: delete_incident(incident, by=request.user),
            done="deleted",
            refused="deleted",
        )
        return None
    context = {
        **modeladmin.admin_site.each_context(request),
        "title": "Delete incidents",
        "opts": modeladmin.model._meta,
        "incidents": incidents,
        "action_checkbox_name": helpers.ACTION_CHECKBOX_NAME,
        "media": modeladmin.media,
    }
    return TemplateResponse(request, "admin/incidents/incident/delete_selected.html", context)


ACTIONS = [
    publish_selected,
    retract_selected,
    mark_disputed,
    clear_disputed,
    delete_selected_incidents,
]


class RecordActionsMixin:
    """Publish and Retract buttons on an incident's own page (same services, same messages)."""

    def _record_for(self, request, object_id) -> Incident:
        if not self.has_publish_permission(request):
            raise PermissionDenied
        return get_object_or_404(Incident, pk=object_id)

    def _back_to(self, incident) -> HttpResponseRedirect:
        return HttpResponseRedirect(reverse("admin:incidents_incident_change", args=[incident.pk]))

    def publish_view(self, request, object_id):
        if request.method != "POST":
            return HttpResponseNotAllowed(["POST"])
        incident = self._record_for(request, object_id)
        _each(
            self,
            request,
            [incident],
            lambda record: publish_incident(record, by=request.user),
            done="published",
            refused="published",
        )
        return self._back_to(incident)

    def retract_view(self, request, object_id):
        incident = self._record_for(request, object_id)
        form = RetractForm(request.POST if request.method == "POST" else None)
        if form.is_valid():
            _retract_all(self, request, [incident], form.cleaned_data["reason"])
            return self._back_to(incident)
        return _retract_page(self, request, [incident], form, bulk=False)
