"""Read-side rules every API view shares: strict query parameters, JSON errors, private caching.

- A query parameter the action does not know is a 400 naming it (SPEC §2: a misspelt filter must
  never silently return everything); so is a single-valued parameter given twice.
- An unknown `format` is a 400 naming `format` (DRF would answer 404).
- A method the endpoint does not declare is a 405 before anything else is looked at.
- Error bodies (and OPTIONS metadata) are JSON whatever format was asked for.
- Responses to users who may see drafts are `Cache-Control: private, no-store`; reads vary
  on Authorization, since the answer depends on who asks.
"""

from django.http import Http404
from django.utils.cache import patch_cache_control, patch_vary_headers
from django_filters.filters import MultipleChoiceFilter
from rest_framework import renderers
from rest_framework.exceptions import APIException, MethodNotAllowed, ValidationError
from rest_framework.settings import api_settings

from incidents.selectors import can_view_drafts

SAFE_METHODS = ("GET", "HEAD")
FORMAT_PARAMETER = api_settings.URL_FORMAT_OVERRIDE


def _may_view_drafts(request) -> bool:
    try:
        return can_view_drafts(request.user)
    except APIException:
        # Credentials that fail to authenticate (checked late when content negotiation failed
        # first): the response is an error, with nothing private in it.
        return False


class MethodFirstMixin:
    """A method the view does not handle is a 405, whatever the request's format, credentials
    or parameters: DRF decides it last, after content negotiation, authentication and
    permissions, so `TRACE ...?format=csv` was a 400 and an anonymous TRACE a 401."""

    def initial(self, request, *args, **kwargs):
        method = request.method.lower()
        if method not in self.http_method_names or not hasattr(self, method):
            raise MethodNotAllowed(request.method)
        super().initial(request, *args, **kwargs)


class StrictQueryMixin(MethodFirstMixin):
    # action -> the query parameters it takes besides its filterset's; other actions (the
    # writes, and any action another module adds) check their own parameters.
    query_parameters: dict[str, set[str]] = {}
    # actions whose queryset goes through the filterset
    filtered_actions: set[str] = set()

    def filter_queryset(self, queryset):
        if self.action not in self.filtered_actions:
            return queryset
        return super().filter_queryset(queryset)

    def initial(self, request, *args, **kwargs):
        super().initial(request, *args, **kwargs)
        if request.method in SAFE_METHODS and self.action in self.query_parameters:
            self.check_query_parameters(request)

    def check_query_parameters(self, request):
        filters = {}
        if self.action in self.filtered_actions:
            filterset_class = getattr(self, "filterset_class", None)
            filters = filterset_class.base_filters if filterset_class else {}
        known = {FORMAT_PARAMETER, *self.query_parameters[self.action], *filters}
        errors = {}
        for name in request.query_params:
            if name not in known:
                errors[name] = ValidationError(
                    f"Unknown query parameter. This endpoint takes: {', '.join(sorted(known))}.",
                    code="unknown_parameter",
                ).detail
            elif "" in request.query_params.getlist(name):
                # An empty value would silently mean "no filter": a client that meant one
                # learns it sent none.
                errors[name] = ValidationError(
                    "Give a value, or leave the parameter out.", code="blank"
                ).detail
            elif len(request.query_params.getlist(name)) > 1 and not isinstance(
                filters.get(name), MultipleChoiceFilter
            ):
                errors[name] = ValidationError(
                    "Give this parameter once; it does not repeat.", code="repeated_parameter"
                ).detail
        if errors:
            raise ValidationError(errors)

    def perform_content_negotiation(self, request, force=False):
        try:
            return super().perform_content_negotiation(request, force)
        except Http404:
            formats = sorted({r.format for r in self.get_renderers() if r.format})
            raise ValidationError(
                {
                    FORMAT_PARAMETER: ValidationError(
                        f"Unknown format; this endpoint offers {', '.join(formats)}.",
                        code="invalid_choice",
                    ).detail
                }
            ) from None

    def finalize_response(self, request, response, *args, **kwargs):
        # Errors and OPTIONS metadata are dicts the CSV, GeoJSON and JSON Lines renderers
        # cannot render: they go out as JSON.
        if hasattr(response, "data") and (
            response.status_code >= 400 or request.method == "OPTIONS"
        ):
            accepted = getattr(request, "accepted_renderer", None)
            if type(accepted) is not renderers.JSONRenderer and not isinstance(
                accepted, renderers.BrowsableAPIRenderer
            ):
                request.accepted_renderer = renderers.JSONRenderer()
                request.accepted_media_type = request.accepted_renderer.media_type
        response = super().finalize_response(request, response, *args, **kwargs)
        if request.method in SAFE_METHODS:
            patch_vary_headers(response, ["Authorization"])
            if _may_view_drafts(request):
                patch_cache_control(response, private=True, no_store=True)
        return response
