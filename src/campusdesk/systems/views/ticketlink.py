"""The registration form's environment field, filled from the chosen system (htmx).

Choosing a system in the problem registration form asks for the field again, written with
the system's current environment as text (``ticketlink.environment_text``). What the person
wrote there is never lost: the field is replaced only while it is empty or still holds,
unchanged, what another system of the organisation filled in; choosing no system leaves
it as it is.
"""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.urls import path

from campusdesk.catalog.models import Project
from campusdesk.core.api import query_int
from campusdesk.core.http import current_user
from campusdesk.systems import ticketlink
from campusdesk.systems.selectors import visible_systems
from campusdesk.tickets.forms import RegisterForm


def _field(text: str) -> HttpResponse:
    """The form's environment field as the registration page writes it, holding ``text``."""
    form = RegisterForm(
        initial={"environment": text}, projects=Project.objects.none(), customers=None
    )
    return HttpResponse(str(form["environment"]))


@login_required
def ticket_environment(request: HttpRequest) -> HttpResponse:
    """``?system=<id>&environment=<the field's text>`` → the environment ``<textarea>``."""
    systems = visible_systems(current_user(request)).select_related("current_environment")
    text = request.GET.get("environment", "").replace("\x00", "").replace("\r\n", "\n")
    chosen = query_int(request.GET.get(ticketlink.FIELD))
    system = systems.filter(pk=chosen).first() if chosen is not None else None
    if system is None:
        if chosen is not None:
            raise Http404
        return _field(text[:20000])  # no system chosen: the field as it is
    if text.strip():
        siblings = systems.filter(organisation_id=system.organisation_id)
        filled = {ticketlink.environment_text(s.current_environment).strip() for s in siblings}
        if text.strip() not in filled - {""}:
            return _field(text[:20000])  # the person's own text: kept
    return _field(ticketlink.environment_text(system.current_environment))


urlpatterns = [
    path(
        "systems/ticket-environment/",
        ticket_environment,
        name="systems-ticket-environment",
    ),
]
