"""/api/v1/alerts/: monitoring alerts (Alertmanager's webhook and a simple JSON), and sources."""

from __future__ import annotations

from typing import Any

from django.db import transaction
from django.utils.translation import gettext_lazy as _
from drf_spectacular.extensions import OpenApiAuthenticationExtension
from drf_spectacular.utils import OpenApiParameter, extend_schema, inline_serializer
from rest_framework import exceptions, serializers, status
from rest_framework.authentication import BaseAuthentication, get_authorization_header
from rest_framework.pagination import PageNumberPagination
from rest_framework.permissions import AllowAny
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from campusdesk.accounts.models import User
from campusdesk.core.api import IdField, paged, path_id, query_int, query_text, valid
from campusdesk.core.http import current_user
from campusdesk.core.text import validate_one_line
from campusdesk.intake import inbound, services, signing, triage
from campusdesk.intake.models import Alert, AlertSource, InboundMessage
from campusdesk.tickets.models import Channel


def _source(request: Request) -> AlertSource:
    """The source whose token the request bears (``Authorization: Bearer <token>``), and,
    for a source that signs, a fresh signature of the body never used before (recorded in
    the caller's transaction: intake.signing)."""
    header = get_authorization_header(request).split()
    if len(header) != 2 or header[0].lower() != b"bearer":
        raise exceptions.NotAuthenticated(_("Send the source's token: Authorization: Bearer …"))
    source = services.source_for_token(header[1].decode("latin-1"))
    if source is None:
        raise exceptions.AuthenticationFailed(_("Unknown or disabled alert source token."))
    signing.check(source, request.headers, request.body)
    return source


#: the signature headers of a source that signs (documented in the schema)
SIGNED = [
    OpenApiParameter(
        signing.TIMESTAMP,
        str,
        OpenApiParameter.HEADER,
        required=False,
        description="Unix seconds; within 5 minutes of the server's clock (signed sources).",
    ),
    OpenApiParameter(
        signing.SIGNATURE,
        str,
        OpenApiParameter.HEADER,
        required=False,
        description=(
            'Signed sources: "sha256=" + hex HMAC-SHA256(signing secret, "<timestamp>." + '
            "body); each signature is accepted once."
        ),
    ),
]


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


RESULT = inline_serializer(
    "AlertResult",
    {
        "received": serializers.IntegerField(),
        "tickets": serializers.ListField(),
    },
)


class AlertmanagerView(APIView):
    """Prometheus Alertmanager's webhook (version 4): set ``http_config.authorization``."""

    authentication_classes = [SourceToken]
    permission_classes = [AllowAny]

    @extend_schema(
        request=inline_serializer(
            "AlertmanagerWebhook",
            {
                "version": serializers.CharField(),
                "status": serializers.CharField(),
                "alerts": serializers.ListField(child=serializers.DictField()),
            },
        ),
        responses=RESULT,
        parameters=SIGNED,
    )
    def post(self, request: Request) -> Response:
        # answered only once the batch (and its signature) is committed: never 2xx for an
        # alert not saved
        with transaction.atomic():
            source = _source(request)
            records = services.alert_receive_many(
                source=source, alerts=services.from_alertmanager(request.data)
            )
        found = sorted({r.ticket_id for r in records if r.ticket_id})
        return Response({"received": len(records), "tickets": found})


class GenericAlertView(APIView):
    """A simple JSON alert: title, description, severity, status, fingerprint, labels."""

    authentication_classes = [SourceToken]
    permission_classes = [AllowAny]

    @extend_schema(
        request=inline_serializer(
            "GenericAlert",
            {
                "title": serializers.CharField(),
                "description": serializers.CharField(required=False),
                "severity": serializers.CharField(required=False),
                "status": serializers.ChoiceField(choices=["firing", "resolved"], required=False),
                "fingerprint": serializers.CharField(required=False),
                "labels": serializers.DictField(required=False),
            },
        ),
        responses=RESULT,
        parameters=SIGNED,
    )
    def post(self, request: Request) -> Response:
        with transaction.atomic():
            source = _source(request)
            alert = services.from_generic(request.data)
            record = services.alert_receive(source=source, alert=alert)
        found = [record.ticket_id] if record.ticket_id else []
        return Response({"received": 1, "tickets": found}, status=status.HTTP_202_ACCEPTED)


