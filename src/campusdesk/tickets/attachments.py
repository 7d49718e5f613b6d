"""Uploaded files: size and type allow-list, safe names, storage outside the web root."""

from __future__ import annotations

import mimetypes
import unicodedata
from pathlib import PurePosixPath, PureWindowsPath

from django.conf import settings
from django.core.files.uploadedfile import UploadedFile
from django.template.defaultfilters import filesizeformat
from django.utils.translation import gettext as _

from campusdesk.core.errors import ValidationError

_UNSAFE = set("<>:\"/\\|?*;'`$")


def safe_name(raw: str) -> str:
    """The user's file name without directories, control or shell characters (Chinese kept)."""
    name = PureWindowsPath(PurePosixPath(raw or "").name).name
    name = unicodedata.normalize("NFC", name)
    cleaned = "".join(
        "_" if ch in _UNSAFE or unicodedata.category(ch).startswith("C") else ch for ch in name
    )
    cleaned = cleaned.strip().lstrip(".").strip()
    if len(cleaned) > 180:  # shorten the stem: the extension is what the allow-list checks
        suffix = PurePosixPath(cleaned).suffix[:20]
        cleaned = cleaned[: 180 - len(suffix)] + suffix
    return cleaned or "file"


def extension(name: str) -> str:
    return PurePosixPath(name).suffix.lower().lstrip(".")


def validate_upload(upload: UploadedFile) -> tuple[str, str]:
    """(safe name, content type) of an acceptable upload, or a ValidationError."""
    name = safe_name(upload.name or "")
    allowed = [e.lower() for e in settings.ATTACHMENT_EXTENSIONS]
    if extension(name) not in allowed:
        raise ValidationError(
            fields={
                "file": [
                    _("Files of this type are not accepted. Allowed: %(types)s.")
                    % {"types": ", ".join(allowed)}
                ]
            }
        )
    size = upload.size or 0
    if size > settings.ATTACHMENT_MAX_BYTES:
        raise ValidationError(
            fields={
                "file": [
                    _("The file is too large (%(size)s); the limit is %(limit)s.")
                    % {
                        "size": filesizeformat(size),
                        "limit": filesizeformat(settings.ATTACHMENT_MAX_BYTES),
                    }
                ]
            }
        )
    if size == 0:
        raise ValidationError(fields={"file": [_("The file is empty.")]})
    content_type = mimetypes.guess_type(name)[0] or "application/octet-stream"
    return name, content_type
