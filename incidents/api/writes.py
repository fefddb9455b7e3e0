"""Write side of the incident API (issue 4): create, change, delete, publish, retract, history.

Every change goes through `incidents.services`, the same functions the admin and the importer
call, so one set of rules holds. This module only translates HTTP into those calls: JSON types
are checked by the write serializers, If-Match is compared under the row lock, and the
services' errors become 400 (naming each field by its document path), 409 or 412.
"""

from django.db import transaction
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import status
from rest_framework.decorators import action
from rest_framework.exceptions import NotFound, ValidationError
from rest_framework.generics import get_object_or_404
from rest_framework.permissions import AllowAny
from rest_framework.response import Response
from rest_framework.reverse import reverse

from incidents import services
from incidents.api import conditional
from incidents.api.changes import reject_unknown_parameters
from incidents.api.history import incident_history
from incidents.api.parsers import JSONParser
from incidents.api.permissions import ACTION_PERMISSIONS, IncidentWritePermission
from incidents.api.serializers import IncidentSerializer
from incidents.api.service_calls import call, domain_errors, merge_patch, serializer_errors
from incidents.api.write_serializers import (
    ErrorResponse409Serializer,
    ErrorResponse412Serializer,
    HistoryPageSerializer,
    IncidentWriteSerializer,
    RetractSerializer,
    error_400,
)
from incidents.models import Incident
from incidents.selectors import incident_document

# Fields of the document a client may send back as fetched; the services ignore the others
# (id, status, verification, retraction_reason, created_at, updated_at) themselves.
IGNORED_ON_WRITE = ("version", "etag")

IF_MATCH = OpenApiParameter(
    "If-Match",
    str,
    location=OpenApiParameter.HEADER,
    pattern=conditional.IF_MATCH_PATTERN,
    description='The ETag you fetched, e.g. `"42-3"`. Send it: when the incident changed '
    "meanwhile the request fails with 412 and changes nothing. `*` or no header: no check; "
    "a value that is not a list of quoted entity tags is a 400.",
)
ETAG = OpenApiParameter(
    "ETag",
    str,
    location=OpenApiParameter.HEADER,
    response=[200, 201],
    description='The incident\'s version as `"<id>-<version>"`; send it back in If-Match.',
)
LOCATION = OpenApiParameter(
    "Location",
    str,
    location=OpenApiParameter.HEADER,
    response=[201],
    description="URL of the new incident.",
)
PRECONDITION_FAILED = OpenApiResponse(
    ErrorResponse412Serializer, description="If-Match does not match the current ETag."
)
CONFLICT = OpenApiResponse(
    ErrorResponse409Serializer,
    description="The incident's state forbids this (e.g. deleting a published incident), "
    "or a concurrent write took the same external_id or source URL: retry.",
)


