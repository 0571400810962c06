#!/usr/bin/env python
"""Fault drill: the task worker is killed while it sends alert escalations.

What must hold (docs/operations.md, "Fault drills"):

- at-least-once: every escalation text and email is delivered once the worker is back,
  with nobody enqueueing anything by hand: the schedules' sweeps find what the dead
  worker left (rows it never reached, and rows it had claimed, once the claim expires);
- no recipient gets the same escalation twice: a text sent again after the kill carries
  the same de-duplication key as idempotency token (an email the same Message-ID), so
  the provider (the mail system) takes it once.

How: a scratch database (``ketaclinic_ops_worker_kill_<pid>``, made and dropped) with one
location, two medical directors, three prescribers (one on call), and urgent alerts
whose escalation is overdue, half of them due for the directors (level 1) and half,
already escalated once before the drill, for every prescriber (level 2). Their first
texts and emails were delivered before the drill starts. A real ``manage.py qcluster``
(two worker processes; the ORM broker, or Redis with ``--redis``/``Q_REDIS_URL``) runs the
sweep that escalates and sends; texts go through the real Twilio adapter to a loopback
stand-in for Twilio that answers slowly (``--provider-delay``), emails through Django's
file backend. When a third of the texts have arrived, every process of the cluster gets
SIGKILL. A new cluster is started and the drill waits (bounded) until everything is
delivered.

Figures (of the escalations this drill expects; texts and emails together):

  expected    escalations the seed implies (recipient × alert × channel)
  sent        requests that reached the provider and emails handed to the mail backend,
              resends included
  confirmed   notification and outbox rows the database records as sent
  found       expected escalations that reached their recipient
  lost        expected escalations that never did
  duplicated  escalations a recipient got twice (two deliveries with different keys
              to one recipient for one alert), plus deliveries nobody expected
  resent      requests repeated with the same key after the kill (absorbed by the key)

Exit status 1 on any loss or duplicate, on a row not recorded as sent, or when
recovery takes longer than ``--timeout``. Run from the repository root::

    .uv-bootstrap/bin/uv run --locked python drills/worker_kill.py
    Q_REDIS_URL=redis://127.0.0.1:6379/0 .uv-bootstrap/bin/uv run --locked python \\
        drills/worker_kill.py --redis

``--database-url`` (default ``DATABASE_URL``, else postgres://postgres@127.0.0.1:5432/...)
names only the server: the drill's database is its own.
"""

from __future__ import annotations

import argparse
import collections
import email
import os
import re
import shutil
import sys
import tempfile
import time
from datetime import date, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _common import (
    Cluster,
    DrillFailed,
    create_database,
    drop_database,
    ensure_paths,
    server_url,
    wait_for,
)

ensure_paths()

from tests.safety.fake_twilio import FakeTwilio, Reply  # noqa: E402

SMS_SID = "AC" + "1" * 32
ALERT_IN_TEXT = re.compile(r"/staff/alerts/(\d+)/")
MAIL_SEPARATOR = "\n" + "-" * 79 + "\n"


def parse_args():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--alerts", type=int, default=24, help="overdue urgent alerts (24)")
    parser.add_argument("--database-url", help="PostgreSQL server (a database URL on it)")
    parser.add_argument(
        "--redis",
        action="store_true",
        help="use the Redis broker (Q_REDIS_URL, default redis://127.0.0.1:6379/0)",
    )
    parser.add_argument(
        "--provider-delay", type=float, default=0.1, help="seconds the fake Twilio takes (0.1)"
    )
    parser.add_argument(
        "--kill-after", type=float, default=1 / 3, help="fraction of texts before the kill"
    )
    parser.add_argument("--timeout", type=float, default=100, help="recovery bound, seconds")
    parser.add_argument(
        "--claim-seconds",
        type=int,
        default=10,
        help="how long a claim lasts (10; longer than --timeout shows the drill failing)",
    )
    parser.add_argument("--keep", action="store_true", help="keep the scratch files")
    return parser.parse_args()


# --- the clinic and its overdue alerts ------------------------------------------------------


