#!/usr/bin/env python
"""How long a flagged answer takes to reach the on-call prescriber.

A PHQ-9 with item 9 > 0 is submitted N times through the real portal view (Django's
test client, full middleware stack, real commit). For each submission the script
measures, from the moment the POST starts (after one warm-up submission that is not
counted, as a running web process has its code and templates loaded):

  committed  the portal page has answered (the response, the alert and its outbox rows
             are committed together; the crisis page is what the patient sees)
  inbox      the on-call prescriber's inbox page (/staff/alerts/, signed in with MFA)
             lists the alert
  email      the worker has sent the alert's email (the outbox row's ``sent_at``)
  sms        the second-channel request reached the SMS provider (a FakeTwilio on
             loopback, spoken to by the real ``TwilioSMSChannel`` adapter)

Email and SMS are delivered by a real django-q2 cluster (``manage.py qcluster``, a
separate process on the ORM broker, the default deployment) started by this script.
By default delivery is enqueued on commit; ``--sweep-only`` switches the on-commit
enqueue off in the web process, so only the every-minute sweeps deliver (what happens
when the enqueue is lost: the safety net).

Everything runs against a scratch database that is made, migrated, filled with the
one location with a prescriber on call, and thrown away: a temporary SQLite file, or, when
DATABASE_URL names a PostgreSQL database ``NAME``, a database ``NAME_latency`` on the
same server (created and dropped). Run from the repository root::

    .venv/bin/python scripts/measure_alert_latency.py -n 20
    DATABASE_URL=postgres://postgres@127.0.0.1:5432/ketaclinic \
        .venv/bin/python scripts/measure_alert_latency.py -n 20

It needs the development dependencies (it signs staff in the way the tests do).
"""

from __future__ import annotations

import argparse
import json
import math
import os
import random
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import date
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

ROOT = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(ROOT / "src"), str(ROOT)]

from tests.safety.fake_twilio import FakeTwilio  # noqa: E402

STAGES = ("committed", "inbox", "email", "sms")
SMS_SID = "AC" + "0" * 32


def scratch_database(tmp: Path) -> tuple[str, str | None]:
    """(DATABASE_URL of the scratch database, its PostgreSQL name or None)."""
    base = os.environ.get("DATABASE_URL", "")
    if not base.startswith(("postgres://", "postgresql://")):
        return f"sqlite:///{tmp}/latency.sqlite3", None
    parts = urlsplit(base)
    name = (parts.path.lstrip("/") or "ketaclinic") + "_latency"
    _admin(base, f'DROP DATABASE IF EXISTS "{name}"')
    _admin(base, f'CREATE DATABASE "{name}"')
    return urlunsplit(parts._replace(path="/" + name)), name


def _admin(base: str, sql: str) -> None:
    import psycopg

    parts = urlsplit(base)
    with psycopg.connect(urlunsplit(parts._replace(path="/postgres")), autocommit=True) as conn:
        conn.execute(sql)


def percentile(values: list[float], p: float) -> float:
    """Nearest-rank percentile (p95 of 20 values is the 19th smallest)."""
    ordered = sorted(values)
    return ordered[max(math.ceil(p / 100 * len(ordered)) - 1, 0)]


def wait_for(condition, timeout: float, what: str, step: float = 0.01):
    deadline = time.monotonic() + timeout
    while True:
        value = condition()
        if value:
            return value
        if time.monotonic() > deadline:
            raise SystemExit(f"gave up waiting for {what} after {timeout:g} s")
        time.sleep(step)


def start_worker(tmp: Path) -> subprocess.Popen:
    log = (tmp / "qcluster.log").open("w")
    return subprocess.Popen(
        [sys.executable, "manage.py", "qcluster"],
        cwd=ROOT,
        env=os.environ.copy(),
        stdout=log,
        stderr=subprocess.STDOUT,
    )


def stop_worker(worker: subprocess.Popen) -> None:
    if worker.poll() is None:
        worker.send_signal(signal.SIGTERM)
        try:
            worker.wait(timeout=30)
        except subprocess.TimeoutExpired:
            worker.kill()
            worker.wait()


