"""Shared by the tests of the pages cached under the record stamp (the patient record,
the live session page): which tables a page read, which tables carry the stamp
triggers, a page with its per-view CSRF tokens masked."""

from __future__ import annotations

import re

from django.db import connection

MASKED_TOKEN = re.compile(r"\b[A-Za-z0-9]{64}\b")  # a CSRF token, masked anew per page


def without_tokens(html: str) -> str:
    return MASKED_TOKEN.sub("TOKEN", html)


def tables_read(queries) -> set[str]:
    found = set()
    for query in queries:
        found.update(re.findall(r'(?:FROM|JOIN)\s+"?([a-z_0-9]+)"?', query["sql"]))
    return found


def triggered_tables() -> list[str]:
    """One entry per stamp trigger: the table it is on."""
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute(
                "SELECT c.relname FROM pg_trigger t JOIN pg_class c ON c.oid = t.tgrelid "
                "WHERE t.tgname LIKE 'patients_record_bump%%'"
            )
        else:
            cursor.execute(
                "SELECT tbl_name FROM sqlite_master WHERE type = 'trigger' "
                "AND name LIKE 'patients_record_bump%'"
            )
        return [row[0] for row in cursor.fetchall()]
