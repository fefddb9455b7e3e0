"""The OpenAPI schema and the offline interactive docs."""

import json
import re

import jsonschema
import pytest
import yaml
from drf_spectacular.generators import SchemaGenerator
from drf_spectacular.renderers import OpenApiJsonRenderer

from incidents.api.filters import IncidentFilterSet
from incidents.choices import Conduct, IncidentKind
from tests.incidents.api.read_fixtures import make, participant

pytestmark = pytest.mark.django_db


@pytest.fixture(scope="module")
def schema():
    """Generated once for the module: generation takes seconds and reads no rows."""
    generator = SchemaGenerator()
    return json.loads(OpenApiJsonRenderer().render(generator.get_schema(request=None, public=True)))


def _json_schema(node):
    """OpenAPI 3.0 schema objects as JSON Schema: `nullable` becomes a null alternative."""
    if isinstance(node, list):
        return [_json_schema(item) for item in node]
    if not isinstance(node, dict):
        return node
    node = {key: _json_schema(value) for key, value in node.items()}
    if node.pop("nullable", False):
        return {"anyOf": [node, {"type": "null"}]}
    return node


def validator_for(schema, component):
    components = _json_schema(schema["components"])
    return jsonschema.Draft202012Validator(
        {"$ref": f"#/components/schemas/{component}", "components": components}
    )


def test_the_schema_is_served_as_openapi_3_yaml_and_json(api_client):
    as_yaml = api_client.get("/api/v1/schema/")
    as_json = api_client.get("/api/v1/schema/", {"format": "json"})

    assert yaml.safe_load(as_yaml.content)["openapi"].startswith("3.")
    assert as_json.json()["info"]["title"] == "Incident Registry API"


def test_every_incident_filter_is_documented_on_list_stats_and_export(schema):
    filters = set(IncidentFilterSet.base_filters)

    for path, extra in [
        ("/api/v1/incidents/", {"limit", "offset", "format"}),
        ("/api/v1/incidents/stats/", {"interval", "group_by"}),
        ("/api/v1/incidents/export/", {"format"}),
    ]:
        names = {p["name"] for p in schema["paths"][path]["get"]["parameters"]}
        expected = filters - ({"ordering"} if path.endswith("stats/") else set())
        assert names == expected | extra, path


def test_closed_vocabulary_filters_list_their_values(schema):
    parameters = {p["name"]: p for p in schema["paths"]["/api/v1/incidents/"]["get"]["parameters"]}

    assert sorted(parameters["kind"]["schema"]["items"]["enum"]) == sorted(IncidentKind.values)
    assert parameters["kind"]["explode"] is True
    assert sorted(parameters["conduct"]["schema"]["items"]["enum"]) == sorted(Conduct.values)
    assert "US" in parameters["country"]["schema"]["items"]["enum"]
    assert parameters["min_closest_approach_m"]["schema"]["type"] == "number"
    assert parameters["min_aircraft"]["schema"]["type"] == "integer"
    assert parameters["crossed_median_line"]["schema"]["type"] == "boolean"
    assert parameters["updated_after"]["schema"]["format"] == "date-time"
    assert "-occurred_on" in parameters["ordering"]["schema"]["items"]["enum"]


def test_the_list_documents_json_csv_and_geojson_responses(schema):
    content = schema["paths"]["/api/v1/incidents/"]["get"]["responses"]["200"]["content"]

    assert set(content) == {"application/json", "text/csv", "application/geo+json"}


@pytest.mark.parametrize("kind", ["intercept", "median_line_crossing", "navigation_dispute"])
def test_a_real_document_of_each_kind_matches_the_documented_shape(api_client, schema, kind):
    details = {
        "median_line_crossing": {
            "aircraft_count": 3,
            "vessel_count": None,
            "aircraft_total_reported": 9,
            "period_start": "2023-04-08",
            "period_end": "2023-04-09",
            "track": {"type": "LineString", "coordinates": [[119.0, 24.5], [121.0, 24.5]]},
        }
    }.get(kind)
    row = make(kind, **({"details": details} if details else {}))
    list_page = api_client.get("/api/v1/incidents/").json()

    validator_for(schema, "PaginatedIncidentList").validate(list_page)
    validator_for(schema, "Incident").validate(
        api_client.get(f"/api/v1/incidents/{row.id}/").json()
    )


def test_a_draft_without_details_matches_the_documented_shape(curator_client, schema):
    row = make(status="draft", details=None, participants=[participant("CN", "initiator")])

    document = curator_client.get(f"/api/v1/incidents/{row.id}/").json()

    assert document["details"] == {}
    validator_for(schema, "Incident").validate(document)


def test_stats_and_geojson_match_their_documented_shapes(api_client, schema):
    make(latitude=1.0, longitude=2.0)

    stats = api_client.get("/api/v1/incidents/stats/", {"interval": "month", "group_by": "kind"})
    geojson = api_client.get("/api/v1/incidents/", {"format": "geojson"})

    validator_for(schema, "IncidentStats").validate(stats.json())
    validator_for(schema, "IncidentFeatureCollection").validate(geojson.json())


def test_a_filter_error_matches_the_documented_400(api_client, schema):
    response = api_client.get("/api/v1/incidents/", {"bbox": "1,2", "radius_km": "9"})

    validator_for(schema, "IncidentsListErrorResponse400").validate(response.json())


def test_the_interactive_docs_load_only_scripts_and_styles_the_registry_serves(api_client):
    response = api_client.get("/api/v1/docs/")

    html = response.content.decode()
    assert response.status_code == 200
    references = re.findall(r"""(?:src|href)\s*=\s*["']([^"']+)["']""", html)
    assert any(ref.endswith("swagger-ui-bundle.js") for ref in references)
    assert all(ref.startswith("/static/") for ref in references), references
    assert not re.search(r"https?://|//cdn", html.replace("http://testserver", ""))


def test_the_docs_point_at_the_local_schema(api_client):
    response = api_client.get("/api/v1/docs/")

    assert '"/api/v1/schema/"' in response.content.decode()


def test_every_operation_declares_the_servers_414_and_every_write_its_413(schema):
    """gunicorn answers an over-long URL with 414 before Django runs (found by live fuzzing);
    a body over DATA_UPLOAD_MAX_MEMORY_SIZE is a 413. A client reading the schema expects both."""
    undeclared = []
    for path, operations in schema["paths"].items():
        for method, operation in operations.items():
            expected = {"414"} | ({"413"} if method in ("post", "put", "patch") else set())
            missing = expected - set(operation["responses"])
            if missing:
                undeclared.append((method.upper(), path, sorted(missing)))

    assert undeclared == []
