#!/usr/bin/env bash
# Serve the demo clinic: the web server and the background worker together.
# Ctrl-C stops both.
set -euo pipefail
UV="${1:-uv}"
cd "$(dirname "$0")/.."
"$UV" run --locked python manage.py qcluster &
WORKER=$!
trap 'kill "$WORKER" 2>/dev/null || true; wait "$WORKER" 2>/dev/null || true' EXIT INT TERM
cat <<MSG

  Ketaclinic demo clinic: http://127.0.0.1:8000/
  Staff sign-in:          http://127.0.0.1:8000/accounts/login/
  Clinic configuration:   http://127.0.0.1:8000/config/  (admin@demo.ketaclinic.test)
  Emails are written to var/mail/. Background worker pid $WORKER.

MSG
"$UV" run --locked python manage.py runserver 127.0.0.1:8000 --noreload
