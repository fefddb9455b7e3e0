"""Region and Platform: slow-changing vocabularies that incidents refer to by slug."""

from django.db import models
from django.db.models.functions import Length, Upper
from django.db.models.lookups import Exact

from incidents.choices import PlatformCategory, PlatformDomain
from incidents.models.constraints import choice_constraint
from incidents.models.history import History


class Region(models.Model):
    """A sea area an incident is filed under; the slug is the public key, seeded by migration."""

    slug = models.SlugField(max_length=50, primary_key=True)
    name = models.CharField(max_length=100)
    min_longitude = models.FloatField()
    min_latitude = models.FloatField()
    max_longitude = models.FloatField()
    max_latitude = models.FloatField()

    class Meta:
        ordering = ["slug"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(min_latitude__gte=-90, max_latitude__lte=90)
                & models.Q(min_latitude__lte=models.F("max_latitude")),
                name="region_latitude_range",
            ),
            models.CheckConstraint(
                condition=models.Q(min_longitude__gte=-180, min_longitude__lte=180)
                & models.Q(max_longitude__gte=-180, max_longitude__lte=180),
                name="region_longitude_range",
            ),
        ]

    def __str__(self) -> str:
        return self.name

    @property
    def bbox(self) -> list[float]:
        return [
            self.min_longitude,
            self.min_latitude,
            self.max_longitude,
            self.max_latitude,
        ]


class Platform(models.Model):
    """A type of aircraft, ship or station (e.g. J-11, RC-135, China Coast Guard cutter).

    `country` is the main operator in the registry, for information only: filters by country
    use the participants' country, since one type can serve several states.
    """

    slug = models.SlugField(max_length=80, unique=True)
    name = models.CharField(max_length=200)
    category = models.CharField(max_length=30, choices=PlatformCategory.choices)
    domain = models.CharField(max_length=12, choices=PlatformDomain.choices)
    country = models.CharField(max_length=2, null=True, blank=True)
    history = History(indexed=("id",))

    class Meta:
        ordering = ["slug"]
        constraints = [
            choice_constraint("platform", "category", PlatformCategory),
            choice_constraint("platform", "domain", PlatformDomain),
            models.CheckConstraint(
                condition=models.Q(country__isnull=True)
                | (Exact(Length("country"), 2) & Exact(Upper("country"), models.F("country"))),
                name="platform_country_alpha2",
            ),
        ]

    def __str__(self) -> str:
        return self.name
