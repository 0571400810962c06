"""The hash chain over access-log entries. Pure Python: no Django import.

Each sealed entry n gets ``hash_n = sha256(hash_{n-1} || canonical_json(entry_n))``
where ``hash_{n-1}`` is the previous link as 64 lowercase hex characters (ASCII) and
the first link follows ``GENESIS``. The canonical JSON has sorted keys, no spaces,
UTF-8, and timestamps as UTC ISO 8601 with microseconds, so the same row read from
SQLite or PostgreSQL always gives the same bytes.

Changing this module changes every hash: it is versioned by ``CANONICAL_VERSION``,
which is part of every canonical entry.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

CANONICAL_VERSION = 1
GENESIS = "0" * 64
HASH_PATTERN = re.compile(r"^[0-9a-f]{64}$")

# The entry fields that are hashed, in the names the canonical form uses.
ENTRY_FIELDS = (
    "id",
    "at",
    "user_id",
    "user_email",
    "roles",
    "locations",
    "action",
    "object_type",
    "object_id",
    "patient_id",
    "ip",
    "user_agent",
    "path",
    "detail",
)


def utc_iso(moment: datetime) -> str:
    """``2025-01-31T09:05:00.000123Z``; refuses naive datetimes (their zone is unknown)."""
    if moment.tzinfo is None or moment.utcoffset() is None:
        raise ValueError("audit timestamps must be timezone-aware")
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def canonical_entry(values: Mapping[str, Any]) -> dict[str, Any]:
    """The hashed form of one entry, from a mapping holding ``ENTRY_FIELDS``."""
    entry = {name: values[name] for name in ENTRY_FIELDS}
    entry["at"] = utc_iso(values["at"])
    entry["roles"] = sorted(str(role) for role in values["roles"] or [])
    entry["locations"] = sorted(int(location) for location in values["locations"] or [])
    entry["detail"] = values["detail"] or {}
    entry["v"] = CANONICAL_VERSION
    return entry


def canonical_json(entry: Mapping[str, Any]) -> bytes:
    return json.dumps(
        entry, sort_keys=True, separators=(",", ":"), ensure_ascii=False, allow_nan=False
    ).encode("utf-8")


def link_hash(previous: str, values: Mapping[str, Any]) -> str:
    """The chain link for one entry, given the previous link (or ``GENESIS``)."""
    if not HASH_PATTERN.match(previous):
        raise ValueError("the previous link must be 64 lowercase hex characters")
    digest = hashlib.sha256(previous.encode("ascii"))
    digest.update(canonical_json(canonical_entry(values)))
    return digest.hexdigest()


# --- the exported heads ("seq=12 entry=340 hash=ab…" lines) ---------------------------


@dataclass(frozen=True)
class Head:
    seq: int
    entry_id: int | None  # None: not known (a head typed in from an email)
    hash: str
    sealed_at: datetime


_HEAD_LINE = re.compile(
    r"^(?P<at>\S+) seq=(?P<seq>\d+) entry=(?P<entry>\d+) hash=(?P<hash>[0-9a-f]{64})$"
)


def format_head(head: Head) -> str:
    return f"{utc_iso(head.sealed_at)} seq={head.seq} entry={head.entry_id} hash={head.hash}"


def parse_head(line: str) -> Head:
    """Parse one heads-file line; raises ``ValueError`` naming what is wrong."""
    match = _HEAD_LINE.match(line.strip())
    if not match:
        raise ValueError(f"not a chain head line: {line.strip()[:120]!r}")
    try:
        sealed_at = datetime.strptime(match["at"], "%Y-%m-%dT%H:%M:%S.%fZ").replace(tzinfo=UTC)
    except ValueError as exc:
        raise ValueError(f"bad time in chain head line: {match['at']!r}") from exc
    return Head(
        seq=int(match["seq"]),
        entry_id=int(match["entry"]),
        hash=match["hash"],
        sealed_at=sealed_at,
    )
