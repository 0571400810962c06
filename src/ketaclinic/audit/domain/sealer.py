"""The one background sealer: chains new access-log entries with SHA-256.

Requests only append entries. Every minute (django-q2 schedule "audit-seal") the
sealer takes the entries after the last sealed one, in id order, and appends one
``AuditSeal`` per entry: ``hash_n = sha256(hash_{n-1} || canonical JSON of entry n)``
(``audit.domain.chain``). Seals live in their own append-only table, so no entry is
ever updated. Then the chain head is written outside the database: a line appended
to ``AUDIT_HEADS_FILE`` and, once a day, an email to the medical directors.

Only one sealer runs at a time: each batch locks the single ``SealerLock`` row
(``SELECT … FOR UPDATE`` on PostgreSQL; on SQLite ``BEGIN IMMEDIATE`` already
serialises writers). Batches are small so that the lock — and on SQLite the write
lock — is held for milliseconds.

Entries commit in id order on SQLite (one writer at a time). On PostgreSQL ids come
from a sequence and a transaction may commit after one that took a later id; sealing
past it would skip it for ever. So every INSERT into the log takes a shared advisory
lock for the rest of its transaction (a statement trigger, migration 0002), and the
sealer first takes that lock exclusively for an instant to read the highest id: every
entry up to that "horizon" has committed or rolled back. The wait is bounded by
``AUDIT_SEAL_LOCK_TIMEOUT_MS``; when it runs out the sealer skips this minute.
"""

from __future__ import annotations

import logging
import os
from pathlib import Path

from django.conf import settings
from django.contrib.auth import get_user_model
from django.db import OperationalError, connection, transaction
from django.db.models import Max
from django.utils import timezone

from ketaclinic.accounts.roles import Role
from ketaclinic.audit.domain import chain
from ketaclinic.audit.models import AccessLog, AuditSeal, SealerLock
from ketaclinic.notifications.domain.outbox import enqueue_email

log = logging.getLogger(__name__)

# Key of the advisory lock shared by log writers (the trigger in migration 0002).
WRITE_LOCK_KEY = 0x6B6574_61756474  # "ket" "audt"
LOCK_NOT_AVAILABLE = "55P03"  # PostgreSQL's SQLSTATE for a lock_timeout


def current_head() -> chain.Head | None:
    row = (
        AuditSeal.objects.order_by("-seq").values_list("seq", "entry_id", "hash", "sealed_at")
    ).first()
    return chain.Head(*row) if row else None


def _horizon() -> int | None:
    """The highest entry id below which no entry can still appear (``None``: no limit)."""
    if connection.vendor != "postgresql":
        return None
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(
            "SELECT set_config('lock_timeout', %s, true)",  # for this transaction only
            [f"{settings.AUDIT_SEAL_LOCK_TIMEOUT_MS}ms"],
        )
        cursor.execute("SELECT pg_advisory_xact_lock(%s)", [WRITE_LOCK_KEY])
        return AccessLog.objects.aggregate(top=Max("id"))["top"] or 0


def _seal_batch(horizon: int | None, batch_size: int) -> int:
    with transaction.atomic():
        lock, _ = SealerLock.objects.select_for_update().get_or_create(pk=1)
        head = current_head()
        seq, last_entry, previous = (
            (head.seq, head.entry_id, head.hash) if head else (0, 0, chain.GENESIS)
        )
        entries = AccessLog.objects.filter(id__gt=last_entry).order_by("id")
        if horizon is not None:
            entries = entries.filter(id__lte=horizon)
        now = timezone.now()
        seals = []
        for values in entries.values(*chain.ENTRY_FIELDS)[:batch_size]:
            seq += 1
            previous = chain.link_hash(previous, values)
            seals.append(AuditSeal(seq=seq, entry_id=values["id"], hash=previous, sealed_at=now))
        AuditSeal.objects.bulk_create(seals)
        SealerLock.objects.filter(pk=lock.pk).update(last_run_at=now)
    return len(seals)


