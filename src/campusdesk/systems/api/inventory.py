"""/api/v1/systems/: the application systems and their versioned environments.

Thin views: parse, look the system up through ``systems.selectors`` (another organisation's
is not there: 404), call ``systems.services``; the domain errors become 400/403/404 in
``core.api``. A system's environment is read as the issue's Environment JSON with the
version's number, reason, author and time beside its keys, and written the same way with
``"reason"`` beside them.
"""

from __future__ import annotations

import re
from typing import Any

from django.db.models import Q, QuerySet
from django.urls import path
from django.utils.translation import gettext as _
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import serializers, status
from rest_framework.pagination import PageNumberPagination
from rest_framework.parsers import JSONParser
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from campusdesk.accounts.models import Organisation, User
from campusdesk.catalog import scoping
from campusdesk.catalog.models import Project
from campusdesk.core.api import IdField, path_id, query_int, query_text
from campusdesk.core.errors import NotFound, PermissionDenied, ValidationError
from campusdesk.core.http import current_user
from campusdesk.systems import environment, selectors, services
from campusdesk.systems.models import ApplicationSystem, EnvironmentVersion, Importance
from campusdesk.tickets.serializers import PersonSerializer

#: the largest version number the database holds (a PositiveIntegerField)
MAX_NUMBER = 2**31 - 1
_NUMBER = re.compile(r"[0-9]{1,10}")


# --- the system -----------------------------------------------------------------------
class SystemSerializer(serializers.ModelSerializer[ApplicationSystem]):
    environment_version = serializers.IntegerField(
        source="current_environment.number",
        read_only=True,
        allow_null=True,
        help_text="The number of the current environment version (null: none yet).",
    )

    class Meta:
        model = ApplicationSystem
        fields = [
            "id",
            "name",
            "organisation",
            "project",
            "importance",
            "owner",
            "vendor_contact",
            "customer_contact",
            "urls",
            "hosts",
            "notes",
            "environment_version",
            "created_at",
            "updated_at",
        ]
        read_only_fields = fields


def _texts() -> serializers.ListField:
    return serializers.ListField(child=serializers.CharField(max_length=500), required=False)


class SystemInput(serializers.Serializer[Any]):
    name = serializers.CharField(max_length=200)
    project = IdField()
    organisation = IdField(
        required=False, allow_null=True, help_text="Read from the project; another is refused."
    )
    importance = serializers.ChoiceField(choices=Importance.choices, required=False)
    owner = serializers.CharField(max_length=300, required=False, allow_blank=True)
    vendor_contact = IdField(required=False, allow_null=True)
    customer_contact = IdField(
        required=False,
        allow_null=True,
        help_text="A customer user of the system's organisation: confirms its incidents.",
    )
    urls = _texts()
    hosts = _texts()
    notes = serializers.CharField(max_length=20000, required=False, allow_blank=True)


def _valid(
    serializer_class: type[serializers.Serializer[Any]], request: Request, partial: bool = False
) -> dict[str, Any]:
    serializer = serializer_class(data=request.data, partial=partial)
    serializer.is_valid(raise_exception=True)
    return dict(serializer.validated_data)


def _project(user: User, project_id: int) -> Project:
    project = scoping.visible_projects(user).filter(pk=project_id).first()
    if project is None:
        raise ValidationError(
            _("There is no such project."), fields={"project": [_("Choose a project.")]}
        )
    return project


def _organisation(organisation_id: int | None, project: Project) -> Organisation | None:
    """The organisation the request names, if any: it must be the project's."""
    if organisation_id is None:
        return None
    if organisation_id != project.organisation_id:
        raise ValidationError(
            _("The system belongs to its project's organisation; this is another one."),
            fields={"organisation": [_("Give the project's organisation, or leave it out.")]},
        )
    return project.organisation


def _managed(request: Request, pk: int) -> ApplicationSystem:
    """The system to change: 404 if not visible, 403 for those who only read it."""
    user = current_user(request)
    system = selectors.system_for(user, path_id(pk))
    if not selectors.may_manage(user, system.project):
        raise PermissionDenied(_("Only the vendor's staff of the project may edit its systems."))
    return system


LIST_FILTERS = [
    OpenApiParameter("organisation", int),
    OpenApiParameter("project", int),
    OpenApiParameter("importance", str, enum=Importance.values),
    OpenApiParameter("q", str, description="A part of the name, owner or notes."),
]


def _filtered(systems: QuerySet[ApplicationSystem], params: Any) -> QuerySet[ApplicationSystem]:
    organisation = query_int(params.get("organisation"))
    project = query_int(params.get("project"))
    importance = params.get("importance")
    words = query_text(params.get("q"), 100).split()[:5]
    if organisation is not None:
        systems = systems.filter(organisation_id=organisation)
    if project is not None:
        systems = systems.filter(project_id=project)
    if importance:
        systems = systems.filter(importance=importance)
    for word in words:
        systems = systems.filter(
            Q(name__icontains=word) | Q(owner__icontains=word) | Q(notes__icontains=word)
        )
    return systems


