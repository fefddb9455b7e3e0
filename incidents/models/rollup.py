"""Incident counts per day and per month, kept exact by the database (docs/performance.md, R4).

Counting half a million incidents per stats request cannot stay under 100 ms at 1,000,000
incidents; summing a few thousand precomputed counts can. On PostgreSQL, statement-level triggers
on `incidents_incident` (migration 0005) move these counts in the same transaction as every write
to it — services, the bulk importer's COPY, `QuerySet.update()`, deletes, the admin — so nothing
in Python writes them. On SQLite there are no triggers: the tables stay empty and the stats are
counted from the incidents.

The count of a key is the SUM of its rows. A write adds one row per key it changes, merged with
that key's committed rows that no other transaction is merging (`FOR UPDATE SKIP LOCKED`): so
writers never wait for one another, and a key has one row once its writers have committed and
the next write merged them. A key whose sum is 0 has no row after the merge.
"""

from django.db import models

from incidents.choices import Conduct, IncidentKind, IncidentStatus, Verification


class RollupCount(models.Model):
    """The key columns and count both rollups share; each adds its date column and key index.

    Abstract, so no table of its own: the migration (0005) is unchanged by it.
    """

    status = models.CharField(max_length=9, choices=IncidentStatus.choices)
    kind = models.CharField(max_length=24, choices=IncidentKind.choices)
    region = models.SlugField(max_length=50, db_index=False)  # Region.slug; no FK to check
    conduct = models.CharField(max_length=14, choices=Conduct.choices)
    verification = models.CharField(max_length=12, choices=Verification.choices)
    count = models.IntegerField()  # a change: negative when a row holds removals

    class Meta:
        abstract = True


class IncidentDailyCount(RollupCount):
    """How many incidents (summed over rows) share a day, status, kind, region, conduct and
    verification."""

    day = models.DateField()

    class Meta:
        indexes = [
            # Status and date first: every stats query names a status and most a date range;
            # the triggers find a key's rows by all six.
            models.Index(
                fields=["status", "day", "kind", "region", "conduct", "verification"],
                name="incident_daily_count_key_idx",
            )
        ]

    def __str__(self) -> str:
        return f"{self.day} {self.status} {self.kind} {self.region}: {self.count}"


class IncidentMonthlyCount(RollupCount):
    """The same counts per month (`month` is its first day), for whole months of a range."""

    month = models.DateField()

    class Meta:
        indexes = [
            models.Index(
                fields=["status", "month", "kind", "region", "conduct", "verification"],
                name="incident_monthly_count_key_idx",
            )
        ]

    def __str__(self) -> str:
        return f"{self.month:%Y-%m} {self.status} {self.kind} {self.region}: {self.count}"
