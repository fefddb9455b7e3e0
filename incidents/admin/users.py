"""Accounts, groups and API tokens: superusers only.

Whoever may change users, groups or tokens may give themselves any permission or act as anyone,
so these pages are not delegated: a curator or reviewer never sees them, whatever their grants.
"""

from django.contrib import admin
from django.contrib.auth.admin import GroupAdmin, UserAdmin
from django.contrib.auth.models import Group, User
from rest_framework.authtoken.admin import TokenAdmin
from rest_framework.authtoken.models import TokenProxy


class SuperuserOnlyMixin:
    def _is_superuser(self, request) -> bool:
        return request.user.is_active and request.user.is_superuser

    def has_module_permission(self, request):
        return self._is_superuser(request)

    def has_view_permission(self, request, obj=None):
        return self._is_superuser(request)

    def has_add_permission(self, request, *args):
        return self._is_superuser(request)

    def has_change_permission(self, request, obj=None):
        return self._is_superuser(request)

    def has_delete_permission(self, request, obj=None):
        return self._is_superuser(request)


class SuperuserUserAdmin(SuperuserOnlyMixin, UserAdmin):
    pass


class SuperuserGroupAdmin(SuperuserOnlyMixin, GroupAdmin):
    pass


class SuperuserTokenAdmin(SuperuserOnlyMixin, TokenAdmin):
    pass


for model, model_admin in [
    (User, SuperuserUserAdmin),
    (Group, SuperuserGroupAdmin),
    (TokenProxy, SuperuserTokenAdmin),
]:
    if admin.site.is_registered(model):
        admin.site.unregister(model)
    admin.site.register(model, model_admin)
