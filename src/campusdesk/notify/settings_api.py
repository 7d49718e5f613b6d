"""/api/v1/me/notification-settings/ and /api/v1/me/quiet-hours/: 消息设置 of the caller.

The same rows and service functions as the settings page (``notify.preferences``).
"""

from __future__ import annotations

from typing import Any

from drf_spectacular.utils import extend_schema
from rest_framework import serializers
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from campusdesk.core.api import valid
from campusdesk.core.http import current_user
from campusdesk.notify import preferences
from campusdesk.notify.models import Kind


class ChannelsSerializer(serializers.Serializer[Any]):
    inbox = serializers.BooleanField(help_text="In-app message (站内消息).")
    email = serializers.BooleanField(help_text="E-mail.")


class SettingRowSerializer(serializers.Serializer[Any]):
    kind = serializers.ChoiceField(choices=Kind.choices)
    # a field named like Field.label: DRF's metaclass takes it off the class
    label = serializers.CharField(  # type: ignore[assignment]
        help_text="The message type's name, in the caller's language."
    )
    mandatory = serializers.BooleanField(
        help_text="Always reaches the inbox: its inbox cannot be switched off."
    )
    channels = ChannelsSerializer()


class SettingRowInput(serializers.Serializer[Any]):
    """A row as read (``label`` and ``mandatory`` are ignored)."""

    kind = serializers.CharField(max_length=40, help_text="A message type (``kind`` of a row).")
    channels = serializers.DictField(
        child=serializers.BooleanField(),
        help_text='The channels to set: {"inbox": true, "email": false}; '
        "PUT gives both, PATCH any.",
    )


def _rows(request: Request) -> list[tuple[str, dict[str, bool]]]:
    given = SettingRowInput(data=request.data, many=True)
    given.is_valid(raise_exception=True)
    return [(row["kind"], dict(row["channels"])) for row in given.validated_data]


class NotificationSettingsView(APIView):
    """The caller's channels per message type, as the 消息设置 page shows and saves them.
    PUT gives every type with both channels; PATCH only the types and channels to change.
    An unknown type or channel, or switching off the inbox of a mandatory type, answers 400
    and changes nothing."""

    @extend_schema(
        operation_id="me_notification_settings_retrieve",
        responses=SettingRowSerializer(many=True),
    )
    def get(self, request: Request) -> Response:
        return Response(preferences.preference_rows(current_user(request)))

    @extend_schema(
        operation_id="me_notification_settings_update",
        request=SettingRowInput(many=True),
        responses=SettingRowSerializer(many=True),
    )
    def put(self, request: Request) -> Response:
        return self._set(request, complete=True)

    @extend_schema(
        operation_id="me_notification_settings_partial_update",
        request=SettingRowInput(many=True),
        responses=SettingRowSerializer(many=True),
    )
    def patch(self, request: Request) -> Response:
        return self._set(request, complete=False)

    def _set(self, request: Request, *, complete: bool) -> Response:
        rows = preferences.preferences_set(
            user=current_user(request), rows=_rows(request), complete=complete
        )
        return Response(rows)


class QuietHoursSerializer(serializers.Serializer[Any]):
    enabled = serializers.BooleanField(help_text="Hold non-urgent e-mails during quiet hours.")
    digest = serializers.BooleanField(
        help_text="Send non-urgent e-mails once a day, at the end of the quiet hours."
    )
    start = serializers.TimeField(format="%H:%M", help_text="HH:MM, Beijing time.")
    end = serializers.TimeField(format="%H:%M", help_text="HH:MM, Beijing time.")


class QuietHoursView(APIView):
    """The caller's quiet hours (免打扰) and daily digest, as on the 消息设置 page. Breaches,
    on-site dispatches and SIS1 problems are never held."""

    @extend_schema(operation_id="me_quiet_hours_retrieve", responses=QuietHoursSerializer)
    def get(self, request: Request) -> Response:
        quiet = preferences.quiet_hours_of(current_user(request))
        return Response(QuietHoursSerializer(quiet).data)

    @extend_schema(
        operation_id="me_quiet_hours_update",
        request=QuietHoursSerializer,
        responses=QuietHoursSerializer,
    )
    def put(self, request: Request) -> Response:
        user = current_user(request)
        data = valid(QuietHoursSerializer, request)
        quiet = preferences.quiet_hours_set(user=user, **data)
        return Response(QuietHoursSerializer(quiet).data)
