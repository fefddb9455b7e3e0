"""Routes of API v1 (SPEC §2)."""

from django.urls import path
from rest_framework.routers import DefaultRouter

from incidents.api.changes import ChangesView
from incidents.api.views import IncidentViewSet

router = DefaultRouter()
router.register("incidents", IncidentViewSet, basename="incident")

urlpatterns = [
    path("changes/", ChangesView.as_view(), name="changes"),
    *router.urls,
]