class IncidentWriteMixin:
    """Mixed into IncidentViewSet; the write actions live here, the reads in views.py."""

    # Bodies are JSON documents; forms cannot carry participants, sources and details.
    parser_classes = [JSONParser]

    def get_permissions(self):
        if self.action in ACTION_PERMISSIONS:
            return [IncidentWritePermission()]
        if self.action == "history":
            return [AllowAny()]  # what may be seen is the queryset's business
        return super().get_permissions()

    def get_serializer_class(self):
        # For OPTIONS (DRF's metadata) and the browsable API's forms; the actions below
        # validate and respond without it.
        if self.action in ("create", "update", "partial_update", "metadata"):
            return IncidentWriteSerializer
        if self.action == "retract":
            return RetractSerializer
        if getattr(self, "serializer_class", None) is None:
            return IncidentSerializer
        return super().get_serializer_class()

    # --- helpers -------------------------------------------------------------------------

    def _incident(self) -> Incident:
        """The incident named in the URL among those the user may see (a 404 otherwise).

        Unlike get_object() this does not run the list filters: they decide what a list
        shows, not which record a write or the history addresses.
        """
        incident = get_object_or_404(
            self.get_queryset(), pk=self.kwargs[self.lookup_url_kwarg or self.lookup_field]
        )
        self.check_object_permissions(self.request, incident)
        return incident

    def _body(self, request, *, partial: bool, current: dict | None = None) -> dict:
        """The request document with its JSON types checked; the services check the rest.

        When a type is wrong, the services' findings on the other fields are reported with it,
        so one response names every offending field. `current` is the document a PATCH
        applies to.
        """
        serializer = IncidentWriteSerializer(data=request.data, partial=partial)
        body = request.data
        if isinstance(body, dict):
            body = {name: value for name, value in body.items() if name not in IGNORED_ON_WRITE}
        if serializer.is_valid():
            return body
        errors = serializer_errors(serializer.errors)
        if isinstance(body, dict):
            document = merge_patch(current, body) if partial else body
            for path, messages in domain_errors(document).items():
                errors.setdefault(path, messages)
        raise ValidationError(errors)

    def _locked(self, incident: Incident, request) -> tuple[Incident, int | None]:
        """The row locked for this transaction, after If-Match was compared with it."""
        try:
            locked = Incident.objects.select_for_update().get(pk=incident.pk)
        except Incident.DoesNotExist:  # deleted by a request that held the lock before us
            raise NotFound() from None
        return locked, conditional.expected_version(request, locked)

    def _document_response(self, incident: Incident, *, status_code=status.HTTP_200_OK):
        response = Response(incident_document(incident.pk), status=status_code)
        if status_code == status.HTTP_201_CREATED:
            response["Location"] = reverse(
                "incident-detail", kwargs={"pk": incident.pk}, request=self.request
            )
        conditional.set_etag(response, incident)
        return conditional.no_store(response)

    # --- create, change, delete ----------------------------------------------------------

    @extend_schema(
        summary="Create an incident (a draft)",
        request=IncidentWriteSerializer,
        responses={
            201: IncidentSerializer,
            400: error_400("IncidentCreateErrorResponse400"),
            409: CONFLICT,
        },
        parameters=[ETAG, LOCATION],
    )
    def create(self, request, *args, **kwargs):
        body = self._body(request, partial=False)
        incident = call(services.create_incident, body, by=request.user)
        return self._document_response(incident, status_code=status.HTTP_201_CREATED)

    @extend_schema(
        summary="Replace an incident's document",
        description="Send the whole document (read-only fields may stay in it and are "
        "ignored). Participants, sources and details are replaced as given; `disputed` "
        "left out keeps its value. Status changes only through publish and retract.",
        request=IncidentWriteSerializer,
        responses={
            200: IncidentSerializer,
            400: error_400("IncidentUpdateErrorResponse400"),
            409: CONFLICT,
            412: PRECONDITION_FAILED,
        },
        parameters=[IF_MATCH, ETAG],
    )
    def update(self, request, *args, **kwargs):
        incident = self._incident()
        body = self._body(request, partial=False)
        with transaction.atomic():
            incident, version = self._locked(incident, request)
            body.setdefault("disputed", incident.disputed)
            incident = call(
                services.update_incident,
                incident,
                body,
                by=request.user,
                expected_version=version,
            )
        return self._document_response(incident)

    @extend_schema(
        summary="Change some fields of an incident",
        description="JSON Merge Patch (RFC 7396) onto the current document: objects such as "
        "`details` merge key by key, `null` clears a field, lists (participants, sources) are "
        "replaced whole.",
        request=IncidentWriteSerializer,
        responses={
            200: IncidentSerializer,
            400: error_400("IncidentPartialUpdateErrorResponse400"),
            409: CONFLICT,
            412: PRECONDITION_FAILED,
        },
        parameters=[IF_MATCH, ETAG],
    )
    def partial_update(self, request, *args, **kwargs):
        incident = self._incident()
        patch = self._body(request, partial=True, current=incident_document(incident.pk))
        with transaction.atomic():
            # Locked before reading the document, so the patch lands on what is stored.
            incident, version = self._locked(incident, request)
            current = incident_document(incident.pk)
            current["disputed"] = incident.disputed
            incident = call(
                services.update_incident,
                incident,
                merge_patch(current, patch),
                by=request.user,
                expected_version=version,
            )
        return self._document_response(incident)

    @extend_schema(
        summary="Delete a draft (or a retracted incident)",
        description="A published incident is not deleted (409): retract it, with a reason.",
        request=None,
        responses={
            204: None,
            400: error_400("IncidentDestroyErrorResponse400", body=False),
            409: CONFLICT,
            412: PRECONDITION_FAILED,
        },
        parameters=[IF_MATCH],
    )
    def destroy(self, request, *args, **kwargs):
        incident = self._incident()
        with transaction.atomic():
            incident, version = self._locked(incident, request)
            call(services.delete_incident, incident, by=request.user, expected_version=version)
        return Response(status=status.HTTP_204_NO_CONTENT)

    # --- curation state ------------------------------------------------------------------

    @extend_schema(
        summary="Publish a draft",
        description="Needs at least one source, at least one initiator and the kind's details; "
        "a refusal (400) lists every missing requirement and the incident stays a draft.",
        request=None,
        responses={
            200: IncidentSerializer,
            400: error_400("IncidentPublishErrorResponse400", body=False),
            412: PRECONDITION_FAILED,
        },
        parameters=[IF_MATCH, ETAG],
    )
    @action(detail=True, methods=["post"])
    def publish(self, request, pk=None):
        incident = self._incident()
        with transaction.atomic():
            incident, version = self._locked(incident, request)
            if version is not None and version != incident.version:
                raise conditional.PreconditionFailed()
            incident = call(services.publish_incident, incident, by=request.user)
        return self._document_response(incident)

    @extend_schema(
        summary="Retract a published incident",
        description="The record stays readable by id and with `status=retracted`, with the "
        "reason given.",
        request=RetractSerializer,
        responses={
            200: IncidentSerializer,
            400: error_400("IncidentRetractErrorResponse400"),
            412: PRECONDITION_FAILED,
        },
        parameters=[IF_MATCH, ETAG],
    )
    @action(detail=True, methods=["post"])
    def retract(self, request, pk=None):
        incident = self._incident()
        serializer = RetractSerializer(data=request.data)
        if not serializer.is_valid():
            raise ValidationError(serializer_errors(serializer.errors))
        with transaction.atomic():
            incident, version = self._locked(incident, request)
            if version is not None and version != incident.version:
                raise conditional.PreconditionFailed()
            incident = call(
                services.retract_incident,
                incident,
                reason=serializer.validated_data["reason"],
                by=request.user,
            )
        return self._document_response(incident)

    # --- history -------------------------------------------------------------------------

    @extend_schema(
        summary="Every recorded change to an incident",
        description="Oldest first: the incident, its participants, citations and details. "
        "`by` names the editor to staff only. Without permission to see drafts, the history "
        "starts at the first publication.",
        request=None,
        responses={
            200: HistoryPageSerializer,
            400: error_400("IncidentHistoryErrorResponse400", body=False),
        },
        parameters=[
            OpenApiParameter("limit", int, description="Entries per page (default 50, max 1000)."),
            OpenApiParameter("offset", int, description="Entries to skip."),
        ],
    )
    @action(detail=True, methods=["get"], filter_backends=[])
    def history(self, request, pk=None):
        reject_unknown_parameters(request, {"limit", "offset", "format"})
        incident = self._incident()
        entries = incident_history(incident, viewer=request.user)
        page = self.paginate_queryset(entries)
        return self.get_paginated_response(page)
