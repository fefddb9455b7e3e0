"""JSON errors outside DRF's reach: URL misses and crashes under /api/.

Django's own 404 and 500 pages are HTML; under /api/ a client gets the body
drf-standardized-errors gives every other error instead. Elsewhere (admin) Django's pages stay.
"""

from django.http import JsonResponse
from django.views import defaults
from rest_framework import status

API_PREFIX = "/api/"


def _error(error_type: str, code: str, detail: str, status_code: int) -> JsonResponse:
    body = {"type": error_type, "errors": [{"code": code, "detail": detail, "attr": None}]}
    return JsonResponse(body, status=status_code)


def not_found(request, exception=None):
    if request.path.startswith(API_PREFIX):
        return _error("client_error", "not_found", "Not found.", status.HTTP_404_NOT_FOUND)
    return defaults.page_not_found(request, exception)


def server_error(request):
    if request.path.startswith(API_PREFIX):
        return _error(
            "server_error",
            "error",
            "A server error occurred.",
            status.HTTP_500_INTERNAL_SERVER_ERROR,
        )
    return defaults.server_error(request)
