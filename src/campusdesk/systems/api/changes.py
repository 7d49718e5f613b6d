"""/api/v1/: a system's planned changes, their approval and outcome, and the system's
environment document (.docx or PDF). Every write calls ``systems.changes``."""

from __future__ import annotations

from typing import Any

from django.http import HttpResponse
from django.urls import path
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import serializers, status
from rest_framework.pagination import PageNumberPagination
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from campusdesk.core.api import IgnoreFormatParameter, path_id
from campusdesk.core.http import current_user
from campusdesk.systems import actions, changes, document
from campusdesk.systems.change_actions import ChangeSerializer, TargetSerializer
from campusdesk.systems.models import Change
from campusdesk.systems.selectors import system_for

FORMATS = document.FORMATS


class ChangePlanSerializer(serializers.Serializer[Any]):
    kind = serializers.ChoiceField(choices=Change.Kind.choices)
    title = serializers.CharField(max_length=200)
    description = serializers.CharField(required=False, allow_blank=True, default="")
    window_start = serializers.DateTimeField()
    window_end = serializers.DateTimeField()
    risk = serializers.ChoiceField(choices=Change.Risk.choices)
    rollback_plan = serializers.CharField()
    targets = TargetSerializer(many=True, required=False)
    out_of_scope = serializers.BooleanField(required=False, default=False)
    workload_hours = serializers.DecimalField(
        max_digits=6, decimal_places=1, required=False, allow_null=True, default=None
    )


class SystemChangesView(APIView):
    """A system's changes, newest window first; POST plans a new one."""

    pagination_class = PageNumberPagination

    @extend_schema(responses=ChangeSerializer(many=True), operation_id="system_changes_list")
    def get(self, request: Request, pk: Any) -> Response:
        user = current_user(request)
        system = system_for(user, path_id(pk))
        found = changes.visible_changes(user).filter(system=system).order_by("-window_start", "-id")
        paginator = self.pagination_class()
        page = paginator.paginate_queryset(found, request, self)
        return paginator.get_paginated_response(ChangeSerializer(page, many=True).data)

    @extend_schema(
        request=ChangePlanSerializer,
        responses={201: ChangeSerializer},
        operation_id="system_changes_plan",
    )
    def post(self, request: Request, pk: Any) -> Response:
        user = current_user(request)
        system = system_for(user, path_id(pk))  # another organisation's: 404 before any 400
        serializer = ChangePlanSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = dict(serializer.validated_data)
        data["targets"] = [dict(t) for t in data.get("targets", [])]
        change = changes.change_plan(system_id=system.pk, actor=user, **data)
        found = changes.change_for(user, change.pk)
        return Response(ChangeSerializer(found).data, status=status.HTTP_201_CREATED)


class ChangeView(APIView):
    @extend_schema(responses=ChangeSerializer, operation_id="change_read")
    def get(self, request: Request, pk: Any) -> Response:
        change = changes.change_for(current_user(request), path_id(pk))
        return Response(ChangeSerializer(change).data)


class DocumentView(APIView):
    """The system's environment document (环境文档), made from the current data."""

    content_negotiation_class = IgnoreFormatParameter

    @extend_schema(
        operation_id="system_document",
        parameters=[
            OpenApiParameter(
                "format",
                str,
                OpenApiParameter.QUERY,
                enum=list(FORMATS),
                default="docx",
                description="docx (Word) or pdf.",
            )
        ],
        responses={
            (200, FORMATS["docx"]): OpenApiResponse(OpenApiTypes.BINARY),
            (200, FORMATS["pdf"]): OpenApiResponse(OpenApiTypes.BINARY),
            400: OpenApiResponse(description="An unknown format."),
        },
    )
    def get(self, request: Request, pk: Any) -> HttpResponse:
        system = system_for(current_user(request), path_id(pk))
        return document.download(system, request.query_params.get("format"))


urlpatterns = [
    path("systems/<int:pk>/changes/", SystemChangesView.as_view(), name="system-changes"),
    path("systems/<int:pk>/document/", DocumentView.as_view(), name="system-document"),
    path("changes/<int:pk>/", ChangeView.as_view(), name="change-detail"),
    *(
        path(f"changes/<int:pk>/{name}/", actions.endpoint("change", name), name=f"change-{name}")
        for name in actions.ACTIONS["change"]
    ),
]
