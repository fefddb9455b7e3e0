"""Comparable snapshots of an incident, stored or about to be written, to skip no-op writes.

Re-importing a file or re-sending a record must change nothing (no version, history row or
feed event), so a write first compares the stored state with the cleaned document.
"""

from incidents.models import Incident
from incidents.services.validation import (
    DETAIL_FIELDS,
    INCIDENT_FIELDS,
    SOURCE_FIELDS,
    CleanIncident,
)

_PARTICIPANT_KEYS = ("country", "role", "force", "platform_id", "platform_detail", "count")
_FIELD_NAMES = [("region_id" if name == "region" else name) for name in INCIDENT_FIELDS]


def clean_state(clean: CleanIncident) -> dict:
    return {
        "fields": {name: clean.fields.get(name) for name in _FIELD_NAMES},
        "status": (clean.status, clean.retraction_reason, clean.disputed),
        "participants": [
            (
                p["country"],
                p["role"],
                p["force"],
                p["platform"].pk if p["platform"] else None,
                p["platform_detail"],
                p["count"],
            )
            for p in clean.participants
        ],
        "citations": [(*(c[name] for name in SOURCE_FIELDS), c["quote"]) for c in clean.citations],
        "details": _details_tuple(clean.fields.get("kind"), clean.details),
    }


def stored_state_of(incident: Incident, *, participants, citations, details) -> dict:
    """The state of a stored incident from its already loaded children (in position order)."""
    if details is not None:
        details = {name: getattr(details, name) for name in DETAIL_FIELDS[incident.kind]}
    return {
        "fields": {name: getattr(incident, name) for name in _FIELD_NAMES},
        "status": (incident.status, incident.retraction_reason, incident.disputed),
        "participants": [tuple(getattr(p, key) for key in _PARTICIPANT_KEYS) for p in participants],
        "citations": [
            (*(getattr(c.source, name) for name in SOURCE_FIELDS), c.quote) for c in citations
        ],
        "details": _details_tuple(incident.kind, details),
    }


def _details_tuple(kind, details: dict | None):
    if details is None or kind not in DETAIL_FIELDS:
        return None
    return tuple(details.get(name) for name in DETAIL_FIELDS[kind])