def worker_ready() -> bool:
    """The cluster has run a task (it has picked up the warm-up task queued at start)."""
    from django_q.models import Success
    from django_q.tasks import async_task

    if Success.objects.filter(func="math.floor").exists():
        return True
    if not getattr(worker_ready, "queued", False):
        async_task("math.floor", 1.5)
        worker_ready.queued = True
    return False


def seed():
    """Riverside, its medical director and a prescriber on call now with a phone
    (the way the tests make staff: with an authenticator app, so MFA sign-in works)."""
    from datetime import timedelta

    from django.utils import timezone
    from tests.factories import LocationFactory, UserFactory

    from ketaclinic.accounts.roles import Role
    from ketaclinic.safety.domain import oncall

    riverside = LocationFactory(name="Riverside Clinic", slug="riverside")
    director = UserFactory(
        email="director@latency.test", role=Role.MEDICAL_DIRECTOR, locations=[riverside]
    )
    on_call = UserFactory(email="oncall@latency.test", role=Role.PRESCRIBER, locations=[riverside])
    now = timezone.now()
    oncall.add_shift(
        location=riverside,
        prescriber=on_call,
        starts_at=now - timedelta(hours=1),
        ends_at=now + timedelta(hours=24),
        phone="+12175550123",
        actor=director,
    )
    return riverside


