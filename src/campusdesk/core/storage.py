"""Stored files: a write that fails leaves nothing behind, and a full disk says so."""

from __future__ import annotations

import contextlib
import os
from collections.abc import Iterator
from contextvars import ContextVar
from typing import Any

from django.core.files import storage

from campusdesk.core.errors import StorageFull
from campusdesk.core.failures import NO_SPACE

#: The name the current ``_save`` writes to (Django picks another one if the first is taken).
_writing: ContextVar[str | None] = ContextVar("campusdesk_storage_writing", default=None)


class FileSystemStorage(storage.FileSystemStorage):
    """Django's, but a write that fails half-way (disk full) removes its partial file:
    Django keeps it, and no row ever names it."""

    def _save(self, name: str, content: Any) -> str:
        token = _writing.set(name)
        try:
            # the stubs lack _save, the hook Django documents for storages
            return str(super()._save(name, content))  # type: ignore[misc]
        except FileExistsError:
            raise  # not ours (Django retries another name itself, so this is a directory)
        except OSError:
            with contextlib.suppress(OSError):
                os.remove(self.path(_writing.get() or name))
            raise
        finally:
            _writing.reset(token)

    def get_available_name(self, name: str, max_length: int | None = None) -> str:
        name = str(super().get_available_name(name, max_length))
        if _writing.get() is not None:  # taken by a parallel save: ours is the new name
            _writing.set(name)
        return name


@contextlib.contextmanager
def refusing_full_disk() -> Iterator[None]:
    """A write that finds no space becomes a ``StorageFull`` the user reads (507 in the API)."""
    try:
        yield
    except OSError as error:
        if error.errno in NO_SPACE:
            raise StorageFull() from error
        raise
