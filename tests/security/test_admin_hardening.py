"""The admin under attack by its own staff: what tests/incidents/test_admin_permissions.py leaves
out. That file walks the incident pages with GET for the curation roles; this one gives staff
exactly none, view, change or all of one model's permissions, on every registry model, tries the
writes behind each page with POST, and tries every way a staff member could raise their own
permissions or act as someone else.
"""

import pytest
from django.contrib.auth.models import Group, Permission, User
from django.urls import reverse
from rest_framework.authtoken.models import Token

from incidents.models import ChangeEvent, Contact, Incident, Platform, Region, Source
from tests.factories import (
    ContactFactory,
    IncidentFactory,
    PlatformFactory,
    SourceFactory,
    UserFactory,
)

pytestmark = pytest.mark.django_db

PERMISSION_SETS = {
    "none": [],
    "view": ["view"],
    "change": ["view", "change"],
    "all": ["view", "change", "add", "delete", "publish"],
}
PAGES = ["changelist", "add", "change", "delete", "history"]
# Expected status of a GET per page for none / view / change / all.
MATRIX = {
    "changelist": [403, 200, 200, 200],
    "add": [403, 403, 403, 200],
    "change": [403, 200, 200, 200],
    "delete": [403, 403, 403, 200],
    "history": [403, 200, 200, 200],
}
INCIDENT_EXTRA = {
    "import": [403, 403, 403, 200],  # needs add and change
    "export": [403, 200, 200, 200],
}
# The change feed is written by the services only: nobody adds, changes or deletes it by hand.
CHANGE_FEED = {"add": [403] * 4, "delete": [403] * 4}


def _staff(model, level: str) -> User:
    user = UserFactory(username=f"{model._meta.model_name}-{level}", is_staff=True)
    codenames = [f"{action}_{model._meta.model_name}" for action in PERMISSION_SETS[level]]
    user.user_permissions.add(
        *Permission.objects.filter(
            content_type__app_label="incidents",
            codename__in=codenames,
        )
    )
    return user


def _record(model):
    return {
        Incident: lambda: IncidentFactory(),
        Source: SourceFactory,
        Platform: PlatformFactory,
        Contact: ContactFactory,
        Region: lambda: Region.objects.get(slug="yellow-sea"),
        ChangeEvent: lambda: ChangeEvent.objects.get(
            incident_id=IncidentFactory(status="published").pk
        ),
    }[model]()


def _url(model, page: str, obj) -> str:
    name = f"admin:incidents_{model._meta.model_name}_{page}"
    if page in ("change", "delete", "history"):
        return reverse(name, args=[obj.pk])
    if page == "export":
        return reverse(name) + "?_format=json"
    return reverse(name)


def _cases():
    levels = list(PERMISSION_SETS)
    for model in [Incident, Source, Platform, Region, Contact, ChangeEvent]:
        pages = dict(MATRIX)
        if model is Incident:
            pages.update(INCIDENT_EXTRA)
        if model is ChangeEvent:
            pages.update(CHANGE_FEED)
        for page, codes in pages.items():
            for level, code in zip(levels, codes, strict=True):
                yield pytest.param(model, page, level, code, id=f"{model.__name__}-{page}-{level}")


@pytest.mark.parametrize(("model", "page", "level", "expected"), list(_cases()))
def test_admin_page_matrix_by_permission_level(client, model, page, level, expected):
    obj = _record(model)
    client.force_login(_staff(model, level))

    response = client.get(_url(model, page, obj))

    assert response.status_code == expected


# --- writes behind the pages ----------------------------------------------------------------


@pytest.mark.parametrize("level", ["none", "view", "change"])
def test_staff_without_add_permission_cannot_create_by_post(client, level):
    client.force_login(_staff(Source, level))

    response = client.post(
        reverse("admin:incidents_source_add"),
        {"url": "https://planted.example.org/", "publisher": "P", "title": "T", "type": "media"},
    )

    assert response.status_code == 403
    assert not Source.objects.filter(url="https://planted.example.org/").exists()


@pytest.mark.parametrize("level", ["none", "view", "change"])
def test_staff_without_delete_permission_cannot_delete_by_post(client, level):
    incident = IncidentFactory()
    client.force_login(_staff(Incident, level))

    response = client.post(
        reverse("admin:incidents_incident_delete", args=[incident.pk]), {"post": "yes"}
    )

    assert response.status_code == 403
    assert Incident.objects.filter(pk=incident.pk).exists()


@pytest.mark.parametrize("level", ["none", "view"])
def test_staff_without_change_permission_cannot_change_a_source_by_post(client, level):
    source = SourceFactory(title="Kept")
    client.force_login(_staff(Source, level))

    response = client.post(
        reverse("admin:incidents_source_change", args=[source.pk]),
        {"url": source.url, "publisher": "P", "title": "Planted", "type": "official"},
    )

    source.refresh_from_db()
    assert response.status_code == 403
    assert (source.title, source.type) == ("Kept", "media")


@pytest.mark.parametrize("action", ["publish", "retract"])
@pytest.mark.parametrize("level", ["view", "change"])
def test_staff_without_publish_permission_cannot_use_the_publish_pages(client, level, action):
    incident = IncidentFactory(status="published" if action == "retract" else "draft")
    client.force_login(_staff(Incident, level))

    response = client.post(
        reverse(f"admin:incidents_incident_{action}", args=[incident.pk]),
        {"reason": "Planted."},
    )

    assert response.status_code == 403
    assert Incident.objects.get(pk=incident.pk).status == incident.status


