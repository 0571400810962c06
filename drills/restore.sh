#!/usr/bin/env bash
# Restore drill: a backup is only a backup once it has been restored.
#
#   drills/restore.sh [SOURCE_DATABASE_URL]
#
# Dumps SOURCE (pg_dump, custom format, from one snapshot), restores the dump into a
# scratch database (ketaclinic_restore_drill_<pid>, on the same server, or on
# RESTORE_TARGET_SERVER=postgres://user@host:port), and compares:
#   - the row count of every table, counted in the snapshot the dump was taken from
#     (so a live source that keeps changing still compares exactly);
#   - the controlled-substance ledger: per lot, the cached balance and outstanding
#     figures and, per kind of entry, the number of entries and their sum;
#   - in the restored copy: every lot's cached balance against a replay of its ledger
#     entries (inventory.ledger), every table's id sequence ahead of its largest id, and
#     the access log's hash chain (manage.py verify_audit_log).
# Without SOURCE it builds one: a scratch database ketaclinic_restore_drill_source_<pid>
# (on DATABASE_URL's server when that is PostgreSQL, else 127.0.0.1:5432 as postgres)
# with the migrations and the demo clinic (manage.py load_demo, access log sealed).
# Scratch databases are dropped at the end, whatever happens. Exit 0 when everything
# matches, 1 on any difference (RESTORE_DRILL_TAMPER=1 damages the copy on purpose, to
# see the drill fail). Needs pg_dump, pg_restore and psql of the server's
# major version (or newer) and the project's environment (uv).
set -euo pipefail
cd "$(dirname "$0")/.."

UV="${UV:-$(command -v uv 2>/dev/null || echo .uv-bootstrap/bin/uv)}"
SERVER_DEFAULT="postgres://postgres@127.0.0.1:5432" # or DATABASE_URL's server (below)
TAG="$$"
SOURCE_URL="${1:-}"
BUILT_SOURCE=""
WORK="$(mktemp -d "${TMPDIR:-/tmp}/ketaclinic-restore-drill.XXXXXX")"
PSQL=(psql -X -q -A -t -v ON_ERROR_STOP=1)
started=$SECONDS

server_of() { # postgres://user@host:port/name?x -> postgres://user@host:port
  local url="${1%%\?*}"
  local rest="${url#*://}"
  echo "${url%%://*}://${rest%%/*}"
}

drop_db() { "${PSQL[@]}" -d "$1/postgres" -c "DROP DATABASE IF EXISTS \"$2\" WITH (FORCE)"; }

cleanup() {
  status=$?
  [ -n "${SNAPSHOT_PID:-}" ] && kill "$SNAPSHOT_PID" 2>/dev/null || true
  [ -n "${TARGET_NAME:-}" ] && drop_db "$TARGET_SERVER" "$TARGET_NAME" || true
  [ -n "$BUILT_SOURCE" ] && drop_db "$(server_of "$SOURCE_URL")" "$BUILT_SOURCE" || true
  rm -rf "$WORK"
  exit "$status"
}
trap cleanup EXIT INT TERM

manage() { # manage DATABASE_URL args...
  local url="$1"
  shift
  env -u Q_REDIS_URL DJANGO_SETTINGS_MODULE=ketaclinic.settings KETACLINIC_ENV=development \
    DEBUG=false KETACLINIC_VAR_DIR="$WORK/var" DATABASE_URL="$url" LOG_LEVEL=WARNING \
    "$UV" run --locked python manage.py "$@"
}

case "${DATABASE_URL:-}" in postgres://* | postgresql://*) SERVER_DEFAULT="$(server_of "$DATABASE_URL")" ;; esac
if [ -z "$SOURCE_URL" ]; then
  BUILT_SOURCE="ketaclinic_restore_drill_source_${TAG}"
  SOURCE_URL="${SERVER_DEFAULT}/${BUILT_SOURCE}"
  echo "== building a source: $BUILT_SOURCE (migrations + demo clinic)"
  "${PSQL[@]}" -d "$SERVER_DEFAULT/postgres" -c "CREATE DATABASE \"$BUILT_SOURCE\""
  manage "$SOURCE_URL" migrate --no-input -v 0
  manage "$SOURCE_URL" load_demo >/dev/null
  manage "$SOURCE_URL" seal_audit_log >/dev/null
  echo "   built in $((SECONDS - started)) s"
