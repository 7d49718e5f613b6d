"""The inbox page (htmx marks messages read) and the message settings in 个人中心."""

from __future__ import annotations

from datetime import time

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.db.models import Field, Q
from django.http import Http404, HttpRequest, HttpResponse
from django.http.response import HttpResponseBase
from django.shortcuts import redirect, render
from django.utils.text import capfirst
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from campusdesk.accounts.models import Organisation
from campusdesk.catalog.models import Product
from campusdesk.core.errors import DomainError
from campusdesk.core.http import (
    current_user,
    is_htmx,
    raise_refusal,
    refusal_text,
    sandboxed_download,
    show_errors,
)
from campusdesk.core.text import validate_one_line
from campusdesk.notify import announcements, preferences, subscriptions, threads
from campusdesk.notify.inbox import notification_read_all, preference_set
from campusdesk.notify.models import Announcement, Kind, Preference


@login_required
def inbox(request: HttpRequest) -> HttpResponse:
    """One row per problem (its newest message, how many unread), the rest one row each."""
    user = current_user(request)
    heads = threads.heads(user, unread_only=request.GET.get("unread") == "1")
    page = Paginator(heads, 30).get_page(request.GET.get("page"))
    rows = threads.rows(user, list(page.object_list))
    return render(request, "notify/inbox.html", {"page": page, "rows": rows})


@require_POST
@login_required
def read(request: HttpRequest, pk: int) -> HttpResponse:
    """Mark a row read: a problem's row every message of that problem."""
    row = threads.row_read(user=current_user(request), notification_id=pk)
    if row is None:
        raise Http404
    if is_htmx(request):
        return render(request, "notify/_note.html", {"row": row})
    return redirect(row.note.url or "notify:inbox")


@require_POST
@login_required
def read_all(request: HttpRequest) -> HttpResponse:
    notification_read_all(user=current_user(request))
    return redirect("notify:inbox")


@login_required
def settings_page(request: HttpRequest) -> HttpResponse:
    """Choose, per message type, the channels; quiet hours and a daily digest (seed §7.2.4)."""
    user = current_user(request)
    quiet = preferences.quiet_hours_of(user)
    if request.method == "POST":
        for kind in Kind:
            preference_set(
                user=user,
                kind=kind,
                inbox=request.POST.get(f"{kind}-inbox") == "on",
                email=request.POST.get(f"{kind}-email") == "on",
            )
        try:
            start = _time(request.POST.get("start"), quiet.start)
            end = _time(request.POST.get("end"), quiet.end)
        except ValueError:
            messages.error(request, _("Give the quiet hours as HH:MM."))
            return redirect("notify:settings")
        preferences.quiet_hours_set(
            user=user,
            enabled=request.POST.get("quiet") == "on",
            digest=request.POST.get("digest") == "on",
            start=start,
            end=end,
        )
        messages.success(request, _("Message settings saved."))
        return redirect("notify:settings")
    channels = [(channel, _channel_label(channel)) for channel in preferences.CHANNELS]
    rows = preferences.preference_rows(user)
    for row in rows:  # each box: its channel, its label, ticked, fixed (a mandatory inbox)
        row["cells"] = [
            (channel, label, row["channels"][channel], row["mandatory"] and channel == "inbox")
            for channel, label in channels
        ]
    return render(
        request, "notify/settings.html", {"rows": rows, "channels": channels, "quiet": quiet}
    )


def _channel_label(channel: str) -> str:
    """A column of 消息设置: the name of the ``Preference`` field (站内消息, 邮件)."""
    field = Preference._meta.get_field(channel)
    return str(capfirst(field.verbose_name)) if isinstance(field, Field) else channel


def _time(raw: str | None, default: time) -> time:
    if not raw:
        return default
    return time.fromisoformat(raw)


@login_required
def library(request: HttpRequest) -> HttpResponse:
    """The document library: announcements the user may read, newest first, searchable."""
    user = current_user(request)
    items = announcements.visible(user).prefetch_related("products").order_by("-published_at")
    search = request.GET.get("search", "").strip()[:100]
    if search:
        items = items.filter(Q(title__icontains=search) | Q(body__icontains=search))
    form = None
    if user.role in announcements.PUBLISHERS:
        form = AnnouncementForm(request.POST or None, request.FILES or None)
        if request.method == "POST" and form.is_valid():
            data = form.cleaned_data
            try:
                item = announcements.announcement_publish(
                    actor=user,
                    category=data["category"],
                    title=data["title"],
                    body=data["body"],
                    products=data["products"],
                    organisations=data["organisations"],
                    attachment=data.get("attachment"),
                )
            except DomainError as error:
                show_errors(form, error)
            else:
                messages.success(request, _("Announcement published."))
                return redirect("notify:announcement", pk=item.pk)
    page = Paginator(items, 20).get_page(request.GET.get("page"))
    return render(request, "notify/library.html", {"page": page, "form": form, "search": search})


@login_required
def announcement(request: HttpRequest, pk: int) -> HttpResponse:
    item = announcements.visible(current_user(request)).filter(pk=pk).first()
    if item is None:
        raise Http404
    return render(request, "notify/announcement.html", {"item": item})


@login_required
def announcement_attachment(request: HttpRequest, pk: int) -> HttpResponseBase:
    item = announcements.visible(current_user(request)).filter(pk=pk).first()
    if item is None or not item.attachment:
        raise Http404
    return sandboxed_download(item.attachment, item.attachment_name or "attachment")


class AnnouncementForm(forms.Form):
    category = forms.ChoiceField(
        label=gettext_lazy("category"), choices=Announcement.Category.choices
    )
    title = forms.CharField(
        label=gettext_lazy("title"), max_length=200, validators=[validate_one_line]
    )
    body = forms.CharField(label=gettext_lazy("text"), widget=forms.Textarea(attrs={"rows": 6}))
    products = forms.ModelMultipleChoiceField(
        label=gettext_lazy("products"), queryset=Product.objects.filter(is_active=True)
    )
    organisations = forms.ModelMultipleChoiceField(
        label=gettext_lazy("only these organisations"),
        required=False,
        queryset=Organisation.objects.filter(kind=Organisation.Kind.CUSTOMER),
    )
    attachment = forms.FileField(label=gettext_lazy("attachment"), required=False)


@require_POST
@login_required
def follow(request: HttpRequest, ticket_id: int) -> HttpResponse:
    wanted = request.POST.get("follow") == "1"
    try:
        subscriptions.ticket_follow(ticket_id=ticket_id, actor=current_user(request), follow=wanted)
    except DomainError as error:  # a problem the user does not see: its 404, never a 500
        raise_refusal(error)
        return HttpResponse(refusal_text(error), status=error.status_code)
    if is_htmx(request):
        return render(request, "notify/_follow.html", {"ticket_id": ticket_id, "following": wanted})
    return redirect("tickets:detail", pk=ticket_id)
