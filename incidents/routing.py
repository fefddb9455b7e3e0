"""Read replicas: read-only API requests go to a streaming replica, everything else to the primary.

Enabled by DATABASE_REPLICA_URLS. The primary serves writes, the admin, the change feed (its
cursors are stamped there and must be read where they are written), and a client's reads for a
few seconds after its own write, since a replica replays the primary's changes with a lag.
State lives in a context variable per request, so nothing ties a client to one process.
"""

import contextvars
import hashlib
import random

from django.conf import settings
from django.core.cache import cache

# The replica alias this request reads from, chosen once so all its queries see one snapshot
# of one replica (two replicas can lag differently); None reads from the primary.
_replica = contextvars.ContextVar("replica", default=None)
SAFE_METHODS = {"GET", "HEAD", "OPTIONS"}
PRIMARY_ONLY_PREFIXES = ("/api/v1/changes/",)


def _pin_key(request) -> str:
    """Who the client is, known before authentication runs: its credentials, else its address."""
    credentials = request.META.get("HTTP_AUTHORIZATION") or request.COOKIES.get(
        settings.SESSION_COOKIE_NAME
    )
    who = credentials or request.META.get("REMOTE_ADDR", "")
    return "primary-pin:" + hashlib.sha256(who.encode()).hexdigest()


def _reads_from_replica(request) -> bool:
    return (
        request.method in SAFE_METHODS
        and request.path.startswith("/api/")
        and not request.path.startswith(PRIMARY_ONLY_PREFIXES)
        and not cache.get(_pin_key(request))
    )


class ReadRoutingMiddleware:
    """Marks each request as replica-readable or not; pins a writer's reads to the primary."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if not settings.DATABASE_REPLICAS:
            return self.get_response(request)
        replica = (
            random.choice(settings.DATABASE_REPLICAS) if _reads_from_replica(request) else None
        )
        token = _replica.set(replica)
        try:
            response = self.get_response(request)
        finally:
            _replica.reset(token)
        if request.method not in SAFE_METHODS and response.status_code < 400:
            cache.set(_pin_key(request), True, settings.DATABASE_REPLICA_PIN_SECONDS)
        return response


class PrimaryReplicaRouter:
    """Django database router: reads to the request's replica when the request allows it."""

    def db_for_read(self, model, **hints):
        return _replica.get() or "default"

    def db_for_write(self, model, **hints):
        return "default"

    def allow_relation(self, obj1, obj2, **hints):
        return True  # every alias holds the same data

    def allow_migrate(self, db, app_label, model_name=None, **hints):
        return db == "default"
