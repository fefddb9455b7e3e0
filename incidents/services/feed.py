"""The change feed: events of the public set, numbered in commit order and read by cursor."""

from django.db import connection, transaction
from django.db.models import Max

from incidents.choices import PUBLIC_STATUSES
from incidents.models import ChangeEvent

# Any constant shared by the stampers: it names the advisory lock that serialises them.
_STAMP_LOCK = 0x1C1DE47
_STAMP_BATCH = 10_000


def record_change(incident_id: int, action: str) -> None:
    """Note a change to the public set; called inside the writing transaction."""
    ChangeEvent.objects.create(incident_id=incident_id, action=action)


def record_changes(incident_ids, action: str) -> None:
    ChangeEvent.objects.bulk_create(
        [ChangeEvent(incident_id=incident_id, action=action) for incident_id in incident_ids]
    )


def is_public(status: str) -> bool:
    return status in PUBLIC_STATUSES


def stamp_committed_events() -> None:
    """Give every committed, unstamped event the next cursor numbers, in id order.

    Stampers take one lock and commit before releasing it, so a cursor becomes visible only
    after every smaller one: a reader following `cursor > after` never skips a late commit.
    """
    with transaction.atomic():
        if connection.vendor == "postgresql":
            with connection.cursor() as cursor:
                cursor.execute("SELECT pg_advisory_xact_lock(%s)", [_STAMP_LOCK])
        pending = list(
            ChangeEvent.objects.filter(cursor__isnull=True).order_by("id")[:_STAMP_BATCH]
        )
        if not pending:
            return
        last = ChangeEvent.objects.aggregate(last=Max("cursor"))["last"] or 0
        for offset, event in enumerate(pending, start=1):
            event.cursor = last + offset
        ChangeEvent.objects.bulk_update(pending, ["cursor"])


def events_after(after: int, limit: int) -> list[ChangeEvent]:
    stamp_committed_events()
    return list(ChangeEvent.objects.filter(cursor__gt=after).order_by("cursor")[:limit])
