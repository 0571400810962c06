"""PostgreSQL: make the audit tables append-only for every role, and let the sealer
wait for in-flight log writes.

- Row triggers refuse UPDATE and DELETE on audit_accesslog and audit_auditseal, for
  every role, including the owner: rewriting history needs a deliberate
  ``ALTER TABLE … DISABLE TRIGGER`` by the owner, which the runtime role (not the
  owner, see ``setup_db_roles``) cannot do, nor can it drop the triggers.
- Statement triggers refuse TRUNCATE, except by a role that could drop the trigger
  anyway (the owner or a superuser): that lets Django's test runner flush the
  database between browser tests.
- A statement trigger on INSERT into audit_accesslog takes a shared advisory lock
  until the end of the writing transaction; the sealer takes it exclusively for an
  instant to learn up to which id every entry has committed (audit.domain.sealer).

SQLite has no roles or triggers worth the name here: the ORM refuses changes and the
hash chain makes any edit of the file visible.
"""

from django.db import migrations

TABLES = ("audit_accesslog", "audit_auditseal")
WRITE_LOCK_KEY = 0x6B6574_61756474  # audit.domain.sealer.WRITE_LOCK_KEY

FUNCTIONS = f"""
CREATE OR REPLACE FUNCTION audit_refuse_change() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'the audit log is append-only: % on % is not allowed', TG_OP, TG_TABLE_NAME
        USING ERRCODE = 'insufficient_privilege';
END
$$;

CREATE OR REPLACE FUNCTION audit_refuse_truncate() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    IF pg_has_role(current_user, (SELECT relowner FROM pg_class WHERE oid = TG_RELID), 'USAGE')
    THEN
        RETURN NULL;  -- the owner (or a superuser) could drop this trigger anyway
    END IF;
    RAISE EXCEPTION 'the audit log is append-only: TRUNCATE on % is not allowed', TG_TABLE_NAME
        USING ERRCODE = 'insufficient_privilege';
END
$$;

CREATE OR REPLACE FUNCTION audit_write_lock() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    PERFORM pg_advisory_xact_lock_shared({WRITE_LOCK_KEY});
    RETURN NULL;
END
$$;
"""


def install(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    # params=None: the functions contain "%" (RAISE formats), not placeholders
    schema_editor.execute(FUNCTIONS, params=None)
    for table in TABLES:
        schema_editor.execute(
            f"CREATE TRIGGER {table}_append_only BEFORE UPDATE OR DELETE ON {table} "
            "FOR EACH ROW EXECUTE FUNCTION audit_refuse_change()"
        )
        schema_editor.execute(
            f"CREATE TRIGGER {table}_no_truncate BEFORE TRUNCATE ON {table} "
            "FOR EACH STATEMENT EXECUTE FUNCTION audit_refuse_truncate()"
        )
    schema_editor.execute(
        "CREATE TRIGGER audit_accesslog_write_lock BEFORE INSERT ON audit_accesslog "
        "FOR EACH STATEMENT EXECUTE FUNCTION audit_write_lock()"
    )


def uninstall(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    schema_editor.execute("DROP TRIGGER IF EXISTS audit_accesslog_write_lock ON audit_accesslog")
    for table in TABLES:
        schema_editor.execute(f"DROP TRIGGER IF EXISTS {table}_no_truncate ON {table}")
        schema_editor.execute(f"DROP TRIGGER IF EXISTS {table}_append_only ON {table}")
    schema_editor.execute(
        "DROP FUNCTION IF EXISTS audit_write_lock(), audit_refuse_truncate(), "
        "audit_refuse_change()"
    )


class Migration(migrations.Migration):
    dependencies = [("audit", "0001_initial")]
    operations = [migrations.RunPython(install, uninstall)]
