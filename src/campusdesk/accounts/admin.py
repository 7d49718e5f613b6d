from django.contrib import admin
from django.contrib.auth.admin import UserAdmin as BaseUserAdmin
from django.utils.translation import gettext_lazy as _

from campusdesk.accounts.models import Organisation, Region, User


@admin.register(Region)
class RegionAdmin(admin.ModelAdmin[Region]):
    search_fields = ["name"]


@admin.register(Organisation)
class OrganisationAdmin(admin.ModelAdmin[Organisation]):
    list_display = ["name", "short_name", "kind", "region", "is_active"]
    list_filter = ["kind", "region", "is_active"]
    search_fields = ["name", "short_name"]


@admin.register(User)
class UserAdmin(BaseUserAdmin[User]):
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
