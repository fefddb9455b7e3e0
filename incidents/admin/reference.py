"""Admins of what incidents refer to: sources, platforms, regions, contacts; the change feed.

Only a source carries incident rules (its type and publisher decide verification), so its
changes go through `update_source`; the others are plain vocabulary or timeline records.
"""

from django import forms
from django.contrib import admin
from django.core.exceptions import ValidationError
from django.db.models import Count
from simple_history.admin import SimpleHistoryAdmin

from incidents.admin.history import ViewOnlyHistoryMixin
from incidents.models import ChangeEvent, Contact, Platform, Region, Source
from incidents.services import update_source
from incidents.services.contacts import clean_parties


@admin.register(Source)
class SourceAdmin(ViewOnlyHistoryMixin, SimpleHistoryAdmin):
    list_display = ["url", "publisher", "title", "published_on", "type", "incident_count"]
    list_filter = ["type"]
    search_fields = ["url", "publisher", "title"]
    date_hierarchy = "published_on"

    def get_queryset(self, request):
        return super().get_queryset(request).annotate(incident_count=Count("citations"))

    @admin.display(description="cited by", ordering="incident_count")
    def incident_count(self, obj):
        return obj.incident_count

    def save_model(self, request, obj, form, change):
        if change:
            # Verification, search documents and the change feed of its incidents follow.
            changed = {name: form.cleaned_data[name] for name in form.changed_data}
            if changed:
                update_source(obj, changed, by=request.user)
        else:
            super().save_model(request, obj, form, change)  # a new source is cited by nothing


@admin.register(Platform)
class PlatformAdmin(ViewOnlyHistoryMixin, SimpleHistoryAdmin):
    list_display = ["slug", "name", "category", "domain", "country"]
    list_filter = ["domain", "category"]
    search_fields = ["slug", "name"]
    prepopulated_fields = {"slug": ["name"]}


@admin.register(Region)
class RegionAdmin(admin.ModelAdmin):
    list_display = ["slug", "name", "bbox"]
    search_fields = ["slug", "name"]


class CountryCodesField(forms.CharField):
    """ISO 3166-1 alpha-2 codes typed as `US, CN`, kept as a list."""

    def prepare_value(self, value):
        return ", ".join(value) if isinstance(value, list) else value

    def to_python(self, value):
        text = super().to_python(value) or ""
        return [code.strip().upper() for code in text.replace(";", ",").split(",") if code.strip()]

    def clean(self, value):
        codes = super().clean(value)  # "This field is required." when nothing was typed
        try:
            return clean_parties(codes)
        except ValidationError as error:
            raise forms.ValidationError(error.messages) from error


class ContactForm(forms.ModelForm):
    parties = CountryCodesField(help_text="ISO 3166-1 alpha-2 codes, e.g. US, CN.")

    class Meta:
        model = Contact
        fields = ["external_id", "occurred_on", "kind", "title", "summary", "parties", "sources"]


@admin.register(Contact)
class ContactAdmin(ViewOnlyHistoryMixin, SimpleHistoryAdmin):
    form = ContactForm
    list_display = ["occurred_on", "kind", "title", "party_list"]
    list_filter = ["kind"]
    search_fields = ["title", "summary", "external_id"]
    date_hierarchy = "occurred_on"
    autocomplete_fields = ["sources"]

    @admin.display(description="parties")
    def party_list(self, obj):
        return ", ".join(obj.parties)


@admin.register(ChangeEvent)
class ChangeEventAdmin(admin.ModelAdmin):
    """The change feed as mirrors read it; written only by the services."""

    list_display = ["cursor", "incident_id", "action", "at"]
    list_filter = ["action"]
    search_fields = ["=incident_id"]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
