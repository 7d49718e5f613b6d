from typing import Any

from axes import admin as axes_admin
from axes.models import AccessAttempt
from django import forms
from django.contrib import admin
from django.contrib.auth.admin import GroupAdmin as BaseGroupAdmin
from django.contrib.auth.admin import UserAdmin as BaseUserAdmin
from django.contrib.auth.models import Group, Permission
from django.db import models
from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _

from campusdesk.accounts.models import ApiToken, Organisation, Region, User
from campusdesk.core.text import ONE_LINE_FIELDS

_PERMISSION_VERBS = {
    "add": _("Can add %(model)s"),
    "change": _("Can change %(model)s"),
    "delete": _("Can delete %(model)s"),
    "view": _("Can view %(model)s"),
}


def permission_label(permission: Permission) -> str:
    """A model's permission in the active language: Django stores its name ("Can add
    problem") in English when it migrates, so it is told again from the model's names."""
    model = permission.content_type.model_class()
    verb, _sep, model_name = permission.codename.partition("_")
    if model is None or verb not in _PERMISSION_VERBS or model_name != model._meta.model_name:
        return str(permission)
    meta = model._meta
    action = _PERMISSION_VERBS[verb] % {"model": meta.verbose_name}
    return f"{meta.app_config.verbose_name} | {meta.verbose_name} | {action}"


class _PermissionLabels(admin.ModelAdmin[Any]):
    """A permission picker (a group's, a user's) names each permission in the active language."""

    def formfield_for_manytomany(
        self, db_field: models.ManyToManyField[Any, Any], request: HttpRequest, **kwargs: Any
    ) -> forms.ModelMultipleChoiceField[Any] | None:
        field = super().formfield_for_manytomany(db_field, request, **kwargs)
        queryset = field.queryset if field is not None else None
        if field is not None and queryset is not None and queryset.model is Permission:
            field.label_from_instance = permission_label  # type: ignore[assignment]
        return field


admin.site.unregister(Group)


@admin.register(Group)
class GroupAdmin(_PermissionLabels, BaseGroupAdmin):
    """Django's, its permissions listed in the active language."""


@admin.register(Region)
class RegionAdmin(admin.ModelAdmin[Region]):
    formfield_overrides = ONE_LINE_FIELDS  # names go into e-mail subjects and headers
    search_fields = ["name"]


@admin.register(Organisation)
class OrganisationAdmin(admin.ModelAdmin[Organisation]):
    formfield_overrides = ONE_LINE_FIELDS
    list_display = ["name", "short_name", "kind", "region", "is_active"]
    list_filter = ["kind", "region", "is_active"]
    search_fields = ["name", "short_name"]


@admin.register(User)
class UserAdmin(_PermissionLabels, BaseUserAdmin[User]):
    formfield_overrides = ONE_LINE_FIELDS
    list_display = ["username", "display_name", "organisation", "role", "email", "is_active"]
    list_filter = ["role", "organisation", "is_active"]
    search_fields = ["username", "display_name", "email", "phone"]
    list_select_related = ["organisation"]
    fieldsets = (
        *(BaseUserAdmin.fieldsets or ()),
        (
            _("Service desk"),
            {
                "fields": (
                    "display_name",
                    "phone",
                    "organisation",
                    "role",
                    "region",
                    "preferred_language",
                )
            },
        ),
    )
    add_fieldsets = (
        *BaseUserAdmin.add_fieldsets,
        (_("Service desk"), {"fields": ("display_name", "email", "organisation", "role")}),
    )


@admin.register(ApiToken)
class ApiTokenAdmin(admin.ModelAdmin[ApiToken]):
    """Administrators see whose tokens exist and may revoke (delete) one; the secret is
    never stored, so there is nothing to add or change here."""

    list_display = ["prefix", "user", "name", "created_at", "last_used_at", "expires_at"]
    search_fields = ["user__username", "name", "prefix"]
    list_select_related = ["user"]
    readonly_fields = ["user", "name", "prefix", "created_at", "last_used_at", "expires_at"]
    exclude = ["key_hash"]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: ApiToken | None = None) -> bool:
        return False


admin.site.unregister(AccessAttempt)


@admin.register(AccessAttempt)
class AccessAttemptAdmin(axes_admin.AccessAttemptAdmin):  # type: ignore[misc] # untyped
    """django-axes' page, its status column named (axes leaves it to the method's name)."""

    @admin.display(description=_("status"))
    def status(self, obj: AccessAttempt) -> str:
        return str(super().status(obj))
