"""ETag and If-Match for incidents: the ETag names an integer version, never a timestamp.

An incident's ETag is `"<id>-<version>"` (Incident.etag). A write that carries `If-Match` only
proceeds when one of its tags is the current one; the services compare the version again under
the row lock, so two clients holding the same ETag cannot both win.
"""

import re

from django.http import HttpResponseNotModified
from django.utils.cache import patch_cache_control
from django.utils.http import parse_etags
from rest_framework import status
from rest_framework.exceptions import APIException, ValidationError

from incidents.models import Incident

ANY = object()  # If-Match: *
# RFC 9110 If-Match: "*" or a comma-separated list of (possibly weak) quoted entity tags; an
# empty value is taken as no header.
_ENTITY_TAG = r'(?:W/)?"[^"]*"'
IF_MATCH_PATTERN = rf"^\s*(\*|{_ENTITY_TAG}(\s*,\s*{_ENTITY_TAG})*)?\s*$"


class PreconditionFailed(APIException):
    status_code = status.HTTP_412_PRECONDITION_FAILED
    default_detail = (
        "The incident changed since you fetched it (If-Match does not match its ETag). "
        "Fetch it again, reapply your change and send the new ETag."
    )
    default_code = "precondition_failed"


class Conflict(APIException):
    status_code = status.HTTP_409_CONFLICT
    default_detail = "The incident's state does not allow this."
    default_code = "conflict"


def if_match_versions(request, incident_id: int):
    """What If-Match asks for: None (no header), ANY (`*`), or the set of versions it names.

    Only strong tags of this incident count; a weak or foreign tag matches nothing (RFC 9110
    §13.1.1 compares If-Match strongly). A value that is not entity tags at all is a 400.
    """
    header = request.headers.get("If-Match")
    if header is None or not header.strip():
        return None  # an empty field states no precondition
    if not re.match(IF_MATCH_PATTERN, header):
        raise ValidationError(
            {
                "If-Match": [
                    'Send the ETag as you received it, in double quotes (e.g. "42-3"), or *.'
                ]
            },
            code="invalid",
        )
    tags = parse_etags(header)
    if tags == ["*"]:
        return ANY
    versions = set()
    prefix = f'"{incident_id}-'
    for tag in tags:
        if tag.startswith(prefix) and tag.endswith('"'):
            number = tag[len(prefix) : -1]
            if number.isascii() and number.isdigit():
                versions.add(int(number))
    return versions


def expected_version(request, incident: Incident) -> int | None:
    """The version to hand to a service as `expected_version`, or None to skip the check.

    Raises PreconditionFailed at once when no tag can match. With several tags the one equal to
    the version read now is passed on, so the service still refuses if it changes meanwhile.
    """
    wanted = if_match_versions(request, incident.pk)
    if wanted is None or wanted is ANY:
        return None
    if not wanted:
        raise PreconditionFailed()
    if len(wanted) == 1:
        return next(iter(wanted))
    if incident.version in wanted:
        return incident.version
    raise PreconditionFailed()


def not_modified(request, etag: str) -> HttpResponseNotModified | None:
    """A 304 when If-None-Match names this ETag (or is *); None to send the representation.

    RFC 9110 §13.1.2 compares If-None-Match weakly: `W/"42-3"` matches `"42-3"`. A mirror
    that re-reads an incident it holds gets an empty answer instead of the whole document.
    """
    header = request.headers.get("If-None-Match")
    if not header or not header.strip():
        return None
    tags = parse_etags(header)
    if tags != ["*"] and etag not in {tag.removeprefix("W/") for tag in tags}:
        return None
    response = HttpResponseNotModified()
    response["ETag"] = etag
    return response


def set_etag(response, incident: Incident):
    response["ETag"] = incident.etag
    return response


def no_store(response):
    """Responses that may hold a draft must stay out of shared caches (issue 7)."""
    patch_cache_control(response, private=True, no_store=True)
    return response
