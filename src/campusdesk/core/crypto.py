"""Secrets the database keeps (a mailbox's IMAP password) are stored encrypted, so a copy
of the database alone (a backup, a dump handed to a colleague) does not give them away.

Fernet (AES-CBC with an HMAC-SHA256 tag) from ``cryptography``, with a key derived by
HKDF-SHA256 from ``SECRET_KEY`` and a fixed context: the same secret is never used as is
for two purposes. Keys of ``SECRET_KEY_FALLBACKS`` still decrypt, so rotating the key the
Django way keeps stored secrets readable until they are entered again.
"""

from __future__ import annotations

import base64
import functools

from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from django.conf import settings
from django.utils.translation import gettext_lazy as _

from campusdesk.core.errors import DomainError

PREFIX = "fernet:"  # marks a stored value as encrypted (the data migration tells them apart)
_CONTEXT = b"campusdesk.core.crypto: secrets stored in the database, v1"


class SecretUnreadable(DomainError):
    """The stored value cannot be decrypted: SECRET_KEY changed, or it was stored plain."""

    status_code = 409
    default_message = _(
        "The stored password cannot be decrypted: SECRET_KEY has changed since it was "
        "saved. Enter the password again."
    )


def encrypt(plain: str) -> str:
    return PREFIX + _fernet().encrypt(plain.encode("utf-8")).decode("ascii")


def decrypt(stored: str) -> str:
    if not is_encrypted(stored):
        raise SecretUnreadable()
    try:
        return _fernet().decrypt(stored.removeprefix(PREFIX).encode("ascii")).decode("utf-8")
    except (InvalidToken, UnicodeError) as exc:
        raise SecretUnreadable() from exc


def is_encrypted(stored: str) -> bool:
    return stored.startswith(PREFIX)


def _fernet() -> MultiFernet:
    return _fernet_for((settings.SECRET_KEY, *settings.SECRET_KEY_FALLBACKS))


@functools.lru_cache(maxsize=8)
def _fernet_for(secrets: tuple[str, ...]) -> MultiFernet:
    """The first key encrypts; every key decrypts."""
    return MultiFernet([Fernet(_derive(secret)) for secret in secrets])


def _derive(secret: str) -> bytes:
    hkdf = HKDF(algorithm=hashes.SHA256(), length=32, salt=b"campusdesk", info=_CONTEXT)
    return base64.urlsafe_b64encode(hkdf.derive(secret.encode("utf-8")))
