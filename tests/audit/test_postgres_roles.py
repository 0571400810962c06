"""The runtime database role and the append-only triggers (PostgreSQL only).

The tests run as the owner (a superuser); ``SET ROLE`` switches the test's own
connection to a runtime role made by ``setup_db_roles`` inside the test's
transaction, so the role disappears with the rollback.
"""

from __future__ import annotations

import io
import uuid
from contextlib import contextmanager

import pytest
from django.core.management import CommandError, call_command
from django.db import DatabaseError, connection, transaction

from ketaclinic.audit.domain import sealer
from ketaclinic.audit.domain.log import record
from ketaclinic.audit.models import AccessLog, AuditSeal

pytestmark = pytest.mark.django_db
postgres_only = pytest.mark.skipif(
    connection.vendor != "postgresql", reason="database roles and triggers are PostgreSQL's"
)


@pytest.fixture
def runtime_role(db):
    name = f"ketaclinic_test_{uuid.uuid4().hex[:10]}"
    call_command("setup_db_roles", app_role=name, stdout=io.StringIO())
    return name


@contextmanager
def as_role(name):
    with connection.cursor() as cursor:
        cursor.execute(f'SET ROLE "{name}"')
    try:
        yield
    finally:
        with connection.cursor() as cursor:
            cursor.execute("RESET ROLE")


def refused(statement, params=(), match=None):
    with (
        pytest.raises(DatabaseError, match=match),
        transaction.atomic(),
        connection.cursor() as cursor,
    ):
        cursor.execute(statement, params)


@postgres_only
def test_the_runtime_role_appends_but_cannot_change_or_unprotect_the_log(runtime_role):
    existing = record("view", object_id="before").pk
    sealer.seal_pending()

    with as_role(runtime_role):
        appended = record("view", object_id="as runtime role")
        refused("UPDATE audit_accesslog SET object_id = 'x' WHERE id = %s", [existing])
        refused("DELETE FROM audit_accesslog WHERE id = %s", [existing])
        refused("UPDATE audit_auditseal SET hash = %s", ["0" * 64])
        refused("DELETE FROM audit_auditseal")
        refused("TRUNCATE audit_accesslog")
        refused("DROP TRIGGER audit_accesslog_append_only ON audit_accesslog")
        refused("ALTER TABLE audit_accesslog DISABLE TRIGGER USER")
        sealed = sealer.seal_pending()  # the sealer runs as the runtime role too

    assert list(AccessLog.objects.order_by("id").values_list("object_id", flat=True)) == [
        "before",
        "as runtime role",
    ]
    assert (sealed, AuditSeal.objects.order_by("seq").last().entry_id) == (1, appended.pk)


@postgres_only
def test_the_runtime_role_keeps_full_use_of_ordinary_tables(runtime_role, frontdesk):
    with as_role(runtime_role), connection.cursor() as cursor:
        cursor.execute(
            "UPDATE accounts_user SET first_name = 'Renamed' WHERE id = %s", [frontdesk.pk]
        )
        cursor.execute("DELETE FROM django_q_schedule WHERE name = 'no such schedule'")

    frontdesk.refresh_from_db()
    assert frontdesk.first_name == "Renamed"


@postgres_only
def test_the_triggers_refuse_changes_even_by_the_owner(db):
    entry = record("view")
    sealer.seal_pending()

    refused("UPDATE audit_accesslog SET action = 'login' WHERE id = %s", [entry.pk], "append-only")
    refused("DELETE FROM audit_accesslog WHERE id = %s", [entry.pk], "append-only")
    refused("UPDATE audit_auditseal SET hash = %s", ["0" * 64], "append-only")
    refused("DELETE FROM audit_auditseal", match="append-only")


@postgres_only
def test_truncate_is_refused_by_the_trigger_even_when_granted(runtime_role):
    with connection.cursor() as cursor:
        cursor.execute(f'GRANT TRUNCATE ON audit_accesslog TO "{runtime_role}"')

    with as_role(runtime_role):
        refused("TRUNCATE audit_accesslog", match="append-only")


@postgres_only
def test_running_the_command_again_takes_back_rights_given_by_hand(runtime_role):
    entry = record("view")
    with connection.cursor() as cursor:
        cursor.execute(f'GRANT UPDATE, DELETE ON audit_accesslog TO "{runtime_role}"')

    call_command("setup_db_roles", app_role=runtime_role, stdout=io.StringIO())

    with as_role(runtime_role):
        refused(
            "UPDATE audit_accesslog SET action = 'login' WHERE id = %s",
            [entry.pk],
            "permission denied",
        )


@postgres_only
@pytest.mark.parametrize(
    ("role", "message"),
    [
        ("Robert'); DROP TABLE x; --", "lower-case PostgreSQL name"),
        ("postgres", "must not be the role that owns the schema"),
    ],
)
def test_unsafe_role_names_are_refused(db, role, message):
    with pytest.raises(CommandError, match=message):
        call_command("setup_db_roles", app_role=role, stdout=io.StringIO())


@pytest.mark.skipif(
    connection.vendor == "postgresql",
    reason="checks the message SQLite gets; on PostgreSQL the command does its work",
)
def test_the_role_command_explains_that_sqlite_has_no_roles(db):
    with pytest.raises(CommandError, match="for PostgreSQL; SQLite has no roles"):
        call_command("setup_db_roles", app_role="ketaclinic_app")


@postgres_only
def test_the_sealer_never_seals_past_an_entry_still_being_written(db, settings):
    import psycopg

    settings.AUDIT_SEAL_LOCK_TIMEOUT_MS = 100
    params = connection.settings_dict
    writer = psycopg.connect(
        dbname=params["NAME"],
        user=params["USER"],
        password=params["PASSWORD"] or None,
        host=params["HOST"],
        port=params["PORT"] or None,
    )
    slow = None
    try:
        # Another process's entry, in a transaction that has not committed yet ...
        slow = writer.execute(
            "INSERT INTO audit_accesslog (at, user_email, roles, locations, action, "
            "object_type, object_id, user_agent, path, detail) VALUES "
            "(now(), '', '[]', '[]', 'view', '', '', '', '', '{}') RETURNING id"
        ).fetchone()[0]
        # ... and a later entry that is visible already.
        later = record("view").pk

        sealed_while_open = sealer.seal_pending()  # must not seal `later` and skip `slow`
        writer.commit()
        sealed_after = sealer.seal_pending()

        assert (sealed_while_open, sealed_after) == (0, 2)
        assert list(AuditSeal.objects.order_by("seq").values_list("entry_id", flat=True)) == [
            slow,
            later,
        ]
    finally:
        writer.rollback()
        if slow is not None:  # the committed row would leak into other tests
            writer.execute("SET session_replication_role = replica")
            writer.execute("DELETE FROM audit_accesslog WHERE id = %s", [slow])
            writer.commit()
        writer.close()


@postgres_only
def test_the_runtime_role_cannot_rewrite_the_controlled_substance_records(runtime_role):
    with as_role(runtime_role):
        for table in ("inventory_ledgerentry", "inventory_count", "inventory_countline"):
            refused(f"UPDATE {table} SET id = id", match="permission denied")  # noqa: S608
            refused(f"DELETE FROM {table}", match="permission denied")  # noqa: S608