def measure_once(index: int, riverside, fake: FakeTwilio, timeout: float) -> dict:
    from django.test import Client
    from django.urls import reverse
    from tests.factories import login_with_mfa

    from ketaclinic.measures.domain import links
    from ketaclinic.notifications.models import OutboxMessage
    from ketaclinic.patients.domain.intake import PatientData, create_patient
    from ketaclinic.safety.domain.alerts import notification_key
    from ketaclinic.safety.models import Alert, AlertNotification, Channel

    patient = create_patient(
        PatientData(
            location=riverside,
            legal_first_name=f"Latency{index}",
            legal_last_name="Probe",
            date_of_birth=date(1980, 1, 1),
            sex="female",
        ),
        actor=None,
    )
    _link, token = links.create_link(patient, "phq-9", channel="in_clinic")
    answers = {f"item_{i}": "1" for i in range(1, 9)} | {"item_9": "2", "action": "submit"}
    portal = Client()

    start = time.time()
    response = portal.post(reverse("portal:questionnaire", args=[token]), answers)
    committed = time.time()
    if response.status_code != 200 or b"988" not in response.content:
        raise SystemExit(f"the portal answered {response.status_code} without crisis resources")

    alert = Alert.objects.get(patient=patient)
    staff = login_with_mfa(Client(), alert.responsible)
    inbox_url = reverse("backoffice:safety-inbox")
    alert_link = f'href="{reverse("backoffice:safety-alert", args=[alert.pk])}"'.encode()

    def listed():
        page = staff.get(inbox_url)
        return page.status_code == 200 and alert_link in page.content

    wait_for(listed, timeout, "the inbox")
    inbox = time.time()

    sms = AlertNotification.objects.get(alert=alert, channel=Channel.SMS)
    reached = wait_for(lambda: fake.for_key(sms.dedup_key), timeout, "the SMS provider")
    email_key = notification_key(alert.pk, 0, alert.responsible_id, Channel.EMAIL)
    sent_at = wait_for(
        lambda: (
            OutboxMessage.objects.filter(dedup_key=email_key, status="sent")
            .values_list("sent_at", flat=True)
            .first()
        ),
        timeout,
        "the email",
    )
    return {
        "committed": committed - start,
        "inbox": inbox - start,
        "email": sent_at.timestamp() - start,
        "sms": reached[0].at - start,
        "sms_requests": len(fake.for_key(sms.dedup_key)),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("-n", type=int, default=20, help="submissions (default 20)")
    parser.add_argument(
        "--sweep-only",
        action="store_true",
        help="no on-commit enqueue: only the every-minute sweeps deliver",
    )
    parser.add_argument("--timeout", type=float, default=150.0, help="per stage, seconds")
    parser.add_argument(
        "--pause", type=float, default=2.0, help="random pause before each, up to (s)"
    )
    parser.add_argument("--json", action="store_true", help="print raw timings as JSON too")
    parser.add_argument("--keep", action="store_true", help="keep the scratch files")
    args = parser.parse_args()

    tmp = Path(tempfile.mkdtemp(prefix="ketaclinic-latency-"))
    fake = FakeTwilio().start()
    database_url, pg_name = scratch_database(tmp)
    os.environ.update(
        {
            "DJANGO_SETTINGS_MODULE": "ketaclinic.settings",
            "KETACLINIC_ENV": "development",
            "DEBUG": "false",
            "KETACLINIC_VAR_DIR": str(tmp),
            "DATABASE_URL": database_url,
            "EMAIL_BACKEND": "django.core.mail.backends.filebased.EmailBackend",
            "SITE_URL": "https://clinic.example",
            "LOG_LEVEL": "WARNING",
            "SAFETY_SECOND_CHANNEL": "ketaclinic.safety.channels.TwilioSMSChannel",
            "SAFETY_SMS_ACCOUNT_SID": SMS_SID,
            "SAFETY_SMS_AUTH_TOKEN": "latency-probe-token",
            "SAFETY_SMS_FROM": "+12175550199",
            "SAFETY_SMS_API_BASE": fake.base,
        }
    )
    worker = None
    try:
        import django
        from django.core.management import call_command

        django.setup()
        from django.db import connection

        print(f"scratch database: {connection.vendor} ({database_url})", flush=True)
        call_command("migrate", verbosity=0)
        riverside = seed()
        if args.sweep_only:
            from ketaclinic.notifications.domain import outbox
            from ketaclinic.safety.domain import alerts

            alerts._schedule = lambda ids: None
            outbox._schedule = lambda pk: None
        worker = start_worker(tmp)
        wait_for(worker_ready, 120, "the worker to start", step=0.2)
        print(
            f"worker ready; {args.n} submissions "
            f"({'sweeps only' if args.sweep_only else 'enqueued on commit'})",
            flush=True,
        )

        warm = measure_once(-1, riverside, fake, args.timeout)  # imports, templates, caches
        print(f"  warm-up (not counted): sms {warm['sms'] * 1000:.1f} ms", flush=True)
        runs = []
        jitter = random.Random(5)  # noqa: S311 - spacing, not secrecy
        for index in range(args.n):
            # A random pause, so submissions do not fall in step with the broker's poll.
            time.sleep(jitter.uniform(0, args.pause))
            run = measure_once(index, riverside, fake, args.timeout)
            runs.append(run)
            print(
                f"  #{index + 1:>2} "
                + "  ".join(f"{stage} {run[stage] * 1000:8.1f} ms" for stage in STAGES),
                flush=True,
            )
        print(f"\n{connection.vendor}, N={len(runs)} (ms)")
        print(f"{'stage':<10} {'median':>9} {'p95':>9} {'max':>9}")
        for stage in STAGES:
            values = [run[stage] * 1000 for run in runs]
            print(
                f"{stage:<10} {statistics.median(values):9.1f} "
                f"{percentile(values, 95):9.1f} {max(values):9.1f}"
            )
        duplicates = [run["sms_requests"] for run in runs if run["sms_requests"] != 1]
        print(f"SMS requests per alert other than one: {duplicates or 'none'}")
        if args.json:
            print(json.dumps(runs, indent=1))
    finally:
        if worker is not None:
            stop_worker(worker)
        fake.stop()
        if pg_name:
            from django.db import connections

            connections.close_all()
            _admin(os.environ["DATABASE_URL"], f'DROP DATABASE IF EXISTS "{pg_name}"')
        if args.keep:
            print(f"scratch files kept in {tmp}")
        else:
            shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    main()
