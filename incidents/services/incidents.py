"""Every state change of an incident: create, update, publish, retract, dispute, delete.

The admin, the API and the importer call these functions and nothing else to change an
incident, so one set of rules holds whatever the entry point. Each runs in one transaction,
validates the whole document first, records history (who, when, what) and, when the public
set changes, a change-feed event.
"""

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import F
from django.utils import timezone

from incidents.choices import ChangeAction, IncidentKind, IncidentStatus
from incidents.models import Citation, Incident, Participant, Source
from incidents.services.feed import is_public, record_change, record_changes
from incidents.services.search import refresh_search_documents
from incidents.services.state import clean_state, stored_state
from incidents.services.validation import (
    DETAIL_MODELS,
    SOURCE_FIELDS,
    CleanIncident,
    Lookups,
    clean_incident,
)
from incidents.services.verification import derive_verification, refresh_verification


class StaleVersion(Exception):
    """The caller edited an older version than the one stored (If-Match or the admin form)."""

    def __init__(self, current_version: int):
        super().__init__(f"The incident changed meanwhile; it is now at version {current_version}.")
        self.current_version = current_version


class Conflict(Exception):
    """The request is valid but the incident's state forbids it (e.g. deleting a published one)."""


def _lock(incident: Incident) -> Incident:
    """Reload the row under a lock so concurrent writers queue instead of overwriting."""
    return Incident.objects.select_for_update().get(pk=incident.pk)


def _check_version(incident: Incident, expected_version: int | None) -> None:
    if expected_version is not None and expected_version != incident.version:
        raise StaleVersion(incident.version)


def _with_user(instance, by):
    # simple-history reads the acting user from this attribute when the request is not at hand.
    if by is not None and getattr(by, "is_authenticated", False):
        instance._history_user = by
    return instance


@transaction.atomic
def create_incident(data: dict, *, by, lookups: Lookups | None = None) -> Incident:
    """Create a draft from a full document (SPEC §1 fields, participants, sources, details)."""
    clean = clean_incident(data, lookups=lookups or Lookups.load())
    return _write(None, clean, by=by)


@transaction.atomic
def update_incident(
    incident: Incident,
    data: dict,
    *,
    by,
    expected_version: int | None = None,
    lookups: Lookups | None = None,
) -> Incident:
    """Replace the document of an incident; status changes only by publish/retract.

    An update that changes nothing writes nothing: no version, history row or feed event.
    """
    incident = _lock(incident)
    _check_version(incident, expected_version)
    clean = clean_incident(data, lookups=lookups or Lookups.load(), current_status=incident.status)
    clean.retraction_reason = incident.retraction_reason
    return _write(incident, clean, by=by)


@transaction.atomic
def save_imported_incident(
    clean: CleanIncident, *, existing: Incident | None, by
) -> tuple[Incident, bool]:
    """Upsert one record of an import file (status as the file gives it); (incident, changed)."""
    if existing is not None:
        existing = _lock(existing)
        if stored_state(existing) == clean_state(clean):
            return existing, False
    return _write(existing, clean, by=by, status_from_data=True), True


def _write(
    incident: Incident | None, clean: CleanIncident, *, by, status_from_data: bool = False
) -> Incident:
    if incident is not None and stored_state(incident) == clean_state(clean):
        return incident
    creating = incident is None
    previous_status = None if creating else incident.status
    if creating:
        incident = Incident(status=IncidentStatus.DRAFT)
    for name, value in clean.fields.items():
        setattr(incident, name, value)
    if creating or status_from_data:
        incident.status = clean.status
        incident.retraction_reason = clean.retraction_reason
    incident.disputed = clean.disputed
    if not creating:
        incident.version += 1

    sources, touched_sources = _upsert_sources(clean.citations, by=by)
    incident.verification = derive_verification(
        [(sources[c["url"]].type, sources[c["url"]].publisher) for c in clean.citations],
        disputed=clean.disputed,
    )
    _with_user(incident, by).save()
    _replace_participants(incident, clean.participants, by=by)
    _replace_citations(incident, clean.citations, sources, by=by)
    _replace_details(incident, clean.details, by=by)

    refresh_search_documents([incident.pk])
    if touched_sources:
        others = set(
            Citation.objects.filter(source__in=touched_sources).values_list(
                "incident_id", flat=True
            )
        )
        sources_changed(others - {incident.pk}, by=by)
    if is_public(incident.status) or (previous_status and is_public(previous_status)):
        record_change(incident.pk, _feed_action(previous_status, incident.status))
    return incident


