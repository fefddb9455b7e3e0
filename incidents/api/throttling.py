"""Request-rate limits from API_THROTTLE_ANON / API_THROTTLE_USER; an empty value turns one off."""

from rest_framework import throttling


class AnonThrottle(throttling.AnonRateThrottle):
    scope = "anon"


class UserThrottle(throttling.UserRateThrottle):
    scope = "user"


class ExportThrottle(throttling.SimpleRateThrottle):
    """Exports stream whole tables, so each client gets fewer of them than of other requests."""

    scope = "export"

    def get_cache_key(self, request, view):
        ident = request.user.pk if request.user.is_authenticated else self.get_ident(request)
        return self.cache_format % {"scope": self.scope, "ident": ident}
