"""``Authorization: Token …``: the API's personal tokens, kept as hashes and expiring."""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _
from rest_framework import exceptions
from rest_framework.authentication import TokenAuthentication

from campusdesk.accounts import services
from campusdesk.accounts.models import ApiToken, User
from campusdesk.core import clock


class ApiTokenAuthentication(TokenAuthentication):
    """DRF's header parsing (and its OpenAPI scheme, ``tokenAuth``), our token model."""

    model = ApiToken

    def authenticate_credentials(self, key: str) -> tuple[User, ApiToken]:
        token = (
            ApiToken.objects.select_related("user__organisation")
            .filter(key_hash=services.token_hash(key))
            .first()
        )
        if token is None:
            raise exceptions.AuthenticationFailed(_("Invalid token."))
        now = clock.now()
        if token.expires_at <= now:
            raise exceptions.AuthenticationFailed(_("The token has expired."))
        if not token.user.is_active:
            raise exceptions.AuthenticationFailed(_("User inactive or deleted."))
        services.api_token_touch(token=token, now=now)
        return token.user, token
