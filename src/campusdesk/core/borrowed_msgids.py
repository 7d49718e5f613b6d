"""English of Django's admin and of django-axes that their zh_Hans catalogues lack.

Marked here so that makemessages copies them into our catalogue, which Django reads
before every app's own (LOCALE_PATHS): the admin's screen-reader headings and its "add
user" hint are newer than Django's Chinese catalogue, and django-axes ships no Chinese at
all (the admin's 登录锁定 section). Nothing reads these tuples; only makemessages does.
"""

from __future__ import annotations

from django.utils.translation import gettext_noop as _

DJANGO_ADMIN = (
    _("Model name"),
    _("Add link"),
    _("Change or view list link"),
    _("After you’ve created a user, you’ll be able to edit more user options."),
)

AXES = (
    _("access attempt"),
    _("access attempts"),
    _("Access Attempt"),
    _("access attempt expiration"),
    _("access attempt expirations"),
    _("access failure"),
    _("access failures"),
    _("access log"),
    _("access logs"),
    _("Access lock out"),
    _("Account locked: too many login attempts. Please try again later."),
    _("Account locked: too many login attempts. Contact an admin to unlock your account."),
    _("Attempt Remaining"),
    _("Attempt Time"),
    _("Clean up expired attempts"),
    _("Expires At"),
    _("Failed Logins"),
    _("Form Data"),
    _("GET Data"),
    _("HTTP Accept"),
    _("IP Address"),
    _("Locked Out"),
    _("Logout Time"),
    _("Meta Data"),
    _("Not set"),
    _("Path"),
    _("POST Data"),
    _("Session key hash (sha256)"),
    _("The time when access attempt expires and is no longer valid."),
    _("User Agent"),
    _("Username"),
)