def _feed_action(previous: str | None, current: str) -> str:
    if current == IncidentStatus.PUBLISHED and previous != IncidentStatus.PUBLISHED:
        return ChangeAction.PUBLISHED
    if current == IncidentStatus.RETRACTED and previous != IncidentStatus.RETRACTED:
        return ChangeAction.RETRACTED
    return ChangeAction.UPDATED


def _upsert_sources(citations: list[dict], *, by) -> tuple[dict[str, Source], list[Source]]:
    """Sources by url, created when new, updated when the document says otherwise.

    Returns the sources and those whose stored fields changed (their other incidents'
    verification and search documents depend on them).
    """
    urls = [c["url"] for c in citations]
    existing = {s.url: s for s in Source.objects.filter(url__in=urls)}
    touched = []
    for citation in citations:
        values = {name: citation[name] for name in SOURCE_FIELDS}
        source = existing.get(values["url"])
        if source is None:
            source = _with_user(Source(**values), by)
            source.save()
            existing[source.url] = source
        elif any(getattr(source, name) != value for name, value in values.items()):
            for name, value in values.items():
                setattr(source, name, value)
            _with_user(source, by).save()
            touched.append(source)
    return existing, touched


def _replace_participants(incident: Incident, participants: list[dict], *, by) -> None:
    current = list(incident.participants.all()) if incident.pk else []
    keys = ["country", "role", "force", "platform_id", "platform_detail", "count"]
    wanted = [
        {**p, "platform_id": p["platform"].pk if p["platform"] else None} for p in participants
    ]
    if [tuple(getattr(p, k) for k in keys) for p in current] == [
        tuple(w[k] for k in keys) for w in wanted
    ]:
        return
    for participant in current:
        _with_user(participant, by).delete()
    for values in wanted:
        values = {k: values[k] for k in (*keys, "position")}
        _with_user(Participant(incident=incident, **values), by).save()


def _replace_citations(incident: Incident, citations: list[dict], sources, *, by) -> None:
    current = {c.source_id: c for c in incident.citations.all()}
    wanted_ids = set()
    for position, citation in enumerate(citations):
        source = sources[citation["url"]]
        wanted_ids.add(source.pk)
        existing = current.get(source.pk)
        if existing is None:
            _with_user(
                Citation(
                    incident=incident, source=source, quote=citation["quote"], position=position
                ),
                by,
            ).save()
        elif (existing.quote, existing.position) != (citation["quote"], position):
            existing.quote, existing.position = citation["quote"], position
            _with_user(existing, by).save()
    for source_id, citation in current.items():
        if source_id not in wanted_ids:
            _with_user(citation, by).delete()


def _replace_details(incident: Incident, details: dict | None, *, by) -> None:
    for kind, model in DETAIL_MODELS.items():
        row = model.objects.filter(incident=incident).first()
        if kind != incident.kind or details is None:
            if row is not None:
                _with_user(row, by).delete()
            continue
        if row is None:
            row = model(incident=incident)
        elif all(getattr(row, name) == value for name, value in details.items()):
            continue
        for name, value in details.items():
            setattr(row, name, value)
        _with_user(row, by).save()


def publish_problems(incident: Incident) -> list[str]:
    """What stops this incident from being published (SPEC §3), in words a curator can act on."""
    problems = []
    if not incident.citations.exists():
        problems.append("Cite at least one source.")
    if not incident.participants.filter(role="initiator").exists():
        problems.append("Name at least one participant with role initiator.")
    detail_model = DETAIL_MODELS.get(incident.kind)
    if detail_model is not None and not detail_model.objects.filter(incident=incident).exists():
        needed = {
            IncidentKind.INTERCEPT: "the intercept details (at least domain)",
            IncidentKind.NAVIGATION_DISPUTE: "the navigation-dispute details (at least one dispute type)",
            IncidentKind.MEDIAN_LINE_CROSSING: "the median-line crossing details",
        }[incident.kind]
        problems.append(f"Add {needed}.")
    return problems


