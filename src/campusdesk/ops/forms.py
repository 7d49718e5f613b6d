from __future__ import annotations

from typing import Any

from django import forms
from django.db.models import QuerySet
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from campusdesk.accounts.models import User
from campusdesk.core.text import validate_one_line
from campusdesk.core.widgets import FastSelect
from campusdesk.ops.models import Complaint
from campusdesk.tickets.forms import set_choices
from campusdesk.tickets.models import Ticket


class ComplaintForm(forms.Form):
    subject = forms.CharField(label=_("subject"), max_length=200, validators=[validate_one_line])
    body = forms.CharField(label=_("what happened"), widget=forms.Textarea(attrs={"rows": 5}))
    ticket = forms.ModelChoiceField(
        widget=FastSelect,
        label=_("about the problem (optional)"),
        queryset=Ticket.objects.none(),
        required=False,
    )
    severity = forms.ChoiceField(
        label=pgettext_lazy("complaint", "severity"),
        choices=Complaint.Severity.choices,
        initial=Complaint.Severity.NORMAL,
        required=False,
        help_text=_("Operations may grade it again; the time to resolve it follows it."),
    )

    def __init__(self, *args: Any, tickets: QuerySet[Ticket], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        set_choices(self, "ticket", tickets)


class OwnerForm(forms.Form):
    owner = forms.ModelChoiceField(
        widget=FastSelect, label=_("owner"), queryset=User.objects.none()
    )

    def __init__(self, *args: Any, staff: QuerySet[User], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        set_choices(self, "owner", staff)


class NoteForm(forms.Form):
    body = forms.CharField(label=_("note"), widget=forms.Textarea(attrs={"rows": 3}))


class ResolveForm(forms.Form):
    resolution = forms.CharField(label=_("resolution"), widget=forms.Textarea(attrs={"rows": 3}))


class GroupForm(forms.Form):
    """The special resolution group: its leader and the other members (vendor staff)."""

    leader = forms.ModelChoiceField(
        widget=FastSelect, label=_("group leader"), queryset=User.objects.none()
    )
    members = forms.ModelMultipleChoiceField(
        label=_("group members"),
        queryset=User.objects.none(),
        required=False,
        widget=forms.SelectMultiple(attrs={"size": 6}),
    )

    def __init__(self, *args: Any, staff: QuerySet[User], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        set_choices(self, "leader", staff)
        members = self.fields["members"]
        if isinstance(members, forms.ModelMultipleChoiceField):
            members.queryset = staff


class SeverityForm(forms.Form):
    severity = forms.ChoiceField(
        label=pgettext_lazy("complaint", "severity"), choices=Complaint.Severity.choices
    )


class ConfirmForm(forms.Form):
    rating = forms.TypedChoiceField(
        label=_("rating"),
        coerce=int,
        empty_value=None,
        required=False,
        choices=[(n, "★" * n) for n in range(5, 0, -1)],
        widget=forms.RadioSelect,
    )
    comment = forms.CharField(
        label=_("comment"), required=False, widget=forms.Textarea(attrs={"rows": 2})
    )


class ReopenForm(forms.Form):
    reason = forms.CharField(
        label=_("why it is not resolved"),
        widget=forms.Textarea(attrs={"rows": 3}),
        error_messages={"required": _("Say why the complaint is not resolved.")},
    )
