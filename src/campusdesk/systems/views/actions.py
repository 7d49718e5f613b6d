"""The page side of the declared object actions (``systems.actions``): one POST handler
for every action of every kind, and the buttons/forms a page includes with
``{% include "systems/_actions.html" with kind="change" obj=change %}``."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.urls import path
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from campusdesk.core.errors import DomainError
from campusdesk.core.http import current_user
from campusdesk.systems import actions

app_name = "systems"


def _errors(form: object) -> str:
    errors = getattr(form, "errors", {})
    return " ".join(str(message) for problems in errors.values() for message in problems)


@require_POST
@login_required
def object_action(request: HttpRequest, kind: str, pk: int, name: str) -> HttpResponse:
    user = current_user(request)
    spec = actions.ACTIONS.get(kind, {}).get(name)
    if spec is None:
        raise Http404
    try:
        obj = actions.LOOKUPS[kind](user, pk)
    except DomainError as error:
        raise Http404 from error
    back = actions.PAGES[kind](obj)
    form = spec.form(request.POST, request.FILES) if spec.form is not None else None
    if form is not None and not form.is_valid():
        messages.error(
            request, _("Please correct the form: %(errors)s") % {"errors": _errors(form)}
        )
        return redirect(back)
    try:
        spec.run(obj, user, dict(form.cleaned_data) if form is not None else {})
    except DomainError as error:
        if error.status_code == 403:
            raise PermissionDenied from error
        messages.error(request, str(error))
        return redirect(back)
    messages.success(request, _("%(action)s: done.") % {"action": spec.label})
    return redirect(back)


urlpatterns = [
    path(
        "systems/do/<str:kind>/<int:pk>/<str:name>/",
        object_action,
        name="systems-object-action",
    ),
]