@pytest.mark.parametrize(
    "action",
    ["publish_selected", "retract_selected", "delete_selected", "delete_selected_incidents"],
)
def test_bulk_actions_beyond_ones_permissions_change_nothing(client, action):
    draft = IncidentFactory()
    published = IncidentFactory(status="published")
    client.force_login(_staff(Incident, "change"))

    client.post(
        reverse("admin:incidents_incident_changelist"),
        {"action": action, "_selected_action": [draft.pk, published.pk], "reason": "Planted."},
    )

    statuses = dict(Incident.objects.values_list("pk", "status"))
    assert statuses == {draft.pk: "draft", published.pk: "published"}


def test_the_bulk_delete_of_django_is_off_even_for_superusers(client, superuser):
    published = IncidentFactory(status="published")
    client.force_login(superuser)

    client.post(
        reverse("admin:incidents_incident_changelist"),
        {"action": "delete_selected", "_selected_action": [published.pk], "post": "yes"},
    )

    assert Incident.objects.filter(pk=published.pk).exists()


@pytest.mark.parametrize("level", ["view", "change"])
def test_staff_who_may_not_import_cannot_post_a_file(client, level):
    from django.core.files.uploadedfile import SimpleUploadedFile

    client.force_login(_staff(Incident, level))
    upload = SimpleUploadedFile("x.json", b'{"incidents": []}', content_type="application/json")

    response = client.post(reverse("admin:incidents_incident_import"), {"file": upload})

    assert response.status_code == 403


@pytest.mark.parametrize("model", [Incident, Source, Platform, Contact])
def test_a_history_version_cannot_be_reverted_even_by_a_superuser(client, superuser, model):
    obj = _record(model)
    history = model.history.filter(**{model._meta.pk.attname: obj.pk}).first()
    client.force_login(superuser)
    name = f"admin:incidents_{model._meta.model_name}_simple_history"

    response = client.post(reverse(name, args=[obj.pk, history.history_id]), {})

    assert response.status_code == 405


# --- raising one's own permissions ----------------------------------------------------------


@pytest.fixture
def climber(db):
    """A reviewer who was also given every permission on accounts, groups and tokens."""
    user = UserFactory(username="climber", is_staff=True, groups=["reviewers"])
    user.user_permissions.add(
        *Permission.objects.filter(content_type__app_label__in=["auth", "authtoken", "axes"])
    )
    return user


def test_a_staff_member_cannot_add_every_permission_to_their_group(client, climber):
    group = Group.objects.get(name="reviewers")
    before = set(group.permissions.values_list("pk", flat=True))
    client.force_login(climber)

    response = client.post(
        reverse("admin:auth_group_change", args=[group.pk]),
        {"name": "reviewers", "permissions": list(Permission.objects.values_list("pk", flat=True))},
    )

    assert response.status_code == 403
    assert set(group.permissions.values_list("pk", flat=True)) == before


def test_a_staff_member_cannot_create_a_superuser(client, climber):
    client.force_login(climber)

    response = client.post(
        reverse("admin:auth_user_add"),
        {"username": "shadow", "password1": "Zq8!long-pass", "password2": "Zq8!long-pass"},
    )

    assert response.status_code == 403
    assert not User.objects.filter(username="shadow").exists()


def test_a_staff_member_cannot_reset_another_users_password(client, climber, superuser):
    old_hash = superuser.password
    client.force_login(climber)

    response = client.post(
        reverse("admin:auth_user_password_change", args=[superuser.pk]),
        {"password1": "Zq8!long-pass", "password2": "Zq8!long-pass"},
    )

    superuser.refresh_from_db()
    assert response.status_code == 403
    assert superuser.password == old_hash


def test_a_staff_member_cannot_mint_a_token_for_someone_else(client, climber, superuser):
    client.force_login(climber)

    response = client.post(reverse("admin:authtoken_tokenproxy_add"), {"user": superuser.pk})

    assert response.status_code == 403
    assert not Token.objects.filter(user=superuser).exists()


def test_a_staff_member_cannot_read_other_peoples_tokens(client, climber, superuser):
    Token.objects.create(user=superuser)
    client.force_login(climber)

    response = client.get(reverse("admin:authtoken_tokenproxy_changelist"))

    assert response.status_code == 403


def test_a_staff_member_cannot_add_themselves_to_a_group(client, climber):
    client.force_login(climber)
    reviewers = Group.objects.get(name="reviewers")

    response = client.post(
        reverse("admin:auth_user_change", args=[climber.pk]),
        {"username": "climber", "is_staff": "on", "groups": [g.pk for g in Group.objects.all()]},
    )

    assert response.status_code == 403
    assert list(climber.groups.all()) == [reviewers]


def test_curation_staff_cannot_clear_admin_login_lockouts(client, reviewer):
    client.force_login(reviewer)

    response = client.get(reverse("admin:axes_accessattempt_changelist"))

    assert response.status_code == 403


def test_a_deactivated_staff_session_is_refused(client, reviewer):
    client.force_login(reviewer)
    User.objects.filter(pk=reviewer.pk).update(is_active=False)

    response = client.get(reverse("admin:incidents_incident_changelist"))

    assert response.status_code == 302
    assert "/admin/login/" in response["Location"]
