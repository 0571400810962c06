# Ketaclinic task runner. `make run` and `make test` are the two commands a new
# machine needs; `make ci` is exactly what CI runs (see .ci/run).
SHELL := /bin/bash
PYTHON ?= python3
UV := $(shell command -v uv 2>/dev/null || echo $(CURDIR)/.uv-bootstrap/bin/uv)
MANAGE := $(UV) run --locked python manage.py
PYTEST_WORKERS ?= 2

.PHONY: run install test lint migrations-check ci check-deploy demo worker clean screenshots bench drills

$(CURDIR)/.uv-bootstrap/bin/uv:
	@echo "uv not found: bootstrapping it with pip into .uv-bootstrap/"
	$(PYTHON) -m venv .uv-bootstrap
	.uv-bootstrap/bin/pip install --quiet uv

install: $(UV)
	$(UV) sync --locked

run: install
	$(MANAGE) migrate --no-input
	$(MANAGE) load_demo
	@bash scripts/run-dev.sh "$(UV)"

demo: install
	$(MANAGE) migrate --no-input
	$(MANAGE) load_demo

worker: install
	$(MANAGE) qcluster

test: install
	$(UV) run --locked pytest -n $(PYTEST_WORKERS) $(PYTEST_ARGS)

lint: install
	$(UV) run --locked ruff check src tests drills bench
	$(UV) run --locked ruff format --check src tests drills bench

migrations-check: install
	$(MANAGE) makemigrations --check --dry-run

check-deploy: install
	KETACLINIC_ENV=production DEBUG=false SECRET_KEY=check-deploy-$$(head -c 32 /dev/urandom | od -An -tx1 | tr -d ' \n') \
	ALLOWED_HOSTS=clinic.example DATABASE_URL=sqlite:///$(CURDIR)/var/check-deploy.sqlite3 \
	SAFETY_SECOND_CHANNEL=ketaclinic.safety.channels.ConsoleChannel \
	$(MANAGE) check --deploy --fail-level WARNING

screenshots: install
	DATABASE_URL=$${DATABASE_URL:-postgres://postgres@127.0.0.1:5432/ketaclinic} $(UV) run --locked pytest -p no:xdist tests/e2e/test_screenshots.py tests/e2e/test_patient_screening_flow.py tests/e2e/test_questionnaire_safety_flow.py tests/e2e/test_booking_calendar.py tests/e2e/test_course_to_booking_flow.py tests/e2e/test_session_charting.py tests/e2e/test_outcomes_screenshots.py tests/e2e/test_inventory.py --screenshots

ci: lint migrations-check test

# Benchmarks (docs/performance.md): gunicorn on PostgreSQL driven by wrk at 1,000, 10,000
# and 100,000 patients; builds missing ketaclinic_bench_<N> databases with synth; writes
# bench/results/latest.json. BENCH_SECONDS, BENCH_WARMUP, BENCH_SIZES, BENCH_PAGES override.
bench: install
	@command -v wrk >/dev/null || (apt-get update -qq && apt-get install -y -qq wrk) || \
		(echo "wrk is needed: apt-get install wrk" && exit 1)
	$(UV) run --locked python bench/run.py

# Fault drills (drills/run-all.sh; docs/operations.md): PostgreSQL on 127.0.0.1:5432 with
# its server binaries, Redis for the Redis variant, Debian's chromium. DRILL_SECONDS=300.
drills: install
	UV="$(UV)" bash drills/run-all.sh

clean:
	rm -rf var/ketaclinic.sqlite3* var/mail .pytest_cache
