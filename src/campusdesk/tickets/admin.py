from typing import Any

from django.contrib import admin
from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _

from campusdesk.tickets.models import Commitment, Ticket, TicketEvent
from campusdesk.tickets.workflow import action_label


class ReadOnlyInline(admin.TabularInline[Any, Ticket]):
    extra = 0
    can_delete = False

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


class EventInline(ReadOnlyInline):
    model = TicketEvent
    fields = ["at", "what", "actor", "channel", "tier", "status_after", "internal", "data"]
    readonly_fields = ["what"]

    @admin.display(description=_("action"))
    def what(self, event: TicketEvent) -> str:
        return action_label(event.action)


class CommitmentInline(ReadOnlyInline):
    model = Commitment
    fields = ["tier", "due_at", "reason", "set_by", "created_at"]


@admin.register(Ticket)
class TicketAdmin(admin.ModelAdmin[Ticket]):
    """Read-only here: every change to a ticket goes through the workflow (and its timeline)."""

    list_display = [
        "number",
        "title",
        "project",
        "status",
        "tier",
        "severity",
        "assignee",
        "created_at",
    ]
    list_filter = ["status", "tier", "severity", "service_type", "channel"]
    search_fields = ["number", "title"]
    list_select_related = ["project", "assignee"]
    inlines = [CommitmentInline, EventInline]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False
