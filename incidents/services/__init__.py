"""Every write of the registry; the admin, the API and the importer call only these."""

from incidents.services.incidents import (
    Conflict,
    StaleVersion,
    create_incident,
    delete_incident,
    publish_incident,
    publish_problems,
    retract_incident,
    set_disputed,
    sources_changed,
    update_incident,
    update_source,
)
from incidents.services.validation import CleanIncident, Lookups, clean_incident

__all__ = [
    "CleanIncident",
    "Conflict",
    "Lookups",
    "StaleVersion",
    "clean_incident",
    "create_incident",
    "delete_incident",
    "publish_incident",
    "publish_problems",
    "retract_incident",
    "set_disputed",
    "sources_changed",
    "update_incident",
    "update_source",
]