def seed(alert_count: int):
    """The people (each with a phone from a shift on the rota) and the overdue alerts.
    Returns (expected deliveries per (address, alert id), alert ids by expected level)."""
    from django.utils import timezone
    from tests.factories import LocationFactory, UserFactory

    from ketaclinic.accounts.roles import Role
    from ketaclinic.patients.domain.intake import PatientData, create_patient
    from ketaclinic.safety.domain import alerts, oncall
    from ketaclinic.safety.models import Kind, Tier

    now = timezone.now()
    riverside = LocationFactory(name="Riverside Clinic", slug="riverside")
    directors = [
        UserFactory(email=f"director{i}@drill.test", role=Role.MEDICAL_DIRECTOR, locations=[])
        for i in (1, 2)
    ]
    prescribers = [
        UserFactory(email=f"prescriber{i}@drill.test", role=Role.PRESCRIBER, locations=[riverside])
        for i in (1, 2, 3)
    ]
    phones = {}
    for day, person in enumerate([*directors, *prescribers[1:]], start=1):
        # past shifts give everyone a phone for the second channel
        phones[person.pk] = f"+1217555{day:04d}"
        starts = now - timedelta(days=10 + day)
        oncall.add_shift(
            location=riverside,
            prescriber=person,
            starts_at=starts,
            ends_at=starts + timedelta(hours=12),
            phone=phones[person.pk],
            actor=directors[0],
        )
    on_call = prescribers[0]
    phones[on_call.pk] = "+12175550100"
    oncall.add_shift(
        location=riverside,
        prescriber=on_call,
        starts_at=now - timedelta(hours=3),
        ends_at=now + timedelta(hours=24),
        phone=phones[on_call.pk],
        actor=directors[0],
    )
    patients = [
        create_patient(
            PatientData(
                location=riverside,
                legal_first_name=f"Drill{i}",
                legal_last_name="Patient",
                date_of_birth=date(1980, 1, 1 + i),
                sex="female",
            ),
            actor=None,
        )
        for i in range(4)
    ]

    def raise_urgent(index: int, at):
        return alerts.raise_alert(
            patients[index % len(patients)],
            kind=Kind.SUICIDAL_IDEATION,
            tier=Tier.URGENT,
            cause={"drill": "worker_kill", "index": index},
            dedup_key=f"drill:worker_kill:{index}",
            now=at,
        )

    minutes = timedelta(minutes=1)
    escalate = alerts._escalate_after()
    # Alerts for every prescriber: raised long ago, escalated to the directors once.
    level_two = [raise_urgent(i, now - 3 * escalate - 5 * minutes) for i in range(alert_count // 2)]
    alerts.escalate_due(now - 2 * escalate)
    # Alerts for the directors: raised a little over the escalation time ago.
    level_one = [
        raise_urgent(i, now - escalate - 5 * minutes) for i in range(alert_count // 2, alert_count)
    ]

    expected = collections.Counter()
    for alert in level_one:
        for person in directors:
            expected[(phones[person.pk], alert.pk)] += 1
            expected[(person.email, alert.pk)] += 1
    for alert in level_two:
        for person in prescribers:
            expected[(phones[person.pk], alert.pk)] += 1
            expected[(person.email, alert.pk)] += 1
    return expected, {1: [a.pk for a in level_one], 2: [a.pk for a in level_two]}


def deliver_earlier_notifications() -> None:
    """What went out before the drill (first texts and emails, the directors' ones of
    the older alerts), delivered here, by the same domain functions the worker runs."""
    from ketaclinic.notifications.domain import outbox
    from ketaclinic.safety.domain import delivery
    from ketaclinic.safety.models import AlertNotification, Channel

    for pk in AlertNotification.objects.filter(channel=Channel.SMS).values_list("pk", flat=True):
        delivery.deliver_notification(pk)
    outbox.sweep()
    pending = AlertNotification.objects.filter(channel=Channel.SMS).exclude(status="sent")
    if pending.exists():
        raise DrillFailed("the earlier notifications did not all go out before the drill")


# --- what reached people -------------------------------------------------------------------


def texts(fake: FakeTwilio, since: int):
    """(address, alert id, key) of every request the provider got after ``since``."""
    for seen in fake.requests[since:]:
        match = ALERT_IN_TEXT.search(seen.form.get("Body", ""))
        yield (
            seen.form.get("To", ""),
            int(match.group(1)) if match else None,
            seen.headers.get("i-twilio-idempotency-token", ""),
        )


def emails(mail_dir: Path, before: set[str]):
    """(address, alert id, Message-ID) of every email written after the drill began."""
    if not mail_dir.exists():
        return
    for path in sorted(mail_dir.iterdir()):
        if path.name in before:
            continue
        for chunk in path.read_text(errors="replace").split(MAIL_SEPARATOR):
            if not chunk.strip():
                continue
            message = email.message_from_string(chunk)
            body = message.get_payload(decode=True) or b""
            match = ALERT_IN_TEXT.search(body.decode(errors="replace"))
            yield (
                message.get("To", ""),
                int(match.group(1)) if match else None,
                message.get("Message-ID", ""),
            )


def tally(expected: collections.Counter, deliveries: list[tuple]) -> dict:
    """Compare deliveries (address, alert, key) with the expected escalations."""
    keys_by_pair = collections.defaultdict(set)
    for address, alert, key in deliveries:
        keys_by_pair[(address, alert)].add(key)
    found = sum(min(len(keys_by_pair.get(pair, ())), n) for pair, n in expected.items())
    duplicated = sum(
        max(len(keys) - expected.get(pair, 0), 0) for pair, keys in keys_by_pair.items()
    )
    distinct = sum(len(keys) for keys in keys_by_pair.values())
    return {
        "expected": sum(expected.values()),
        "sent": len(deliveries),
        "found": found,
        "lost": sum(expected.values()) - found,
        "duplicated": duplicated,
        "resent": len(deliveries) - distinct,
    }


def confirmed(alert_ids: list[int], since) -> tuple[int, int]:
    """(rows recorded as sent, rows not) among the texts and emails written since the
    drill began (the worker's escalations)."""
    from ketaclinic.notifications.models import OutboxMessage
    from ketaclinic.safety.models import AlertNotification, Channel

    sms = AlertNotification.objects.filter(
        alert_id__in=alert_ids, channel=Channel.SMS, level__gt=0, created_at__gte=since
    )
    mails = OutboxMessage.objects.filter(kind="safety_alert", created_at__gte=since)
    sent = sms.filter(status="sent").count() + mails.filter(status="sent").count()
    return sent, sms.exclude(status="sent").count() + mails.exclude(status="sent").count()


def held_by_dead_worker(since) -> int:
    """Rows in ``sending``: claimed, not recorded; only an expired claim frees them."""
    from ketaclinic.notifications.models import OutboxMessage
    from ketaclinic.safety.models import AlertNotification

    return (
        AlertNotification.objects.filter(status="sending", created_at__gte=since).count()
        + OutboxMessage.objects.filter(status="sending", created_at__gte=since).count()
    )


def escalated(by_level: dict[int, list[int]]) -> int:
    from ketaclinic.safety.models import Alert

    return sum(
        Alert.objects.filter(pk__in=pks, escalation_level=level).count()
        for level, pks in by_level.items()
    )


def main() -> int:
    args = parse_args()
    began = time.monotonic()
    server = server_url(args.database_url)
    name = f"ketaclinic_ops_worker_kill_{os.getpid()}"
    tmp = Path(tempfile.mkdtemp(prefix="ketaclinic-worker-kill-"))
    fake = FakeTwilio().start()
    database_url = create_database(server, name)
    redis_url = (os.environ.get("Q_REDIS_URL") or "redis://127.0.0.1:6379/0") if args.redis else ""
    site = f"ketaclinic-drill-{os.getpid()}"
    env = {k: v for k, v in os.environ.items() if not k.startswith(("Q_", "DJANGO_"))}
    env.update(
        {
            "DJANGO_SETTINGS_MODULE": "ketaclinic.settings",
            "KETACLINIC_ENV": "development",
            "DEBUG": "false",
            "KETACLINIC_VAR_DIR": str(tmp),
            "DATABASE_URL": database_url,
            "EMAIL_BACKEND": "django.core.mail.backends.filebased.EmailBackend",
            "SITE_URL": "https://clinic.example",
            "LOG_LEVEL": "INFO",
            "Q_SITE_NAME": site,
            "Q_WORKERS": "2",
            "SAFETY_SECOND_CHANNEL": "ketaclinic.safety.channels.TwilioSMSChannel",
            "SAFETY_SMS_ACCOUNT_SID": SMS_SID,
            "SAFETY_SMS_AUTH_TOKEN": "worker-kill-drill-token",
            "SAFETY_SMS_FROM": "+12175550199",
            "SAFETY_SMS_API_BASE": fake.base,
            # Claims a dead worker leaves expire quickly, so the drill stays short.
            "SAFETY_CLAIM_SECONDS": str(args.claim_seconds),
            "SAFETY_SMS_TIMEOUT_SECONDS": "5",
            "OUTBOX_CLAIM_SECONDS": str(args.claim_seconds),
        }
    )
    if redis_url:
        env["Q_REDIS_URL"] = redis_url
    os.environ.update(env)
    os.environ["LOG_LEVEL"] = "WARNING"  # this process's log; the worker's goes to a file
    for key in [k for k in os.environ if k.startswith("Q_") and k not in env]:
        del os.environ[key]
    cluster = Cluster(env, tmp / "qcluster.log")
    failures: list[str] = []
    try:
        import django

        django.setup()
        from django.core.management import call_command
        from django.db import connections
        from django.utils import timezone
        from django_q.tasks import async_task

        from ketaclinic.notifications.domain import outbox
        from ketaclinic.safety.domain import alerts

        print(f"worker-kill drill: database {name}, broker {'redis' if redis_url else 'orm'}")
        call_command("migrate", verbosity=0)
        print(f"migrated in {time.monotonic() - began:.0f} s")
        # The seed writes what is "already there"; nothing is enqueued for it.
        queued = alerts.queue_after_write, outbox.queue_after_write
        alerts.queue_after_write = outbox.queue_after_write = lambda *args, **kwargs: None
        expected, by_level = seed(args.alerts)
        deliver_earlier_notifications()
        alerts.queue_after_write, outbox.queue_after_write = queued
        alert_ids = by_level[1] + by_level[2]
        fake_mark = len(fake.requests)
        mail_dir = tmp / "mail"
        mail_before = {p.name for p in mail_dir.iterdir()} if mail_dir.exists() else set()
        fake.reply(*[Reply(delay=args.provider_delay) for _ in range(5000)])
        drill_start = timezone.now()
        texts_expected = sum(n for (address, _), n in expected.items() if address.startswith("+"))
        print(
            f"seeded in {time.monotonic() - began:.0f} s: {len(alert_ids)} overdue urgent "
            f"alerts, {sum(expected.values())} escalations expected ({texts_expected} texts)"
        )

        cluster.start().wait_running()
        # What the every-minute schedule would run next; enqueued now to keep the drill
        # short. The recovery after the kill is left to the schedules alone.
        async_task("ketaclinic.safety.tasks.sweep_alerts")
        threshold = max(int(texts_expected * args.kill_after), 1)
        wait_for(
            lambda: len(fake.requests) - fake_mark >= threshold,
            60,
            f"{threshold} texts to reach the provider",
            step=0.005,
        )
        cluster.kill()
        at_kill = tally(
            expected, list(texts(fake, fake_mark)) + list(emails(mail_dir, mail_before))
        )
        sent_rows, open_rows = confirmed(alert_ids, drill_start)
        print(
            f"killed the worker (SIGKILL to every process) after {at_kill['sent']} sends: "
            f"confirmed {sent_rows}, not yet confirmed {open_rows} "
            f"({held_by_dead_worker(drill_start)} of them claimed by the dead worker), "
            f"found {at_kill['found']} of {at_kill['expected']}; "
            f"alerts escalated {escalated(by_level)} of {len(alert_ids)}"
        )

        killed_at = time.monotonic()
        cluster.start().wait_running()

        def all_delivered():
            figures = tally(
                expected, list(texts(fake, fake_mark)) + list(emails(mail_dir, mail_before))
            )
            return figures["lost"] == 0 and confirmed(alert_ids, drill_start)[1] == 0

        try:
            wait_for(all_delivered, args.timeout, "every escalation to be delivered", step=0.5)
            recovered = time.monotonic() - killed_at
        except DrillFailed as exc:
            failures.append(exc.reason)
            recovered = None
        time.sleep(2)  # a late duplicate would arrive now
        cluster.stop()

        final = tally(expected, list(texts(fake, fake_mark)) + list(emails(mail_dir, mail_before)))
        final["confirmed"], not_confirmed = confirmed(alert_ids, drill_start)
        from ketaclinic.safety.models import Alert

        levels = dict(Alert.objects.filter(pk__in=alert_ids).values_list("pk", "escalation_level"))
        wrong_level = [pk for level, pks in by_level.items() for pk in pks if levels[pk] != level]
        print(
            "figures: "
            + ", ".join(
                f"{k} {final[k]}"
                for k in ("expected", "sent", "confirmed", "found", "lost", "duplicated", "resent")
            )
        )
        print(
            "recovered "
            + (f"in {recovered:.1f} s after the kill" if recovered is not None else "NOT in time")
            + f"; drill took {time.monotonic() - began:.0f} s"
        )
        if final["lost"]:
            failures.append(f"{final['lost']} escalations lost")
        if final["duplicated"]:
            failures.append(f"{final['duplicated']} escalations delivered twice")
        if not_confirmed:
            failures.append(f"{not_confirmed} rows not recorded as sent")
        if wrong_level:
            failures.append(f"alerts at the wrong escalation level: {wrong_level}")
        connections.close_all()
    finally:
        cluster.kill()
        fake.stop()
        drop_database(server, name)
        if redis_url:
            import redis

            client = redis.from_url(redis_url)
            keys = list(client.scan_iter(match=f"django_q:{site}:*"))
            if keys:
                client.delete(*keys)
        if args.keep:
            print(f"scratch files kept in {tmp}")
        else:
            shutil.rmtree(tmp, ignore_errors=True)
    if failures:
        for failure in failures:
            print(f"DRILL FAILED: {failure}")
        print(f"the worker's log: {tmp / 'qcluster.log'} (with --keep)")
        return 1
    print("DRILL PASSED: nothing lost, nothing delivered twice")
    return 0


if __name__ == "__main__":
    sys.exit(main())
