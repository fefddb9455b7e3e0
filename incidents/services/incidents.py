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
from incidents.models import Citation, Incident, Source
from incidents.services.audit import with_user
from incidents.services.feed import is_public, record_change, record_changes
from incidents.services.records import load_stored, plan_incident_write, plan_sources
from incidents.services.search import refresh_search_documents
from incidents.services.validation import (
    DETAIL_MODELS,
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


def _check_external_id_free(clean: CleanIncident, incident: Incident | None) -> None:
    external_id = clean.fields.get("external_id")
    others = Incident.objects.filter(external_id=external_id)
    if incident is not None:
        others = others.exclude(pk=incident.pk)
    if external_id and others.exists():
        raise ValidationError(
            {"external_id": [f"Another incident already has external_id {external_id!r}."]}
        )


@transaction.atomic
def create_incident(data: dict, *, by, lookups: Lookups | None = None) -> Incident:
    """Create a draft from a full document (SPEC §1 fields, participants, sources, details)."""
    clean = clean_incident(data, lookups=lookups or Lookups.load())
    _check_external_id_free(clean, None)
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
    _check_external_id_free(clean, incident)
    return _write(incident, clean, by=by)


@transaction.atomic
def _write(incident: Incident | None, clean: CleanIncident, *, by) -> Incident:
    # The rows are planned by services.records, shared with the importer's bulk path; this
    # applies the plan with a save() per row (history rows through simple-history's signals).
    stored = load_stored([incident])[incident.pk] if incident is not None else None
    urls = [c["url"] for c in clean.citations]
    known = {s.url: s for s in Source.objects.filter(url__in=urls)}
    new_sources, changed_sources = plan_sources(clean.citations, known)
    write = plan_incident_write(stored, clean, known)
    if write is None:
        return incident
    for source in [*new_sources, *changed_sources]:
        with_user(source, by).save()
    incident = with_user(write.incident, by)
    incident.save()
    for row in write.delete:
        with_user(row, by).delete()
    for row in write.create:
        with_user(row, by).save()
    for row, _fields in write.update:
        with_user(row, by).save()

    refresh_search_documents([incident.pk])
    if changed_sources:
        others = set(
            Citation.objects.filter(source__in=changed_sources).values_list(
                "incident_id", flat=True
            )
        )
        sources_changed(others - {incident.pk}, by=by)
    if write.feed_action:
        record_change(incident.pk, write.feed_action)
    return incident


def publish_problems(incident: Incident) -> list[str]:
    """What stops this incident from being published (SPEC §3), in words a curator can act on."""
    model = DETAIL_MODELS.get(incident.kind)
    return publication_problems(
        kind=incident.kind,
        has_source=incident.citations.exists(),
        has_initiator=incident.participants.filter(role="initiator").exists(),
        has_details=model is None or model.objects.filter(incident=incident).exists(),
    )


def publication_problems(
    *, kind: str, has_source: bool, has_initiator: bool, has_details: bool
) -> list[str]:
    """The publish rules (SPEC §3) over facts of a document, stored or about to be imported."""
    problems = []
    if not has_source:
        problems.append("Cite at least one source.")
    if not has_initiator:
        problems.append("Name at least one participant with role initiator.")
    if not has_details and kind in DETAIL_MODELS:
        needed = {
            IncidentKind.INTERCEPT: "the intercept details (at least domain)",
            IncidentKind.NAVIGATION_DISPUTE: "the navigation-dispute details (at least one dispute type)",
            IncidentKind.MEDIAN_LINE_CROSSING: "the median-line crossing details",
        }[kind]
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
    with_user(incident, by).save()
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
    with_user(incident, by).save()
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
    with_user(incident, by).save()
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
        with_user(child, by).delete()
    for model in DETAIL_MODELS.values():
        for row in model.objects.filter(incident_id=incident_id):
            with_user(row, by).delete()
    with_user(incident, by).delete()
    if was_public:
        record_change(incident_id, ChangeAction.DELETED)


@transaction.atomic
def update_source(source: Source, data: dict, *, by) -> Source:
    """Change a source; the verification and search documents of its incidents follow."""
    source = Source.objects.select_for_update().get(pk=source.pk)
    for name, value in data.items():
        setattr(source, name, value)
    source.full_clean()
    with_user(source, by).save()
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
