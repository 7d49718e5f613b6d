from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class DutyConfig(AppConfig):
    name = "campusdesk.duty"
    label = "duty"
    verbose_name = _("Duty roster")

    def ready(self) -> None:
        from campusdesk.catalog import contacts
        from campusdesk.duty.services import answering_now, on_ticket_events, registration_note
        from campusdesk.tickets import events, panels

        # the person on duty hears of a night-time SIS1 or probe incident before anyone else
        events.subscribe(on_ticket_events, phase="transaction", first=True)
        # the hotline's engineer on duty and their number beside the registration form
        panels.registration.register("on_duty", "duty/_on_duty_note.html", registration_note)
        # and to customers: on their home page and at the foot of every e-mail
        contacts.register("on_duty", answering_now)
