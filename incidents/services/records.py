"""The rows one incident document becomes, planned in one place for every write path.

`plan_incident_write` compares a cleaned document with the stored incident and its children and
says which rows to create, change and delete; `plan_sources` does the same for the cited sources
(upserted by url). The curation services apply a plan with a `save()`/`delete()` per row, the
importer applies the plans of a whole batch with bulk statements: both write the same rows, so
the two paths cannot drift apart.
"""

from collections import defaultdict
from dataclasses import dataclass, field

from django.db import models
from django.db.models import Model, signals
from django.db.models.base import ModelState

from incidents.choices import ChangeAction, IncidentStatus
from incidents.models import Citation, Incident, Participant, Source
from incidents.services.feed import is_public
from incidents.services.state import clean_state, stored_state_of
from incidents.services.validation import DETAIL_MODELS, SOURCE_FIELDS, CleanIncident
from incidents.services.verification import derive_verification

PARTICIPANT_KEYS = ("country", "role", "force", "platform_id", "platform_detail", "count")


_CONSTRUCTION: dict = {}


def _construction(model) -> tuple[bool, list]:
    """(plain, [(attname, default factory or None, default)]) of a model's concrete fields.

    A model is plain when no pre_init/post_init receiver listens: `Model.__init__` then only
    sets `_state` and each field's attribute, which `_new` does directly.
    """
    spec = _CONSTRUCTION.get(model)
    if spec is None:
        plain = not (
            signals.pre_init.has_listeners(model) or signals.post_init.has_listeners(model)
        )
        fields = []
        for f in model._meta.concrete_fields:
            if f.has_default() and callable(f.default):
                fields.append((f.attname, f.get_default, None))
            else:
                fields.append((f.attname, None, f.get_default()))
        spec = _CONSTRUCTION[model] = (plain, fields)
    return spec


def _new(model, values: dict, related: dict | None = None):
    """An unsaved instance from attribute values (and related objects, perhaps unsaved yet).

    An import plans hundreds of thousands of rows: the instance is built as `Model.__init__`
    would build it from positional values (as Django's own `from_db` does), without its
    per-field bookkeeping, and by `__init__` itself when an init signal has a receiver.
    """
    plain, fields = _construction(model)
    if plain:
        obj = Model.__new__(model)
        attributes = obj.__dict__
        attributes["_state"] = ModelState()
        for attname, factory, default in fields:
            if attname in values:
                attributes[attname] = values[attname]
            else:
                attributes[attname] = factory() if factory is not None else default
    else:
        obj = model(
            *[
                values[attname] if attname in values else (factory() if factory else default)
                for attname, factory, default in fields
            ]
        )
    for name, other in (related or {}).items():
        relation = model._meta.get_field(name)
        relation.set_cached_value(obj, other)
        setattr(obj, relation.attname, other.pk if other is not None else None)
    return obj


@dataclass
class StoredIncident:
    """An incident as stored, with the children a write compares against and replaces."""

    incident: Incident
    participants: list[Participant]  # in position order
    citations: list[Citation]  # in position order, `source` loaded
    details: dict[str, models.Model]  # kind -> its details row, for every table holding one

    def state(self) -> dict:
        return stored_state_of(
            self.incident,
            participants=self.participants,
            citations=self.citations,
            details=self.details.get(self.incident.kind),
        )


def load_stored(incidents: list[Incident]) -> dict[int, StoredIncident]:
    """The children of these incidents, by incident id: one query per table for any number."""
    ids = [incident.pk for incident in incidents]
    participants = defaultdict(list)
    citations = defaultdict(list)
    details = defaultdict(dict)
    if ids:
        for participant in Participant.objects.filter(incident_id__in=ids).order_by(
            "incident_id", "position", "id"
        ):
            participants[participant.incident_id].append(participant)
        for citation in (
            Citation.objects.filter(incident_id__in=ids)
            .select_related("source")
            .order_by("incident_id", "position", "id")
        ):
            citations[citation.incident_id].append(citation)
        for kind, model in DETAIL_MODELS.items():
            for row in model.objects.filter(incident_id__in=ids):
                details[row.incident_id][kind] = row
    return {
        incident.pk: StoredIncident(
            incident=incident,
            participants=participants[incident.pk],
            citations=citations[incident.pk],
            details=details[incident.pk],
        )
        for incident in incidents
    }


