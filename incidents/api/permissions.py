"""Who may write incidents (SPEC §2/§3): one model permission per action, reads for everyone.

Visibility of what may be read is the selectors' business (incidents_visible_to); this module
only decides whether a request may attempt a write. An action it does not know is refused.
"""

from rest_framework import permissions

ACTION_PERMISSIONS = {
    "create": "incidents.add_incident",
    "update": "incidents.change_incident",
    "partial_update": "incidents.change_incident",
    "destroy": "incidents.delete_incident",
    "publish": "incidents.publish_incident",
    "retract": "incidents.publish_incident",
}


class IncidentWritePermission(permissions.BasePermission):
    """Safe methods pass; each write action needs its permission, and credentials first.

    Without credentials the answer is False for an unauthenticated user, which DRF turns into a
    401 (TokenAuthentication comes first and supplies the WWW-Authenticate challenge); with
    credentials but without the permission it is a 403.
    """

    def has_permission(self, request, view) -> bool:
        if request.method in permissions.SAFE_METHODS:
            return True
        user = request.user
        if not (user and user.is_authenticated):
            return False
        required = ACTION_PERMISSIONS.get(getattr(view, "action", None))
        return required is not None and user.has_perm(required)
