"""What a client sees when django-axes has locked its username out."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render
from django.utils.translation import gettext_lazy as _

LOCKED_OUT_MESSAGE = _(
    "Too many failed logins for this account from your address. Try again in a few minutes."
)


def lockout_response(
    request: HttpRequest, original_response: HttpResponse | None = None, credentials: Any = None
) -> HttpResponse:
    if request.path.startswith("/api/"):
        return JsonResponse({"detail": str(LOCKED_OUT_MESSAGE)}, status=429)
    return render(request, "accounts/locked_out.html", {"message": LOCKED_OUT_MESSAGE}, status=429)
