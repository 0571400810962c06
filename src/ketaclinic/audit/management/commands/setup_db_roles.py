"""Create (or update) the PostgreSQL role the application runs as.

Run by the role that owns the schema and runs migrations, after every ``migrate``
(new tables need grants too). The runtime role gets SELECT, INSERT, UPDATE, DELETE
on every table of the schema and USAGE on its sequences, except the append-only
audit tables, where it gets SELECT and INSERT only. It owns nothing, so it cannot
drop or disable the audit triggers either.
"""

from __future__ import annotations

import re

from django.core.management.base import BaseCommand, CommandError
from django.db import connection, transaction
from psycopg import sql

from ketaclinic.audit.models import APPEND_ONLY_TABLES

ROLE_NAME = re.compile(r"^[a-z_][a-z0-9_]{0,62}$")


class Command(BaseCommand):
    help = "Create the application's runtime database role and grant it what it needs."

    def add_arguments(self, parser):
        parser.add_argument("--app-role", required=True, help="name of the runtime role")
        parser.add_argument(
            "--password",
            help="set this password (LOGIN role); omit to keep or leave it unset",
        )

    def handle(self, *args, app_role: str, password: str | None = None, **options):
        if connection.vendor != "postgresql":
            raise CommandError("setup_db_roles is for PostgreSQL; SQLite has no roles.")
        if not ROLE_NAME.match(app_role):
            raise CommandError(
                "--app-role must be a lower-case PostgreSQL name (letters, digits, _)."
            )
        with transaction.atomic(), connection.cursor() as cursor:
            cursor.execute("SELECT current_user, current_database(), current_schema()")
            owner, database, schema = cursor.fetchone()
            if app_role == owner:
                raise CommandError(
                    "The runtime role must not be the role that owns the schema "
                    f"({owner}); choose another name."
                )
            cursor.execute("SELECT rolsuper FROM pg_roles WHERE rolname = %s", [app_role])
            row = cursor.fetchone()
            if row and row[0]:
                raise CommandError(f"{app_role} is a superuser; the runtime role must not be.")
            if row is None:
                self._run(
                    cursor,
                    sql.SQL("CREATE ROLE {} LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE"),
                    app_role,
                )
                self.stdout.write(f"Created role {app_role}.")
            cursor.execute(
                "SELECT count(*) FROM pg_tables WHERE schemaname = %s AND tableowner = %s",
                [schema, app_role],
            )
            if cursor.fetchone()[0]:
                raise CommandError(
                    f"{app_role} owns tables in {schema}; the runtime role must own nothing."
                )
            if password:
                self._run(cursor, sql.SQL("ALTER ROLE {} PASSWORD {}"), app_role, password)
            self._grant(cursor, app_role, database, schema)
        self.stdout.write(
            f"{app_role}: SELECT, INSERT, UPDATE, DELETE on the tables of {schema}; "
            f"SELECT, INSERT only on {', '.join(APPEND_ONLY_TABLES)}. "
            "Run this again after every migrate."
        )

    def _grant(self, cursor, role: str, database: str, schema: str) -> None:
        role_id = sql.Identifier(role)
        schema_id = sql.Identifier(schema)
        statements = [
            sql.SQL("GRANT CONNECT ON DATABASE {} TO {}").format(sql.Identifier(database), role_id),
            sql.SQL("GRANT USAGE ON SCHEMA {} TO {}").format(schema_id, role_id),
            sql.SQL("GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA {} TO {}").format(
                schema_id, role_id
            ),
            sql.SQL("GRANT USAGE ON ALL SEQUENCES IN SCHEMA {} TO {}").format(schema_id, role_id),
        ]
        for table in APPEND_ONLY_TABLES:
            table_id = sql.Identifier(schema, table)
            statements += [
                sql.SQL("REVOKE ALL ON {} FROM {}").format(table_id, role_id),
                sql.SQL("GRANT SELECT, INSERT ON {} TO {}").format(table_id, role_id),
            ]
        for statement in statements:
            cursor.execute(statement.as_string(cursor.connection))

    @staticmethod
    def _run(cursor, template: sql.SQL, role: str, password: str | None = None) -> None:
        parts = [sql.Identifier(role)] + ([sql.Literal(password)] if password else [])
        # DDL takes no bind parameters: compose with psycopg's quoting instead, and run
        # it on the driver's cursor so that a password never lands in Django's query log.
        cursor.cursor.execute(template.format(*parts).as_string(cursor.connection))
