"""The second channel for urgent alerts (CLINICAL.md §7: SMS or phone; email alone is
not enough), behind one interface.

``get_channel()`` returns an instance of the class named by ``SAFETY_SECOND_CHANNEL``
(a dotted path). Every channel has one method::

    send(to_phone: str, text: str) -> str

``to_phone`` is E.164 ("+12175550100"); ``text`` is the whole message (it carries no
health details, only a link). ``send`` returns a provider message id (or "") and
raises on failure, so the caller retries; it may be called more than once for one
notification (at-least-once delivery), so an adapter that can should pass the
notification's ``dedup_key`` on as the provider's idempotency key (``send`` receives
it as the keyword argument ``key``).

Shipped: ``FileChannel`` (development: one JSON line per message appended to
``SAFETY_MESSAGES_FILE``), ``ConsoleChannel`` (logs), ``MemoryChannel`` (tests).
A production SMS or voice adapter subclasses ``SecondChannel``.
"""

from __future__ import annotations

import json
import logging
from pathlib import Path

from django.conf import settings
from django.utils import timezone
from django.utils.module_loading import import_string

log = logging.getLogger(__name__)


class SecondChannel:
    """Base class for SMS / phone adapters."""

    name = "second-channel"

    def send(self, to_phone: str, text: str, *, key: str = "") -> str:
        raise NotImplementedError


class FileChannel(SecondChannel):
    name = "file"

    def __init__(self, path: str | Path | None = None):
        self.path = Path(path or settings.SAFETY_MESSAGES_FILE)

    def send(self, to_phone: str, text: str, *, key: str = "") -> str:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        line = json.dumps(
            {"at": timezone.now().isoformat(), "to": to_phone, "text": text, "key": key},
            ensure_ascii=False,
        )
        with self.path.open("a", encoding="utf-8") as handle:
            handle.write(line + "\n")
        return key


class ConsoleChannel(SecondChannel):
    name = "console"

    def send(self, to_phone: str, text: str, *, key: str = "") -> str:
        log.warning("SAFETY SECOND CHANNEL to %s: %s", to_phone, text)
        return key


class MemoryChannel(SecondChannel):
    """Keeps messages in ``MemoryChannel.outbox`` (like Django's locmem email backend)."""

    name = "memory"
    outbox: list[dict] = []

    def send(self, to_phone: str, text: str, *, key: str = "") -> str:
        MemoryChannel.outbox.append({"to": to_phone, "text": text, "key": key})
        return key


def get_channel() -> SecondChannel:
    return import_string(settings.SAFETY_SECOND_CHANNEL)()
