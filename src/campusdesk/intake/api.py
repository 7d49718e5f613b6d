"""/api/v1/alerts/: monitoring alerts (Alertmanager's webhook and a simple JSON), and sources."""

from __future__ import annotations

from typing import Any

from django.utils.translation import gettext_lazy as _
from drf_spectacular.extensions import OpenApiAuthenticationExtension
from drf_spectacular.utils import extend_schema, inline_serializer
from rest_framework import exceptions, serializers, status
from rest_framework.authentication import BaseAuthentication, get_authorization_header
from rest_framework.permissions import AllowAny
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from campusdesk.core.http import current_user
from campusdesk.intake import services
from campusdesk.intake.models import AlertSource


def _source(request: Request) -> AlertSource:
    """The source whose token the request bears (``Authorization: Bearer <token>``)."""
    header = get_authorization_header(request).split()
    if len(header) != 2 or header[0].lower() != b"bearer":
        raise exceptions.NotAuthenticated(_("Send the source's token: Authorization: Bearer …"))
    source = services.source_for_token(header[1].decode("latin-1"))
    if source is None:
        raise exceptions.AuthenticationFailed(_("Unknown or disabled alert source token."))
    return source


class SourceToken(BaseAuthentication):
    """Alert endpoints authenticate the source (its bearer token, checked in the view),
    not a person."""

    def authenticate(self, request: Any) -> None:
        return None

    def authenticate_header(self, request: Any) -> str:
        return "Bearer"


class SourceTokenScheme(OpenApiAuthenticationExtension):  # type: ignore[no-untyped-call]
    target_class = "campusdesk.intake.api.SourceToken"
    name = "alertSourceToken"

    def get_security_definition(self, auto_schema: Any) -> dict[str, str]:
        return {"type": "http", "scheme": "bearer"}


RESULT = inline_serializer("AlertResult", {
    "received": serializers.IntegerField(), "tickets": serializers.ListField(),
})  # fmt: skip


class AlertmanagerView(APIView):
    """Prometheus Alertmanager's webhook (version 4): set ``http_config.authorization``."""

    authentication_classes = [SourceToken]
    permission_classes = [AllowAny]

    @extend_schema(request=inline_serializer("AlertmanagerWebhook", {
        "version": serializers.CharField(), "status": serializers.CharField(),
        "alerts": serializers.ListField(child=serializers.DictField())}),
        responses=RESULT)  # fmt: skip
    def post(self, request: Request) -> Response:
        source = _source(request)
        records = [services.alert_receive(source=source, alert=a)
                   for a in services.from_alertmanager(request.data)]  # fmt: skip
        found = sorted({r.ticket_id for r in records if r.ticket_id})
        return Response({"received": len(records), "tickets": found})


class GenericAlertView(APIView):
    """A simple JSON alert: title, description, severity, status, fingerprint, labels."""

    authentication_classes = [SourceToken]
    permission_classes = [AllowAny]

    @extend_schema(request=inline_serializer("GenericAlert", {
        "title": serializers.CharField(), "description": serializers.CharField(required=False),
        "severity": serializers.CharField(required=False),
        "status": serializers.ChoiceField(choices=["firing", "resolved"], required=False),
        "fingerprint": serializers.CharField(required=False),
        "labels": serializers.DictField(required=False)}),
        responses=RESULT)  # fmt: skip
    def post(self, request: Request) -> Response:
        source = _source(request)
        record = services.alert_receive(source=source, alert=services.from_generic(request.data))
        found = [record.ticket_id] if record.ticket_id else []
        return Response({"received": 1, "tickets": found}, status=status.HTTP_202_ACCEPTED)


class SourceInput(serializers.Serializer[Any]):
    name = serializers.CharField(max_length=100)
    project = serializers.IntegerField()


class SourcesView(APIView):
    """Administrators add a source; its token is shown in this answer only."""

    @extend_schema(request=SourceInput, responses={201: inline_serializer("AlertSourceCreated", {
        "id": serializers.IntegerField(), "name": serializers.CharField(),
        "project": serializers.IntegerField(), "token": serializers.CharField()})})  # fmt: skip
    def post(self, request: Request) -> Response:
        given = SourceInput(data=request.data)
        given.is_valid(raise_exception=True)
        source, token = services.alert_source_create(
            actor=current_user(request), name=given.validated_data["name"],
            project_id=given.validated_data["project"],
        )  # fmt: skip
        return Response({"id": source.pk, "name": source.name, "project": source.project_id,
                         "token": token}, status=status.HTTP_201_CREATED)  # fmt: skip
