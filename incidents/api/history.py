"""An incident's history: every recorded change to it and its children, from simple-history.

Each entry is one historical row turned into `{"at", "action", "object", "changes", "by"}`,
where `changes` lists the fields that differ from the previous row of the same object. Editors
are named only to staff. Clients who cannot see drafts get the history from the first
publication on: what happened while the record was a draft is curation, not public record.
"""

import datetime as dt

from incidents.choices import IncidentStatus
from incidents.models import (
    Citation,
    Incident,
    InterceptDetails,
    MedianLineCrossingDetails,
    NavigationDisputeDetails,
    Participant,
    Platform,
    Source,
)
from incidents.selectors import can_view_drafts

# (model, the history filter naming the incident, fields never shown)
TRACKED = [
    (Incident, "id", {"id", "created_at"}),
    (Participant, "incident_id", {"id", "incident", "position"}),
    (Citation, "incident_id", {"id", "incident", "position"}),
    (InterceptDetails, "incident_id", {"incident"}),
    (MedianLineCrossingDetails, "incident_id", {"incident"}),
    (NavigationDisputeDetails, "incident_id", {"incident"}),
]
ACTIONS = {"+": "created", "~": "changed", "-": "deleted"}


def shows_editors(user) -> bool:
    return bool(user and user.is_authenticated and (user.is_staff or can_view_drafts(user)))


def incident_history(incident: Incident, *, viewer) -> list[dict]:
    """The entries of one incident, oldest first; one query per tracked model plus lookups."""
    rows = []
    for order, (model, key, hidden) in enumerate(TRACKED):
        fields = [
            field
            for field in model.history.model.tracked_fields
            if field.editable and field.name not in hidden
        ]
        records = model.history.filter(**{key: incident.pk}).select_related("history_user")
        rows.extend((record, fields, order, model) for record in records)
    rows.sort(key=lambda row: (row[0].history_date, row[2], row[0].history_id))

    since = None if can_view_drafts(viewer) else _first_publication(rows)
    names = _natural_keys(rows)
    with_editors = shows_editors(viewer)
    previous: dict[tuple[int, object], object] = {}
    entries = []
    for record, fields, order, model in rows:
        object_key = (order, getattr(record, model._meta.pk.attname))
        before = previous.get(object_key)
        previous[object_key] = record
        if since is not None and record.history_date < since:
            continue
        changes = _changes(record, before, fields, names)
        if record.history_type == "~" and not changes:
            continue  # only untracked columns moved (version, updated_at)
        entries.append(
            {
                "at": iso_datetime(record.history_date),
                "action": ACTIONS[record.history_type],
                "object": str(model._meta.verbose_name),
                "changes": changes,
                "by": (
                    record.history_user.get_username()
                    if with_editors and record.history_user is not None
                    else None
                ),
            }
        )
    return entries


def _first_publication(rows) -> dt.datetime:
    for record, _, _, model in rows:
        if model is Incident and record.status == IncidentStatus.PUBLISHED:
            return record.history_date
    # A public record always has one; if not, show nothing rather than the drafting.
    return dt.datetime.max.replace(tzinfo=dt.UTC)


def _natural_keys(rows) -> dict[str, dict]:
    """Platforms by slug and sources by url, instead of the internal ids history stores."""
    platform_ids, source_ids = set(), set()
    for record, _, _, model in rows:
        if model is Participant and record.platform_id is not None:
            platform_ids.add(record.platform_id)
        if model is Citation:
            source_ids.add(record.source_id)
    return {
        "platform": dict(Platform.objects.filter(pk__in=platform_ids).values_list("pk", "slug")),
        "source": dict(Source.objects.filter(pk__in=source_ids).values_list("pk", "url")),
    }


def _changes(record, before, fields, names) -> list[dict]:
    changes = []
    for field in fields:
        new = _value(field, getattr(record, field.attname), names)
        if record.history_type == "+" or before is None:
            old = None
        else:
            old = _value(field, getattr(before, field.attname), names)
        if record.history_type == "-":
            old, new = new, None
        if old != new and not (_empty(old) and _empty(new)):
            changes.append({"field": field.name, "old": old, "new": new})
    return changes


def _empty(value) -> bool:
    return value is None or value == "" or value == []


def _value(field, value, names):
    if value is None:
        return None
    if field.name in names:
        return names[field.name].get(value, value)
    if isinstance(value, dt.datetime):
        return iso_datetime(value)
    if isinstance(value, dt.date):
        return value.isoformat()
    return value


def iso_datetime(value: dt.datetime) -> str:
    """UTC, ISO 8601 with a Z, as the documents write datetimes."""
    value = value.astimezone(dt.UTC).isoformat()
    return value[:-6] + "Z" if value.endswith("+00:00") else value
