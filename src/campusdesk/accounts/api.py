from __future__ import annotations

from typing import Any

from django.conf import settings
from django.contrib.auth import authenticate, logout
from django.db.models import Q, QuerySet
from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import OpenApiParameter, extend_schema, inline_serializer
from rest_framework import serializers, status, viewsets
from rest_framework.permissions import AllowAny, IsAuthenticated
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from campusdesk.accounts import selectors, services
from campusdesk.accounts.lockout import LOCKED_OUT_MESSAGE
from campusdesk.accounts.models import ApiToken, Organisation, Region, User
from campusdesk.accounts.roles import Role
from campusdesk.core.api import IdField, path_id, query_int, query_text, valid
from campusdesk.core.errors import NotFound
from campusdesk.core.http import current_user


class TokenRequestSerializer(serializers.Serializer[Any]):
    username = serializers.CharField(label=_("username"), max_length=150)
    password = serializers.CharField(
        label=_("password"), max_length=128, trim_whitespace=False, style={"input_type": "password"}
    )


class MeSerializer(serializers.ModelSerializer[User]):
    organisation: serializers.StringRelatedField[Organisation] = serializers.StringRelatedField()

    class Meta:
        model = User
        fields = [
            "id",
            "username",
            "display_name",
            "email",
            "phone",
            "role",
            "organisation",
            "preferred_language",
        ]


class TokenView(APIView):
    """Exchange a username and password for a new API token (``Authorization: Token …``).

    The token is shown only in this answer; it lasts ``API_TOKEN_DAYS`` days."""

    authentication_classes: list[Any] = []
    permission_classes = [AllowAny]

    @extend_schema(
        request=TokenRequestSerializer,
        responses={200: inline_serializer("TokenResponse", {"token": serializers.CharField()})},
    )
    def post(self, request: Request) -> Response:
        data = TokenRequestSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        user = authenticate(
            request._request,
            username=data.validated_data["username"],
            password=data.validated_data["password"],
        )
        if getattr(request._request, "axes_locked_out", False):
            return Response(
                {"detail": LOCKED_OUT_MESSAGE}, status=status.HTTP_429_TOO_MANY_REQUESTS
            )
        if user is None or not user.is_active:
            return Response(
                {"detail": _("The username or password is not correct.")},
                status=status.HTTP_400_BAD_REQUEST,
            )
        _token, secret = services.api_token_create(user=user)
        return Response({"token": secret})


class MeView(APIView):
    permission_classes = [IsAuthenticated]

    @extend_schema(responses=MeSerializer)
    def get(self, request: Request) -> Response:
        return Response(MeSerializer(current_user(request)).data)


class ApiTokenSerializer(serializers.ModelSerializer[ApiToken]):
    """A token as its owner sees it: never its secret, only the first characters."""

    current = serializers.SerializerMethodField()

    class Meta:
        model = ApiToken
        fields = ["id", "name", "prefix", "created_at", "last_used_at", "expires_at", "current"]

    def get_current(self, token: ApiToken) -> bool:
        """Whether this is the token the request was made with."""
        used = self.context["request"].auth
        return isinstance(used, ApiToken) and used.pk == token.pk


class MeTokensView(APIView):
    """The caller's API tokens that still authenticate, newest first."""

    @extend_schema(responses=ApiTokenSerializer(many=True))
    def get(self, request: Request) -> Response:
        tokens = selectors.live_api_tokens(current_user(request))
        return Response(ApiTokenSerializer(tokens, many=True, context={"request": request}).data)


class MeTokenView(APIView):
    """Revoke one of the caller's tokens (another user's token is not found)."""

    @extend_schema(request=None, responses={204: None})
    def delete(self, request: Request, pk: int) -> Response:
        services.api_token_revoke(user=current_user(request), token_id=path_id(pk))
        return Response(status=status.HTTP_204_NO_CONTENT)


class PasswordChangeSerializer(serializers.Serializer[Any]):
    old_password = serializers.CharField(
        label=_("Old password"), max_length=128, trim_whitespace=False
    )
    new_password = serializers.CharField(
        label=_("New password"), max_length=128, trim_whitespace=False
    )


class MePasswordView(APIView):
    """Change the caller's password: every API token is revoked, and a new one answered."""

    @extend_schema(
        request=PasswordChangeSerializer,
        responses={
            200: inline_serializer(
                "PasswordChanged",
                {"token": serializers.CharField(), "expires_at": serializers.DateTimeField()},
            )
        },
    )
    def post(self, request: Request) -> Response:
        user = current_user(request)
        data = PasswordChangeSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        # through authenticate(), so that django-axes counts wrong guesses and locks them out
        checked = authenticate(
            request._request, username=user.username, password=data.validated_data["old_password"]
        )
        if getattr(request._request, "axes_locked_out", False):
            return Response(
                {"detail": LOCKED_OUT_MESSAGE}, status=status.HTTP_429_TOO_MANY_REQUESTS
            )
        if checked is None or checked.pk != user.pk:
            return Response(
                {"old_password": [_("The old password is not correct.")]},
                status=status.HTTP_400_BAD_REQUEST,
            )
        token, secret = services.user_password_change(
            user=user, new_password=data.validated_data["new_password"]
        )
        return Response({"token": secret, "expires_at": token.expires_at})