class SystemsView(APIView):
    """Application systems (应用系统): vendor staff of the project create them; customers
    read their own organisation's."""

    @extend_schema(
        operation_id="systems_list",
        parameters=LIST_FILTERS,
        responses=SystemSerializer(many=True),
    )
    def get(self, request: Request) -> Response:
        importance = request.query_params.get("importance")
        if importance and importance not in Importance.values:
            raise ValidationError(
                _("Choose the importance: core, important or normal."),
                fields={"importance": [_("Choose core, important or normal.")]},
            )
        systems = selectors.visible_systems(current_user(request))
        systems = _filtered(systems, request.query_params).select_related("current_environment")
        pages = PageNumberPagination()
        page = pages.paginate_queryset(systems.order_by("organisation_id", "name", "id"), request)
        return pages.get_paginated_response(SystemSerializer(page, many=True).data)

    @extend_schema(
        operation_id="systems_create", request=SystemInput, responses={201: SystemSerializer}
    )
    def post(self, request: Request) -> Response:
        data = _valid(SystemInput, request)
        user = current_user(request)
        project = _project(user, data.pop("project"))
        organisation = _organisation(data.pop("organisation", None), project)
        system = services.system_create(
            actor=user, project=project, organisation=organisation, **data
        )
        return Response(SystemSerializer(system).data, status=status.HTTP_201_CREATED)


class SystemView(APIView):
    """One system: read it; vendor staff of its project edit it (PUT or PATCH). Its project
    and organisation stay what they were."""

    @extend_schema(operation_id="systems_retrieve", responses=SystemSerializer)
    def get(self, request: Request, pk: int) -> Response:
        system = selectors.system_for(current_user(request), path_id(pk))
        return Response(SystemSerializer(system).data)

    @extend_schema(operation_id="systems_update", request=SystemInput, responses=SystemSerializer)
    def put(self, request: Request, pk: int) -> Response:
        return self._update(request, pk, partial=False)

    @extend_schema(
        operation_id="systems_partial_update", request=SystemInput, responses=SystemSerializer
    )
    def patch(self, request: Request, pk: int) -> Response:
        return self._update(request, pk, partial=True)

    def _update(self, request: Request, pk: int, *, partial: bool) -> Response:
        system = _managed(request, pk)
        data = _valid(SystemInput, request, partial=partial)
        project = data.pop("project", system.project_id)
        if project != system.project_id:
            raise ValidationError(
                _("A system's project cannot be changed."),
                fields={"project": [_("Give the system's own project, or leave it out.")]},
            )
        _organisation(data.pop("organisation", None), system.project)
        updated = services.system_update(system_id=system.pk, actor=current_user(request), **data)
        return Response(SystemSerializer(updated).data)


# --- its environment --------------------------------------------------------------------
class OsSerializer(serializers.Serializer[Any]):
    name = serializers.CharField(allow_blank=True)
    version = serializers.CharField(allow_blank=True)


class ComponentSerializer(serializers.Serializer[Any]):
    kind = serializers.ChoiceField(choices=list(environment.KINDS))
    name = serializers.CharField()
    version = serializers.CharField()


class PortSerializer(serializers.Serializer[Any]):
    port = serializers.IntegerField(min_value=1, max_value=65535)
    protocol = serializers.ChoiceField(choices=list(environment.PROTOCOLS))
    service = serializers.CharField(allow_blank=True)
    exposure = serializers.ChoiceField(choices=list(environment.EXPOSURES))


class EnvironmentSerializer(serializers.Serializer[Any]):
    """The Environment JSON (documentation of the shape; ``environment.normalise`` checks)."""

    os = OsSerializer()
    components = ComponentSerializer(many=True)
    ports = PortSerializer(many=True)
    deployment = serializers.CharField(allow_blank=True, required=False)
    backup = serializers.CharField(allow_blank=True, required=False)
    notes = serializers.CharField(allow_blank=True, required=False)


class EnvironmentInput(EnvironmentSerializer):
    reason = serializers.CharField(help_text="Why the environment changed (required).")


class EnvironmentVersionSerializer(EnvironmentSerializer):
    version = serializers.IntegerField()
    reason = serializers.CharField()
    author = PersonSerializer(allow_null=True)
    created_at = serializers.DateTimeField()
    change = serializers.IntegerField(allow_null=True, help_text="The planned change, if any.")


class HistoryEntrySerializer(serializers.Serializer[Any]):
    number = serializers.IntegerField()
    created_at = serializers.DateTimeField()
    author = PersonSerializer(allow_null=True)
    reason = serializers.CharField()
    change = serializers.IntegerField(allow_null=True)
    changed_fields = serializers.ListField(child=serializers.CharField())


class DiffEntrySerializer(serializers.Serializer[Any]):
    field = serializers.CharField()
    before = serializers.JSONField(allow_null=True)
    after = serializers.JSONField(allow_null=True)


def _person(version: EnvironmentVersion) -> dict[str, Any] | None:
    author = version.author
    return dict(PersonSerializer(author).data) if author is not None else None


def _version_out(version: EnvironmentVersion) -> dict[str, Any]:
    return {
        **version.data,
        "version": version.number,
        "reason": version.reason,
        "author": _person(version),
        "created_at": serializers.DateTimeField().to_representation(version.created_at),
        "change": version.change_id,
    }


