"""The duty roster page (值班表): who is on duty now for each project, the coming shifts with
their hand-over notes, every uncovered stretch of the next 30 days, and a new shift; the
person on a shift asks a colleague to take it over and writes its hand-over notes, the
colleague answers the swaps asked of them (each a POST back to the roster)."""

from __future__ import annotations

from datetime import timedelta

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.db.models import Prefetch
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from campusdesk.accounts.models import User
from campusdesk.catalog import scoping
from campusdesk.core import clock
from campusdesk.core.errors import DomainError
from campusdesk.core.http import current_user, refusal_text, show_errors
from campusdesk.duty import services
from campusdesk.duty.models import Shift, Swap

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


class SwapForm(forms.Form):
    to_user = forms.IntegerField(label=gettext_lazy("colleague"))
    reason = forms.CharField(label=gettext_lazy("reason"), max_length=500, required=False)


class AnswerForm(forms.Form):
    #: 1: take the shift over, 0: decline
    accept = forms.TypedChoiceField(choices=[("1", "1"), ("0", "0")], coerce=lambda v: v == "1")


@login_required
def roster(request: HttpRequest) -> HttpResponse:
    user = current_user(request)
    if not user.is_vendor_staff:
        raise PermissionDenied
    projects = list(scoping.visible_projects(user).select_related("organisation").order_by("pk"))
    form = ShiftForm(request.POST or None)
    staff = User.objects.filter(is_active=True).exclude(role="customer").order_by("username")
    people = [(p.pk, p.get_full_name() or p.username) for p in staff]
    form.set_choices(people, [(p.pk, str(p)) for p in projects])
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
    pending = Swap.objects.filter(status=Swap.Status.ASKED).select_related("to_user")
    shifts = (
        services.visible_shifts(user)
        .filter(ends_at__gt=now, starts_at__lt=now + AHEAD)
        .select_related("user")
        .prefetch_related("projects", Prefetch("swaps", pending, to_attr="pending_swaps"))
        .order_by("starts_at", "pk")
    )
    return render(
        request,
        "duty/roster.html",
        {
            "rows": rows,
            "shifts": shifts,
            "form": form,
            "may_plan": may_plan,
            "asked": services.swaps_asked_of(user, now).prefetch_related("shift__projects"),
            "colleagues": [(pk, name) for pk, name in people if pk != user.pk],
        },
    )


def _shift(user: User, pk: int) -> Shift:
    try:
        return services.shift_for(user, pk)
    except DomainError as error:
        raise Http404 from error


def _said(request: HttpRequest, error: DomainError) -> None:
    """A service's refusal as a message: what it says of each field, or itself."""
    messages.error(request, refusal_text(error))


def _back(shift_id: int) -> HttpResponse:
    return redirect(f"{reverse('duty:roster')}#shift-{shift_id}")


@require_POST
@login_required
def swap_ask(request: HttpRequest, pk: int) -> HttpResponse:
    """The person on a coming shift asks a colleague to take it over."""
    user = current_user(request)
    shift = _shift(user, pk)
    form = SwapForm(request.POST)
    if shift.ends_at <= clock.now():
        messages.error(request, _("This shift is over; it is no longer handed over."))
    elif not form.is_valid():
        messages.error(request, _("Choose a colleague."))
    else:
        try:
            swap = services.swap_ask(actor=user, shift=shift, **form.cleaned_data)
        except DomainError as error:
            _said(request, error)
        else:
            messages.success(
                request, _("%(name)s is asked to take the shift over.") % {"name": swap.to_user}
            )
    return _back(shift.pk)


@require_POST
@login_required
def swap_answer(request: HttpRequest, pk: int) -> HttpResponse:
    """The colleague asked takes the shift over (accept=1) or declines (accept=0)."""
    user = current_user(request)
    try:
        swap = services.swap_for(user, pk)
    except DomainError as error:
        raise Http404 from error
    form = AnswerForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("Take the shift over or decline."))
        return _back(swap.shift_id)
    try:
        services.swap_answer(actor=user, swap=swap, agree=form.cleaned_data["accept"])
    except DomainError as error:
        _said(request, error)
    else:
        if form.cleaned_data["accept"]:
            messages.success(request, _("The shift is yours now."))
        else:
            messages.success(
                request, _("Declined; %(name)s keeps the shift.") % {"name": swap.from_user}
            )
    return _back(swap.shift_id)


@require_POST
@login_required
def handover(request: HttpRequest, pk: int) -> HttpResponse:
    """The person on the shift writes what the next one must know."""
    user = current_user(request)
    shift = _shift(user, pk)
    try:
        services.shift_handover(actor=user, shift=shift, note=request.POST.get("note", ""))
    except DomainError as error:
        _said(request, error)
    else:
        messages.success(request, _("Hand-over notes saved."))
    return _back(shift.pk)
