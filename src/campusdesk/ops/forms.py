from __future__ import annotations

from typing import Any

from django import forms
from django.db.models import QuerySet
from django.utils.translation import gettext_lazy as _

from campusdesk.accounts.models import User
from campusdesk.core.text import validate_one_line
from campusdesk.core.widgets import FastSelect
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
