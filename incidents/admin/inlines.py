"""Inlines of the incident change form: participants, citations and the kind's details.

They only collect input: the incident admin turns the whole form into one document for the
services, so an inline's permissions are those on the incident itself.
"""

from django.contrib import admin

from incidents.admin.forms import (
    CitationForm,
    CrossingDetailsForm,
    DisputeDetailsForm,
    IncidentChildFormSet,
    InterceptDetailsForm,
    ParticipantForm,
)
from incidents.choices import IncidentKind
from incidents.models import (
    Citation,
    InterceptDetails,
    MedianLineCrossingDetails,
    NavigationDisputeDetails,
    Participant,
)

REFUSAL_ATTRIBUTE = "_incident_refusal"


class IncidentChildInline:
    section = ""
    kind = None
    formset = IncidentChildFormSet

    def get_formset(self, request, obj=None, **kwargs):
        formset = super().get_formset(request, obj, **kwargs)
        attributes = {
            "section": self.section,
            "kind": self.kind,
            "refusal": getattr(request, REFUSAL_ATTRIBUTE, None),
        }
        return type(formset.__name__, (formset,), attributes)

    def _can_write(self, request, obj):
        action = "add" if obj is None else "change"
        return request.user.has_perm(f"incidents.{action}_incident")

    def has_add_permission(self, request, obj=None):
        return self._can_write(request, obj)

    def has_change_permission(self, request, obj=None):
        return self._can_write(request, obj)

    def has_delete_permission(self, request, obj=None):
        return self._can_write(request, obj)

    def has_view_permission(self, request, obj=None):
        return request.user.has_perm("incidents.view_incident") or self._can_write(request, obj)


class ParticipantInline(IncidentChildInline, admin.TabularInline):
    model = Participant
    form = ParticipantForm
    section = "participants"
    fields = ["country", "role", "force", "platform", "platform_detail", "count"]
    autocomplete_fields = ["platform"]
    extra = 1


class CitationInline(IncidentChildInline, admin.TabularInline):
    model = Citation
    form = CitationForm
    section = "sources"
    fields = ["source", "quote"]
    autocomplete_fields = ["source"]
    extra = 1
    verbose_name = "cited source"
    verbose_name_plural = "cited sources"


class DetailsInline(IncidentChildInline, admin.StackedInline):
    section = "details"
    extra = 1
    classes = ["incident-details"]


class InterceptDetailsInline(DetailsInline):
    model = InterceptDetails
    form = InterceptDetailsForm
    kind = IncidentKind.INTERCEPT
    verbose_name = verbose_name_plural = "intercept details (intercepts only)"


class CrossingDetailsInline(DetailsInline):
    model = MedianLineCrossingDetails
    form = CrossingDetailsForm
    kind = IncidentKind.MEDIAN_LINE_CROSSING
    fields = [
        "aircraft_count",
        "vessel_count",
        "aircraft_total_reported",
        "period_start",
        "period_end",
        "track",
        "track_crossed",
        "track_ends_on",
        "track_max_penetration_km",
        "track_crossing_points",
    ]
    readonly_fields = [
        "track_crossed",
        "track_ends_on",
        "track_max_penetration_km",
        "track_crossing_points",
    ]
    verbose_name = verbose_name_plural = "median-line crossing details (crossings only)"


class DisputeDetailsInline(DetailsInline):
    model = NavigationDisputeDetails
    form = DisputeDetailsForm
    kind = IncidentKind.NAVIGATION_DISPUTE
    verbose_name = verbose_name_plural = "navigation dispute details (disputes only)"


INLINES = [
    ParticipantInline,
    CitationInline,
    InterceptDetailsInline,
    CrossingDetailsInline,
    DisputeDetailsInline,
]
