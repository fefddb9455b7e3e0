"""History pages: who changed what and when, for an incident and for the rows that belong to it.

simple-history keeps one table per model, so the incident's own page lists its rows and
`child_changes` adds those of its participants, citations and details, each with the fields
that changed (old → new). Reverting from a history page is off: it would bypass the services.
"""

from django.http import HttpResponseNotAllowed

from incidents.models import (
    Citation,
    InterceptDetails,
    MedianLineCrossingDetails,
    NavigationDisputeDetails,
    Participant,
    Platform,
    Source,
)

CHILD_MODELS = [
    (Participant, "participant"),
    (Citation, "cited source"),
    (InterceptDetails, "intercept details"),
    (MedianLineCrossingDetails, "median-line crossing details"),
    (NavigationDisputeDetails, "navigation dispute details"),
]
ACTIONS = {"+": "added", "~": "changed", "-": "removed"}
# Computed from `track`; shown as the track's change rather than repeated.
_SKIPPED = {"id", "incident", "track_crossing_points"}


class ViewOnlyHistoryMixin:
    """For SimpleHistoryAdmin subclasses: history is read, never written back."""

    def revert_disabled(self, request, obj=None):
        return True

    def history_form_view(self, request, object_id, version_id, extra_context=None):
        if request.method not in ("GET", "HEAD"):
            return HttpResponseNotAllowed(["GET"])
        return super().history_form_view(request, object_id, version_id, extra_context)


def _fields(model) -> list:
    return [field for field in model._meta.fields if field.name not in _SKIPPED]


def _show(field, value, names: dict) -> str:
    if value is None:
        return "—"
    if field.is_relation:
        return names.get((field.related_model, value), str(value))
    return str(value)


def child_changes(incident_id: int) -> list[dict]:
    """Every history row of the incident's children, newest first, with what each changed."""
    records = []
    for model, label in CHILD_MODELS:
        history = (
            model.history.filter(incident_id=incident_id)
            .select_related("history_user")
            .order_by("history_date", "history_id")
        )
        records.extend((model, label, record) for record in history)
    names = _related_names(records)
    previous = {}
    rows = []
    for model, label, record in records:
        key = (model, getattr(record, model._meta.pk.attname))
        before = previous.get(key) if record.history_type == "~" else None
        previous[key] = record
        changes = []
        for field in _fields(model):
            new = getattr(record, field.attname)
            old = getattr(before, field.attname) if before is not None else None
            if record.history_type == "-":
                old, new = new, None
            elif before is not None and old == new:
                continue
            if record.history_type == "+" and new in (None, "", []):
                continue
            changes.append(
                {
                    "field": field.name,
                    "old": _show(field, old, names),
                    "new": _show(field, new, names),
                }
            )
        rows.append(
            {
                "date": record.history_date,
                "user": record.history_user,
                "what": label,
                "action": ACTIONS.get(record.history_type, record.history_type),
                "changes": changes,
            }
        )
    rows.sort(key=lambda row: row["date"], reverse=True)
    return rows


def _related_names(records) -> dict:
    """Readable names for the foreign keys in the records: source URLs, platform slugs."""
    wanted = {Source: set(), Platform: set()}
    for model, _, record in records:
        for field in _fields(model):
            if field.is_relation and field.related_model in wanted:
                value = getattr(record, field.attname)
                if value is not None:
                    wanted[field.related_model].add(value)
    names = {}
    for pk, url in Source.objects.filter(pk__in=wanted[Source]).values_list("pk", "url"):
        names[(Source, pk)] = url
    for pk, slug in Platform.objects.filter(pk__in=wanted[Platform]).values_list("pk", "slug"):
        names[(Platform, pk)] = slug
    return names