class SourceInput(serializers.Serializer[Any]):
    name = serializers.CharField(max_length=100, validators=[validate_one_line])
    project = serializers.IntegerField()
    signed = serializers.BooleanField(
        default=False, help_text="Require a signature of each alert (X-Campusdesk-Signature)."
    )


class SourcesView(APIView):
    """Administrators add a source; its token is shown in this answer only."""

    @extend_schema(
        request=SourceInput,
        responses={
            201: inline_serializer(
                "AlertSourceCreated",
                {
                    "id": serializers.IntegerField(),
                    "name": serializers.CharField(),
                    "project": serializers.IntegerField(),
                    "token": serializers.CharField(),
                    "signing_secret": serializers.CharField(allow_null=True),
                },
            )
        },
    )
    def post(self, request: Request) -> Response:
        given = SourceInput(data=request.data)
        given.is_valid(raise_exception=True)
        source, token, secret = services.alert_source_create(
            actor=current_user(request),
            name=given.validated_data["name"],
            project_id=given.validated_data["project"],
            signed=given.validated_data["signed"],
        )
        body = {"id": source.pk, "name": source.name, "project": source.project_id}
        body |= {"token": token, "signing_secret": secret}
        return Response(body, status=status.HTTP_201_CREATED)


# --- received e-mail: the review queue (service desk) -------------------------------------
class InboundMessageSerializer(serializers.ModelSerializer[InboundMessage]):
    ticket_number = serializers.CharField(source="ticket.number", default=None, read_only=True)

    class Meta:
        model = InboundMessage
        fields = [
            "id",
            "received_at",
            "sender",
            "sender_name",
            "recipients",
            "subject",
            "body",
            "attachment_names",
            "outcome",
            "reason",
            "ticket",
            "ticket_number",
            "user",
            "reviewed_by",
            "reviewed_at",
        ]


class MailRegisterInput(serializers.Serializer[Any]):
    reporter = IdField()
    project = IdField()


class MailAppendInput(serializers.Serializer[Any]):
    ticket = serializers.CharField(max_length=20, help_text=_("the problem's number"))


class MailDiscardInput(serializers.Serializer[Any]):
    reason = serializers.CharField(max_length=300)


class MailRetryInput(serializers.Serializer[Any]):
    """No input: the original message is processed again."""


def _reviewer(request: Request) -> User:
    user = current_user(request)
    if not inbound.may_review(user):
        raise exceptions.PermissionDenied(_("Only the service desk reviews received e-mail."))
    return user


class MailListView(APIView):
    """Received e-mail, newest first; ``?outcome=review`` is the review queue,
    ``?outcome=quarantined`` the messages that could not be processed (with the reason)."""

    @extend_schema(
        parameters=[OpenApiParameter("outcome", enum=InboundMessage.Outcome.values)],
        responses=InboundMessageSerializer(many=True),
    )
    def get(self, request: Request) -> Response:
        _reviewer(request)
        mails = InboundMessage.objects.select_related("ticket").order_by("-received_at", "-id")
        outcome = query_text(request.query_params.get("outcome"), 20)
        if outcome:
            mails = mails.filter(outcome=outcome)
        paginator = PageNumberPagination()
        page = paginator.paginate_queryset(mails, request, self)
        return paginator.get_paginated_response(InboundMessageSerializer(page, many=True).data)


class MailDetailView(APIView):
    @extend_schema(responses=InboundMessageSerializer)
    def get(self, request: Request, pk: int) -> Response:
        _reviewer(request)
        mail = InboundMessage.objects.select_related("ticket").filter(pk=path_id(pk)).first()
        if mail is None:
            raise exceptions.NotFound()
        return Response(InboundMessageSerializer(mail).data)


