"""GET /api/v1/changes/: the change feed for mirrors (issue 4, SPEC §2 "Change feed").

A mirror starts at `after=0` and keeps passing back `next`; it sees every change to the public
set once, in order, even while writes are in flight (see incidents.services.feed). The feed is
read on the primary database: reading it stamps newly committed events.
"""

from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework.exceptions import ValidationError
from rest_framework.permissions import AllowAny
from rest_framework.response import Response
from rest_framework.views import APIView

from incidents.api.history import iso_datetime
from incidents.api.mixins import MethodFirstMixin
from incidents.api.pagination import integer_parameter
from incidents.api.write_serializers import ChangeFeedSerializer, error_400
from incidents.services.feed import events_after

DEFAULT_LIMIT = 100
MAX_LIMIT = 1000
MAX_CURSOR = 2**63 - 1  # the cursor column is a bigint
PARAMETERS = {"after", "limit", "format"}


def reject_unknown_parameters(request, known) -> None:
    unknown = sorted(set(request.query_params) - set(known))
    if unknown:
        raise ValidationError(
            {name: [f"Unknown parameter; use {sorted(known - {'format'})}."] for name in unknown}
        )


class ChangesView(MethodFirstMixin, APIView):
    """Published, updated, retracted and deleted events of the public set, by cursor."""

    permission_classes = [AllowAny]

    @extend_schema(
        operation_id="changes_list",
        summary="Change feed for mirrors",
        description=(
            "Events of the public set (published and retracted incidents) in commit order. "
            "Start with `after=0`, then pass back `next` each time; an empty `results` means "
            "nothing new yet (poll again later with the same `next`). For each event, fetch "
            "`/api/v1/incidents/{incident_id}/` (gone after `deleted`)."
        ),
        parameters=[
            OpenApiParameter(
                "after",
                int,
                description="Return events with a cursor above this one (default 0).",
            ),
            OpenApiParameter(
                "limit",
                int,
                description=f"At most this many events (default {DEFAULT_LIMIT}, 1..{MAX_LIMIT}).",
            ),
        ],
        responses={
            200: ChangeFeedSerializer,
            400: error_400("ChangesErrorResponse400", body=False),
        },
    )
    def get(self, request):
        reject_unknown_parameters(request, PARAMETERS)
        after = integer_parameter(request, "after", default=0, minimum=0, maximum=MAX_CURSOR)
        limit = integer_parameter(
            request, "limit", default=DEFAULT_LIMIT, minimum=1, maximum=MAX_LIMIT
        )
        events = events_after(after, limit)
        results = [
            {
                "cursor": event.cursor,
                "incident_id": event.incident_id,
                "action": event.action,
                "at": iso_datetime(event.at),
            }
            for event in events
        ]
        return Response({"results": results, "next": events[-1].cursor if events else after})
