"""Case library pages: search, read (and "this solved my problem"), write, suggestions panel."""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.db import transaction
from django.http import Http404, HttpRequest, HttpResponse
from django.http.response import HttpResponseBase
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from campusdesk.accounts.models import User
from campusdesk.catalog import scoping
from campusdesk.catalog.models import Product
from campusdesk.core.errors import DomainError
from campusdesk.core.http import (
    current_user,
    is_htmx,
    raise_refusal,
    sandboxed_download,
    show_errors,
)
from campusdesk.core.text import validate_one_line
from campusdesk.kb import search, services
from campusdesk.kb.models import Article, Retrospective
from campusdesk.tickets.forms import set_choices
from campusdesk.tickets.models import Ticket

LIBRARY_PAGE = 50  # cases per page of the library (a search shows its best 30)


class ArticleForm(forms.Form):
    product = forms.ModelChoiceField(label=gettext_lazy("product"), queryset=Product.objects.none())
    title = forms.CharField(
        label=gettext_lazy("title"), max_length=200, validators=[validate_one_line]
    )
    symptoms = forms.CharField(
        label=gettext_lazy("symptoms"), widget=forms.Textarea(attrs={"rows": 4})
    )
    cause = forms.CharField(
        label=gettext_lazy("cause"), required=False, widget=forms.Textarea(attrs={"rows": 3})
    )
    solution = forms.CharField(
        label=gettext_lazy("solution"), widget=forms.Textarea(attrs={"rows": 5})
    )
    tags = forms.CharField(
        label=gettext_lazy("tags (comma-separated)"), required=False, validators=[validate_one_line]
    )
    visibility = forms.ChoiceField(
        label=gettext_lazy("visibility"), choices=Article.Visibility.choices
    )
    attachment = forms.FileField(label=gettext_lazy("attachment"), required=False)


class ArticleEditForm(ArticleForm):
    attachment = forms.FileField(
        label=gettext_lazy("new attachment (replaces the current one)"), required=False
    )
    note = forms.CharField(
        label=gettext_lazy("what changed (optional)"),
        max_length=200,
        required=False,
        validators=[validate_one_line],
    )


class RetrospectiveForm(forms.Form):
    findings = forms.CharField(
        label=gettext_lazy("findings"), widget=forms.Textarea(attrs={"rows": 5})
    )
    root_cause = forms.ChoiceField(
        label=gettext_lazy("root cause"), choices=[("", "—"), *Retrospective.RootCause.choices]
    )
    tags = forms.CharField(
        label=gettext_lazy("tags (comma-separated)"), required=False, validators=[validate_one_line]
    )
    case_needed = forms.BooleanField(label=gettext_lazy("a case entry is needed"), required=False)


def _tags(text: str) -> list[str]:
    return [t for t in text.replace("，", ",").split(",") if t.strip()]


def _show_errors(form: forms.Form, error: DomainError) -> None:
    """The service's errors beside the fields; an upload's (``file``) beside the attachment."""
    if "file" in error.fields:
        error.fields["attachment"] = error.fields.pop("file")
    show_errors(form, error)


def _products(form: forms.Form, user: User) -> None:
    set_choices(form, "product", scoping.visible_products(user))


@login_required
def library(request: HttpRequest) -> HttpResponse:
    user = current_user(request)
    query = request.GET.get("q", "").strip()[:200]
    page = None
    if query:
        statuses = tuple(Article.Status.values) if user.is_vendor_staff else ("published",)
        found = search.search(query, user=user, limit=30, statuses=statuses)
        articles: Any = [article for article, _score in found]
    else:
        articles = services.visible_articles(user).select_related("product")
        if not user.is_vendor_staff:
            articles = articles.order_by("-solved_count", "-published_at", "-id")
        page = Paginator(articles, LIBRARY_PAGE).get_page(request.GET.get("page"))
        articles = page.object_list
    frequent = []
    if user.is_vendor_staff and not query:
        from campusdesk.kb.frequent import frequent_problems

        frequent = [g for g in frequent_problems(user=user) if g.covered_by is None][:10]
    context = {"articles": articles, "q": query, "frequent": frequent, "page": page}
    return render(request, "kb/library.html", context)


