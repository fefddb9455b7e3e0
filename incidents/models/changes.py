"""ChangeEvent: one row per change to the public set, the change feed's store."""

from django.db import models

from incidents.choices import ChangeAction
from incidents.models.constraints import choice_constraint


class ChangeEvent(models.Model):
    """A change to an incident in the public set (published or retracted).

    Written by the services in the same transaction as the change. `cursor` is stamped later,
    under a lock, on committed rows only: ids are handed out in start order but become visible
    in commit order, so a feed ordered by id could skip a row that commits late.
    """

    cursor = models.BigIntegerField(null=True, unique=True)
    incident_id = models.BigIntegerField(db_index=True)
    action = models.CharField(max_length=9, choices=ChangeAction.choices)
    at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["cursor"]
        indexes = [
            models.Index(
                fields=["id"],
                condition=models.Q(cursor__isnull=True),
                name="change_unstamped_idx",
            )
        ]
        constraints = [choice_constraint("change", "action", ChangeAction)]

    def __str__(self) -> str:
        return f"{self.action} incident {self.incident_id} (cursor {self.cursor})"
