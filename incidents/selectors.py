"""Reads: which incidents a user may see, and their public documents built without N+1.

`incident_documents` is the one representation of an incident that every read surface uses
(API list and detail, exports, formats): three queries for any number of incidents — the rows
with their kind's details joined, their participants, their citations — and plain dicts, no
model instances, since object creation dominates a list request otherwise.

On PostgreSQL the API's JSON list and detail and its CSV export are written by SQL that mirrors
these documents (incidents/documents_sql.py, incidents/csv_sql.py): a change to the document
shape goes in both places, and tests/incidents/api/test_sql_documents.py keeps them equal.
"""

import datetime as dt
from collections import defaultdict

from django.db.models import QuerySet

from incidents.choices import IncidentKind
from incidents.models import Citation, Incident, Participant

VIEW_PERMISSION = "incidents.view_incident"

INCIDENT_COLUMNS = [
    "id",
    "external_id",
    "kind",
    "title",
    "summary",
    "occurred_on",
    "occurred_at",
    "date_precision",
    "region_id",
    "location_name",
    "latitude",
    "longitude",
    "conduct",
    "status",
    "retraction_reason",
    "verification",
    "created_at",
    "updated_at",
]
DETAIL_COLUMNS = {
    IncidentKind.INTERCEPT: {
        "domain": "intercept__domain",
        "closest_approach_m": "intercept__closest_approach_m",
        "closest_approach_text": "intercept__closest_approach_text",
        "maneuvers": "intercept__maneuvers",
    },
    IncidentKind.MEDIAN_LINE_CROSSING: {
        "aircraft_count": "crossing__aircraft_count",
        "vessel_count": "crossing__vessel_count",
        "aircraft_total_reported": "crossing__aircraft_total_reported",
        "period_start": "crossing__period_start",
        "period_end": "crossing__period_end",
        "track": "crossing__track",
        "track_crossed": "crossing__track_crossed",
        "track_crossing_points": "crossing__track_crossing_points",
        "track_ends_on": "crossing__track_ends_on",
        "track_max_penetration_km": "crossing__track_max_penetration_km",
    },
    IncidentKind.NAVIGATION_DISPUTE: {
        "dispute_types": "dispute__dispute_types",
        "feature": "dispute__feature",
        "zone": "dispute__zone",
    },
}
# The column that is never null when the kind's details row exists.
DETAIL_PRESENCE = {
    IncidentKind.INTERCEPT: "intercept__incident_id",
    IncidentKind.MEDIAN_LINE_CROSSING: "crossing__incident_id",
    IncidentKind.NAVIGATION_DISPUTE: "dispute__incident_id",
}
ROW_COLUMNS = [
    *INCIDENT_COLUMNS,
    *DETAIL_PRESENCE.values(),
    *(column for columns in DETAIL_COLUMNS.values() for column in columns.values()),
]


def can_view_drafts(user) -> bool:
    return bool(user and user.is_authenticated and user.has_perm(VIEW_PERMISSION))


def incidents_visible_to(user) -> QuerySet:
    """Everything for staff with view permission; published and retracted for everyone else.

    Retracted records stay reachable by id and by `status=retracted`; lists leave them out by
    default (the filterset applies that default, since it depends on the query).
    """
    incidents = Incident.objects.all()
    if not can_view_drafts(user):
        incidents = incidents.public()
    return incidents


def iso_datetime(value: dt.datetime | None) -> str | None:
    if value is None:
        return None
    value = value.astimezone(dt.UTC).isoformat()
    return value[:-6] + "Z" if value.endswith("+00:00") else value


def iso_date(value: dt.date | None) -> str | None:
    return value.isoformat() if value is not None else None


def details_of(row: dict) -> dict:
    """The `details` object of one incident row (values of ROW_COLUMNS)."""
    kind = row["kind"]
    if row.get(DETAIL_PRESENCE[kind]) is None:
        return {}
    values = {name: row[column] for name, column in DETAIL_COLUMNS[kind].items()}
    if kind == IncidentKind.MEDIAN_LINE_CROSSING:
        values["period_start"] = iso_date(values["period_start"])
        values["period_end"] = iso_date(values["period_end"])
        crossed = values.pop("track_crossed")
        points = values.pop("track_crossing_points")
        ends_on = values.pop("track_ends_on")
        penetration = values.pop("track_max_penetration_km")
        values["track_analysis"] = (
            None
            if values["track"] is None
            else {
                "crossed": crossed,
                "crossing_points": points,
                "ends_on": ends_on,
                "max_penetration_km": penetration,
            }
        )
    return values


def incident_documents(rows: list[dict]) -> list[dict]:
    """Public documents for rows fetched with `.values(*ROW_COLUMNS)`, in the rows' order."""
    ids = [row["id"] for row in rows]
    participants = defaultdict(list)
    citations = defaultdict(list)
    if ids:
        for p in (
            Participant.objects.filter(incident_id__in=ids)
            .order_by("incident_id", "position", "id")
            .values_list(
                "incident_id",
                "country",
                "role",
                "force",
                "platform__slug",
                "platform_detail",
                "count",
            )
        ):
            participants[p[0]].append(
                {
                    "country": p[1],
                    "role": p[2],
                    "force": p[3],
                    "platform": p[4],
                    "platform_detail": p[5],
                    "count": p[6],
                }
            )
        for c in (
            Citation.objects.filter(incident_id__in=ids)
            .order_by("incident_id", "position", "id")
            .values_list(
                "incident_id",
                "source__url",
                "source__publisher",
                "source__title",
                "source__published_on",
                "source__type",
                "quote",
            )
        ):
            citations[c[0]].append(
                {
                    "url": c[1],
                    "publisher": c[2],
                    "title": c[3],
                    "published_on": iso_date(c[4]),
                    "type": c[5],
                    "quote": c[6],
                }
            )
    return [_document(row, participants[row["id"]], citations[row["id"]]) for row in rows]


def _document(row: dict, participants: list, sources: list) -> dict:
    return {
        "id": row["id"],
        "external_id": row["external_id"],
        "kind": row["kind"],
        "title": row["title"],
        "summary": row["summary"],
        "occurred_on": iso_date(row["occurred_on"]),
        "occurred_at": iso_datetime(row["occurred_at"]),
        "date_precision": row["date_precision"],
        "region": row["region_id"],
        "location_name": row["location_name"],
        "latitude": row["latitude"],
        "longitude": row["longitude"],
        "conduct": row["conduct"],
        "status": row["status"],
        "retraction_reason": row["retraction_reason"],
        "verification": row["verification"],
        "participants": participants,
        "sources": sources,
        "details": details_of(row),
        "created_at": iso_datetime(row["created_at"]),
        "updated_at": iso_datetime(row["updated_at"]),
    }


def incident_document(incident_id: int) -> dict | None:
    rows = list(Incident.objects.filter(pk=incident_id).values(*ROW_COLUMNS))
    return incident_documents(rows)[0] if rows else None


def documents_for(queryset: QuerySet) -> list[dict]:
    """Documents of a filtered, ordered (and sliced) incident queryset."""
    return incident_documents(list(queryset.values(*ROW_COLUMNS)))
