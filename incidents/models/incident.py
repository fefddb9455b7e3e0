"""Incident (one record per incident, all kinds) and its Participants."""

from django.contrib.postgres.search import SearchVectorField
from django.db import models
from django.db.models.functions import Length, Trim, Upper
from django.db.models.lookups import Exact, GreaterThan

from incidents.choices import (
    Conduct,
    DatePrecision,
    IncidentKind,
    IncidentStatus,
    ParticipantRole,
    Verification,
)
from incidents.models.constraints import choice_constraint
from incidents.models.history import History
from incidents.models.reference import Platform, Region


class IncidentQuerySet(models.QuerySet):
    def published(self):
        return self.filter(status=IncidentStatus.PUBLISHED)

    def public(self):
        """Published and retracted: what a client without view permission may ever see."""
        return self.filter(status__in=[IncidentStatus.PUBLISHED, IncidentStatus.RETRACTED])


class Incident(models.Model):
    """One military incident as reported by its sources.

    An *intercept* is one party's aircraft or ship closing on another's to identify, escort or
    warn it off; a *median-line crossing* is PLA aircraft or ships crossing the Taiwan Strait
    median line as reported by Taiwan's Ministry of National Defense for one report window; a
    *navigation dispute* is a contest over passage (blocking, water cannon, collisions,
    challenged freedom-of-navigation transits). The initiator is the party whose action makes
    the incident. `verification` is derived from the cited sources by the services; `disputed`
    is the curator's override. Every write goes through `incidents.services`.
    """

    external_id = models.CharField(max_length=120, unique=True, null=True, blank=True)
    kind = models.CharField(max_length=24, choices=IncidentKind.choices)
    title = models.CharField(max_length=200)
    summary = models.TextField(blank=True)
    occurred_on = models.DateField()
    occurred_at = models.DateTimeField(null=True, blank=True)
    date_precision = models.CharField(
        max_length=5, choices=DatePrecision.choices, default=DatePrecision.DAY
    )
    # Indexed as the first column of incident_region_occurred_idx.
    region = models.ForeignKey(
        Region, on_delete=models.PROTECT, related_name="incidents", db_index=False
    )
    location_name = models.CharField(max_length=200, null=True, blank=True)
    latitude = models.FloatField(null=True, blank=True)
    longitude = models.FloatField(null=True, blank=True)
    conduct = models.CharField(max_length=14, choices=Conduct.choices, default=Conduct.UNKNOWN)
    status = models.CharField(
        max_length=9, choices=IncidentStatus.choices, default=IncidentStatus.DRAFT
    )
    retraction_reason = models.TextField(null=True, blank=True)
    disputed = models.BooleanField(default=False)
    verification = models.CharField(
        max_length=12, choices=Verification.choices, default=Verification.UNVERIFIED
    )
    # Integer version behind the ETag: a timestamp can repeat within its resolution.
    version = models.PositiveIntegerField(default=1)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)
    # PostgreSQL full-text document over title, summary, location and source titles; kept by
    # the services (it spans the citations, so a generated column cannot hold it). Null on SQLite.
    search_vector = SearchVectorField(null=True, editable=False)

    history = History(indexed=("id",), excluded_fields=["search_vector", "updated_at", "version"])
    objects = IncidentQuerySet.as_manager()

    class Meta:
        ordering = ["-occurred_on", "-occurred_at", "-id"]
        permissions = [("publish_incident", "Can publish and retract incidents")]
        indexes = [
            # The default order of every list: occurred_on, occurred_at as tie-break, then id.
            models.Index(
                fields=["-occurred_on", "-occurred_at", "-id"], name="incident_occurred_idx"
            ),
            models.Index(fields=["kind", "-occurred_on"], name="incident_kind_occurred_idx"),
            models.Index(fields=["region", "-occurred_on"], name="incident_region_occurred_idx"),
            models.Index(fields=["status", "-occurred_on"], name="incident_status_occurred_idx"),
            models.Index(fields=["updated_at", "id"], name="incident_updated_idx"),
            models.Index(fields=["latitude", "longitude"], name="incident_coordinates_idx"),
            # The public list filtered by kind and region, in list order: an index-only scan
            # serves both the count and a deep offset (docs/performance.md, W1 and W5).
            models.Index(
                fields=["kind", "region", "-occurred_on", "-occurred_at", "-id"],
                condition=models.Q(status=IncidentStatus.PUBLISHED),
                name="incident_published_order_idx",
            ),
            # The public list without kind and region filters, in list order: its deep pages
            # (and the first) skip the offset inside this index instead of sorting the
            # published rows of incident_status_occurred_idx (docs/performance.md, R3).
            models.Index(
                fields=["-occurred_on", "-occurred_at", "-id"],
                condition=models.Q(status=IncidentStatus.PUBLISHED),
                name="incident_published_recent_idx",
            ),
        ]
        constraints = [
            choice_constraint("incident", "kind", IncidentKind),
            choice_constraint("incident", "status", IncidentStatus),
            choice_constraint("incident", "date_precision", DatePrecision),
            choice_constraint("incident", "conduct", Conduct),
            choice_constraint("incident", "verification", Verification),
            models.CheckConstraint(
                condition=GreaterThan(Length(Trim("title")), 0),
                name="incident_title_not_blank",
            ),
            models.CheckConstraint(
                condition=models.Q(latitude__isnull=True, longitude__isnull=True)
                | models.Q(
                    latitude__isnull=False,
                    longitude__isnull=False,
                    latitude__gte=-90,
                    latitude__lte=90,
                    longitude__gte=-180,
                    longitude__lte=180,
                ),
                name="incident_coordinates_valid",
            ),
            models.CheckConstraint(
                condition=~models.Q(status=IncidentStatus.RETRACTED)
                | (
                    models.Q(retraction_reason__isnull=False)
                    & GreaterThan(Length(Trim("retraction_reason")), 0)
                ),
                name="incident_retraction_has_reason",
            ),
            models.CheckConstraint(
                condition=models.Q(version__gte=1), name="incident_version_positive"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.occurred_on} {self.title}"

    @property
    def etag(self) -> str:
        return f'"{self.pk}-{self.version}"'


class Participant(models.Model):
    """A state's force taking part in an incident, in one role (initiator, target, other)."""

    incident = models.ForeignKey(Incident, on_delete=models.CASCADE, related_name="participants")
    country = models.CharField(max_length=2)
    role = models.CharField(max_length=9, choices=ParticipantRole.choices)
    force = models.CharField(max_length=200, blank=True)
    platform = models.ForeignKey(
        Platform,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="participants",
        db_index=False,  # the first column of participant_platform_idx
    )
    platform_detail = models.CharField(max_length=300, null=True, blank=True)
    count = models.PositiveIntegerField(default=1)
    position = models.PositiveSmallIntegerField(default=0)
    history = History(indexed=("incident",))

    class Meta:
        ordering = ["incident", "position", "id"]
        indexes = [
            models.Index(fields=["country", "role", "incident"], name="participant_country_idx"),
            models.Index(fields=["platform", "incident"], name="participant_platform_idx"),
        ]
        constraints = [
            choice_constraint("participant", "role", ParticipantRole),
            models.CheckConstraint(condition=models.Q(count__gte=1), name="participant_count_min"),
            models.CheckConstraint(
                condition=Exact(Length("country"), 2)
                & Exact(Upper("country"), models.F("country")),
                name="participant_country_alpha2",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.country} {self.role} {self.force}"
