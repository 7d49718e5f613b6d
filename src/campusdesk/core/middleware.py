"""Language selection, and the request body limit.

The web UI speaks Simplified Chinese unless the user chose otherwise. Order: an explicit
choice (the language cookie set by the switch), then the user's saved preference, then the
site default (zh-hans). The API follows the request's Accept-Language header instead, as API
clients expect.
"""

from __future__ import annotations

from collections.abc import Callable

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.utils import translation
from django.utils.cache import patch_vary_headers

from campusdesk.core import failures

SUPPORTED = {code for code, _name in settings.LANGUAGES}


def _language(request: HttpRequest) -> str:
    """``failures.language_of``, but on the web the user's saved preference comes before the
    site's language when no cookie chose one."""
    cookie = request.COOKIES.get(settings.LANGUAGE_COOKIE_NAME, "")
    if not failures.is_api(request) and cookie not in SUPPORTED:
        user = getattr(request, "user", None)
        preferred = getattr(user, "preferred_language", "") if user is not None else ""
        if preferred in SUPPORTED:
            return str(preferred)
    return failures.language_of(request)


class RequestLanguageMiddleware:
    """The first middleware: the language known without the database (the API's
    Accept-Language, else the cookie, else the site's). An answer made before
    LanguageMiddleware runs (a bad Host header's 400, a session store that fails) or
    without a request (the 500, 400 and CSRF pages) is then not in the language this
    thread's previous request left active."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        translation.activate(failures.language_of(request))
        return self.get_response(request)


class LanguageMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        is_api = failures.is_api(request)
        translation.activate(_language(request))
        request.LANGUAGE_CODE = translation.get_language()
        response = self.get_response(request)
        if is_api:
            patch_vary_headers(response, ("Accept-Language",))
        response.headers.setdefault("Content-Language", translation.get_language())
        return response


def body_limit(request: HttpRequest) -> int:
    """The largest body this request may carry: a form with files ``UPLOAD_MAX_BYTES``,
    anything else (forms, the API's JSON, webhooks) ``DATA_UPLOAD_MAX_MEMORY_SIZE``."""
    if request.content_type == "multipart/form-data":
        return int(settings.UPLOAD_MAX_BYTES)
    return int(settings.DATA_UPLOAD_MAX_MEMORY_SIZE)


class BodyLimitMiddleware:
    """Refuses a body over the limit (413) from its Content-Length, before anything reads it.

    Django's own checks come too late for files: a multipart body is read whole (to memory
    and temporary files) before a view can look at a file's size, and the API's parsers read
    the body without DATA_UPLOAD_MAX_MEMORY_SIZE. The header is the whole story: Django
    never reads past Content-Length, and a body without one (chunked) is read as empty.
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        try:
            length = int(request.META.get("CONTENT_LENGTH") or 0)
        except ValueError:
            length = 0  # as Django reads it: no body
        limit = body_limit(request)
        if length > limit:
            return failures.body_too_large(request, limit)
        return self.get_response(request)
