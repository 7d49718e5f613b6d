"""The review queue of received e-mail: the service desk decides what becomes of it."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.db.models import Count
from django.http import Http404, HttpRequest, HttpResponse
from django.http.response import HttpResponseBase
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from campusdesk.accounts.models import User
from campusdesk.catalog import scoping
from campusdesk.core.errors import DomainError
from campusdesk.core.http import current_user, sandboxed_download, show_errors
from campusdesk.intake import forms, inbound
from campusdesk.intake.models import InboundMessage

Outcome = InboundMessage.Outcome


def _reviewer(request: HttpRequest) -> User:
    user = current_user(request)
    if not inbound.may_review(user):
        raise PermissionDenied
    return user


@login_required
def mail_list(request: HttpRequest) -> HttpResponse:
    _reviewer(request)
    outcome = request.GET.get("outcome", Outcome.REVIEW)
    if outcome not in Outcome.values and outcome != "all":
        outcome = Outcome.REVIEW
    mails = InboundMessage.objects.select_related("ticket", "user").order_by("-received_at", "-id")
    if outcome != "all":
        mails = mails.filter(outcome=outcome)
    page = Paginator(mails, 50).get_page(request.GET.get("page"))
    waiting = InboundMessage.objects.filter(outcome__in=[Outcome.REVIEW, Outcome.QUARANTINED])
    counts = {Outcome.REVIEW.value: 0, Outcome.QUARANTINED.value: 0} | dict(
        waiting.values_list("outcome").annotate(n=Count("id")).order_by()
    )
    return render(
        request,
        "intake/mail_list.html",
        {
            "page": page,
            "outcome": outcome,
            "outcomes": Outcome.choices,
            "counts": counts,
        },
    )


def _forms(user: User, mail: InboundMessage, data: Any = None, step: str = "") -> dict[str, Any]:
    projects = scoping.visible_projects(user).filter(is_active=True).select_related("organisation")
    initial = {  # the sender, if a customer; the project of the address it was sent to
        "reporter": mail.user_id if mail.user and not mail.user.is_vendor_staff else None,
        "project": mail.mailbox.project_id if mail.mailbox else None,
    }
    register = forms.RegisterForm(
        data if step == "register" else None, projects=projects, initial=initial
    )
    return {
        "register_form": register,
        "append_form": forms.AppendForm(data if step == "append" else None),
        "discard_form": forms.DiscardForm(data if step == "discard" else None),
        "retry_form": forms.RetryForm(data if step == "retry" else None),
    }


@login_required
def mail_detail(request: HttpRequest, pk: int) -> HttpResponse:
    user = _reviewer(request)
    mail = get_object_or_404(
        InboundMessage.objects.select_related("ticket", "user", "mailbox"), pk=pk
    )
    return render(request, "intake/mail_detail.html", {"mail": mail, **_forms(user, mail)})


@login_required
def mail_original(request: HttpRequest, pk: int) -> HttpResponseBase:
    """The message as received (.eml), for the service desk only."""
    _reviewer(request)
    mail = get_object_or_404(InboundMessage, pk=pk)
    if not mail.raw:
        raise Http404
    return sandboxed_download(mail.raw, f"mail-{mail.pk}.eml", "message/rfc822")


@login_required
@require_POST
def mail_step(request: HttpRequest, pk: int, step: str) -> HttpResponse:
    user = _reviewer(request)
    mail = get_object_or_404(
        InboundMessage.objects.select_related("ticket", "user", "mailbox"), pk=pk
    )
    context = _forms(user, mail, request.POST, step)
    form = context.get(f"{step}_form")
    if form is None:
        raise Http404
    if form.is_valid():
        data = form.cleaned_data
        try:
            if step == "register":
                ticket = inbound.mail_register(
                    message_id=pk,
                    actor=user,
                    reporter_id=data["reporter"].pk,
                    project_id=data["project"].pk,
                )
                messages.success(
                    request, _("Registered as %(number)s.") % {"number": ticket.number}
                )
                return redirect("tickets:detail", ticket.pk)
            if step == "append":
                ticket = inbound.mail_append(
                    message_id=pk, actor=user, ticket_number=data["ticket_number"]
                )
                messages.success(request, _("Added to %(number)s.") % {"number": ticket.number})
                return redirect("tickets:detail", ticket.pk)
            if step == "retry":
                return _retried(request, inbound.mail_retry(message_id=pk, actor=user))
            inbound.mail_discard(message_id=pk, actor=user, reason=data["reason"])
            messages.success(request, _("The e-mail was discarded."))
            return redirect("intake:mail_list")
        except DomainError as error:
            show_errors(form, error)
    return render(
        request, "intake/mail_detail.html", {"mail": mail, "open": step, **context}, status=400
    )


def _retried(request: HttpRequest, mail: InboundMessage) -> HttpResponse:
    if mail.outcome == Outcome.QUARANTINED:
        messages.error(
            request, _("The e-mail still cannot be processed: %(reason)s") % {"reason": mail.reason}
        )
    else:
        messages.success(
            request, _("Processed again: %(outcome)s.") % {"outcome": mail.get_outcome_display()}
        )
    return redirect("intake:mail_detail", mail.pk)
