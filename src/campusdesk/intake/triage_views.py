"""The alert triage page (告警分诊): the alerts of the viewer's projects and one form a step."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django import forms as djforms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse, QueryDict
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from campusdesk.accounts.models import User
from campusdesk.core.api import query_int
from campusdesk.core.errors import DomainError
from campusdesk.core.http import current_user, is_htmx, raise_refusal, refusal_text
from campusdesk.intake import forms, triage
from campusdesk.intake.models import Alert

PAGE_SIZE = 50

#: step → its form, the service it calls, and what the page says once it is done
Step = Callable[[int, User, dict[str, Any]], object]
STEPS: dict[str, tuple[type[djforms.Form], Step, Any]] = {
    "acknowledge": (
        forms.AcknowledgeForm,
        lambda pk, user, d: triage.alert_acknowledge(alert_id=pk, actor=user, note=d["note"]),
        gettext_lazy("Acknowledged: the alert is yours."),
    ),
    "false-alarm": (
        forms.FalseAlarmForm,
        lambda pk, user, d: triage.alert_mark_false_alarm(
            alert_id=pk, actor=user, reason=d["reason"]
        ),
        gettext_lazy("Marked as a false alarm."),
    ),
    "link": (
        forms.LinkForm,
        lambda pk, user, d: triage.alert_link(
            alert_id=pk,
            actor=user,
            ticket_id=triage.ticket_id_for(user, d["ticket_number"]),
            note=d["note"],
        ),
        gettext_lazy("Linked to the problem."),
    ),
    "raise": (
        forms.RaiseForm,
        lambda pk, user, d: triage.alert_raise(alert_id=pk, actor=user),
        gettext_lazy("A problem was registered for the alert."),
    ),
}


def _triager(request: HttpRequest) -> User:
    user = current_user(request)
    if not triage.may_triage(user):
        raise PermissionDenied
    return user


def _choice(value: str | None, allowed: list[str]) -> str:
    return value if value in allowed else "all"


@login_required
def alert_list(request: HttpRequest) -> HttpResponse:
    user = _triager(request)
    state = _choice(request.GET.get("state"), Alert.State.values)
    chosen = _choice(request.GET.get("triage"), Alert.Triage.values)
    source_id = query_int(request.GET.get("source"))
    alerts = triage.queue(user, state=state, triage=chosen, source_id=source_id)
    page = Paginator(alerts, PAGE_SIZE).get_page(request.GET.get("page"))
    kept = QueryDict(mutable=True)
    for name in ("state", "triage", "source"):
        if name in request.GET:
            kept[name] = request.GET[name]
    return render(
        request,
        "intake/alert_list.html",
        {
            "page": page,
            "state": state,
            "states": Alert.State.choices,
            "triage": chosen,
            "triages": Alert.Triage.choices,
            "source_id": source_id,
            "sources": triage.visible_sources(user),
            "untriaged": triage.untriaged_firing(user),
            "query": kept.urlencode(),
            "here": request.get_full_path(),
        },
    )


@login_required
@require_POST
def alert_step(request: HttpRequest, pk: int, step: str) -> HttpResponse:
    """One triage step: htmx swaps the alert's row (with the refusal in it, if any); a plain
    form goes back to the list with a message."""
    user = _triager(request)
    if step not in STEPS:
        raise Http404
    form_class, run, done = STEPS[step]
    form = form_class(request.POST)
    error = ""
    if not form.is_valid():
        error = " ".join(str(e) for errors in form.errors.values() for e in errors)
    else:
        try:
            run(pk, user, form.cleaned_data)
        except DomainError as refusal:
            raise_refusal(refusal)
            error = refusal_text(refusal)
    if is_htmx(request):
        alert = triage.queue(user).filter(pk=pk).first()
        if alert is None:
            raise Http404
        here = reverse("intake:alert_list")
        context = {"a": alert, "error": error, "done": "" if error else done, "here": here}
        return render(request, "intake/_alert_row.html", context)
    if error:
        messages.error(request, error)
    else:
        messages.success(request, str(done))
    back = request.POST.get("next", "")
    if url_has_allowed_host_and_scheme(back, {request.get_host()}, request.is_secure()):
        return redirect(back)
    return redirect("intake:alert_list")
