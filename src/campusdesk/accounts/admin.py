from django.contrib import admin
from django.contrib.auth.admin import UserAdmin as BaseUserAdmin
from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _

from campusdesk.accounts.models import ApiToken, Organisation, Region, User
from campusdesk.core.text import ONE_LINE_FIELDS


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
class UserAdmin(BaseUserAdmin[User]):
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