@dataclass
class IncidentWrite:
    """The rows one document turns into. Children refer to `incident`, saved first."""

    incident: Incident
    previous_status: str | None  # None when the incident is new
    delete: list[models.Model] = field(default_factory=list)
    create: list[models.Model] = field(default_factory=list)
    update: list[tuple[models.Model, list[str]]] = field(default_factory=list)

    @property
    def creating(self) -> bool:
        return self.previous_status is None

    @property
    def feed_action(self) -> str | None:
        """The change-feed action, or None when the public set does not see this write."""
        previous, current = self.previous_status, self.incident.status
        if not is_public(current) and not (previous and is_public(previous)):
            return None
        if current == IncidentStatus.PUBLISHED and previous != IncidentStatus.PUBLISHED:
            return ChangeAction.PUBLISHED
        if current == IncidentStatus.RETRACTED and previous != IncidentStatus.RETRACTED:
            return ChangeAction.RETRACTED
        return ChangeAction.UPDATED


def plan_sources(citations: list[dict], known: dict[str, Source]) -> tuple[list, list]:
    """(new, changed) sources for these citations; `known` (url -> Source) is updated in place.

    A source whose stored fields differ from the document is changed: the verification and
    search documents of the other incidents citing it depend on it.
    """
    new, changed = [], []
    for citation in citations:
        values = {name: citation[name] for name in SOURCE_FIELDS}
        source = known.get(values["url"])
        if source is None:
            source = _new(Source, values)
            known[source.url] = source
            new.append(source)
        elif any(getattr(source, name) != value for name, value in values.items()):
            for name, value in values.items():
                setattr(source, name, value)
            changed.append(source)
    return new, changed


def plan_incident_write(
    stored: StoredIncident | None,
    clean: CleanIncident,
    sources: dict[str, Source],
    *,
    status_from_data: bool = False,
) -> IncidentWrite | None:
    """The rows to write for `clean`, or None when the stored incident already says the same.

    `sources` holds every cited url (see `plan_sources`). Status and retraction reason come from
    the document for a new incident or with `status_from_data` (an import); otherwise they change
    only by publish/retract.
    """
    if stored is not None and stored.state() == clean_state(clean):
        return None
    if stored is None:
        incident = _new(Incident, {**clean.fields, "status": IncidentStatus.DRAFT})
        write = IncidentWrite(incident=incident, previous_status=None)
    else:
        incident = stored.incident
        write = IncidentWrite(incident=incident, previous_status=incident.status)
        for name, value in clean.fields.items():
            setattr(incident, name, value)
    if write.creating or status_from_data:
        incident.status = clean.status
        incident.retraction_reason = clean.retraction_reason
    incident.disputed = clean.disputed
    if not write.creating:
        incident.version += 1
    incident.verification = derive_verification(
        [(sources[c["url"]].type, sources[c["url"]].publisher) for c in clean.citations],
        disputed=clean.disputed,
    )
    _plan_participants(write, stored, clean.participants)
    _plan_citations(write, stored, clean.citations, sources)
    _plan_details(write, stored, clean.details)
    return write


def _plan_participants(write: IncidentWrite, stored, participants: list[dict]) -> None:
    current = stored.participants if stored else []
    wanted = [
        {**p, "platform_id": p["platform"].pk if p["platform"] else None} for p in participants
    ]
    if [tuple(getattr(p, k) for k in PARTICIPANT_KEYS) for p in current] == [
        tuple(w[k] for k in PARTICIPANT_KEYS) for w in wanted
    ]:
        return
    write.delete.extend(current)
    for values in wanted:
        fields = {k: values[k] for k in PARTICIPANT_KEYS if k != "platform_id"}
        # The platform object, not its id: a platform created by the same import gets its id
        # when it is saved, before this participant is.
        write.create.append(
            _new(
                Participant,
                {**fields, "position": values["position"]},
                {"incident": write.incident, "platform": values["platform"]},
            )
        )


def _plan_citations(write: IncidentWrite, stored, citations: list[dict], sources) -> None:
    current = {c.source_id: c for c in stored.citations} if stored else {}
    kept = set()
    for position, citation in enumerate(citations):
        source = sources[citation["url"]]
        existing = current.get(source.pk) if source.pk is not None else None
        if existing is None:
            write.create.append(
                _new(
                    Citation,
                    {"quote": citation["quote"], "position": position},
                    {"incident": write.incident, "source": source},
                )
            )
            continue
        kept.add(source.pk)
        if (existing.quote, existing.position) != (citation["quote"], position):
            existing.quote, existing.position = citation["quote"], position
            write.update.append((existing, ["quote", "position"]))
    write.delete.extend(c for source_id, c in current.items() if source_id not in kept)


def _plan_details(write: IncidentWrite, stored, details: dict | None) -> None:
    incident = write.incident
    rows = stored.details if stored else {}
    for kind, model in DETAIL_MODELS.items():
        row = rows.get(kind)
        if kind != incident.kind or details is None:
            if row is not None:
                write.delete.append(row)
            continue
        if row is None:
            write.create.append(_new(model, details, {"incident": incident}))
        elif any(getattr(row, name) != value for name, value in details.items()):
            for name, value in details.items():
                setattr(row, name, value)
            write.update.append((row, list(details)))