@transaction.atomic
def publish_incident(incident: Incident, *, by) -> Incident:
    """draft → published, when it has a source, an initiator and valid details."""
    incident = _lock(incident)
    if incident.status != IncidentStatus.DRAFT:
        raise ValidationError(
            {"status": [f"Only a draft can be published; this one is {incident.status}."]}
        )
    problems = publish_problems(incident)
    if problems:
        raise ValidationError({"non_field_errors": problems})
    incident.status = IncidentStatus.PUBLISHED
    incident.version += 1
    _with_user(incident, by).save()
    record_change(incident.pk, ChangeAction.PUBLISHED)
    return incident


@transaction.atomic
def retract_incident(incident: Incident, *, reason: str, by) -> Incident:
    """published → retracted, with the reason readers will see."""
    incident = _lock(incident)
    reason = (reason or "").strip() if isinstance(reason, str) else ""
    if incident.status != IncidentStatus.PUBLISHED:
        raise ValidationError(
            {
                "status": [
                    f"Only a published incident can be retracted; this one is {incident.status}."
                ]
            }
        )
    if not reason:
        raise ValidationError({"reason": ["Give the reason for the retraction."]})
    incident.status = IncidentStatus.RETRACTED
    incident.retraction_reason = reason
    incident.version += 1
    _with_user(incident, by).save()
    record_change(incident.pk, ChangeAction.RETRACTED)
    return incident


@transaction.atomic
def set_disputed(
    incident: Incident, disputed: bool, *, by, expected_version: int | None = None
) -> Incident:
    """Mark (or unmark) an incident as contested by a party; verification follows."""
    incident = _lock(incident)
    _check_version(incident, expected_version)
    if incident.disputed == disputed:
        return incident
    incident.disputed = disputed
    incident.verification = derive_verification(
        incident.citations.values_list("source__type", "source__publisher"), disputed=disputed
    )
    incident.version += 1
    _with_user(incident, by).save()
    if is_public(incident.status):
        record_change(incident.pk, ChangeAction.UPDATED)
    return incident


@transaction.atomic
def delete_incident(incident: Incident, *, by, expected_version: int | None = None) -> None:
    """Delete a draft or a retracted record; a published one must be retracted first."""
    incident = _lock(incident)
    _check_version(incident, expected_version)
    if incident.status == IncidentStatus.PUBLISHED:
        raise Conflict("A published incident is not deleted: retract it, with a reason.")
    was_public = is_public(incident.status)
    incident_id = incident.pk
    for child in [*incident.participants.all(), *incident.citations.all()]:
        _with_user(child, by).delete()
    for model in DETAIL_MODELS.values():
        for row in model.objects.filter(incident_id=incident_id):
            _with_user(row, by).delete()
    _with_user(incident, by).delete()
    if was_public:
        record_change(incident_id, ChangeAction.DELETED)


@transaction.atomic
def update_source(source: Source, data: dict, *, by) -> Source:
    """Change a source; the verification and search documents of its incidents follow."""
    source = Source.objects.select_for_update().get(pk=source.pk)
    for name, value in data.items():
        setattr(source, name, value)
    source.full_clean()
    _with_user(source, by).save()
    sources_changed(source.citations.values_list("incident_id", flat=True), by=by)
    return source


def sources_changed(incident_ids, *, by) -> None:
    """A source these incidents cite changed: their version, verification, search and feed follow."""
    incident_ids = set(incident_ids)
    if not incident_ids:
        return
    # version and updated_at are not part of the history rows, so update() loses nothing there.
    Incident.objects.filter(pk__in=incident_ids).update(
        version=F("version") + 1, updated_at=timezone.now()
    )
    refresh_verification(incident_ids, by=by)
    refresh_search_documents(incident_ids)
    public = Incident.objects.filter(pk__in=incident_ids).public().values_list("pk", flat=True)
    record_changes(public, ChangeAction.UPDATED)
