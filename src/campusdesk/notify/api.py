"""/api/v1/notifications/: the inbox."""

from __future__ import annotations

from typing import Any

from django.db.models import Q, QuerySet
from drf_spectacular.utils import OpenApiParameter, extend_schema, inline_serializer
from rest_framework import serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from campusdesk.accounts.models import Organisation
from campusdesk.catalog.models import Product
from campusdesk.core.api import IdField, path_id, query_text
from campusdesk.core.http import current_user
from campusdesk.core.text import validate_one_line
from campusdesk.notify import announcements, inbox
from campusdesk.notify.models import Announcement, Kind, Notification
from campusdesk.notify.subscriptions import ticket_follow, webhook_create


class NotificationSerializer(serializers.ModelSerializer[Notification]):
    unread = serializers.SerializerMethodField()

    class Meta:
        model = Notification
        fields = [
            "id",
            "kind",
            "title",
            "body",
            "url",
            "ticket",
            "urgent",
            "created_at",
            "read_at",
            "unread",
        ]

    def get_unread(self, note: Notification) -> bool:
        return note.read_at is None


class NotificationViewSet(viewsets.GenericViewSet[Notification]):
    """The user's in-app messages, newest first."""

    serializer_class = NotificationSerializer

    def get_queryset(self) -> QuerySet[Notification]:
        if getattr(self, "swagger_fake_view", False):
            return Notification.objects.none()
        notes = Notification.objects.filter(recipient=current_user(self.request))
        if self.request.query_params.get("unread") in ("1", "true", "yes"):
            notes = notes.filter(read_at__isnull=True)
        kind = self.request.query_params.get("kind")
        if kind in Kind.values:
            notes = notes.filter(kind=kind)
        return notes.order_by("-created_at", "-id")

    @extend_schema(parameters=[OpenApiParameter("unread", bool), OpenApiParameter("kind", str)])
    def list(self, request: Request) -> Response:
        page = self.paginate_queryset(self.get_queryset())
        return self.get_paginated_response(NotificationSerializer(page, many=True).data)

    @extend_schema(request=None, responses={204: None})
    @action(detail=True, methods=["post"])
    def read(self, request: Request, pk: str | None = None) -> Response:
        found = inbox.notification_read(user=current_user(request), notification_id=path_id(pk))
        return Response(status=status.HTTP_204_NO_CONTENT if found else status.HTTP_404_NOT_FOUND)

    @extend_schema(
        request=None, responses=inline_serializer("ReadAll", {"marked": serializers.IntegerField()})
    )
    @action(detail=False, methods=["post"], url_path="read-all")
    def read_all(self, request: Request) -> Response:
        marked: Any = inbox.notification_read_all(user=current_user(request))
        return Response({"marked": marked})


class AnnouncementSerializer(serializers.ModelSerializer[Announcement]):
    products: Any = serializers.SlugRelatedField(slug_field="name", many=True, read_only=True)
    attachment_url = serializers.SerializerMethodField()

    class Meta:
        model = Announcement
        fields = [
            "id",
            "category",
            "title",
            "body",
            "products",
            "published_at",
            "attachment_name",
            "attachment_url",
        ]

    def get_attachment_url(self, item: Announcement) -> str | None:
        return f"/announcements/{item.pk}/attachment/" if item.attachment else None


class AnnouncementInput(serializers.Serializer[Any]):
    category = serializers.ChoiceField(choices=Announcement.Category.choices)
    title = serializers.CharField(max_length=200, validators=[validate_one_line])
    body = serializers.CharField(max_length=50000)
    products = serializers.ListField(child=IdField(), min_length=1)
    organisations = serializers.ListField(child=IdField(), required=False)


class AnnouncementViewSet(viewsets.GenericViewSet[Announcement]):
    """The document library: announcements the user may read; vendor staff publish."""

    serializer_class = AnnouncementSerializer

    def get_queryset(self) -> QuerySet[Announcement]:
        if getattr(self, "swagger_fake_view", False):
            return Announcement.objects.none()
        items = announcements.visible(current_user(self.request)).prefetch_related("products")
        search = query_text(self.request.query_params.get("search")).strip()
        if search:
            items = items.filter(Q(title__icontains=search) | Q(body__icontains=search))
        category = self.request.query_params.get("category")
        if category in Announcement.Category.values:
            items = items.filter(category=category)
        return items.order_by("-published_at", "-id")

    @extend_schema(parameters=[OpenApiParameter("search", str), OpenApiParameter("category", str)])
    def list(self, request: Request) -> Response:
        page = self.paginate_queryset(self.get_queryset())
        return self.get_paginated_response(AnnouncementSerializer(page, many=True).data)

    def retrieve(self, request: Request, pk: str | None = None) -> Response:
        item = self.get_queryset().filter(pk=path_id(pk)).first()
        if item is None:
            return Response(status=status.HTTP_404_NOT_FOUND)
        return Response(AnnouncementSerializer(item).data)

    @extend_schema(request=AnnouncementInput, responses={201: AnnouncementSerializer})
    def create(self, request: Request) -> Response:
        given = AnnouncementInput(data=request.data)
        given.is_valid(raise_exception=True)
        data = given.validated_data
        item = announcements.announcement_publish(
            actor=current_user(request),
            category=data["category"],
            title=data["title"],
            body=data["body"],
            products=Product.objects.filter(pk__in=data["products"]),
            organisations=Organisation.objects.filter(pk__in=data.get("organisations", [])),
        )
        return Response(AnnouncementSerializer(item).data, status=status.HTTP_201_CREATED)


class FollowView(APIView):
    """Follow a problem (POST) or stop following it (DELETE)."""

    @extend_schema(
        request=None,
        responses={200: inline_serializer("Following", {"following": serializers.BooleanField()})},
    )
    def post(self, request: Request, pk: int) -> Response:
        following = ticket_follow(ticket_id=pk, actor=current_user(request), follow=True)
        return Response({"following": following})

    @extend_schema(
        request=None,
        responses={
            200: inline_serializer("NotFollowing", {"following": serializers.BooleanField()})
        },
    )
    def delete(self, request: Request, pk: int) -> Response:
        following = ticket_follow(ticket_id=pk, actor=current_user(request), follow=False)
        return Response({"following": following})


class WebhookInput(serializers.Serializer[Any]):
    name = serializers.CharField(max_length=100, validators=[validate_one_line])
    project = serializers.IntegerField()
    url = serializers.URLField(max_length=500)
    events = serializers.ListField(child=serializers.CharField(max_length=40), required=False)


class WebhooksView(APIView):
    """Administrators subscribe an outside system to a project's ticket events."""

    @extend_schema(
        request=WebhookInput,
        responses={
            201: inline_serializer(
                "WebhookCreated",
                {"id": serializers.IntegerField(), "secret": serializers.CharField()},
            )
        },
    )
    def post(self, request: Request) -> Response:
        given = WebhookInput(data=request.data)
        given.is_valid(raise_exception=True)
        data = given.validated_data
        sub, secret = webhook_create(
            actor=current_user(request),
            name=data["name"],
            project_id=data["project"],
            url=data["url"],
            events=data.get("events", []),
        )
        return Response({"id": sub.pk, "secret": secret}, status=status.HTTP_201_CREATED)
