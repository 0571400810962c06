"""Django's database sessions, with the read every request makes written once as SQL.

A signed-in request reads its session row first thing. Django's store builds that
SELECT with the ORM each time, which costs more CPU than PostgreSQL takes to answer it;
this store runs the same statement (the row's data, if the key exists and has not
expired) from a string. Writing, deleting and cleaning sessions stay Django's.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.contrib.sessions.backends.db import SessionStore as DatabaseSessionStore
from django.db import connections, router
from django.utils import timezone


@dataclass(frozen=True)
class _Row:
    session_data: str


class SessionStore(DatabaseSessionStore):
    def _get_session_from_db(self):
        connection = connections[router.db_for_read(self.model)]
        table = connection.ops.quote_name(self.model._meta.db_table)
        now = connection.ops.adapt_datetimefield_value(timezone.now())
        with connection.cursor() as cursor:
            cursor.execute(
                f"SELECT session_data FROM {table} "  # noqa: S608 (the model's own table)
                "WHERE session_key = %s AND expire_date > %s",
                [self.session_key, now],
            )
            row = cursor.fetchone()
        if row is None:
            self._session_key = None  # as Django's store does for a missing or expired key
            return None
        return _Row(row[0])
