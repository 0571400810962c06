"""PostgreSQL: the controlled-substance records cannot be rewritten, by any role.

- Ledger entries, counts and count lines: row triggers refuse UPDATE and DELETE, for
  every role including the owner (rewriting them needs a deliberate ``ALTER TABLE …
  DISABLE TRIGGER`` by the owner). A mistake is corrected by a new entry.
- Discrepancies: never deleted; their numbers (lot, line, expected, found,
  difference, discovery time) never change; once resolved, nothing changes.
- Lots: never deleted; what identifies a lot (location, product, lot number, NDC,
  expiry) never changes. Only the cached balances move.
- TRUNCATE is refused except by a role that could drop the triggers anyway (the
  owner or a superuser), which lets the test runner flush its database.

SQLite has no roles or triggers worth the name here: the models refuse the change.
"""

from django.db import migrations

APPEND_ONLY = ("inventory_ledgerentry", "inventory_count", "inventory_countline")
GUARDED = ("inventory_discrepancy", "inventory_lot")

FUNCTIONS = """
CREATE OR REPLACE FUNCTION inventory_refuse_change() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'controlled-substance records are never changed or deleted: % on %',
        TG_OP, TG_TABLE_NAME
        USING ERRCODE = 'insufficient_privilege',
              HINT = 'Record a correction: a new entry naming the one it corrects.';
END
$$;

CREATE OR REPLACE FUNCTION inventory_guard_discrepancy() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'DELETE' THEN
        RAISE EXCEPTION 'controlled-substance records are never changed or deleted: '
            'DELETE on %', TG_TABLE_NAME USING ERRCODE = 'insufficient_privilege';
    END IF;
    IF OLD.resolved_at IS NOT NULL THEN
        RAISE EXCEPTION 'controlled-substance records are never changed or deleted: '
            'discrepancy % is resolved', OLD.id USING ERRCODE = 'insufficient_privilege';
    END IF;
    IF (NEW.line_id, NEW.lot_id, NEW.location_id, NEW.expected_mg, NEW.found_mg,
        NEW.difference_mg, NEW.discovered_at)
       IS DISTINCT FROM
       (OLD.line_id, OLD.lot_id, OLD.location_id, OLD.expected_mg, OLD.found_mg,
        OLD.difference_mg, OLD.discovered_at) THEN
        RAISE EXCEPTION 'controlled-substance records are never changed or deleted: '
            'the counted figures of discrepancy % are fixed', OLD.id
            USING ERRCODE = 'insufficient_privilege';
    END IF;
    RETURN NEW;
END
$$;

CREATE OR REPLACE FUNCTION inventory_guard_lot() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'DELETE' THEN
        RAISE EXCEPTION 'controlled-substance records are never changed or deleted: '
            'DELETE on %', TG_TABLE_NAME USING ERRCODE = 'insufficient_privilege';
    END IF;
    IF (NEW.location_id, NEW.product_id, NEW.lot_number, NEW.ndc, NEW.expires_on)
       IS DISTINCT FROM
       (OLD.location_id, OLD.product_id, OLD.lot_number, OLD.ndc, OLD.expires_on) THEN
        RAISE EXCEPTION 'controlled-substance records are never changed or deleted: '
            'lot % keeps its identity', OLD.id USING ERRCODE = 'insufficient_privilege';
    END IF;
    RETURN NEW;
END
$$;

CREATE OR REPLACE FUNCTION inventory_refuse_truncate() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    IF pg_has_role(current_user, (SELECT relowner FROM pg_class WHERE oid = TG_RELID), 'USAGE')
    THEN
        RETURN NULL;  -- the owner (or a superuser) could drop this trigger anyway
    END IF;
    RAISE EXCEPTION 'controlled-substance records are never deleted: TRUNCATE on %',
        TG_TABLE_NAME USING ERRCODE = 'insufficient_privilege';
END
$$;
"""


def install(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    schema_editor.execute(FUNCTIONS, params=None)  # "%" are RAISE formats
    for table in APPEND_ONLY:
        schema_editor.execute(
            f"CREATE TRIGGER {table}_append_only BEFORE UPDATE OR DELETE ON {table} "
            "FOR EACH ROW EXECUTE FUNCTION inventory_refuse_change()"
        )
    schema_editor.execute(
        "CREATE TRIGGER inventory_discrepancy_guard BEFORE UPDATE OR DELETE ON "
        "inventory_discrepancy FOR EACH ROW EXECUTE FUNCTION inventory_guard_discrepancy()"
    )
    schema_editor.execute(
        "CREATE TRIGGER inventory_lot_guard BEFORE UPDATE OR DELETE ON inventory_lot "
        "FOR EACH ROW EXECUTE FUNCTION inventory_guard_lot()"
    )
    for table in APPEND_ONLY + GUARDED:
        schema_editor.execute(
            f"CREATE TRIGGER {table}_no_truncate BEFORE TRUNCATE ON {table} "
            "FOR EACH STATEMENT EXECUTE FUNCTION inventory_refuse_truncate()"
        )


def uninstall(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    for table in APPEND_ONLY + GUARDED:
        schema_editor.execute(f"DROP TRIGGER IF EXISTS {table}_no_truncate ON {table}")
    schema_editor.execute("DROP TRIGGER IF EXISTS inventory_lot_guard ON inventory_lot")
    schema_editor.execute(
        "DROP TRIGGER IF EXISTS inventory_discrepancy_guard ON inventory_discrepancy"
    )
    for table in APPEND_ONLY:
        schema_editor.execute(f"DROP TRIGGER IF EXISTS {table}_append_only ON {table}")
    schema_editor.execute(
        "DROP FUNCTION IF EXISTS inventory_refuse_truncate(), inventory_guard_lot(), "
        "inventory_guard_discrepancy(), inventory_refuse_change()"
    )


class Migration(migrations.Migration):
    dependencies = [("inventory", "0001_initial")]
    operations = [migrations.RunPython(install, uninstall)]
