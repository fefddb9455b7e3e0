"""Read side of the API: incidents (list, detail) and the vocabularies. Skeleton; see issue 3."""

from rest_framework import viewsets
from rest_framework.response import Response

from incidents.api.writes import IncidentWriteMixin
from incidents.selectors import documents_for, incidents_visible_to


class IncidentViewSet(IncidentWriteMixin, viewsets.GenericViewSet):
    def get_queryset(self):  # never self.queryset: it is evaluated once and cached
        return incidents_visible_to(self.request.user)

    def list(self, request):
        queryset = self.get_queryset().order_by("-occurred_on", "-id")
        page = self.paginate_queryset(queryset)
        return self.get_paginated_response(
            documents_for(queryset.filter(pk__in=[i.pk for i in page]))
        )

    def retrieve(self, request, pk=None):
        incident = self.get_object()
        return Response(documents_for(type(incident).objects.filter(pk=incident.pk))[0])
