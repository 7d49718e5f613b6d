"""Small helpers for views."""

from __future__ import annotations

import mimetypes
from typing import TYPE_CHECKING, Any
from urllib.parse import quote

from django import forms
from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.exceptions import PermissionDenied
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.http.response import HttpResponseBase
from django.utils.http import content_disposition_header
from rest_framework.request import Request

from campusdesk.core.errors import DomainError

if TYPE_CHECKING:  # core imports no domain app at run time: the user model comes from settings
    from campusdesk.accounts.models import User


def current_user(request: HttpRequest | Request) -> User:
    """The logged-in user of a view (web or API) that requires one, typed as our User."""
    user = request.user
    if not isinstance(user, get_user_model()) or not user.is_authenticated:
        raise PermissionDenied
    return user


def htmx_target(request: HttpRequest) -> str | None:
    """The element id an htmx request will swap, or None for a plain request."""
    details = getattr(request, "htmx", None)
    if not details:
        return None
    return str(details.target or "")


def is_htmx(request: HttpRequest) -> bool:
    return htmx_target(request) is not None


def show_errors(form: forms.BaseForm, error: DomainError) -> None:
    """Put a service's error on the form: on its fields where it names them."""
    for field, problems in error.fields.items():
        for problem in problems:
            form.add_error(field if field in form.fields else None, str(problem))
    if not error.fields:
        form.add_error(None, str(error))


def sandboxed_download(file: Any, name: str, content_type: str | None = None) -> HttpResponseBase:
    """A stored file (an upload, a received e-mail), always as a download (never rendered
    inline by the browser), with its own policy, kept by the site's CSP middleware: nothing
    in it loads or runs. The caller has checked who asks. With ``ACCEL_REDIRECT_PREFIX`` set
    (behind nginx, deploy/nginx/campusdesk.conf) the file is sent by nginx from that
    internal location, with these same headers, and no worker is held while it streams."""
    content_type = content_type or mimetypes.guess_type(name)[0] or "application/octet-stream"
    response: HttpResponseBase
    if settings.ACCEL_REDIRECT_PREFIX:
        response = HttpResponse(content_type=content_type)
        response["Content-Disposition"] = content_disposition_header(True, name) or "attachment"
        response["X-Accel-Redirect"] = settings.ACCEL_REDIRECT_PREFIX + quote(file.name)
    else:
        response = FileResponse(
            file.open("rb"), as_attachment=True, filename=name, content_type=content_type
        )
    response["X-Content-Type-Options"] = "nosniff"
    response["Content-Security-Policy"] = "default-src 'none'; sandbox; frame-ancestors 'none'"
    return response


def raise_refusal(error: DomainError) -> None:
    """A service's 403 or 404 as the page's; any other refusal is the caller's to say."""
    if error.status_code == 403:
        raise PermissionDenied from error
    if error.status_code == 404:
        raise Http404 from error


def refusal_text(error: DomainError) -> str:
    """What a refusal says: each field's messages, else its own."""
    return " ".join(str(p) for ps in error.fields.values() for p in ps) or str(error)