def seal_pending() -> int:
    """Seal every entry that can be sealed now; export the head. Returns how many."""
    try:
        horizon = _horizon()
    except OperationalError as exc:
        if getattr(exc.__cause__, "sqlstate", None) != LOCK_NOT_AVAILABLE:
            raise
        log.warning("audit sealer: log writers held the lock too long; will retry next run")
        return 0
    sealed = 0
    batch_size = settings.AUDIT_SEAL_BATCH_SIZE
    while True:
        count = _seal_batch(horizon, batch_size)
        sealed += count
        if count < batch_size:
            break
    export_head()
    return sealed


# --- the heads file -------------------------------------------------------------------


def heads_file() -> Path:
    return Path(settings.AUDIT_HEADS_FILE)


def _last_line(path: Path) -> str:
    try:
        with path.open("rb") as handle:
            handle.seek(0, os.SEEK_END)
            size = handle.tell()
            handle.seek(max(size - 4096, 0))
            lines = handle.read().decode("utf-8", "replace").strip().splitlines()
    except FileNotFoundError:
        return ""
    return lines[-1] if lines else ""


def export_head() -> chain.Head | None:
    """Append the chain head to the heads file unless it is already the last line.

    Appending after the seal committed means a crash in between leaves the file one
    head behind, never ahead of the database; the next run catches up.
    """
    head = current_head()
    if head is None:
        return None
    path = heads_file()
    try:
        last = chain.parse_head(_last_line(path))
    except ValueError:
        last = None
    if last is not None and last.seq == head.seq:
        return head
    path.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o640)
    try:
        os.write(fd, (chain.format_head(head) + "\n").encode("ascii"))
        os.fsync(fd)
    finally:
        os.close(fd)
    return head


def read_heads(path: Path) -> list[tuple[int, chain.Head]]:
    """The heads in the file as (line number, head); raises ``ValueError`` on a bad line."""
    heads = []
    with path.open(encoding="utf-8") as handle:
        for number, line in enumerate(handle, start=1):
            if not line.strip():
                continue
            try:
                heads.append((number, chain.parse_head(line)))
            except ValueError as exc:
                raise ValueError(f"{path}, line {number}: {exc}") from exc
    return heads


# --- the daily email -------------------------------------------------------------------


def email_head_to_directors() -> int:
    """Email today's chain head to every active medical director (once per day each)."""
    seal_pending()
    head = current_head()
    today = timezone.now().date().isoformat()  # UTC date
    if head is None:
        state = "No access-log entry has been sealed yet."
    else:
        state = (
            f"Seal number: {head.seq}\n"
            f"Last sealed entry: {head.entry_id}\n"
            f"Sealed at: {chain.utc_iso(head.sealed_at)}\n"
            f"Hash: {head.hash}"
        )
    check = (
        f"manage.py verify_audit_log --head {head.seq}:{head.hash}"
        if head
        else "manage.py verify_audit_log"
    )
    body = (
        "This is the daily fingerprint of the clinic's access log (who viewed or changed "
        "which record). Please keep this email: it is stored outside the clinic's "
        "database, so it lets anyone prove later that no earlier log entry was changed "
        "or removed.\n\n"
        f"{state}\n\n"
        f"To check the log against this email, an administrator runs:\n    {check}\n"
    )
    directors = (
        get_user_model()
        .objects.filter(is_active=True, groups__name=Role.MEDICAL_DIRECTOR)
        .exclude(email="")
        .distinct()
        .order_by("pk")
    )
    sent = 0
    with transaction.atomic():
        for director in directors:
            enqueue_email(
                dedup_key=f"audit-head:{today}:{director.pk}",
                kind="audit_head",
                to=director.email,
                subject=f"Access log fingerprint for {today}",
                body=body,
            )
            sent += 1
    return sent
