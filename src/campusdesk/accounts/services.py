from __future__ import annotations

import hashlib
import secrets
from datetime import datetime, timedelta
from typing import Any

from django.conf import settings
from django.contrib.auth import password_validation
from django.core.exceptions import ValidationError as DjangoValidationError
from django.db import transaction
from django.db.models.functions import Coalesce
from django.utils.translation import gettext_lazy as _

from campusdesk.accounts.models import ApiToken, Organisation, Region, User
from campusdesk.accounts.roles import Role
from campusdesk.core import clock, deletion
from campusdesk.core.errors import NotFound, PermissionDenied, ValidationError
from campusdesk.core.validation import checked

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


ORGANISATIONS_ONLY = _("Only administrators manage organisations.")
USERS_ONLY = _("Only administrators manage users.")


def administrator_only(actor: User | None, message: Any) -> None:
    """Refuse anyone but an administrator with ``message``; ``actor`` None is the system
    itself (the demo loader, a management command)."""
    if actor is not None and not actor.is_administrator:
        raise PermissionDenied(message)


#: An organisation's fields an administrator writes (the admin's form).
ORGANISATION_FIELDS = ("name", "short_name", "kind", "region", "email_domains", "is_active")


@transaction.atomic
def organisation_create(
    *,
    actor: User | None = None,
    name: str,
    kind: str = Organisation.Kind.CUSTOMER,
    short_name: str = "",
    region: Region | None = None,
    email_domains: str = "",
    is_active: bool = True,
) -> Organisation:
    administrator_only(actor, ORGANISATIONS_ONLY)
    organisation = Organisation(
        name=name.strip(),
        kind=kind,
        short_name=short_name.strip(),
        region=region,
        email_domains=email_domains.strip(),
        is_active=is_active,
    )
    checked(organisation)
    organisation.save()
    return organisation


@transaction.atomic
def organisation_update(
    *, actor: User, organisation: Organisation, data: dict[str, Any]
) -> Organisation:
    """Change the given fields, checked as the admin's form checks them. The kind of an
    organisation with users or projects stays: its users' roles and scoping depend on it."""
    administrator_only(actor, ORGANISATIONS_ONLY)
    values = {name: data[name] for name in ORGANISATION_FIELDS if name in data}
    for name in ("name", "short_name", "email_domains"):
        if name in values:
            values[name] = str(values[name]).strip()
    in_use = organisation.users.exists() or organisation.projects.exists()
    if values.get("kind", organisation.kind) != organisation.kind and in_use:
        message = _("The kind of an organisation with users or projects cannot change.")
        raise ValidationError(message, fields={"kind": [message]})
    for name, value in values.items():
        setattr(organisation, name, value)
    checked(organisation)
    organisation.save()
    return organisation


def organisation_delete(*, actor: User, organisation: Organisation) -> None:
    """Only an organisation nothing refers to (one made by mistake); else 409: deactivate."""
    administrator_only(actor, ORGANISATIONS_ONLY)
    deletion.delete_unreferenced(organisation)


#: A user's fields an administrator writes, beside the username (fixed) and the password.
USER_FIELDS = (
    "display_name",
    "email",
    "phone",
    "role",
    "organisation",
    "region",
    "preferred_language",
    "is_active",
)


def _user_rules(user: User, actor: User | None) -> None:
    """Customers belong to a customer organisation, the vendor's staff not to one; an
    administrator keeps their own account and role (no one locks themselves out)."""
    if user.role not in Role.values:
        raise ValidationError(fields={"role": [_("Unknown role.")]})
    organisation = user.organisation
    if user.role == Role.CUSTOMER and (
        organisation is None or organisation.kind != Organisation.Kind.CUSTOMER
    ):
        raise ValidationError(
            fields={"organisation": [_("A customer user belongs to a customer organisation.")]}
        )
    vendor = organisation is None or organisation.kind == Organisation.Kind.VENDOR
    if user.role != Role.CUSTOMER and not vendor:
        message = _("The vendor's staff belong to the vendor's organisation.")
        raise ValidationError(message, fields={"organisation": [message]})
    if actor is not None and actor.pk == user.pk and not (user.is_active and user.is_administrator):
        message = _(
            "You cannot deactivate your own account or give up your own administrator role."
        )
        raise ValidationError(
            message, fields={"is_active" if not user.is_active else "role": [message]}
        )


def _password_set(user: User, password: str) -> None:
    """The password validators (AUTH_PASSWORD_VALIDATORS) decide, as on every password page."""
    try:
        password_validation.validate_password(password, user)
    except DjangoValidationError as exc:
        raise ValidationError(fields={"password": list(exc.messages)}) from exc
    user.set_password(password)


@transaction.atomic
def user_create(
    *,
    actor: User | None = None,
    username: str,
    password: str | None,
    role: str,
    organisation: Organisation | None,
    email: str = "",
    display_name: str = "",
    phone: str = "",
    region: Region | None = None,
    preferred_language: str = "",
    is_active: bool = True,
) -> User:
    """Create a user; customers must belong to a customer organisation. Without a password
    the user cannot log in until one is set (by an administrator or a reset)."""
    administrator_only(actor, USERS_ONLY)
    user = User(
        username=username.strip(),
        role=role,
        organisation=organisation,
        email=email.strip(),
        display_name=display_name.strip(),
        phone=phone.strip(),
        region=region,
        preferred_language=preferred_language,
        is_active=is_active,
        is_staff=role == Role.ADMIN,
        is_superuser=role == Role.ADMIN,
    )
    _user_rules(user, None)
    checked(user, exclude=["password"])
    if password:
        _password_set(user, password)
    else:
        user.set_unusable_password()
    user.save()
    return user


@transaction.atomic
def user_update(*, actor: User, user: User, data: dict[str, Any]) -> User:
    """Change the given fields (``password`` too); deactivating revokes the user's tokens
    (accounts.signals), as a new password does. The role decides the admin site's access."""
    administrator_only(actor, USERS_ONLY)
    values = {name: data[name] for name in USER_FIELDS if name in data}
    for name in ("email", "display_name", "phone"):
        if name in values:
            values[name] = str(values[name]).strip()
    for name, value in values.items():
        setattr(user, name, value)
    if "role" in values:
        user.is_staff = user.is_superuser = user.role == Role.ADMIN
    _user_rules(user, actor)
    checked(user, exclude=["password"])
    if data.get("password"):
        _password_set(user, data["password"])
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
