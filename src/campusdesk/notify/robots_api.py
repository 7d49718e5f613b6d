"""/api/v1/robots/: group robots (群机器人), for administrators, over ``notify.robots``.

The webhook URL and the signing secret are write-only: a robot reads with ``url_hint``,
``secret_hint`` and ``has_secret``, never with either credential.
"""

from __future__ import annotations

from typing import Any

from drf_spectacular.utils import extend_schema
from rest_framework import serializers, status
from rest_framework.pagination import PageNumberPagination
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from campusdesk.core.api import IdField, paged, path_id
from campusdesk.core.errors import NotFound
from campusdesk.core.http import current_user
from campusdesk.notify import robots
from campusdesk.notify.models import Kind, RobotChannel


class RobotSerializer(serializers.ModelSerializer[RobotChannel]):
    url_hint = serializers.SerializerMethodField(
        help_text="The platform's host and the URL's last characters; the URL is not shown."
    )
    has_secret = serializers.SerializerMethodField()
    secret_hint = serializers.SerializerMethodField(
        help_text="The secret's last characters; empty without one."
    )
    kinds = serializers.ListField(
        child=serializers.ChoiceField(choices=Kind.choices),
        help_text="The message types it hears; empty: every type.",
    )

    class Meta:
        model = RobotChannel
        fields = [
            "id",
            "name",
            "platform",
            "project",
            "kinds",
            "internal",
            "is_active",
            "url_hint",
            "has_secret",
            "secret_hint",
        ]
        read_only_fields = fields

    def get_url_hint(self, robot: RobotChannel) -> str:
        return robots.url_hint(robot)

    def get_has_secret(self, robot: RobotChannel) -> bool:
        return bool(robot.secret)

    def get_secret_hint(self, robot: RobotChannel) -> str:
        return robots.secret_hint(robot)


class RobotInput(serializers.Serializer[Any]):
    """A robot as written; ``notify.robots`` checks the values (the URL through the guard)."""

    name = serializers.CharField(max_length=100)
    platform = serializers.ChoiceField(choices=RobotChannel.Platform.choices)
    webhook_url = serializers.CharField(
        max_length=500,
        write_only=True,
        help_text="The robot's webhook URL (carries its credential; never shown again). "
        "Non-public addresses are refused.",
    )
    secret = serializers.CharField(
        max_length=200,
        required=False,
        allow_blank=True,
        write_only=True,
        help_text="DingTalk's or Feishu's signing secret; left out: unchanged; empty: removed.",
    )
    project = IdField(
        required=False, allow_null=True, help_text="The project it hears; null: every project."
    )
    kinds = serializers.ListField(
        child=serializers.CharField(max_length=40),
        required=False,
        help_text="Message types (the ``kind`` of 消息设置's rows); empty: every type.",
    )
    internal = serializers.BooleanField(
        required=False,
        help_text="A vendor staff group (also internal messages); false: a customer group.",
    )
    is_active = serializers.BooleanField(required=False)


def _robot(request: Request, pk: Any) -> RobotChannel:
    robot = RobotChannel.objects.filter(pk=path_id(pk)).first()
    if robot is None:
        raise NotFound()
    return robot


def _administrator(request: Request) -> None:
    robots.administrator(current_user(request))


class RobotsView(APIView):
    """WeCom / DingTalk / Feishu group robots that receive a project's (or every) message."""

    pagination_class = PageNumberPagination  # paged(): the schema shows the page

    @extend_schema(operation_id="robots_list", responses=RobotSerializer(many=True))
    def get(self, request: Request) -> Response:
        _administrator(request)
        return paged(RobotChannel.objects.order_by("pk"), request, RobotSerializer)

    @extend_schema(
        operation_id="robots_create", request=RobotInput, responses={201: RobotSerializer}
    )
    def post(self, request: Request) -> Response:
        _administrator(request)
        data = _given(request, partial=False)
        robot = robots.robot_create(actor=current_user(request), data=data)
        return Response(RobotSerializer(robot).data, status=status.HTTP_201_CREATED)


class RobotView(APIView):
    @extend_schema(operation_id="robots_retrieve", responses=RobotSerializer)
    def get(self, request: Request, pk: Any) -> Response:
        _administrator(request)
        return Response(RobotSerializer(_robot(request, pk)).data)

    @extend_schema(
        operation_id="robots_partial_update", request=RobotInput, responses=RobotSerializer
    )
    def patch(self, request: Request, pk: Any) -> Response:
        _administrator(request)
        robot = _robot(request, pk)
        data = _given(request, partial=True)
        robot = robots.robot_update(actor=current_user(request), robot=robot, data=data)
        return Response(RobotSerializer(robot).data)

    @extend_schema(operation_id="robots_destroy", responses={204: None})
    def delete(self, request: Request, pk: Any) -> Response:
        _administrator(request)
        robots.robot_delete(actor=current_user(request), robot=_robot(request, pk))
        return Response(status=status.HTTP_204_NO_CONTENT)


def _given(request: Request, *, partial: bool) -> dict[str, Any]:
    given = RobotInput(data=request.data, partial=partial)
    given.is_valid(raise_exception=True)
    return dict(given.validated_data)
