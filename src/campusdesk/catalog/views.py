from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, render

from campusdesk.catalog import panels, scoping
from campusdesk.core.http import current_user

PAGE_SIZE = 50  # projects per page of the list


@login_required
def project_list(request: HttpRequest) -> HttpResponse:
    user = current_user(request)
    projects = (
        scoping.visible_projects(user)
        .select_related("organisation", "product", "service_manager")
        .order_by("organisation__name", "name", "id")
    )
    page = Paginator(projects, PAGE_SIZE).get_page(request.GET.get("page"))
    context = {"projects": page.object_list, "page": page}
    return render(request, "catalog/project_list.html", context)


@login_required
def project_detail(request: HttpRequest, pk: int) -> HttpResponse:
    """A project the user may see; any other answers 404 and never reveals that it exists."""
    user = current_user(request)
    project = get_object_or_404(
        scoping.visible_projects(user).select_related("organisation", "product", "service_manager"),
        pk=pk,
    )
    team = project.line1_team.order_by("username")
    experts = project.product.experts.select_related("user").order_by("tier", "user__username")
    show_staff = user.is_vendor_staff
    sections, added = panels.project_page.collect(project, user)  # the apps above's
    return render(
        request,
        "catalog/project_detail.html",
        {
            "project": project,
            "team": team,
            "experts": experts,
            "show_staff": show_staff,
            "sections": sections,
            **added,
        },
    )
