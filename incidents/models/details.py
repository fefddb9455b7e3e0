"""Kind-specific details of an incident: one table per kind, one row per incident of that kind."""

from django.db import models

from incidents.choices import InterceptDomain, Zone
from incidents.models.constraints import choice_constraint
from incidents.models.history import History


class InterceptDetails(models.Model):
    """How close the intercepting aircraft or ship came, in the source's words and in metres."""

    incident = models.OneToOneField(
        "incidents.Incident",
        on_delete=models.CASCADE,
        primary_key=True,
        related_name="intercept",
    )
    domain = models.CharField(max_length=3, choices=InterceptDomain.choices)
    closest_approach_m = models.FloatField(null=True, blank=True)
    closest_approach_text = models.CharField(max_length=300, blank=True)
    maneuvers = models.JSONField(default=list, blank=True)
    history = History(indexed=("incident",))

    class Meta:
        verbose_name_plural = "intercept details"
        indexes = [models.Index(fields=["closest_approach_m"], name="intercept_approach_idx")]
        constraints = [
            choice_constraint("intercept", "domain", InterceptDomain),
            models.CheckConstraint(
                condition=models.Q(closest_approach_m__gte=0),
                name="intercept_approach_nonneg",
            ),
        ]

    def __str__(self) -> str:
        return f"intercept details of incident {self.incident_id}"


class MedianLineCrossingDetails(models.Model):
    """Counts of one report window as the sources give them, and the analysis of a track.

    The `track_*` columns are computed by the services from `track` (read-only to clients):
    they are a geometric check beside the reported counts, never a replacement.
    """

    incident = models.OneToOneField(
        "incidents.Incident",
        on_delete=models.CASCADE,
        primary_key=True,
        related_name="crossing",
    )
    aircraft_count = models.PositiveIntegerField(null=True, blank=True)
    vessel_count = models.PositiveIntegerField(null=True, blank=True)
    aircraft_total_reported = models.PositiveIntegerField(null=True, blank=True)
    period_start = models.DateField(null=True, blank=True)
    period_end = models.DateField(null=True, blank=True)
    track = models.JSONField(null=True, blank=True)
    track_crossed = models.BooleanField(null=True, editable=False)
    track_crossing_points = models.JSONField(null=True, editable=False)
    track_ends_on = models.CharField(max_length=4, null=True, editable=False)
    track_max_penetration_km = models.FloatField(null=True, editable=False)
    history = History(indexed=("incident",))

    class Meta:
        verbose_name_plural = "median-line crossing details"
        constraints = [
            models.CheckConstraint(
                condition=~models.Q(aircraft_count=0, vessel_count=0),
                name="crossing_counts_not_both_zero",
            ),
            models.CheckConstraint(
                condition=models.Q(period_start__isnull=True)
                | models.Q(period_end__isnull=True)
                | models.Q(period_start__lte=models.F("period_end")),
                name="crossing_period_ordered",
            ),
            models.CheckConstraint(
                condition=models.Q(track_max_penetration_km__gte=0),
                name="crossing_penetration_nonneg",
            ),
            models.CheckConstraint(
                condition=models.Q(track_ends_on__in=["east", "west"]),
                name="crossing_ends_on_valid",
            ),
        ]

    def __str__(self) -> str:
        return f"median-line crossing details of incident {self.incident_id}"


class NavigationDisputeDetails(models.Model):
    """What kind of contest over passage it was, where, and in which maritime zone."""

    incident = models.OneToOneField(
        "incidents.Incident",
        on_delete=models.CASCADE,
        primary_key=True,
        related_name="dispute",
    )
    dispute_types = models.JSONField(default=list)
    feature = models.CharField(max_length=200, null=True, blank=True)
    zone = models.CharField(max_length=15, choices=Zone.choices, default=Zone.UNKNOWN)
    history = History(indexed=("incident",))

    class Meta:
        verbose_name_plural = "navigation dispute details"
        indexes = [models.Index(fields=["zone"], name="dispute_zone_idx")]
        constraints = [choice_constraint("dispute", "zone", Zone)]

    def __str__(self) -> str:
        return f"navigation dispute details of incident {self.incident_id}"