@login_required
def article_detail(request: HttpRequest, pk: int) -> HttpResponse:
    user = current_user(request)
    article = services.visible_articles(user).select_related("product").filter(pk=pk).first()
    if article is None:
        raise Http404
    if request.GET.get("from") == "register":
        services.suggestion_opened(user=user, article=article)
    versions = article.versions.select_related("edited_by") if user.is_vendor_staff else []
    return render(
        request,
        "kb/article.html",
        {
            "article": article,
            "versions": versions,
            "can_publish": user.is_vendor_staff and services.is_expert_of(user, article.product_id),
            "can_edit": services.may_edit(user, article),
        },
    )


@login_required
def article_edit(request: HttpRequest, pk: int) -> HttpResponse:
    """Edit a case: the author or an expert of its product; see ``services.article_update``."""
    user = current_user(request)
    article = services.visible_articles(user).select_related("product").filter(pk=pk).first()
    if article is None:
        raise Http404
    if not services.may_edit(user, article):
        raise PermissionDenied
    initial = {name: getattr(article, name) for name in _ARTICLE_TEXT}
    initial.update(product=article.product_id, tags=", ".join(article.tags))
    form = ArticleEditForm(request.POST or None, request.FILES or None, initial=initial)
    _products(form, user)
    if request.method == "POST" and form.is_valid():
        data = dict(form.cleaned_data)
        try:
            saved = services.article_update(
                article_id=article.pk,
                actor=user,
                product_id=data.pop("product").pk,
                upload=data.pop("attachment", None),
                note=data.pop("note"),
                fields={**data, "tags": _tags(data["tags"])},
            )
        except DomainError as error:
            _show_errors(form, error)
        else:
            messages.success(request, _saved_message(article, saved))
            return redirect("kb:article", pk=article.pk)
    review = services.edit_needs_review(user, article)
    return render(request, "kb/edit.html", {"form": form, "article": article, "review": review})


_ARTICLE_TEXT = ("title", "symptoms", "cause", "solution", "visibility")


def _saved_message(before: Article, after: Article) -> str:
    if after.version == before.version:
        return _("Nothing changed.")
    if after.status == Article.Status.REVIEW and before.status == Article.Status.PUBLISHED:
        return _(
            "Case saved. It is in review: customers see it again once an expert of the "
            "product publishes it."
        )
    return _("Case saved.")


@require_POST
@login_required
def article_solved(request: HttpRequest, pk: int) -> HttpResponse:
    user = current_user(request)
    article = services.visible_articles(user).filter(pk=pk).first()
    if article is None:
        raise Http404
    services.suggestion_solved(user=user, article=article)
    if is_htmx(request):
        return HttpResponse('<p class="ok" id="solved">' + _("Glad it helped!") + "</p>")
    messages.success(request, _("Glad it helped!"))
    return redirect("kb:article", pk=pk)


@require_POST
@login_required
def article_status(request: HttpRequest, pk: int, status: str) -> HttpResponse:
    try:
        services.article_set_status(article_id=pk, actor=current_user(request), status=status)
    except DomainError as error:
        if error.status_code in (403, 404):
            raise PermissionDenied from error
        messages.error(request, str(error))
    return redirect("kb:article", pk=pk)