class _MailStep(APIView):
    """``register`` {"reporter", "project"}, ``append`` {"ticket"}, ``discard`` {"reason"},
    ``retry`` {} (a quarantined message)."""

    step = "register"
    inputs: dict[str, type[serializers.Serializer[Any]]] = {
        "register": MailRegisterInput,
        "append": MailAppendInput,
        "discard": MailDiscardInput,
        "retry": MailRetryInput,
    }

    def apply(self, request: Request, pk: int) -> Response:
        user = _reviewer(request)
        given = self.inputs[self.step](data=request.data)
        given.is_valid(raise_exception=True)
        data, message_id = given.validated_data, path_id(pk)
        if self.step == "register":
            inbound.mail_register(
                message_id=message_id,
                actor=user,
                reporter_id=data["reporter"],
                project_id=data["project"],
            )
        elif self.step == "append":
            inbound.mail_append(message_id=message_id, actor=user, ticket_number=data["ticket"])
        elif self.step == "retry":
            inbound.mail_retry(message_id=message_id, actor=user)
        else:
            inbound.mail_discard(message_id=message_id, actor=user, reason=data["reason"])
        mail = InboundMessage.objects.select_related("ticket").get(pk=message_id)
        return Response(InboundMessageSerializer(mail).data)


class MailRegisterView(_MailStep):
    """Register the e-mail as a problem of the customer user ``reporter``."""

    step = "register"

    @extend_schema(request=MailRegisterInput, responses=InboundMessageSerializer)
    def post(self, request: Request, pk: int) -> Response:
        return self.apply(request, pk)


class MailAppendView(_MailStep):
    """Add the e-mail to the problem numbered ``ticket``."""

    step = "append"

    @extend_schema(request=MailAppendInput, responses=InboundMessageSerializer)
    def post(self, request: Request, pk: int) -> Response:
        return self.apply(request, pk)


class MailDiscardView(_MailStep):
    """Discard the e-mail (awaiting review or quarantined), with the reason; it stays on
    record."""

    step = "discard"

    @extend_schema(request=MailDiscardInput, responses=InboundMessageSerializer)
    def post(self, request: Request, pk: int) -> Response:
        return self.apply(request, pk)


class MailRetryView(_MailStep):
    """Process a quarantined e-mail again; it stays quarantined, with the new reason, if it
    still cannot be processed."""

    step = "retry"

    @extend_schema(request=MailRetryInput, responses=InboundMessageSerializer)
    def post(self, request: Request, pk: int) -> Response:
        return self.apply(request, pk)


# --- alert triage (告警分诊): line 1 and above, operations, administrators ------------------
class AlertTriageSerializer(serializers.ModelSerializer[Alert]):
    """An alert as the triage queue shows it; ``title``, ``alertname``, ``instance`` and
    ``severity`` are read from its annotations and labels."""

    source_name = serializers.CharField(source="source.name", read_only=True)
    project = serializers.IntegerField(source="source.project_id", read_only=True)
    organisation = serializers.IntegerField(source="source.project.organisation_id", read_only=True)
    ticket_number = serializers.CharField(source="ticket.number", default=None, read_only=True)
    ticket_status = serializers.CharField(source="ticket.status", default=None, read_only=True)

    class Meta:
        model = Alert
        fields = [
            "id",
            "source",
            "source_name",
            "project",
            "organisation",
            "state",
            "title",
            "alertname",
            "instance",
            "severity",
            "labels",
            "fired_count",
            "first_seen_at",
            "last_seen_at",
            "ticket",
            "ticket_number",
            "ticket_status",
            "triage",
            "triaged_by",
            "triaged_at",
            "triage_note",
        ]


def _triager(request: Request) -> User:
    user = current_user(request)
    if not triage.may_triage(user):
        raise exceptions.PermissionDenied(
            _("Only vendor staff of line 1 and above, operations and administrators triage alerts.")
        )
    return user


