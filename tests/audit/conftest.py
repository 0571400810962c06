"""Fixtures for the audit tests: a private heads file, and a way to tamper."""

from __future__ import annotations

from contextlib import contextmanager

import pytest
from django.db import connection

from ketaclinic.audit.models import AccessLog

# Every content column of an entry (all but id), for swapping two rows' contents.
CONTENT_COLUMNS = [
    field.column for field in AccessLog._meta.concrete_fields if not field.primary_key
]


@pytest.fixture(autouse=True)
def heads_file(settings, tmp_path):
    settings.AUDIT_HEADS_FILE = tmp_path / "audit-heads.log"
    return settings.AUDIT_HEADS_FILE


@contextmanager
def tampering():
    """A cursor that edits audit tables behind the application's back.

    On PostgreSQL the append-only triggers are bypassed the way a superuser could
    (``session_replication_role = replica``), inside the test's transaction only.
    """
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute("SET LOCAL session_replication_role = replica")
        try:
            yield cursor
        finally:
            if connection.vendor == "postgresql":
                cursor.execute("SET LOCAL session_replication_role = DEFAULT")


def swap_contents(cursor, first_id: int, second_id: int) -> None:
    assignments = ", ".join(f"{column} = other.{column}" for column in CONTENT_COLUMNS)
    cursor.execute(
        f"UPDATE audit_accesslog SET {assignments} FROM audit_accesslog AS other "  # noqa: S608
        "WHERE (audit_accesslog.id = %s AND other.id = %s) "
        "OR (audit_accesslog.id = %s AND other.id = %s)",
        [first_id, second_id, second_id, first_id],
    )
