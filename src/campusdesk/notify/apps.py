from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class NotifyConfig(AppConfig):
    name = "campusdesk.notify"
    label = "notify"
    verbose_name = _("Notifications")

    def ready(self) -> None:
        # the transports register themselves when imported
        from campusdesk.notify.channels import email, robots, webhook  # noqa: F401
