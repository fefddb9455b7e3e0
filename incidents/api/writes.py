"""Write side of the incident API (issue 4): create, change, delete, publish, retract, history."""


class IncidentWriteMixin:
    """Mixed into IncidentViewSet; the write actions live here, the reads in views.py."""
