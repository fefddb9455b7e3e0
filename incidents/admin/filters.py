"""List filters of the incident admin that Django's field filters cannot express."""

from django.contrib import admin
from django.db.models import Exists, OuterRef
from django_countries import countries

from incidents.models import Participant


class ParticipantCountryFilter(admin.SimpleListFilter):
    title = "participant country"
    parameter_name = "country"

    def lookups(self, request, model_admin):
        codes = Participant.objects.order_by().values_list("country", flat=True).distinct()
        return sorted(((code, countries.name(code) or code) for code in codes), key=lambda c: c[1])

    def queryset(self, request, queryset):
        if not self.value():
            return queryset
        return queryset.filter(
            Exists(Participant.objects.filter(incident=OuterRef("pk"), country=self.value()))
        )
