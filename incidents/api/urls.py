"""Routes of API v1 (SPEC §2)."""

from django.urls import path, re_path
from django.views.decorators.csrf import csrf_exempt
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerView
from rest_framework import renderers
from rest_framework.routers import DefaultRouter

from incidents.api.changes import ChangesView
from incidents.api.errors import not_found
from incidents.api.mixins import MethodFirstMixin
from incidents.api.views import IncidentViewSet
from incidents.api.vocabularies import (
    ContactViewSet,
    PlatformViewSet,
    RegionViewSet,
    SourceViewSet,
)


class JsonErrorsMixin(MethodFirstMixin):
    """Errors (a 405 for a write, say) go out as JSON, never as YAML or the Swagger UI page."""

    def finalize_response(self, request, response, *args, **kwargs):
        if response.status_code >= 400 and hasattr(response, "data"):
            request.accepted_renderer = renderers.JSONRenderer()
            request.accepted_media_type = request.accepted_renderer.media_type
            response.template_name = None
        return super().finalize_response(request, response, *args, **kwargs)


class SchemaView(JsonErrorsMixin, SpectacularAPIView):
    pass


class SwaggerView(JsonErrorsMixin, SpectacularSwaggerView):
    pass


router = DefaultRouter()
# No `.json` suffix routes: the format is chosen by ?format= or Accept only.
router.include_format_suffixes = False
router.register("incidents", IncidentViewSet, basename="incident")
router.register("regions", RegionViewSet, basename="region")
router.register("platforms", PlatformViewSet, basename="platform")
router.register("sources", SourceViewSet, basename="source")
router.register("contacts", ContactViewSet, basename="contact")

urlpatterns = [
    path("changes/", ChangesView.as_view(), name="changes"),
    path("schema/", SchemaView.as_view(), name="schema"),
    # Swagger UI's scripts and styles come from drf-spectacular-sidecar: no CDN, works offline.
    path("docs/", SwaggerView.as_view(url_name="schema"), name="docs"),
    *router.urls,
    # Last: any other path under /api/v1/ is a JSON 404, with DEBUG on too (Django's handler404
    # only runs with DEBUG off). Paths without the slash still get APPEND_SLASH's redirect.
    # CSRF-exempt: a session write to a missing URL is a JSON 404, not Django's HTML 403 page.
    re_path(r"^.*/$", csrf_exempt(not_found)),
]
