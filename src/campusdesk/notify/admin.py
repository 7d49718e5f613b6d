from typing import Any

from django import forms
from django.contrib import admin, messages
from django.db import models
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse
from django.urls import reverse
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _

from campusdesk.core import outbound
from campusdesk.core.text import ONE_LINE_FIELDS
from campusdesk.notify import outbox
from campusdesk.notify.models import (
    Announcement,
    Delivery,
    RobotChannel,
    Rule,
    WebhookSubscription,
)
from campusdesk.notify.rules import AUDIENCE_LABELS, AUDIENCES
from campusdesk.tickets.workflow import ACTION_LABELS

#: Names are one line; a robot's or subscriber's URL must lead where outgoing requests may go.
GUARDED_FIELDS = {
    **ONE_LINE_FIELDS,
    models.URLField: {"validators": [outbound.validate_url], "assume_scheme": "https"},
}


@admin.register(RobotChannel)
class RobotChannelAdmin(admin.ModelAdmin[RobotChannel]):
    formfield_overrides = GUARDED_FIELDS
    list_display = ["name", "platform", "project", "internal", "is_active"]
    list_filter = ["platform", "is_active"]


@admin.register(Delivery)
class DeliveryAdmin(admin.ModelAdmin[Delivery]):
    """Every message sent or waiting, with its status; failed ones can be sent again.

    The page says how many failed for good, so a message that can never go out (a refused
    address, a recipient the mail server rejects) is not left unnoticed.
    """

    list_display = [
        "created_at",
        "channel",
        "address",
        "subject",
        "status",
        "attempts",
        "next_attempt_at",
        "last_error",
    ]
    list_filter = ["status", "channel", "kind"]
    search_fields = ["address", "key"]
    actions = ["retry"]
    readonly_fields = [f.name for f in Delivery._meta.fields]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    @admin.display(description=_("subject"))
    def subject(self, delivery: Delivery) -> str:
        return delivery.summary[:80]

    def changelist_view(
        self, request: HttpRequest, extra_context: dict[str, Any] | None = None
    ) -> HttpResponse:
        failed = Delivery.objects.filter(status=Delivery.Status.FAILED).count()
        if failed and request.method == "GET":
            url = reverse("admin:notify_delivery_changelist") + "?status__exact=failed"
            text = _("Messages that failed for good and will not be tried again: %(count)d.") % {
                "count": failed
            }
            hint = _("The last error of each says why; once the cause is fixed, send them again.")
            messages.warning(
                request, format_html('{} {} <a href="{}">{}</a>', text, hint, url, _("Show them"))
            )
        return super().changelist_view(request, extra_context)

    @admin.action(description=_("Send again"))
    def retry(self, request: HttpRequest, queryset: QuerySet[Delivery]) -> None:
        count = 0
        for delivery in queryset.exclude(status=Delivery.Status.SENT):
            outbox.delivery_retry(delivery_id=delivery.pk)
            count += 1
        messages.success(request, _("%(count)d deliveries queued again.") % {"count": count})


@admin.register(Announcement)
class AnnouncementAdmin(admin.ModelAdmin[Announcement]):
    formfield_overrides = ONE_LINE_FIELDS
    list_display = ["title", "category", "published_at", "published_by"]
    list_filter = ["category"]
    search_fields = ["title", "body"]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False  # publish from the document library, which notifies the readers

    def get_readonly_fields(self, request: HttpRequest, obj: Any = None) -> list[str]:
        return ["published_by", "published_at"]


def _audience_choices() -> list[tuple[str, str]]:
    return [(name, str(AUDIENCE_LABELS[name])) for name in AUDIENCES]


def _event_choices() -> list[tuple[str, str]]:
    return [(action.value, str(label)) for action, label in ACTION_LABELS.items()]


class RuleForm(forms.ModelForm[Rule]):
    """Events and recipient groups chosen by their names, not typed as codes."""

    action = forms.ChoiceField(label=_("event"), choices=_event_choices)
    audiences = forms.MultipleChoiceField(
        label=_("recipients"), choices=_audience_choices, widget=forms.CheckboxSelectMultiple
    )

    class Meta:
        model = Rule
        fields = ["action", "kind", "audiences", "is_active"]


@admin.register(Rule)
class RuleAdmin(admin.ModelAdmin[Rule]):
    """Who hears of which event, by recipient group."""

    form = RuleForm
    list_display = ["event", "kind", "recipients", "is_active"]
    list_editable = ["is_active"]

    @admin.display(description=_("event"), ordering="action")
    def event(self, rule: Rule) -> str:
        return rule.action_label

    @admin.display(description=_("recipients"))
    def recipients(self, rule: Rule) -> str:
        return "、".join(str(AUDIENCE_LABELS.get(name, name)) for name in rule.audiences)


@admin.register(WebhookSubscription)
class WebhookAdmin(admin.ModelAdmin[WebhookSubscription]):
    """Subscribers; their deliveries (the log) are on the deliveries page."""

    formfield_overrides = GUARDED_FIELDS
    list_display = ["name", "project", "url", "include_internal", "is_active"]
    exclude = ["secret"]