fi
case "$SOURCE_URL" in postgres://* | postgresql://*) ;; *)
  echo "SOURCE must be a postgres:// URL, not $SOURCE_URL" >&2
  exit 2
  ;;
esac
TARGET_SERVER="${RESTORE_TARGET_SERVER:-$(server_of "$SOURCE_URL")}"
TARGET_NAME="ketaclinic_restore_drill_${TAG}"
TARGET_URL="${TARGET_SERVER}/${TARGET_NAME}"

# What is compared, as text lines. Row counts and ledger figures only: run inside the
# dump's snapshot on the source and plainly on the restored copy.
COMPARE_SQL="$WORK/compare.sql"
cat >"$COMPARE_SQL" <<'SQL'
SELECT format('SELECT %L || '' rows '' || count(*) FROM %I.%I', 'table ' || c.relname, n.nspname, c.relname)
  FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
 WHERE c.relkind IN ('r', 'p') AND n.nspname = 'public'
 ORDER BY c.relname
\gexec
SELECT 'lot ' || id || ' balance_mg ' || balance_mg || ' outstanding_mg ' || outstanding_mg
  FROM inventory_lot ORDER BY id;
SELECT 'ledger lot ' || lot_id || ' ' || kind || ' entries ' || count(*) || ' sum_mg ' || sum(quantity_mg)
  FROM inventory_ledgerentry GROUP BY lot_id, kind ORDER BY lot_id, kind;
SQL

echo "== dumping the source from one snapshot"
# A session that holds the snapshot open while pg_dump and the counts use it.
mkfifo "$WORK/snapshot.in"
"${PSQL[@]}" -d "$SOURCE_URL" <"$WORK/snapshot.in" >"$WORK/snapshot.out" &
SNAPSHOT_PID=$!
exec 3>"$WORK/snapshot.in"
echo "BEGIN ISOLATION LEVEL REPEATABLE READ, READ ONLY; SELECT pg_export_snapshot();" >&3
for _ in $(seq 1 100); do [ -s "$WORK/snapshot.out" ] && break; sleep 0.1; done
SNAPSHOT="$(head -1 "$WORK/snapshot.out")"
[ -n "$SNAPSHOT" ] || { echo "could not export a snapshot from the source" >&2; exit 1; }
pg_dump --format=custom --snapshot="$SNAPSHOT" --file="$WORK/source.dump" -d "$SOURCE_URL"
{
  echo "BEGIN ISOLATION LEVEL REPEATABLE READ, READ ONLY;"
  echo "SET TRANSACTION SNAPSHOT '$SNAPSHOT';"
  cat "$COMPARE_SQL"
  echo "COMMIT;"
} | "${PSQL[@]}" -d "$SOURCE_URL" >"$WORK/source.txt"
echo "COMMIT;" >&3
exec 3>&-
wait "$SNAPSHOT_PID" || true
SNAPSHOT_PID=""
echo "   $(du -h "$WORK/source.dump" | cut -f1) dump, $(grep -c '^table ' "$WORK/source.txt") tables"