def _visible(request: Request, pk: int) -> ApplicationSystem:
    return selectors.system_for(current_user(request), path_id(pk))


def _version(system: ApplicationSystem, raw: object) -> EnvironmentVersion:
    """The version numbered ``raw``: 404 if it is not one of the system's."""
    text = str(raw)
    if not _NUMBER.fullmatch(text) or not 0 < int(text) <= MAX_NUMBER:
        raise NotFound(_("The system has no environment version %(number)s.") % {"number": text})
    version = services.version_of(system, int(text))
    return EnvironmentVersion.objects.select_related("author").get(pk=version.pk)


def _has_nul(value: Any) -> bool:
    if isinstance(value, str):
        return "\x00" in value
    if isinstance(value, dict):
        return any(_has_nul(k) or _has_nul(v) for k, v in value.items())
    if isinstance(value, list):
        return any(_has_nul(v) for v in value)
    return False


class EnvironmentView(APIView):
    """The system's current environment; POST a new version of it (with ``reason``)."""

    parser_classes = [JSONParser]

    @extend_schema(
        operation_id="systems_environment_retrieve", responses=EnvironmentVersionSerializer
    )
    def get(self, request: Request, pk: int) -> Response:
        system = _visible(request, pk)
        if system.current_environment_id is None:
            raise NotFound(_("No environment has been recorded for this system yet."))
        version = EnvironmentVersion.objects.select_related("author").get(
            pk=system.current_environment_id
        )
        return Response(_version_out(version))

    @extend_schema(
        operation_id="systems_environment_create",
        request=EnvironmentInput,
        responses={201: EnvironmentVersionSerializer},
    )
    def post(self, request: Request, pk: int) -> Response:
        system = _managed(request, pk)
        if not isinstance(request.data, dict):
            raise ValidationError(_("The environment must be an object."))
        if _has_nul(request.data):  # PostgreSQL stores no NUL, in text or in JSON
            raise ValidationError(_("The environment may not contain NUL characters."))
        data = dict(request.data)
        reason = data.pop("reason", "")
        version = services.environment_change(
            system_id=system.pk,
            actor=current_user(request),
            data=data,
            reason=reason if isinstance(reason, str) else "",
        )
        return Response(_version_out(version), status=status.HTTP_201_CREATED)


class EnvironmentVersionView(APIView):
    @extend_schema(
        operation_id="systems_environment_version", responses=EnvironmentVersionSerializer
    )
    def get(self, request: Request, pk: int, number: int) -> Response:
        return Response(_version_out(_version(_visible(request, pk), number)))


class EnvironmentHistoryView(APIView):
    """Every version of the system's environment, newest first, with the fields it changed."""

    @extend_schema(
        operation_id="systems_environment_history", responses=HistoryEntrySerializer(many=True)
    )
    def get(self, request: Request, pk: int) -> Response:
        system = _visible(request, pk)
        versions = list(system.environments.select_related("author").order_by("number"))
        rows: list[dict[str, Any]] = []
        before: dict[str, Any] = {}
        for version in versions:
            changed = environment.diff(before, version.data) if rows else []
            rows.append(
                {
                    "number": version.number,
                    "created_at": version.created_at,
                    "author": version.author,
                    "reason": version.reason,
                    "change": version.change_id,
                    "changed_fields": [c["field"] for c in changed],
                }
            )
            before = version.data
        rows.reverse()
        return Response(HistoryEntrySerializer(rows, many=True).data)


class EnvironmentDiffView(APIView):
    """Field by field what changed from version ``from`` to version ``to``."""

    @extend_schema(
        operation_id="systems_environment_diff",
        parameters=[
            OpenApiParameter("from", int, required=True),
            OpenApiParameter("to", int, required=True),
        ],
        responses=DiffEntrySerializer(many=True),
    )
    def get(self, request: Request, pk: int) -> Response:
        system = _visible(request, pk)
        errors = {
            name: [_("Give a version number.")]
            for name in ("from", "to")
            if not _NUMBER.fullmatch(request.query_params.get(name, ""))
        }
        if errors:
            raise ValidationError(_("Give the two version numbers to compare."), fields=errors)
        old = _version(system, request.query_params["from"])
        new = _version(system, request.query_params["to"])
        return Response(environment.diff(old.data, new.data))


urlpatterns = [
    path("systems/", SystemsView.as_view(), name="api-systems"),
    path("systems/<int:pk>/", SystemView.as_view(), name="api-system"),
    path("systems/<int:pk>/environment/", EnvironmentView.as_view(), name="api-system-environment"),
    path(
        "systems/<int:pk>/environment/history/",
        EnvironmentHistoryView.as_view(),
        name="api-system-environment-history",
    ),
    path(
        "systems/<int:pk>/environment/diff/",
        EnvironmentDiffView.as_view(),
        name="api-system-environment-diff",
    ),
    path(
        "systems/<int:pk>/environment/versions/<int:number>/",
        EnvironmentVersionView.as_view(),
        name="api-system-environment-version",
    ),
]
