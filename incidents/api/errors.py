"""JSON errors: the API's exception handler, and URL misses and crashes under /api/.

`ApiExceptionHandler` (DRF_STANDARDIZED_ERRORS["EXCEPTION_HANDLER_CLASS"]) turns the Django and
database errors a client can provoke into the 4xx/503 they are, instead of the 500 that
drf-standardized-errors gives every non-DRF exception.

Django's own 404 and 500 pages are HTML; under /api/ a client gets the body
drf-standardized-errors gives every other error instead. Elsewhere (admin) Django's pages stay.
"""

import logging

from django.core.exceptions import RequestDataTooBig, SuspiciousOperation
from django.db import DatabaseError
from django.http import JsonResponse
from django.views import defaults
from drf_standardized_errors.handler import ExceptionHandler
from rest_framework import exceptions, status

API_PREFIX = "/api/"
QUERY_CANCELED = "57014"  # PostgreSQL SQLSTATE of a statement_timeout (psycopg QueryCanceled)
QUERY_TIMEOUT_RETRY_AFTER = 5  # seconds


class RequestTooLarge(exceptions.APIException):
    status_code = status.HTTP_413_REQUEST_ENTITY_TOO_LARGE
    default_detail = "The request body is too large."
    default_code = "request_too_large"


class QueryTimeout(exceptions.APIException):
    status_code = status.HTTP_503_SERVICE_UNAVAILABLE
    default_detail = "The query took too long. Retry later, or narrow the filters."
    default_code = "query_timeout"
    wait = QUERY_TIMEOUT_RETRY_AFTER  # sent as Retry-After


def _is_query_canceled(exc: DatabaseError) -> bool:
    cause = exc.__cause__
    sqlstate = getattr(cause, "sqlstate", None) or getattr(cause, "pgcode", None)
    return sqlstate == QUERY_CANCELED


class ApiExceptionHandler(ExceptionHandler):
    """drf-standardized-errors' handler, with the client-provoked Django/database errors mapped."""

    def convert_known_exceptions(self, exc: Exception) -> Exception:
        if isinstance(exc, RequestDataTooBig):
            _log_suspicious(exc)
            return RequestTooLarge()
        if isinstance(exc, SuspiciousOperation):  # e.g. TooManyFieldsSent, TooManyFilesSent
            _log_suspicious(exc)
            return exceptions.ParseError(str(exc))
        if isinstance(exc, DatabaseError) and _is_query_canceled(exc):
            return QueryTimeout()
        return super().convert_known_exceptions(exc)


def _log_suspicious(exc: SuspiciousOperation) -> None:
    """As Django does for a SuspiciousOperation it handles itself."""
    logging.getLogger(f"django.security.{exc.__class__.__name__}").error(str(exc))


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
