"""The pages of planned changes (plan form, change page) and the environment document's
download. The change's actions (approve, record the outcome, cancel) are the declared
``ObjectAction``s: their buttons come from ``systems/_actions.html``."""

from __future__ import annotations

import re
from typing import Any

from django import forms
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseBadRequest
from django.shortcuts import redirect, render
from django.urls import path
from django.utils.translation import gettext_lazy as _

from campusdesk.core.errors import DomainError, NotFound
from campusdesk.core.http import current_user, show_errors
from campusdesk.core.text import validate_one_line
from campusdesk.systems import (
    change_actions,  # noqa: F401 - declares the change's actions
    changes,
    document,
    environment,
)
from campusdesk.systems.models import Change
from campusdesk.systems.selectors import may_manage, system_for

_KIND_PREFIX = re.compile(r"^(?P<kind>[a-z]+)\s*[:：]\s*(?P<rest>.+)$")
_WINDOW = forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M")


def parse_targets(text: str) -> list[dict[str, str]]:
    """One target a line: ``nginx 1.25.5`` (the last word is the version), with the kind in
    front for a component the system does not have yet: ``database: Redis 7.2.4``."""
    targets = []
    for line in (row.strip() for row in text.splitlines()):
        if not line:
            continue
        kind = ""
        match = _KIND_PREFIX.match(line)
        if match and match.group("kind") in environment.KINDS:
            kind, line = match.group("kind"), match.group("rest")
        name, _space, version = line.rpartition(" ")
        target = {"name": name.strip(), "version": version.strip()}
        targets.append({**target, "kind": kind} if kind else target)
    return targets


class ChangeForm(forms.Form):
    kind = forms.ChoiceField(label=_("kind"), choices=Change.Kind.choices)
    title = forms.CharField(label=_("title"), max_length=200, validators=[validate_one_line])
    description = forms.CharField(
        label=_("description"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
    )
    window_start = forms.DateTimeField(label=_("window start"), widget=_WINDOW)
    window_end = forms.DateTimeField(label=_("window end"), widget=_WINDOW)
    risk = forms.ChoiceField(label=_("risk"), choices=Change.Risk.choices)
    rollback_plan = forms.CharField(
        label=_("rollback plan"), widget=forms.Textarea(attrs={"rows": 3})
    )
    targets = forms.CharField(
        label=_("target versions"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 4}),
        help_text=_(
            "One per line: the component and its target version, such as “nginx 1.25.5”. "
            "For a component the system does not have yet, put its kind in front: "
            "“database: Redis 7.2.4”."
        ),
    )
    out_of_scope = forms.BooleanField(label=_("Out of scope (billed by workload)"), required=False)
    workload_hours = forms.DecimalField(
        label=_("workload (hours)"),
        required=False,
        max_digits=6,
        decimal_places=1,
        min_value=0,
    )


def _change(request: HttpRequest, pk: int) -> Change:
    try:
        return changes.change_for(current_user(request), pk)
    except NotFound as error:
        raise Http404 from error


def _show(form: ChangeForm, error: DomainError) -> None:
    """The service's errors on the form; ``targets[2].kind`` and the like on the targets."""
    fields = {
        ("targets" if key.startswith("targets") else key): problems
        for key, problems in error.fields.items()
    }
    show_errors(form, DomainError(error.message, fields=fields))


@login_required
def change_new(request: HttpRequest, pk: int) -> HttpResponse:
    user = current_user(request)
    try:
        system = system_for(user, pk)
    except NotFound as error:
        raise Http404 from error
    if not may_manage(user, system.project):
        raise PermissionDenied
    form = ChangeForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        data = dict(form.cleaned_data)
        data["targets"] = parse_targets(data["targets"])
        try:
            change = changes.change_plan(system_id=system.pk, actor=user, **data)
        except DomainError as error:
            _show(form, error)
        else:
            return redirect("systems-change", pk=change.pk)
    return render(request, "systems/changes/new.html", {"system": system, "form": form})


@login_required
def change_detail(request: HttpRequest, pk: int) -> HttpResponse:
    change = _change(request, pk)
    context: dict[str, Any] = {"change": change, "system": change.system}
    return render(request, "systems/changes/detail.html", context)


@login_required
def document_download(request: HttpRequest, pk: int) -> HttpResponse:
    try:
        system = system_for(current_user(request), pk)
        return document.download(system, request.GET.get("format"))
    except NotFound as error:
        raise Http404 from error
    except DomainError as error:
        return HttpResponseBadRequest(str(error), content_type="text/plain; charset=utf-8")


urlpatterns = [
    path("systems/<int:pk>/changes/new/", change_new, name="systems-change-new"),
    path("systems/changes/<int:pk>/", change_detail, name="systems-change"),
    path("systems/<int:pk>/document/", document_download, name="systems-document"),
]
