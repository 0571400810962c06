#!/usr/bin/env bash
# Run every fault drill under drills/ in turn, each with a time limit, and exit 1 if any
# failed (or ran out of time). Runnable from a fresh clone after `make install`; needs
# PostgreSQL on 127.0.0.1:5432 (DRILL_ADMIN_URL), its server binaries for the throwaway
# cluster (DRILL_PG_BIN, default /usr/lib/postgresql/15/bin) and Debian's chromium.
#
#   drills/run-all.sh                  # everything, two_nurses for DRILL_SECONDS=300
#   DRILL_SECONDS=30 drills/run-all.sh # a quicker local run
#   drills/run-all.sh web_kill         # only the drills named
set -uo pipefail
cd "$(dirname "$0")/.."

UV="${UV:-$(command -v uv 2>/dev/null || echo "$PWD/.uv-bootstrap/bin/uv")}"
export UV
PY=("$UV" run --locked python)
export DRILL_SECONDS="${DRILL_SECONDS:-300}"
ONLY=("$@")

passed=()
failed=()

wanted() {
  [ ${#ONLY[@]} -eq 0 ] && return 0
  local name
  for name in "${ONLY[@]}"; do [ "$name" = "$1" ] && return 0; done
  return 1
}

# run NAME LIMIT_SECONDS COMMAND...: SIGTERM at the limit (the drills clean up), SIGKILL 30 s later
run() {
  local name="$1" limit="$2"
  shift 2
  wanted "$name" || return 0
  echo "== drill $name (limit ${limit} s)"
  local began=$SECONDS status=0
  timeout --kill-after=30 "$limit" "$@" || status=$?
  local took=$((SECONDS - began))
  if [ "$status" -eq 0 ]; then
    passed+=("$name (${took} s)")
  elif [ "$status" -eq 124 ] || [ "$status" -eq 137 ]; then
    failed+=("$name (out of time after ${took} s)")
  else
    failed+=("$name (exit $status after ${took} s)")
  fi
  echo "== drill $name: exit $status in ${took} s"
}

# The migrated template the web drills copy (half a minute once, instead of per drill).
if ! timeout 600 "${PY[@]}" drills/_web.py build-template; then
  echo "== could not build the drill template database" >&2
  exit 1
fi

run web_kill 120 "${PY[@]}" drills/web_kill.py
run pg_restart 180 "${PY[@]}" drills/pg_restart.py
run two_nurses $((DRILL_SECONDS + 120)) "${PY[@]}" drills/two_nurses.py
# written alongside these; run when present
[ -f drills/worker_kill.py ] && run worker_kill 600 "${PY[@]}" drills/worker_kill.py
[ -f drills/restore.sh ] && run restore 600 bash drills/restore.sh

"${PY[@]}" drills/_web.py drop-template || true

echo "== drills passed: ${#passed[@]}"
for line in "${passed[@]}"; do echo "   $line"; done
if [ ${#failed[@]} -gt 0 ]; then
  echo "== drills FAILED: ${#failed[@]}"
  for line in "${failed[@]}"; do echo "   $line"; done
  exit 1
fi
