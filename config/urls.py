"""Top-level routes: the admin, the API (v1) and the health check."""

from django.contrib import admin
from django.urls import include, path

from incidents.api.health import healthz

urlpatterns = [
    path("admin/", admin.site.urls),
    path("api/v1/", include("incidents.api.urls")),
    path("healthz", healthz, name="healthz"),
]

# JSON bodies for URL misses and crashes under /api/; Django's pages elsewhere.
handler404 = "incidents.api.errors.not_found"
handler500 = "incidents.api.errors.server_error"
