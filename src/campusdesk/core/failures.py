"""Answers for requests the service cannot carry out: body too large, database down, disk full.

They are made without the database (no session, no user, no context processors), since
the database may be what failed: a plain page in the site's look for browsers, ``{"detail":
…}`` for the API, in the language the request asks for.
"""

from __future__ import annotations

import errno
import sys
from typing import Any

from django.conf import settings
from django.db import InterfaceError, OperationalError
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.template.defaultfilters import filesizeformat
from django.template.loader import render_to_string
from django.utils import translation
from django.utils.translation import gettext as _
from django.views.defaults import server_error as django_server_error

from campusdesk.core.errors import StorageFull

#: A database that cannot be reached, or went away during the request (Django wraps the
#: driver's errors: psycopg's connection failures, SQLite's "unable to open database file").
DATABASE_DOWN = (OperationalError, InterfaceError)
#: errno values of a write that found no space (disk full, quota exceeded).
NO_SPACE = frozenset({errno.ENOSPC, errno.EDQUOT})


def is_api(request: HttpRequest) -> bool:
    return request.path.startswith("/api/")


def language_of(request: HttpRequest) -> str:
    """The request's language, read without the session or the user (the database may be down)."""
    if is_api(request):
        return translation.get_language_from_request(request, check_path=False)
    cookie = request.COOKIES.get(settings.LANGUAGE_COOKIE_NAME, "")
    supported = {code for code, _name in settings.LANGUAGES}
    return cookie if cookie in supported else settings.LANGUAGE_CODE


def failure_response(
    request: HttpRequest, status: int, title: str, message: str, **headers: str
) -> HttpResponse:
    """``{"detail": message}`` for the API, else a page of its own (no base.html: it reads
    the user and the inbox)."""
    response: HttpResponse
    if is_api(request):
        response = JsonResponse({"detail": message}, status=status)
    else:
        page = render_to_string("failure.html", {"title": title, "message": message})
        response = HttpResponse(page, status=status)
    for name, value in headers.items():
        response[name] = value
    # made before CommonMiddleware would set it: the client knows where the answer ends
    response["Content-Length"] = str(len(response.content))
    return response


def body_too_large(request: HttpRequest, limit: int) -> HttpResponse:
    with translation.override(language_of(request)):
        return failure_response(
            request,
            413,
            _("Upload too large"),
            _(
                "The upload is too large: one submission may carry at most %(limit)s. "
                "Nothing was saved; please send fewer or smaller files."
            )
            % {"limit": filesizeformat(limit)},
        )


def database_unavailable(request: HttpRequest) -> HttpResponse:
    with translation.override(language_of(request)):
        return failure_response(
            request,
            503,
            _("Service temporarily unavailable"),
            database_down_message(),
            **{"Retry-After": str(settings.RETRY_AFTER_SECONDS)},
        )


def database_down_message() -> str:
    return _(
        "The service cannot reach its database right now. Please try again in a minute; "
        "if it keeps happening, tell your administrator."
    )


def storage_full(request: HttpRequest) -> HttpResponse:
    with translation.override(language_of(request)):
        message = str(StorageFull.default_message)
        return failure_response(request, 507, _("Storage full"), message)


def server_error(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
    """``handler500``: a database that is down answers 503 (try again), a full disk 507;
    anything else is Django's 500. The exception was already logged by Django."""
    error = sys.exc_info()[1]
    if isinstance(error, DATABASE_DOWN):
        return database_unavailable(request)
    if isinstance(error, OSError) and error.errno in NO_SPACE:
        return storage_full(request)
    return django_server_error(request)
