"""The duty roster page (值班表): who is on duty now for each project, the coming shifts with
their hand-over notes, every uncovered stretch of the next 30 days, and a new shift."""

from __future__ import annotations

from datetime import timedelta

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from campusdesk.accounts.models import User
from campusdesk.catalog import scoping
from campusdesk.core import clock
from campusdesk.core.errors import DomainError
from campusdesk.core.http import current_user, show_errors
from campusdesk.duty import services

_WHEN = forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M")
#: how far ahead the page lists shifts
AHEAD = timedelta(days=14)


class ShiftForm(forms.Form):
    user = forms.ChoiceField(label=gettext_lazy("on duty"))
    starts_at = forms.DateTimeField(label=gettext_lazy("starts"), widget=_WHEN)
    ends_at = forms.DateTimeField(label=gettext_lazy("ends"), widget=_WHEN)
    projects = forms.MultipleChoiceField(
        label=gettext_lazy("projects"),
        required=False,
        help_text=gettext_lazy("None chosen: every project."),
    )
    handover = forms.CharField(
        label=gettext_lazy("hand-over notes"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
    )

    def set_choices(self, people: list[tuple[int, str]], projects: list[tuple[int, str]]) -> None:
        for name, choices in (("user", people), ("projects", projects)):
            field = self.fields[name]
            assert isinstance(field, forms.ChoiceField)  # noqa: S101 - declared above
            field.choices = choices


@login_required
def roster(request: HttpRequest) -> HttpResponse:
    user = current_user(request)
    if not user.is_vendor_staff:
        raise PermissionDenied
    projects = list(scoping.visible_projects(user).select_related("organisation").order_by("pk"))
    form = ShiftForm(request.POST or None)
    staff = User.objects.filter(is_active=True).exclude(role="customer").order_by("username")
    form.set_choices(
        [(p.pk, p.get_full_name() or p.username) for p in staff],
        [(p.pk, str(p)) for p in projects],
    )
    may_plan = services.may_plan(user)
    if request.method == "POST":
        if not may_plan:
            raise PermissionDenied
        if form.is_valid():
            try:
                services.shift_create(actor=user, data=dict(form.cleaned_data))
            except DomainError as error:
                show_errors(form, error)
            else:
                messages.success(request, _("Shift added."))
                return redirect("duty:roster")
    now = clock.now()
    rows = []
    for project in projects:
        found = services.roster_check(project, now)
        minutes = int(sum((b - a).total_seconds() for a, b in found) // 60)
        rows.append((project, services.on_duty(project.pk, now), minutes, found[:5]))
    shifts = (
        services.visible_shifts(user)
        .filter(ends_at__gt=now, starts_at__lt=now + AHEAD)
        .select_related("user")
        .prefetch_related("projects")
        .order_by("starts_at", "pk")
    )
    return render(
        request,
        "duty/roster.html",
        {"rows": rows, "shifts": shifts, "form": form, "may_plan": may_plan},
    )
