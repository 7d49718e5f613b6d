from django.contrib import admin

from campusdesk.intake.models import Alert, AlertSource, MaintenanceWindow


class WindowInline(admin.TabularInline[MaintenanceWindow, AlertSource]):
    model = MaintenanceWindow
    extra = 1


@admin.register(AlertSource)
class AlertSourceAdmin(admin.ModelAdmin[AlertSource]):
    """Sources are added through the API, which shows the token once; here they are tuned."""

    list_display = ["name", "project", "reporter", "default_severity", "is_active"]
    exclude = ["token_hash"]
    inlines = [WindowInline]


@admin.register(Alert)
class AlertAdmin(admin.ModelAdmin[Alert]):
    list_display = ["source", "fingerprint", "state", "fired_count", "ticket", "last_seen_at"]
    list_filter = ["state", "source"]
