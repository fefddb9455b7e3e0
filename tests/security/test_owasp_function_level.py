"""OWASP API5:2023 Broken Function Level Authorization, and API9 Improper Inventory Management.

The URL resolver is the inventory: every route under /api/ is walked, every unsafe method is
tried on it by an anonymous client (401) and by a reader with a token but no permission (403),
and nothing changes. Every route must be in the OpenAPI schema, so nothing is reachable that
the documentation (and the fuzzer, which reads it) does not know about.
"""

import re

import pytest
from django.urls import URLPattern, URLResolver, get_resolver, resolve
from drf_spectacular.generators import SchemaGenerator
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from incidents.models import Contact, Incident, Platform, Region, Source
from tests.factories import ContactFactory, IncidentFactory, PlatformFactory, SourceFactory

pytestmark = pytest.mark.django_db

UNSAFE = ["post", "put", "patch", "delete"]
FORMAT_SUFFIX = re.compile(r"\\\.\(\?P<format>[^)]*\)/\?\$$|<drf_format_suffix:format>$")
# Routes deliberately outside the schema: the schema and its viewer themselves, the API root
# (a list of links), and the catch-all that turns URL misses into JSON 404s.
NOT_IN_SCHEMA = {"schema", "docs", "api-root", None}


def _walk(patterns, prefix=""):
    for pattern in patterns:
        if isinstance(pattern, URLResolver):
            yield from _walk(pattern.url_patterns, prefix + str(pattern.pattern))
        elif isinstance(pattern, URLPattern):
            yield prefix + str(pattern.pattern), pattern


def api_routes() -> list[tuple[str, URLPattern]]:
    return [
        (route, p) for route, p in _walk(get_resolver().url_patterns) if route.startswith("api/")
    ]


def _methods(pattern: URLPattern) -> set[str]:
    """The HTTP methods the route's view answers (besides HEAD and OPTIONS)."""
    callback = pattern.callback
    if getattr(callback, "actions", None):
        # DRF adds `head` to a viewset's actions once it has served a GET.
        return set(callback.actions) - {"head", "options"}
    view_class = getattr(callback, "cls", None) or getattr(callback, "view_class", None)
    if view_class is None:
        return {"get"}
    return {m for m in view_class.http_method_names if hasattr(view_class, m)} - {
        "head",
        "options",
    }


def _concrete(route: str, values: dict) -> str:
    """A URL for a route pattern, its parameters filled from `values`."""
    path = route.replace("^", "").replace("$", "")
    path = re.sub(r"\(\?P<format>[^)]*\)/\?", "json", path)
    path = path.replace("\\.", ".").replace("<drf_format_suffix:format>", ".json")
    path = re.sub(r"\(\?P<(\w+)>[^)]*\)", lambda m: str(values[m.group(1)]), path)
    path = path.replace(".*/", "no-such-route/")
    return "/" + path


@pytest.fixture
def objects(db) -> dict[str, dict]:
    """One record of each model, so that a detail route names something that exists: the path
    parameters for routes by their first segment under /api/v1/."""
    return {
        "incidents": {"pk": IncidentFactory(status="published").pk},
        "sources": {"pk": SourceFactory().pk},
        "contacts": {"pk": ContactFactory().pk},
        "platforms": {"slug": PlatformFactory().slug},
        "regions": {"slug": "south-china-sea"},
    }


def _values_for(route: str, objects: dict) -> dict:
    segment = route.removeprefix("api/v1/^").split("/")[0].split("\\")[0]
    return objects.get(segment, {})


def _snapshot() -> tuple:
    return (
        list(Incident.objects.order_by("pk").values_list("pk", "version", "status")),
        list(Source.objects.order_by("pk").values_list("pk", "url", "title", "type")),
        list(Platform.objects.order_by("slug").values_list("slug", "name", "category")),
        list(Contact.objects.order_by("pk").values_list("pk", "title")),
        list(Region.objects.order_by("slug").values_list("slug", "name")),
    )


ROUTES = api_routes()
UNSAFE_CASES = [
    pytest.param(route, method, id=f"{method.upper()} {route}")
    for route, pattern in ROUTES
    for method in UNSAFE
]


def test_the_inventory_is_not_empty():
    names = {pattern.name for _, pattern in ROUTES}

    assert {"incident-list", "incident-detail", "changes", "region-list"} <= names


@pytest.mark.parametrize(("route", "method"), UNSAFE_CASES)
def test_an_anonymous_unsafe_request_is_refused_on_every_api_route(objects, route, method):
    pattern = dict(ROUTES)[route]
    url = _concrete(route, _values_for(route, objects))
    before = _snapshot()

    response = getattr(APIClient(enforce_csrf_checks=True), method)(url, {}, format="json")

    # A method the route does not offer may also fail earlier, on the format or the URL.
    expected = {401} if method in _methods(pattern) else {400, 401, 404, 405}
    assert response.status_code in expected, url
    assert response["Content-Type"].startswith("application/json"), url
    assert _snapshot() == before


@pytest.mark.parametrize(("route", "method"), UNSAFE_CASES)
def test_a_reader_unsafe_request_is_forbidden_on_every_api_route(reader, objects, route, method):
    pattern = dict(ROUTES)[route]
    url = _concrete(route, _values_for(route, objects))
    client = APIClient(enforce_csrf_checks=True)
    client.credentials(HTTP_AUTHORIZATION=f"Token {Token.objects.create(user=reader).key}")
    before = _snapshot()

    response = getattr(client, method)(url, {}, format="json")

    expected = {403} if method in _methods(pattern) else {400, 403, 404, 405}
    assert response.status_code in expected, url
    assert response["Content-Type"].startswith("application/json"), url
    assert _snapshot() == before


@pytest.fixture(scope="module")
def schema_operations() -> dict[str, set[str]]:
    schema = SchemaGenerator().get_schema(request=None, public=True)
    return {path: set(item) for path, item in schema["paths"].items()}


def _schema_path_for(url: str, operations: dict) -> str | None:
    for path in operations:
        if re.fullmatch(re.sub(r"\{[^}]+\}", "[^/]+", path), url):
            return path
    return None


@pytest.mark.parametrize(
    "route",
    [
        route
        for route, pattern in ROUTES
        if pattern.name not in NOT_IN_SCHEMA and not FORMAT_SUFFIX.search(route)
    ],
)
def test_every_api_route_and_method_is_in_the_schema(objects, schema_operations, route):
    pattern = dict(ROUTES)[route]
    url = _concrete(route, _values_for(route, objects))

    path = _schema_path_for(url, schema_operations)

    assert path is not None, f"{url} is not in the OpenAPI schema"
    assert _methods(pattern) <= schema_operations[path], path


def test_format_suffix_routes_only_alias_documented_routes():
    documented = {p.name for route, p in ROUTES if not FORMAT_SUFFIX.search(route)}

    aliases = {p.name for route, p in ROUTES if FORMAT_SUFFIX.search(route)}

    assert aliases <= documented


def test_every_schema_operation_is_a_real_route(schema_operations):
    for path in schema_operations:
        sample = re.sub(r"\{(id|pk)\}", "1", path)
        sample = re.sub(r"\{[^}]+\}", "south-china-sea", sample)

        assert resolve(sample).url_name not in NOT_IN_SCHEMA, path
