"""The registry's models, re-exported explicitly."""

from incidents.models.changes import ChangeEvent
from incidents.models.contact import Contact
from incidents.models.details import (
    InterceptDetails,
    MedianLineCrossingDetails,
    NavigationDisputeDetails,
)
from incidents.models.incident import Incident, IncidentQuerySet, Participant
from incidents.models.reference import Platform, Region
from incidents.models.rollup import IncidentDailyCount, IncidentMonthlyCount
from incidents.models.source import Citation, Source

__all__ = [
    "ChangeEvent",
    "Citation",
    "Contact",
    "Incident",
    "IncidentDailyCount",
    "IncidentMonthlyCount",
    "IncidentQuerySet",
    "InterceptDetails",
    "MedianLineCrossingDetails",
    "NavigationDisputeDetails",
    "Participant",
    "Platform",
    "Region",
    "Source",
]
