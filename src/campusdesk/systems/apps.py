from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class SystemsConfig(AppConfig):
    name = "campusdesk.systems"
    label = "systems"
    verbose_name = _("Application systems")

    def ready(self) -> None:
        from campusdesk.systems import ticketlink

        ticketlink.register()  # a ticket's system: its field, form choice and page panel

        from campusdesk.systems import findings, services

        # a new environment version is matched against the vulnerability register
        if findings.match_environment not in services.ENVIRONMENT_CHANGED:
            services.ENVIRONMENT_CHANGED.append(findings.match_environment)
