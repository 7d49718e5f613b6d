from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from campusdesk.catalog import contacts, scoping
from campusdesk.core.http import current_user
from campusdesk.site import todo


@login_required
def home(request: HttpRequest) -> HttpResponse:
    user = current_user(request)
    projects = (
        scoping.visible_projects(user)
        .select_related("organisation", "product")
        .order_by("organisation__name", "name")[:20]
    )
    context = {
        "projects": projects,
        # a customer's: whom to call (the hotline, their contracts' manager and duty engineer)
        "contracts": contacts.for_customer(user),
        "centre": contacts.service_centre(),
        # what now: the reader's own to-do first, counted
        "todo": todo.todo(user),
    }
    return render(request, "core/home.html", context)
