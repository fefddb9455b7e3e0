"""The groups created by the migrations hold exactly the permissions SPEC §3 gives them."""

import pytest
from django.contrib.auth.models import Group

pytestmark = pytest.mark.django_db

CURATOR = {
    *(
        f"incidents.{a}_{m}"
        for m in ("incident", "source", "platform", "contact")
        for a in ("view", "add", "change")
    ),
    *(
        f"incidents.{a}_{m}"
        for m in (
            "participant",
            "citation",
            "interceptdetails",
            "medianlinecrossingdetails",
            "navigationdisputedetails",
        )
        for a in ("view", "add", "change", "delete")
    ),
    "incidents.view_region",
}


def _permissions(name: str) -> set[str]:
    group = Group.objects.get(name=name)
    return {f"{p.content_type.app_label}.{p.codename}" for p in group.permissions.all()}


def test_curators_may_write_records_but_not_publish_or_delete_incidents():
    assert _permissions("curators") == CURATOR


def test_reviewers_may_also_publish_retract_and_delete_drafts():
    assert _permissions("reviewers") == CURATOR | {
        "incidents.publish_incident",
        "incidents.delete_incident",
    }


def test_a_curator_cannot_publish(curator, reviewer):
    assert not curator.has_perm("incidents.publish_incident")
    assert reviewer.has_perm("incidents.publish_incident")
