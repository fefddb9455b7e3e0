"""Who may do what over the API: every role against every write endpoint and the history.

Refusals change nothing: the incident's stored document, version, history and the change
feed are compared before and after each refused request.
"""

import pytest
from django.contrib.auth.models import User
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from incidents.models import ChangeEvent, Incident
from incidents.selectors import incident_document as stored_document
from tests.factories import IncidentFactory, incident_document

pytestmark = pytest.mark.django_db

ROLES = ["api_client", "reader_client", "curator_client", "reviewer_client", "superuser_client"]

# action -> (status the incident starts in, expected status code per role, in ROLES order)
MATRIX = {
    "create": ("draft", [401, 403, 201, 201, 201]),
    "update": ("draft", [401, 403, 200, 200, 200]),
    "patch": ("published", [401, 403, 200, 200, 200]),
    "delete": ("draft", [401, 403, 403, 204, 204]),
    "publish": ("draft", [401, 403, 403, 200, 200]),
    "retract": ("published", [401, 403, 403, 200, 200]),
    "history": ("published", [200, 200, 200, 200, 200]),
    "draft_history": ("draft", [404, 404, 200, 200, 200]),
}


def send(client, action: str, incident):
    detail = f"/api/v1/incidents/{incident.pk}/"
    if action == "create":
        return client.post("/api/v1/incidents/", incident_document(), format="json")
    if action == "update":
        return client.put(detail, incident_document(title="Replaced"), format="json")
    if action == "patch":
        return client.patch(detail, {"title": "Patched"}, format="json")
    if action == "delete":
        return client.delete(detail)
    if action == "publish":
        return client.post(f"{detail}publish/")
    if action == "retract":
        return client.post(f"{detail}retract/", {"reason": "Wrong."}, format="json")
    return client.get(f"{detail}history/")


def snapshot(incident) -> tuple:
    row = Incident.objects.filter(pk=incident.pk).values("version", "status").first()
    return (
        Incident.objects.count(),
        row,
        stored_document(incident.pk),
        Incident.history.count(),
        ChangeEvent.objects.count(),
    )


@pytest.mark.parametrize("action", MATRIX)
@pytest.mark.parametrize("role_index", range(len(ROLES)), ids=ROLES)
def test_permission_matrix(request, action, role_index):
    status, expected_codes = MATRIX[action]
    incident = IncidentFactory(status=status)
    client = request.getfixturevalue(ROLES[role_index])
    before = snapshot(incident)

    response = send(client, action, incident)

    expected = expected_codes[role_index]
    assert response.status_code == expected, response.content
    if expected >= 400 or action in ("history", "draft_history"):
        assert snapshot(incident) == before
    if expected in (401, 403):
        assert response.json()["errors"][0]["code"] in (
            "not_authenticated",
            "permission_denied",
        )


def test_an_anonymous_write_is_challenged_for_a_token(api_client):
    response = api_client.post("/api/v1/incidents/", incident_document(), format="json")

    assert response.status_code == 401
    assert response["WWW-Authenticate"] == "Token"


def test_an_anonymous_write_to_an_unknown_incident_is_401_not_404(api_client):
    response = api_client.delete("/api/v1/incidents/999999/")

    assert response.status_code == 401


def test_a_reader_gets_403_whether_or_not_the_incident_exists(reader_client):
    assert reader_client.delete("/api/v1/incidents/999999/").status_code == 403


@pytest.mark.parametrize(
    "authorization", ["Token not-a-real-key", "Token", "Bearer abc", "Basic Zm9vOmJhcg=="]
)
def test_bad_credentials_are_401(api_client, authorization):
    api_client.credentials(HTTP_AUTHORIZATION=authorization)

    response = api_client.post("/api/v1/incidents/", incident_document(), format="json")

    assert response.status_code == 401
    assert not Incident.objects.exists()


def test_the_token_of_a_deactivated_user_is_refused(curator):
    token = Token.objects.create(user=curator)
    User.objects.filter(pk=curator.pk).update(is_active=False)
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {token.key}")

    response = client.post("/api/v1/incidents/", incident_document(), format="json")

    assert response.status_code == 401
    assert not Incident.objects.exists()


def test_a_token_in_the_query_string_is_ignored(curator):
    token = Token.objects.create(user=curator)

    response = APIClient().post(
        f"/api/v1/incidents/?token={token.key}", incident_document(), format="json"
    )

    assert response.status_code == 401


def test_a_session_write_without_csrf_token_is_refused(curator):
    client = APIClient(enforce_csrf_checks=True)
    client.force_login(curator)

    response = client.post("/api/v1/incidents/", incident_document(), format="json")

    assert response.status_code == 403
    assert "CSRF" in response.json()["errors"][0]["detail"]
    assert not Incident.objects.exists()


def test_a_session_write_with_the_csrf_token_is_accepted(curator):
    client = APIClient(enforce_csrf_checks=True)
    client.force_login(curator)
    client.get("/admin/")  # sets the csrftoken cookie, as the admin pages do
    csrf = client.cookies["csrftoken"].value

    response = client.post(
        "/api/v1/incidents/", incident_document(), format="json", HTTP_X_CSRFTOKEN=csrf
    )

    assert response.status_code == 201