echo "== restoring into $TARGET_NAME ($((SECONDS - started)) s so far)"
"${PSQL[@]}" -d "$TARGET_SERVER/postgres" -c "CREATE DATABASE \"$TARGET_NAME\""
# Ownership and grants are the target server's business (setup_db_roles after a real
# restore); the drill restores as the connecting role.
pg_restore --exit-on-error --no-owner --no-privileges -d "$TARGET_URL" "$WORK/source.dump"
if [ -n "${RESTORE_DRILL_TAMPER:-}" ]; then
  # Proves the drill can fail: a lost row and a changed lot balance in the copy.
  echo "   RESTORE_DRILL_TAMPER: deleting a schedule and changing a lot's balance in the copy"
  "${PSQL[@]}" -d "$TARGET_URL" -c "
    DELETE FROM django_q_schedule WHERE id = (SELECT min(id) FROM django_q_schedule);
    UPDATE inventory_lot SET balance_mg = balance_mg + 1 WHERE id = (SELECT min(id) FROM inventory_lot);"
fi
"${PSQL[@]}" -d "$TARGET_URL" -f "$COMPARE_SQL" >"$WORK/restored.txt"

failed=0
echo "== comparing row counts and ledger balances"
if diff -u "$WORK/source.txt" "$WORK/restored.txt" >"$WORK/differences"; then
  tables=$(grep -c '^table ' "$WORK/source.txt")
  rows=$(awk '/^table /{n += $4} END {print n + 0}' "$WORK/source.txt")
  lots=$(grep -c '^lot ' "$WORK/source.txt" || true)
  entries=$(awk '/^ledger lot /{n += $6} END {print n + 0}' "$WORK/source.txt")
  echo "   same: $tables tables, $rows rows; $lots lots, $entries ledger entries"
else
  echo "   DIFFERENT (source -> restored):"
  sed -n '3,200p' "$WORK/differences"
  failed=1
fi

echo "== sequences ahead of their tables' ids"
"${PSQL[@]}" -d "$TARGET_URL" >"$WORK/sequences.txt" <<'SQL'
SELECT format(
         'SELECT %L || '' '' || (SELECT coalesce(max(%I)::bigint, 0) FROM %I) || '' '' || last_value FROM %s',
         t.relname || '.' || a.attname, a.attname, t.relname,
         pg_get_serial_sequence(quote_ident(t.relname), a.attname))
  FROM pg_class t
  JOIN pg_namespace n ON n.oid = t.relnamespace
  JOIN pg_attribute a ON a.attrelid = t.oid AND a.attnum > 0 AND NOT a.attisdropped
 WHERE n.nspname = 'public' AND t.relkind = 'r'
   AND pg_get_serial_sequence(quote_ident(t.relname), a.attname) IS NOT NULL
\gexec
SQL
behind=$(awk '$2 > $3 {print "   " $1 ": largest id " $2 ", sequence at " $3}' "$WORK/sequences.txt")
if [ -n "$behind" ]; then
  echo "   BEHIND (the next insert would collide):"
  echo "$behind"
  failed=1
else
  echo "   $(wc -l <"$WORK/sequences.txt") sequences, none behind"
fi

echo "== restored ledger replayed against its cached balances"
if ! manage "$TARGET_URL" shell --no-imports -c '
from ketaclinic.inventory import ledger
from ketaclinic.inventory.models import LedgerEntry, Lot
entries = [entry.as_ledger_entry() for entry in LedgerEntry.objects.order_by("id")]
totals = ledger.totals(entries)
wrong = [
    lot.pk
    for lot in Lot.objects.order_by("id")
    if (ledger.quantize(totals.get(lot.pk, ledger.LotTotals()).stock_mg), ledger.quantize(totals.get(lot.pk, ledger.LotTotals()).outstanding_mg))
    != (lot.balance_mg, lot.outstanding_mg)
]
print(f"   {len(entries)} entries replayed; lots whose cache differs: {wrong or 0}")
raise SystemExit(1 if wrong else 0)
'; then
  failed=1
fi

echo "== restored access log's hash chain"
if ! manage "$TARGET_URL" verify_audit_log | sed 's/^/   /'; then
  failed=1
fi

elapsed=$((SECONDS - started))
if [ "$failed" -ne 0 ]; then
  echo "RESTORE DRILL FAILED (${elapsed} s)"
  exit 1
fi
echo "RESTORE DRILL PASSED: the restored copy matches the source (${elapsed} s)"