class MeLogoutView(APIView):
    """Log out: revoke the token the request was made with (or end the web session)."""

    @extend_schema(request=None, responses={204: None})
    def post(self, request: Request) -> Response:
        if isinstance(request.auth, ApiToken):
            services.api_token_revoke(user=current_user(request), token_id=request.auth.pk)
        else:
            logout(request._request)
        return Response(status=status.HTTP_204_NO_CONTENT)


# --- users (administrators) ----------------------------------------------------------------
class UserSerializer(serializers.ModelSerializer[User]):
    """A user as an administrator reads them: never the password (not even its hash)."""

    class Meta:
        model = User
        fields = [
            "id",
            "username",
            "display_name",
            "email",
            "phone",
            "role",
            "organisation",
            "region",
            "preferred_language",
            "is_active",
            "last_login",
            "date_joined",
        ]
        read_only_fields = fields


class UserChange(serializers.Serializer[Any]):
    """What an administrator changes of a user (each optional in a PATCH)."""

    display_name = serializers.CharField(max_length=100, required=False, allow_blank=True)
    email = serializers.EmailField(max_length=254, required=False, allow_blank=True)
    phone = serializers.CharField(max_length=40, required=False, allow_blank=True)
    role = serializers.ChoiceField(choices=Role.choices)
    organisation = serializers.PrimaryKeyRelatedField(
        queryset=Organisation.objects.all(),
        pk_field=IdField(),
        allow_null=True,
        help_text="A customer organisation for customer users; the vendor's for its staff.",
    )
    region = serializers.PrimaryKeyRelatedField(
        queryset=Region.objects.all(),
        pk_field=IdField(),
        required=False,
        allow_null=True,
        help_text="For regional service supervisors: the region they supervise.",
    )
    preferred_language = serializers.ChoiceField(
        choices=settings.LANGUAGES, required=False, allow_blank=True
    )
    is_active = serializers.BooleanField(
        required=False, help_text="false deactivates the user (and revokes their API tokens)."
    )
    password = serializers.CharField(
        max_length=128,
        required=False,
        write_only=True,
        trim_whitespace=False,
        style={"input_type": "password"},
        help_text="A new password (checked by the password rules); never shown.",
    )


class UserInput(UserChange):
    username = serializers.CharField(max_length=150)


def _users_only(request: Request) -> User:
    user = current_user(request)
    services.administrator_only(user, services.USERS_ONLY)
    return user


def _user(pk: Any) -> User:
    found = User.objects.filter(pk=path_id(pk)).first()
    if found is None:
        raise NotFound()
    return found


class UserViewSet(viewsets.GenericViewSet[User]):
    """Users, for administrators: add one, change their role, organisation or contact
    details, set a password, deactivate (users are not deleted: their records stay theirs)."""

    serializer_class = UserSerializer

    def get_queryset(self) -> QuerySet[User]:
        return User.objects.order_by("username")

    @extend_schema(
        parameters=[
            OpenApiParameter("organisation", int),
            OpenApiParameter("role", str, enum=Role.values),
            OpenApiParameter("search", str, description="Username, name, e-mail or phone."),
        ]
    )
    def list(self, request: Request) -> Response:
        _users_only(request)
        users = self.get_queryset()
        organisation = query_int(request.query_params.get("organisation"))
        if organisation is not None:
            users = users.filter(organisation_id=organisation)
        role = query_text(request.query_params.get("role"))
        if role in Role.values:
            users = users.filter(role=role)
        search = query_text(request.query_params.get("search"), 100).strip()
        if search:
            users = users.filter(
                Q(username__icontains=search)
                | Q(display_name__icontains=search)
                | Q(email__icontains=search)
                | Q(phone__icontains=search)
            )
        page = self.paginate_queryset(users)
        return self.get_paginated_response(UserSerializer(page, many=True).data)

    def retrieve(self, request: Request, pk: Any = None) -> Response:
        _users_only(request)
        return Response(UserSerializer(_user(pk)).data)

    @extend_schema(request=UserInput, responses={201: UserSerializer})
    def create(self, request: Request) -> Response:
        actor = _users_only(request)
        data = valid(UserInput, request)
        user = services.user_create(actor=actor, password=data.pop("password", None), **data)
        return Response(UserSerializer(user).data, status=status.HTTP_201_CREATED)

    @extend_schema(request=UserChange, responses=UserSerializer)
    def partial_update(self, request: Request, pk: Any = None) -> Response:
        actor = _users_only(request)
        user = _user(pk)
        data = valid(UserChange, request, partial=True)
        return Response(
            UserSerializer(services.user_update(actor=actor, user=user, data=data)).data
        )
