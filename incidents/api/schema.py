"""OpenAPI documentation of the read side's 400s: which query parameter, which error codes.

drf-standardized-errors documents the codes a filter form field raises by itself; the filters'
own checks (ranges, bounds, `draft` without permission, repeated parameters) and the
parameters outside the filtersets (format, limit, offset, interval, group_by) are declared here,
so the schema describes every 400 body a client can get for a parameter it knows.
"""

from drf_standardized_errors.openapi_validation_errors import extend_validation_errors

QUERY_ERROR_CODES = [
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
