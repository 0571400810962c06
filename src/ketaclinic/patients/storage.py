"""Where attachments live: a directory outside the web root, never served by URL.

``PRIVATE_MEDIA_ROOT`` is read on every use (not once at import), so a deployment
or a test can point it elsewhere. The storage has no URL: files are read only
through the permission-checked, audited attachment view.
"""

from __future__ import annotations

import os

from django.conf import settings
from django.core.files.storage import FileSystemStorage


class PrivateStorage(FileSystemStorage):
    def __init__(self) -> None:
        super().__init__(base_url=None)

    @property
    def base_location(self):  # type: ignore[override]
        return settings.PRIVATE_MEDIA_ROOT

    @property
    def location(self):  # type: ignore[override]
        return os.path.abspath(self.base_location)

    def url(self, name):
        raise NotImplementedError("Private files have no URL; use the attachment view.")


def private_storage() -> PrivateStorage:
    return PrivateStorage()
