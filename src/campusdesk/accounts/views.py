from __future__ import annotations

from django import forms
from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import redirect, render
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_POST

from campusdesk.accounts import selectors, services
from campusdesk.core.api import path_id
from campusdesk.core.errors import NotFound
from campusdesk.core.http import current_user
from campusdesk.core.text import validate_one_line


@require_POST
def set_language(request: HttpRequest) -> HttpResponse:
    """Switch the interface language; a logged-in user keeps the choice on every device."""
    language = request.POST.get("language", "")
    target = request.POST.get("next") or "/"
    if not url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        target = "/"
    response = HttpResponseRedirect(target)
    if language not in {code for code, _name in settings.LANGUAGES}:
        return response
    if request.user.is_authenticated:
        services.user_set_language(user=current_user(request), language=language)
    response.set_cookie(
        settings.LANGUAGE_COOKIE_NAME,
        language,
        max_age=365 * 24 * 3600,
        samesite="Lax",
        secure=settings.SESSION_COOKIE_SECURE,
    )
    return response


class TokenForm(forms.Form):
    name = forms.CharField(
        label=gettext_lazy("Token name"),
        max_length=100,
        required=False,
        help_text=gettext_lazy("What the token is for, e.g. the monitoring script."),
        validators=[validate_one_line],
    )


@never_cache
@login_required
def settings_page(request: HttpRequest) -> HttpResponse:
    """个人设置: the user's API tokens (list, revoke, create: the secret shown once)."""
    user = current_user(request)
    form = TokenForm(request.POST or None)
    secret = None
    if request.method == "POST" and form.is_valid():
        _token, secret = services.api_token_create(user=user, name=form.cleaned_data["name"])
        form = TokenForm()
    context = {
        "tokens": selectors.live_api_tokens(user),
        "form": form,
        "secret": secret,
        "days": settings.API_TOKEN_DAYS,
    }
    return render(request, "accounts/settings.html", context)


@require_POST
@login_required
def token_revoke(request: HttpRequest, pk: int) -> HttpResponse:
    try:
        services.api_token_revoke(user=current_user(request), token_id=path_id(pk))
    except NotFound as exc:
        raise Http404 from exc
    messages.success(request, _("The token was revoked."))
    return redirect("accounts:settings")
