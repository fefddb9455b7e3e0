"""OpenAPI documentation of the read side's 400s: which query parameter, which error codes.

drf-standardized-errors documents the codes a filter form field raises by itself; the filters'
own checks (ranges, bounds, `draft` without permission, repeated parameters) and the
parameters outside the filtersets (format, limit, offset, interval, group_by) are declared here,
so the schema describes every 400 body a client can get for a parameter it knows.
"""

from drf_standardized_errors.openapi import AutoSchema
from drf_standardized_errors.openapi_validation_errors import extend_validation_errors
from rest_framework import permissions

from incidents.api.pagination import LimitOffsetPagination
from incidents.api.permissions import IncidentWritePermission

# Permission classes under which a safe method needs no credentials.
ANONYMOUS_READ_PERMISSIONS = (
    permissions.AllowAny,
    permissions.DjangoModelPermissionsOrAnonReadOnly,
    permissions.IsAuthenticatedOrReadOnly,
    IncidentWritePermission,
)

QUERY_ERROR_CODES = [
    "blank",
    "invalid",
    "invalid_choice",
    "invalid_list",
    "invalid_range",
    "max_length",
    "max_value",
    "min_value",
    "null_characters_not_allowed",
    "out_of_range",
    "permission_denied",
    "repeated_parameter",
    "required",
]


def document_query_errors(viewset, action: str, parameters, *, codes=QUERY_ERROR_CODES):
    """Declare the 400 codes each of these query parameters of `action` may answer with."""
    for name in parameters:
        viewset = extend_validation_errors(
            codes, field_name=name, actions=[action], methods=["get"]
        )(viewset)
    return viewset


class RegistryAutoSchema(AutoSchema):
    """drf-standardized-errors' AutoSchema, with anonymous reads and the paging bounds declared.

    - drf-spectacular marks authentication optional (`{}`) only for AllowAny; reads are open to
      everyone under DjangoModelPermissionsOrAnonReadOnly and IncidentWritePermission too.
    - Error bodies are JSON whatever the endpoint's renderers (StrictQueryMixin and JsonErrorsMixin
      render them so): a 400 of the CSV export is documented as application/json.
    - `limit` and `offset` carry the bounds the paginator enforces (a 400 outside them).
    - A request line over the server's limit (gunicorn: 4,094 bytes; a proxy has its own) is
      refused with 414 before Django sees it; every operation declares it, without a body shape,
      because the server (not the registry) writes that answer. A body over the upload limit is
      a 413 on every write.
    """

    def _get_response_bodies(self, direction="response"):
        responses = super()._get_response_bodies(direction)
        if direction == "response":
            responses.setdefault(
                "414", {"description": "The URL is longer than the server accepts."}
            )
            if self.method in ("POST", "PUT", "PATCH"):
                responses.setdefault(
                    "413",
                    {"description": "The body is larger than DATA_UPLOAD_MAX_MEMORY_SIZE."},
                )
        return responses

    def get_auth(self):
        auths = super().get_auth()
        checks = self.view.get_permissions()
        if (
            self.method in permissions.SAFE_METHODS
            and {} not in auths
            and checks
            and all(isinstance(check, ANONYMOUS_READ_PERMISSIONS) for check in checks)
        ):
            auths.append({})
        return auths

    def _get_response_for_code(
        self, serializer, status_code, media_types=None, direction="response"
    ):
        if media_types is None and str(status_code)[:1] in ("4", "5"):
            media_types = ["application/json"]
        return super()._get_response_for_code(serializer, status_code, media_types, direction)

    def _get_pagination_parameters(self):
        parameters = super()._get_pagination_parameters()
        paginator = self._get_paginator()
        if isinstance(paginator, LimitOffsetPagination):
            bounds = {
                paginator.limit_query_param: {"minimum": 1, "maximum": paginator.max_limit},
                paginator.offset_query_param: {"minimum": 0},
            }
            for parameter in parameters:
                extra = bounds.get(parameter.get("name"))
                if extra and parameter.get("in") == "query":
                    parameter["schema"] = {**parameter.get("schema", {}), **extra}
        return parameters
