from __future__ import annotations

import hashlib
import secrets
from datetime import datetime, timedelta

from django.conf import settings
from django.contrib.auth import password_validation
from django.core.exceptions import ValidationError as DjangoValidationError
from django.db import transaction
from django.db.models.functions import Coalesce
from django.utils.translation import gettext_lazy as _

from campusdesk.accounts.models import ApiToken, Organisation, Region, User
from campusdesk.accounts.roles import Role
from campusdesk.core import clock
from campusdesk.core.errors import NotFound, ValidationError

#: How often at most a token's ``last_used_at`` is written: a script calling every second
#: would otherwise write a row per request.
TOKEN_TOUCH_EVERY = timedelta(minutes=1)
#: How long an expired token is kept, so that its owner's script hears "expired" rather than
#: "invalid"; older ones are removed when the owner makes a new token.
TOKEN_EXPIRED_KEPT = timedelta(days=30)
TOKEN_PREFIX_CHARS = 8
#: Tokens a user keeps at most: a script that asks for a new token on every run would
#: otherwise pile up live tokens; past the cap the least recently used one is revoked.
TOKEN_MAX_PER_USER = 100


def organisation_create(
    *,
    name: str,
    kind: str = Organisation.Kind.CUSTOMER,
    short_name: str = "",
    region: Region | None = None,
    email_domains: str = "",
) -> Organisation:
    organisation = Organisation(
        name=name.strip(),
        kind=kind,
        short_name=short_name.strip(),
        region=region,
        email_domains=email_domains,
    )
    organisation.full_clean()
    organisation.save()
    return organisation


@transaction.atomic
def user_create(
    *,
    username: str,
    password: str | None,
    role: str,
    organisation: Organisation | None,
    email: str = "",
    display_name: str = "",
    phone: str = "",
    region: Region | None = None,
) -> User:
    """Create a user; customers must belong to a customer organisation."""
    if role not in Role.values:
        raise ValidationError(fields={"role": [_("Unknown role.")]})
    if role == Role.CUSTOMER and (
        organisation is None or organisation.kind != Organisation.Kind.CUSTOMER
    ):
        raise ValidationError(
            fields={"organisation": [_("A customer user belongs to a customer organisation.")]}
        )
    user = User(
        username=username,
        role=role,
        organisation=organisation,
        email=email,
        display_name=display_name,
        phone=phone,
        region=region,
        is_staff=role == Role.ADMIN,
        is_superuser=role == Role.ADMIN,
    )
    if password:
        user.set_password(password)
    else:
        user.set_unusable_password()
    user.full_clean(exclude=["password"])
    user.save()
    return user


def user_set_language(*, user: User, language: str) -> None:
    """Remember the user's interface language (web pages follow it on every device)."""
    if language not in {code for code, _name in settings.LANGUAGES}:
        raise ValidationError(fields={"language": [_("Unsupported language.")]})
    User.objects.filter(pk=user.pk).update(preferred_language=language)
    user.preferred_language = language


def token_hash(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


def api_token_create(
    *, user: User, name: str = "", now: datetime | None = None
) -> tuple[ApiToken, str]:
    """A new API token for ``user`` and its secret, which is shown once and never stored."""
    now = now or clock.now()
    ApiToken.objects.filter(user=user, expires_at__lt=now - TOKEN_EXPIRED_KEPT).delete()
    secret = secrets.token_urlsafe(32)
    token = ApiToken.objects.create(
        user=user,
        name=name.strip()[:100],
        prefix=secret[:TOKEN_PREFIX_CHARS],
        key_hash=token_hash(secret),
        created_at=now,
        expires_at=now + timedelta(days=settings.API_TOKEN_DAYS),
    )
    surplus = (
        ApiToken.objects.filter(user=user)
        .order_by(Coalesce("last_used_at", "created_at").desc(), "-id")
        .values_list("pk", flat=True)[TOKEN_MAX_PER_USER:]
    )
    ApiToken.objects.filter(pk__in=list(surplus)).delete()
    return token, secret


def api_token_revoke(*, user: User, token_id: int) -> None:
    """Revoke one of the user's own tokens; another user's token is not found."""
    deleted, _rows = ApiToken.objects.filter(user=user, pk=token_id).delete()
    if not deleted:
        raise NotFound(_("There is no such token."))


def api_tokens_revoke_all(*, user: User) -> int:
    """Revoke every token of the user (password changed, account deactivated)."""
    deleted, _rows = ApiToken.objects.filter(user_id=user.pk).delete()
    return deleted


def api_token_touch(*, token: ApiToken, now: datetime) -> None:
    """Note that the token was used, at most once per ``TOKEN_TOUCH_EVERY``."""
    if token.last_used_at is not None and now - token.last_used_at < TOKEN_TOUCH_EVERY:
        return
    ApiToken.objects.filter(pk=token.pk).update(last_used_at=now)
    token.last_used_at = now


@transaction.atomic
def user_password_change(
    *, user: User, new_password: str, now: datetime | None = None
) -> tuple[ApiToken, str]:
    """Set a new password (checked by the password validators). Saving it revokes every API
    token of the user (accounts.signals); the answer is a new token for the caller."""
    try:
        password_validation.validate_password(new_password, user)
    except DjangoValidationError as exc:
        raise ValidationError(fields={"new_password": list(exc.messages)}) from exc
    user.set_password(new_password)
    user.save(update_fields=["password"])
    return api_token_create(user=user, now=now)
