from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from campusdesk.core import selectors
from campusdesk.core.http import current_user


@login_required
def status(request: HttpRequest) -> HttpResponse:
    """Administrators' view of the background work: queue backend, backlog, worker heartbeats."""
    user = current_user(request)
    if not user.is_administrator:
        raise PermissionDenied
    return render(request, "core/status.html", {"queue": selectors.queue_status()})


def healthz(request: HttpRequest) -> HttpResponse:
    """For load balancers: answers 200 when the process serves requests."""
    return HttpResponse("ok", content_type="text/plain")
