"""New incidents of an import written by COPY straight from their validated values (PostgreSQL).

The rows are what `services.records.plan_incident_write` plans for a new incident (status and
retraction reason from the file, verification derived, version 1), built as tuples: the
incidents, participants, citations and kind details, each with its `+` history row (see
`rows.copy_with_history`), and a change-feed event for each one the public sees. The search
documents are computed from the texts at hand (the cited sources' titles in citation order, as
`services.search` gathers them), on the import's second connection when it has one, so no
statement reads the citations back.
"""

from operator import itemgetter

from django.db import connection

from incidents.choices import ChangeAction, IncidentStatus
from incidents.models import ChangeEvent, Citation, Incident, Participant
from incidents.services.importing import search_documents
from incidents.services.importing.rows import (
    copy_rows,
    copy_with_history,
    json_value,
    layout,
    next_ids_of,
)
from incidents.services.importing.sources import SourceRegistry
from incidents.services.validation import DETAIL_MODELS, CleanIncident
from incidents.services.verification import derive_verification

# The incident columns whose values are the validated fields, then the whole row's columns.
_FROM_FIELDS = (
    "external_id",
    "kind",
    "title",
    "summary",
    "occurred_on",
    "occurred_at",
    "date_precision",
    "location_name",
    "latitude",
    "longitude",
    "conduct",
    "region_id",
)
_field_values = itemgetter(*_FROM_FIELDS)
_INCIDENT = (
    "id",
    *_FROM_FIELDS,
    "status",
    "retraction_reason",
    "disputed",
    "verification",
    "version",
    "created_at",
    "updated_at",
)
_PARTICIPANT = (
    "id",
    "incident_id",
    "country",
    "role",
    "force",
    "platform_id",
    "platform_detail",
    "count",
    "position",
)
_CITATION = ("id", "incident_id", "source_id", "quote", "position")
_EVENT = ("incident_id", "action", "at")
_PUBLIC_ACTIONS = {
    IncidentStatus.PUBLISHED: str(ChangeAction.PUBLISHED),
    IncidentStatus.RETRACTED: str(ChangeAction.RETRACTED),
}


def search_texts(cleans: list[CleanIncident]) -> list[tuple]:
    """(title, location name, summary, source titles) of each incident, in order."""
    return [
        (
            clean.fields["title"],
            clean.fields["location_name"],
            clean.fields["summary"],
            " ".join(c["title"] for c in clean.citations),
        )
        for clean in cleans
    ]


class NewIncidents:
    """The rows of one batch's new incidents, shaped in memory by `add`, then written by `write`.

    `add` shapes each row without the ids it will have (the incident's place in the batch
    stands for its id), so the shaping can run on the checking thread while the database
    thread writes the previous batch (see `IncidentImport.run`); `write` draws the ids and
    puts them in.
    """

    def __init__(self, *, now, user_id: int | None):
        self.now = now
        self.stamp = (now, user_id)
        self.cleans: list[CleanIncident] = []
        # Each row without its ids: the incident's index in `cleans` first, for the children.
        self.incidents: list[tuple] = []
        self.participants: list[tuple] = []
        self.citations: list[tuple] = []  # (index, url, quote, position)
        self.details: dict = {}  # (model, columns) -> rows
        self.events: list[tuple] = []

    def add(self, clean: CleanIncident) -> None:
        now, index, fields = self.now, len(self.cleans), clean.fields
        self.cleans.append(clean)
        verification = derive_verification(
            [(c["type"], c["publisher"]) for c in clean.citations], disputed=clean.disputed
        )
        self.incidents.append(
            (
                *_field_values(fields),
                clean.status,
                clean.retraction_reason,
                clean.disputed,
                verification,
                1,
                now,
                now,
            )
        )
        for p in clean.participants:
            platform = p["platform"]
            self.participants.append(
                (
                    index,
                    p["country"],
                    p["role"],
                    p["force"],
                    platform.pk if platform is not None else None,
                    p["platform_detail"],
                    p["count"],
                    p["position"],
                )
            )
        for position, citation in enumerate(clean.citations):
            self.citations.append((index, citation["url"], citation["quote"], position))
        if clean.details is not None:
            model = DETAIL_MODELS[fields["kind"]]
            self.details.setdefault((model, ("incident_id", *clean.details)), []).append(
                (index, *_json_values(model, clean.details))
            )
        action = _PUBLIC_ACTIONS.get(clean.status)
        if action is not None:
            self.events.append((index, action, now))

    def search_texts(self) -> list[tuple]:
        return search_texts(self.cleans)

    def write(self, sources: SourceRegistry, documents=None) -> list[int]:
        """Write every row (the cited sources are written already); returns the incident ids.

        `documents`: a Future of the search documents (from the second connection), or None.
        """
        if not self.cleans:
            return []
        with connection.cursor() as cursor:
            # Numbered ahead, the children as well: their history rows carry their ids.
            ids, participant_ids, citation_ids = next_ids_of(
                cursor,
                [
                    (Incident, len(self.cleans)),
                    (Participant, len(self.participants)),
                    (Citation, len(self.citations)),
                ],
            )
            source_id = sources.id
            participants = [
                (pk, ids[row[0]], *row[1:])
                for pk, row in zip(participant_ids, self.participants, strict=True)
            ]
            citations = [
                (pk, ids[index], source_id(url), quote, position)
                for pk, (index, url, quote, position) in zip(
                    citation_ids, self.citations, strict=True
                )
            ]
            for model, known, rows in (
                (Participant, _PARTICIPANT, participants),
                (Citation, _CITATION, citations),
            ):
                copy_with_history(cursor, layout(model, known), rows, stamp=self.stamp)
            for (model, known), rows in self.details.items():
                rows = [(ids[row[0]], *row[1:]) for row in rows]
                copy_with_history(cursor, layout(model, known), rows, stamp=self.stamp)
            given = documents.result() if documents is not None else None
            if given is None:
                given = search_documents.compute(connection.connection, self.search_texts())
            copy_with_history(
                cursor,
                layout(Incident, _INCIDENT),
                [
                    (pk, *row, document)
                    for pk, row, document in zip(ids, self.incidents, given, strict=True)
                ],
                stamp=self.stamp,
                extra=("search_vector",),
            )
            event_layout = layout(ChangeEvent, _EVENT, generated=("id",))
            events = [(ids[index], action, at) for index, action, at in self.events]
            copy_rows(cursor, event_layout.table, event_layout.columns, event_layout.rows(events))
        return ids


_JSON_FIELDS: dict = {}


def _json_values(model, values: dict) -> list:
    """The values of a details row, JSON fields wrapped for binary COPY."""
    fields = _JSON_FIELDS.get(model)
    if fields is None:
        fields = _JSON_FIELDS[model] = {
            f.name: f for f in model._meta.concrete_fields if f.get_internal_type() == "JSONField"
        }
    return [
        json_value(fields[name], value) if name in fields else value
        for name, value in values.items()
    ]
