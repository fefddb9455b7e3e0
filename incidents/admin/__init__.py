"""The Django admin, the curators' workplace (SPEC §3); every incident write goes to the services."""

from incidents.admin import incident, reference, users

__all__ = ["incident", "reference", "users"]
