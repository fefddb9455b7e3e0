"""Who may open which admin page: staff with no, view, curator, reviewer or all permissions."""

import pytest
from django.contrib.auth.models import Permission
from django.urls import reverse

from tests.factories import IncidentFactory, UserFactory

pytestmark = pytest.mark.django_db


ROLES = ["nobody", "viewer", "curator", "reviewer", "superuser"]


@pytest.fixture
def users(curator, reviewer, superuser):
    viewer = UserFactory(username="viewer", is_staff=True)
    viewer.user_permissions.add(Permission.objects.get(codename="view_incident"))
    return {
        "nobody": UserFactory(username="nobody", is_staff=True),
        "viewer": viewer,
        "curator": curator,
        "reviewer": reviewer,
        "superuser": superuser,
    }


def _pages(incident) -> dict:
    admin = "admin:incidents_incident_"
    return {
        "changelist": reverse(admin + "changelist"),
        "add": reverse(admin + "add"),
        "change": reverse(admin + "change", args=[incident.pk]),
        "delete": reverse(admin + "delete", args=[incident.pk]),
        "history": reverse(admin + "history", args=[incident.pk]),
        "import": reverse(admin + "import"),
        "export": reverse(admin + "export") + "?_format=csv",
        "users": reverse("admin:auth_user_changelist"),
        "groups": reverse("admin:auth_group_changelist"),
        "tokens": reverse("admin:authtoken_tokenproxy_changelist"),
    }


# Expected status of a GET, per page, for nobody / viewer / curator / reviewer / superuser.
MATRIX = {
    "changelist": [403, 200, 200, 200, 200],
    "add": [403, 403, 200, 200, 200],
    "change": [403, 200, 200, 200, 200],
    "delete": [403, 403, 403, 200, 200],
    "history": [403, 200, 200, 200, 200],
    "import": [403, 403, 200, 200, 200],
    "export": [403, 200, 200, 200, 200],
    "users": [403, 403, 403, 403, 200],
    "groups": [403, 403, 403, 403, 200],
    "tokens": [403, 403, 403, 403, 200],
}


@pytest.mark.parametrize(
    ("page", "role", "expected"),
    [
        (page, role, code)
        for page, codes in MATRIX.items()
        for role, code in zip(ROLES, codes, strict=True)
    ],
)
def test_admin_page_permission_matrix(client, users, page, role, expected):
    incident = IncidentFactory()
    client.force_login(users[role])

    response = client.get(_pages(incident)[page])

    assert response.status_code == expected


def test_staff_without_permissions_see_no_app_on_the_admin_index(client, users):
    client.force_login(users["nobody"])

    response = client.get(reverse("admin:index"))

    assert response.context["app_list"] == []


@pytest.mark.parametrize("role", ["curator", "reviewer"])
def test_curation_staff_see_only_the_registry_on_the_admin_index(client, users, role):
    client.force_login(users[role])

    response = client.get(reverse("admin:index"))

    assert [app["app_label"] for app in response.context["app_list"]] == ["incidents"]


def test_staff_granted_user_permissions_still_cannot_grant_themselves_more(client):
    user = UserFactory(username="climber", is_staff=True)
    user.user_permissions.add(*Permission.objects.filter(content_type__app_label="auth"))
    client.force_login(user)
    everything = Permission.objects.values_list("pk", flat=True)

    response = client.post(
        reverse("admin:auth_user_change", args=[user.pk]),
        {
            "username": "climber",
            "is_staff": "on",
            "is_superuser": "on",
            "user_permissions": everything,
        },
    )

    user.refresh_from_db()
    assert response.status_code == 403
    assert not user.is_superuser
    assert not user.has_perm("incidents.publish_incident")


def test_a_viewer_cannot_post_a_change(client, users):
    incident = IncidentFactory()
    client.force_login(users["viewer"])

    response = client.post(
        reverse("admin:incidents_incident_change", args=[incident.pk]), {"title": "X"}
    )

    assert response.status_code == 403
