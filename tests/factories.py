"""Factories that produce valid incidents through the services, as a curator would."""

import datetime as dt
import itertools

import factory
from django.contrib.auth.models import Group, User

from incidents import services
from incidents.models import Contact, Platform, Source

_sequence = itertools.count(1)


def incident_document(kind: str = "intercept", **overrides) -> dict:
    """A complete, publishable incident document (SPEC §4 shape) with unique source and ids."""
    n = next(_sequence)
    details = {
        "intercept": {
            "domain": "air",
            "closest_approach_m": 30.0,
            "closest_approach_text": "within 100 feet",
            "maneuvers": ["barrel roll"],
        },
        "median_line_crossing": {
            "aircraft_count": 12,
            "vessel_count": None,
            "aircraft_total_reported": 30,
            "period_start": "2023-04-08",
            "period_end": "2023-04-09",
        },
        "navigation_dispute": {
            "dispute_types": ["water_cannon"],
            "feature": "Second Thomas Shoal",
            "zone": "eez",
        },
    }[kind]
    document = {
        "external_id": f"test-{n}",
        "kind": kind,
        "title": f"Test incident {n}",
        "summary": "A PLA Navy J-11 intercepted a patrol aircraft.",
        "occurred_on": "2023-05-26",
        "occurred_at": None,
        "date_precision": "day",
        "region": "south-china-sea",
        "location_name": None,
        "latitude": None,
        "longitude": None,
        "conduct": "unsafe",
        "participants": [
            {
                "country": "CN",
                "role": "initiator",
                "force": "PLA Navy",
                "platform": None,
                "platform_detail": "J-11",
                "count": 1,
            },
            {
                "country": "US",
                "role": "target",
                "force": "US Navy",
                "platform": None,
                "platform_detail": "P-8A",
                "count": 1,
            },
        ],
        "sources": [
            {
                "url": f"https://news.example.org/{n}",
                "publisher": "Example News",
                "title": f"Report {n}",
                "published_on": "2023-05-27",
                "type": "media",
            },
        ],
        "details": details,
    }
    document.update(overrides)
    return document


class IncidentFactory(factory.Factory):
    """`IncidentFactory(kind=..., status="published", **document overrides)`."""

    class Meta:
        model = dict

    kind = "intercept"
    status = "draft"

    @classmethod
    def _create(cls, model_class, *args, kind="intercept", status="draft", by=None, **overrides):
        incident = services.create_incident(incident_document(kind, **overrides), by=by)
        if status in ("published", "retracted"):
            incident = services.publish_incident(incident, by=by)
        if status == "retracted":
            incident = services.retract_incident(
                incident, reason="Source withdrew the report.", by=by
            )
        return incident

    @classmethod
    def _build(cls, model_class, *args, kind="intercept", status="draft", **overrides):
        return incident_document(kind, **overrides)


class PlatformFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Platform
        django_get_or_create = ("slug",)

    slug = factory.Sequence(lambda n: f"platform-{n}")
    name = factory.Sequence(lambda n: f"Platform {n}")
    category = "fighter"
    domain = "air"
    country = "CN"


class SourceFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Source

    url = factory.Sequence(lambda n: f"https://source.example.org/{n}")
    publisher = "Example Publisher"
    title = factory.Sequence(lambda n: f"Source {n}")
    published_on = dt.date(2023, 5, 27)
    type = "media"


class ContactFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Contact

    external_id = factory.Sequence(lambda n: f"contact-{n}")
    occurred_on = dt.date(2023, 11, 15)
    kind = "summit"
    title = factory.Sequence(lambda n: f"Contact {n}")
    summary = "Leaders met."
    parties = ["US", "CN"]


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = User
        django_get_or_create = ("username",)
        skip_postgeneration_save = True

    username = factory.Sequence(lambda n: f"user{n}")
    password = factory.PostGenerationMethodCall("set_password", "correct horse battery")

    @factory.post_generation
    def groups(self, create, extracted, **kwargs):
        self.save()
        for name in extracted or []:
            self.groups.add(Group.objects.get(name=name))
