from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class OpsConfig(AppConfig):
    name = "campusdesk.ops"
    label = "ops"
    verbose_name = _("Operations supervision")

    def ready(self) -> None:
        from campusdesk.ops import actions  # noqa: F401 -- declares the operations actions
