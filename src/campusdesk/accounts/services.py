from __future__ import annotations

from django.conf import settings
from django.db import transaction
from django.utils.translation import gettext_lazy as _

from campusdesk.accounts.models import Organisation, Region, User
from campusdesk.accounts.roles import Role
from campusdesk.core.errors import ValidationError


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
