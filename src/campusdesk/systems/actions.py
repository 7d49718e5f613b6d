"""One declaration per action on a systems object (a change's approve/complete, a
finding's accept-risk …; later a probe's "run now", a routine run's "complete"), in the
manner of ``tickets.actions``: the API endpoint, its OpenAPI entry, the page's button and
form, and the POST handler of the page are all generated from the ``ObjectAction``.

An object kind (``"change"``, ``"finding"``) keeps its actions in ``ACTIONS[kind]`` in the
order the page shows them. ``lookup(user, pk)`` finds the object the user may see (else
``NotFound``); ``allowed(obj, user)`` says whether the button is offered; the service that
``run`` calls checks again and raises the domain error that the API maps to 403/409.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Protocol

from django import forms as djforms
from django.utils.functional import Promise
from drf_spectacular.utils import extend_schema
from rest_framework import serializers as drf
from rest_framework import status
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from campusdesk.accounts.models import User
from campusdesk.core.api import path_id
from campusdesk.core.http import current_user

#: (object, actor, validated input) → the object as it is afterwards
Run = Callable[[Any, User, dict[str, Any]], Any]


@dataclass(frozen=True)
class ObjectAction:
    kind: str  # the object kind: "change", "finding"
    name: str  # the URL segment: /api/v1/<kind>s/{id}/<name>/
    label: str | Promise
    serializer: type[drf.Serializer[Any]]  # the API's input
    run: Run
    allowed: Callable[[Any, User], bool]
    form: type[djforms.BaseForm] | None = None  # the page's input (None: a plain button)
    #: a button that changes something people rely on asks "are you sure?"
    confirm: str | Promise = ""


ACTIONS: dict[str, dict[str, ObjectAction]] = {}
#: per kind: (user, pk) → the object, the serializer that answers with it, and the page
#: the form posts come back to
LOOKUPS: dict[str, Callable[[User, int], Any]] = {}
OUTPUTS: dict[str, type[drf.Serializer[Any]]] = {}
PAGES: dict[str, Callable[[Any], str]] = {}


def register_kind(
    kind: str,
    lookup: Callable[[User, int], Any],
    output: type[drf.Serializer[Any]],
    page: Callable[[Any], str],
) -> None:
    LOOKUPS[kind] = lookup
    OUTPUTS[kind] = output
    PAGES[kind] = page
    ACTIONS.setdefault(kind, {})


def register(spec: ObjectAction) -> ObjectAction:
    actions = ACTIONS.setdefault(spec.kind, {})
    if spec.name in actions:
        raise ValueError(f"{spec.kind}.{spec.name} is declared twice")
    actions[spec.name] = spec
    return spec


class Declare(Protocol):
    def __call__(
        self,
        name: str,
        label: str | Promise,
        serializer: type[drf.Serializer[Any]],
        run: Run,
        form: type[djforms.BaseForm] | None = None,
        confirm: str | Promise = "",
    ) -> ObjectAction: ...


def declarer(kind: str, allowed: Callable[[str], Callable[[Any, User], bool]]) -> Declare:
    """The ``declare(name, label, serializer, run, form, confirm)`` of one object kind,
    whose buttons are offered by ``allowed(name)``."""

    def declare(
        name: str,
        label: str | Promise,
        serializer: type[drf.Serializer[Any]],
        run: Run,
        form: type[djforms.BaseForm] | None = None,
        confirm: str | Promise = "",
    ) -> ObjectAction:
        spec = ObjectAction(kind, name, label, serializer, run, allowed(name), form, confirm)
        return register(spec)

    return declare


def offered(kind: str, obj: Any, user: User) -> list[ObjectAction]:
    """The actions ``user`` may take on ``obj`` now: the page's buttons."""
    return [spec for spec in ACTIONS.get(kind, {}).values() if spec.allowed(obj, user)]


def take(kind: str, name: str, user: User, pk: int, data: dict[str, Any]) -> Any:
    """Run an action on the object ``pk`` for ``user`` with validated ``data``."""
    spec = ACTIONS[kind][name]
    obj = LOOKUPS[kind](user, pk)
    return spec.run(obj, user, data)


def endpoint(kind: str, name: str) -> Any:
    """The API view of one action: POST the input, answer 200 with the object."""
    spec = ACTIONS[kind][name]

    class ActionView(APIView):
        @extend_schema(
            request=spec.serializer, responses={200: OUTPUTS[kind]}, operation_id=f"{kind}_{name}"
        )
        def post(self, request: Request, pk: Any) -> Response:
            user = current_user(request)
            obj = LOOKUPS[kind](user, path_id(pk))
            serializer = spec.serializer(data=request.data)
            serializer.is_valid(raise_exception=True)
            result = spec.run(obj, user, dict(serializer.validated_data))
            return Response(OUTPUTS[kind](result).data, status=status.HTTP_200_OK)

    ActionView.__name__ = ActionView.__qualname__ = f"{kind.title()}{name.title()}View"
    return ActionView.as_view()