class AlertTriageListView(APIView):
    """The alerts of the caller's projects, most recently seen first, with what triage made
    of them; ``state``, ``triage`` and ``source`` filter them."""

    @extend_schema(
        parameters=[
            OpenApiParameter("state", enum=[*Alert.State.values, "all"]),
            OpenApiParameter("triage", enum=[*Alert.Triage.values, "all"]),
            OpenApiParameter("source", int),
        ],
        responses=AlertTriageSerializer(many=True),
    )
    def get(self, request: Request) -> Response:
        user = _triager(request)
        alerts = triage.queue(
            user,
            state=query_text(request.query_params.get("state"), 20),
            triage=query_text(request.query_params.get("triage"), 20),
            source_id=query_int(request.query_params.get("source")),
        )
        return paged(alerts, request, AlertTriageSerializer)


class AcknowledgeInput(serializers.Serializer[Any]):
    note = serializers.CharField(max_length=300, required=False, allow_blank=True, default="")


REASON_REQUIRED = _("Say why this is a false alarm.")


class FalseAlarmInput(serializers.Serializer[Any]):
    reason = serializers.CharField(
        max_length=300,
        error_messages={"required": REASON_REQUIRED, "blank": REASON_REQUIRED},
    )


class LinkInput(serializers.Serializer[Any]):
    ticket = IdField(help_text=_("the id of an open problem of the alert's organisation"))
    note = serializers.CharField(max_length=300, required=False, allow_blank=True, default="")


class RaiseInput(serializers.Serializer[Any]):
    """No input: the problem is registered from the alert as the monitoring would have."""


class _TriageStep(APIView):
    """One triage step on the alert ``pk``: 403 for a role that does not triage, 404 for an
    alert outside the caller's projects, 400 for bad input, 409 when someone else has
    triaged it first."""

    step = "acknowledge"
    inputs: dict[str, type[serializers.Serializer[Any]]] = {
        "acknowledge": AcknowledgeInput,
        "false_alarm": FalseAlarmInput,
        "link": LinkInput,
        "raise": RaiseInput,
    }

    def apply(self, request: Request, pk: int) -> Response:
        user = _triager(request)
        alert_id = path_id(pk)
        data = valid(self.inputs[self.step], request)
        common: dict[str, Any] = {"alert_id": alert_id, "actor": user, "channel": Channel.API}
        if self.step == "acknowledge":
            triage.alert_acknowledge(**common, note=data["note"])
        elif self.step == "false_alarm":
            triage.alert_mark_false_alarm(**common, reason=data["reason"])
        elif self.step == "link":
            triage.alert_link(**common, ticket_id=data["ticket"], note=data["note"])
        else:
            triage.alert_raise(**common)
        alert = triage.queue(user).get(pk=alert_id)
        return Response(AlertTriageSerializer(alert).data)


class AlertAcknowledgeView(_TriageStep):
    """Acknowledge ("I am on it"): the alert is taken (only an untriaged one); its problem's
    timeline says by whom."""

    step = "acknowledge"

    @extend_schema(request=AcknowledgeInput, responses=AlertTriageSerializer)
    def post(self, request: Request, pk: int) -> Response:
        return self.apply(request, pk)


class AlertFalseAlarmView(_TriageStep):
    """A false alarm, with the ``reason`` (required). The problem it raised stays open (staff
    have no action that cancels a customer's problem); its timeline says so."""

    step = "false_alarm"

    @extend_schema(request=FalseAlarmInput, responses=AlertTriageSerializer)
    def post(self, request: Request, pk: int) -> Response:
        return self.apply(request, pk)


class AlertLinkView(_TriageStep):
    """Link the alert to an open problem (``ticket``) of the same organisation: its repeats
    go there; the problem it raised itself is noted as a duplicate."""

    step = "link"

    @extend_schema(request=LinkInput, responses=AlertTriageSerializer)
    def post(self, request: Request, pk: int) -> Response:
        return self.apply(request, pk)


class AlertRaiseView(_TriageStep):
    """Register a problem for an alert that has none (one silenced by maintenance, say)."""

    step = "raise"

    @extend_schema(request=RaiseInput, responses=AlertTriageSerializer)
    def post(self, request: Request, pk: int) -> Response:
        return self.apply(request, pk)
