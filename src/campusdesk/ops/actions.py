"""The operations actions on a ticket, declared like every ticket action (``tickets.actions``);
registered when the app is ready (``OpsConfig.ready``): tickets does not import ops."""

from __future__ import annotations

from typing import Any

from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from campusdesk.accounts.models import User
from campusdesk.accounts.roles import Role
from campusdesk.ops import services as ops
from campusdesk.tickets import forms
from campusdesk.tickets.actions import STEP, ActionSpec, Notice, SlaEffect, passing, register
from campusdesk.tickets.models import Status, Ticket
from campusdesk.tickets.presenters import when_label
from campusdesk.tickets.workflow import Action, Rule

#: the system account that closes what the contract closes by itself (``closures``)
CLOSURE_ACCOUNT = "closures"


def is_closure_account(user: User, ticket: Ticket) -> bool:
    """Nobody but the system account closes a ticket automatically."""
    return user.username == CLOSURE_ACCOUNT and user.is_vendor_staff


def _vendor_staff(ticket: Ticket) -> dict[str, Any]:
    handlers = [Role.ENGINEER, Role.EXPERT2, Role.EXPERT3, Role.TASKFORCE]
    return {"staff": User.objects.filter(role__in=handlers, is_active=True).order_by("username")}


# A declaration table, one action a block, read across: the formatter would stretch each
# call over a dozen lines and hide the table's shape.
# fmt: off
register(ActionSpec(
    Action.OPS_RECORD, form=forms.OpsRecordForm, summary=lambda d: _("Operations record"),
    run=passing(ops.ops_record_add, "body"),
))
register(ActionSpec(
    Action.CORRECTIVE_ACTION, form=forms.CorrectiveActionForm,
    summary=lambda d: _("Filed a corrective action for the delay."),
    run=passing(ops.corrective_action_file, "cause", "plan"),
))
register(ActionSpec(
    Action.DISPATCH, form=forms.DispatchForm, form_kwargs=_vendor_staff,
    summary=lambda d: _("%(engineer)s arrived on site at %(at)s.")
    % {"engineer": d.get("engineer_name", ""), "at": when_label(d.get("arrived_at"))},
    run=lambda t, u, d, channel: ops.dispatch_record(
        ticket_id=t.pk, actor=u, engineer_id=d["engineer"].pk, arrived_at=d["arrived_at"],
        note=d["note"], channel=channel),
))
register(ActionSpec(
    Action.AUTO_CLOSE, label=gettext_lazy("Closed automatically"),
    rule=Rule(Action.AUTO_CLOSE, (Status.PENDING_CLOSE,), Status.CLOSED, is_closure_account),
    notice=Notice("closed", STEP), sla=SlaEffect.RESUMES,
    summary=lambda d: _(
        "Closed automatically: %(days)s working days without the customer's answer, as the "
        "contract provides."
    ) % {"days": d.get("days", "")},
))
# fmt: on
