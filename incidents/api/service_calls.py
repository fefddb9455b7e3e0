"""Calling the services from the API: their refusals as 400/409/412, paths for every error.

The services name a bad field by its document path (`participants[0].country`); DRF's nested
serializer errors are flattened to the same paths, so drf-standardized-errors reports one `attr`
style whatever found the problem.
"""

from django.core.exceptions import ValidationError as DjangoValidationError
from django.db import IntegrityError
from rest_framework.exceptions import ErrorDetail, ValidationError
from rest_framework.settings import api_settings

from incidents import services
from incidents.api import conditional


def _django_errors(error: DjangoValidationError) -> dict:
    """A service's ValidationError as DRF error details, keyed by document path."""
    if not hasattr(error, "error_dict"):
        return {
            api_settings.NON_FIELD_ERRORS_KEY: [
                ErrorDetail(message, code=error.code or "invalid") for message in error.messages
            ]
        }
    return {
        path: [
            ErrorDetail(message, code=item.code or "invalid")
            for item in items
            for message in item.messages
        ]
        for path, items in error.error_dict.items()
    }


def serializer_errors(errors, prefix: str = "") -> dict:
    """DRF's nested serializer errors flattened to the services' paths (`sources[0].url`)."""
    flat: dict[str, list] = {}

    def add(path, messages):
        flat.setdefault(path or api_settings.NON_FIELD_ERRORS_KEY, []).extend(messages)

    def walk(node, path):
        if isinstance(node, dict):
            for key, value in node.items():
                if key == api_settings.NON_FIELD_ERRORS_KEY:
                    walk(value, path)
                elif isinstance(key, int):
                    walk(value, f"{path}[{key}]")
                else:
                    walk(value, f"{path}.{key}" if path else key)
        elif isinstance(node, list) and all(isinstance(item, str) for item in node):
            add(path, node)
        elif isinstance(node, list):
            for index, item in enumerate(node):
                if item:
                    walk(item, f"{path}[{index}]")
        else:
            add(path, [node])

    walk(errors, prefix)
    return flat


def call(service, *args, **kwargs):
    """Run a service; its refusals become the API's 400, 409 and 412."""
    try:
        return service(*args, **kwargs)
    except DjangoValidationError as error:
        raise ValidationError(_django_errors(error)) from error
    except services.StaleVersion as error:
        raise conditional.PreconditionFailed() from error
    except services.Conflict as error:
        raise conditional.Conflict(str(error)) from error
    except IntegrityError as error:
        # A unique value (external_id, a new source's URL) taken by a concurrent transaction.
        raise conditional.Conflict(
            "Another write took the same external_id or source URL meanwhile; "
            "fetch the current state and retry."
        ) from error


def domain_errors(document: dict) -> dict:
    """What the services would refuse in a document (without writing anything)."""
    try:
        services.clean_incident(document, lookups=services.Lookups.load())
    except DjangoValidationError as error:
        return _django_errors(error)
    except (TypeError, ValueError, AttributeError):
        # Only an addition to the type errors already found; those alone are still reported.
        return {}
    return {}


def merge_patch(target, patch):
    """JSON Merge Patch (RFC 7396): objects merge key by key, null removes, the rest replaces."""
    if not isinstance(patch, dict):
        return patch
    merged = dict(target) if isinstance(target, dict) else {}
    for key, value in patch.items():
        if value is None:
            merged.pop(key, None)
        else:
            merged[key] = merge_patch(merged.get(key), value)
    return merged