@login_required
def article_new(request: HttpRequest) -> HttpResponse:
    user = current_user(request)
    if not user.is_vendor_staff:
        raise PermissionDenied
    form = ArticleForm(request.POST or None, request.FILES or None)
    _products(form, user)
    if request.method == "POST" and form.is_valid():
        data = dict(form.cleaned_data)
        product = data.pop("product")
        upload = data.pop("attachment", None)
        data["tags"] = _tags(data["tags"])
        try:
            with transaction.atomic():
                article = services.article_create(actor=user, product_id=product.pk, fields=data)
                if upload is not None:
                    services.article_attach(article_id=article.pk, actor=user, upload=upload)
        except DomainError as error:
            _show_errors(form, error)
        else:
            return redirect("kb:article", pk=article.pk)
    return render(request, "kb/new.html", {"form": form})


@login_required
def retrospective(request: HttpRequest, ticket_id: int) -> HttpResponse:
    """A closed problem's retrospective (复盘): vendor staff read it, the product's experts
    record it here, through the service the API calls."""
    user = current_user(request)
    if not user.is_vendor_staff:
        raise PermissionDenied
    found = services.visible_retrospectives(user).select_related("ticket", "expert")
    retro = found.filter(ticket_id=ticket_id).first()
    if retro is None:
        raise Http404
    may_hold = services.is_expert_of(user, retro.ticket.product_id)
    if request.method == "POST" and not may_hold:
        raise PermissionDenied
    form = RetrospectiveForm(request.POST or None, initial=_retro_initial(retro))
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            services.retrospective_record(
                ticket_id=ticket_id,
                actor=user,
                findings=data["findings"],
                root_cause=data["root_cause"],
                tags=_tags(data["tags"]),
                case_needed=data["case_needed"],
            )
        except DomainError as error:
            show_errors(form, error)
        else:
            messages.success(request, _("Retrospective recorded."))
            return redirect("kb:retrospective", ticket_id=ticket_id)
    context = {"retro": retro, "form": form if may_hold else None, "why": _why(retro)}
    return render(request, "kb/retrospective.html", context)


def retrospective_panel(ticket: Ticket, user: User) -> dict[str, Any]:
    """The ticket page's retrospective (``tickets.panels``): on a closed problem, for vendor
    staff; one query."""
    if not user.is_vendor_staff or ticket.status != "closed":
        return {}
    return {"retrospective": Retrospective.objects.filter(ticket=ticket).first()}


def _retro_initial(retro: Retrospective) -> dict[str, Any]:
    return {
        "findings": retro.findings,
        "root_cause": retro.root_cause,
        "tags": ", ".join(retro.tags),
        "case_needed": retro.case_needed,
    }


def _why(retro: Retrospective) -> str:
    """Why it is due, in words (``services.retrospective_due`` keeps a code)."""
    if retro.reason.startswith("rating "):
        return _("Rated %(n)s") % {"n": retro.reason.removeprefix("rating ")}
    return retro.reason  # the severity, SIS1


@require_POST
@login_required
def from_ticket(request: HttpRequest, ticket_id: int) -> HttpResponse:
    try:
        article = services.article_from_ticket(ticket_id=ticket_id, actor=current_user(request))
    except DomainError as error:
        raise_refusal(error)  # a problem the user may not see or use: its 403/404
        messages.error(request, str(error))
        return redirect("tickets:detail", pk=ticket_id)
    return redirect("kb:article", pk=article.pk)


@login_required
def suggest_panel(request: HttpRequest) -> HttpResponse:
    """The registration form's side panel: the cases that match what is being typed."""
    user = current_user(request)
    text = " ".join(request.GET.get(k, "") for k in ("title", "description"))[:300]
    raw = request.GET.get("project", "")
    project = scoping.visible_projects(user).filter(pk=int(raw)).first() if raw.isdigit() else None
    found = search.suggest(text, user=user, product_id=project.product_id if project else None)
    return render(request, "kb/_suggestions.html", {"suggestions": found, "typed": text.strip()})


@login_required
def article_attachment(request: HttpRequest, pk: int) -> HttpResponseBase:
    article = services.visible_articles(current_user(request)).filter(pk=pk).first()
    if article is None or not article.attachment:
        raise Http404
    return sandboxed_download(article.attachment, article.attachment_name or "attachment")
