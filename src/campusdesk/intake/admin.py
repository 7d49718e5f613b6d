from django import forms
from django.contrib import admin
from django.http import HttpRequest
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _

from campusdesk.core.crypto import SecretUnreadable
from campusdesk.intake.models import Alert, AlertSource, InboundMessage, Mailbox, MaintenanceWindow


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
    list_display = [
        "source",
        "fingerprint",
        "state",
        "fired_count",
        "ticket",
        "last_seen_at",
        "triage",
        "triaged_by",
    ]
    list_filter = ["state", "triage", "source"]


class MailboxForm(forms.ModelForm[Mailbox]):
    """The IMAP password is write-only: never shown again, stored encrypted; left empty,
    the stored one stays."""

    imap_password = forms.CharField(
        label=_("IMAP password"), required=False, widget=forms.PasswordInput(render_value=False)
    )

    class Meta:
        model = Mailbox
        fields = [
            "address",
            "project",
            "trusted_domains",
            "imap_host",
            "imap_port",
            "imap_ssl",
            "imap_user",
            "imap_password",
            "imap_folder",
            "is_active",
        ]

    def clean_imap_password(self) -> str:
        given = str(self.cleaned_data.get("imap_password") or "")
        if not given:
            return self.instance.imap_password if self.instance.pk else ""
        box = Mailbox()
        box.set_imap_password(given)
        return box.imap_password


@admin.register(Mailbox)
class MailboxAdmin(admin.ModelAdmin[Mailbox]):
    form = MailboxForm
    list_display = ["address", "project", "imap_host", "password_state", "is_active"]
    list_filter = ["is_active"]
    readonly_fields = ["password_state"]

    @admin.display(description=_("stored IMAP password"))
    def password_state(self, box: Mailbox) -> str:
        """Whether a password is stored and can be read, never the password."""
        try:
            readable = bool(box.imap_secret())
        except SecretUnreadable as error:
            return format_html('<span class="error">{}</span>', error)
        return str(_("set (encrypted)") if readable else _("none"))


@admin.register(InboundMessage)
class InboundMessageAdmin(admin.ModelAdmin[InboundMessage]):
    """Received mail is kept as it came: read-only here; agents decide in the review queue."""

    list_display = ["received_at", "sender", "subject", "outcome", "ticket"]
    list_filter = ["outcome", "mailbox"]
    search_fields = ["sender", "subject"]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return False
