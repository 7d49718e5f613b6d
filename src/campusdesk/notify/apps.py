from importlib import import_module

from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _

# the packages under notify/channels/: one transport (and its texts) per kind
CHANNELS = ("email", "wecom", "dingtalk", "feishu", "webhook")


class NotifyConfig(AppConfig):
    name = "campusdesk.notify"
    label = "notify"
    verbose_name = _("Notifications")

    def ready(self) -> None:
        # each channel's transport registers itself when imported
        for kind in CHANNELS:
            import_module(f"campusdesk.notify.channels.{kind}.transport")
        from campusdesk.notify.fanout import on_events
        from campusdesk.notify.threads import opened_panel
        from campusdesk.tickets import events, panels

        # in the event's transaction: the outbox rows commit or roll back with the event
        events.subscribe(on_events, phase="transaction")
        # opening a problem reads its messages (tickets may not import notify); last, and
        # it shows nothing
        panels.register_panel("messages_read", "notify/_panel_read.html", opened_panel, order=90)
