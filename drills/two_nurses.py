#!/usr/bin/env python
"""Fault drill: two people chart the same session from two browsers at once.

On a scratch PostgreSQL database (``ketaclinic_drill_two_nurses``) holding the demo
clinic (``load_demo``), a new patient's first IV session at Riverside is made through
the domain functions and checked in. The demo nurse and the demo prescriber of
Riverside sign in (password and TOTP code) in two Playwright contexts of Debian's
Chromium and each charts vital signs in a loop for ``DRILL_SECONDS`` (default 300),
against gunicorn. Each set is different (who, systolic, heart rate), so every set a
person was told "Vital signs charted." for must be found exactly once afterwards.

Prints the figures; exits 1 on any loss, duplicate or refused entry.

    .venv/bin/python drills/two_nurses.py
"""

from __future__ import annotations

import contextlib
import logging
import os
import shutil
import sys
import tempfile
import threading
import time
from datetime import date
from decimal import Decimal
from pathlib import Path

import _web

CHROMIUM = os.environ.get("KETACLINIC_CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-quic",
    "--no-first-run",
]
TABLET = {"width": 820, "height": 1180}
PEOPLE = ["nurse@demo.ketaclinic.test", "prescriber@demo.ketaclinic.test"]
CONFIRMED = "Vital signs charted."


def entry_values(person: int, n: int) -> dict[str, int]:
    """The ``n``-th set (from 0) charted by ``person``: unique for each person up to
    1600 sets, and inside every threshold (no pre-dose review or hold, no alert), so
    each is answered "Vital signs charted."."""
    return {
        "systolic": 100 + n % 40,
        "diastolic": 70 + person % 10,
        "heart_rate": 60 + (n // 40) % 40,
        "spo2": 98,
        "resp_rate": 14,
    }


def entry_key(user_id: int, values: dict) -> str:
    return f"{user_id}:{values['systolic']}/{values['diastolic']}:{values['heart_rate']}"


def in_progress_session():
    """The demo clinic, and a checked-in first IV session of a new Riverside patient."""
    from django.core.management import call_command
    from django.utils import timezone

    from ketaclinic.accounts.models import User
    from ketaclinic.clinic.models import Location
    from ketaclinic.patients.domain import intake, records
    from ketaclinic.patients.models import HISTORY_QUESTIONS, Patient
    from ketaclinic.screening.domain import consent, decisions
    from ketaclinic.screening.models import Decision
    from ketaclinic.sessions.demo import CHECK_IN, READY
    from ketaclinic.sessions.domain import sessions
    from ketaclinic.treatment.domain import courses, orders
    from ketaclinic.treatment.domain.protocols import latest_version
    from ketaclinic.treatment.models import Product, Protocol

    logging.getLogger("django-q").setLevel(logging.WARNING)  # "Enqueued …" per email
    call_command("load_demo", stdout=open(os.devnull, "w"))  # noqa: SIM115
    nurse, prescriber = (User.objects.get(email=email) for email in PEOPLE)
    riverside = Location.objects.get(slug="riverside")
    today = timezone.localdate()
    patient = intake.create_patient(
        intake.PatientData(
            location=riverside,
            legal_first_name="Drill",
            legal_last_name="Twochart",
            date_of_birth=date(1980, 5, 17),
            sex="female",
            email="",
            phone="",
            primary_prescriber=prescriber,
        ),
        actor=nurse,
    )
    records.update_medical_history(
        patient,
        {
            **{name: False for name, _question in HISTORY_QUESTIONS},
            "latest_systolic": 122,
            "latest_diastolic": 78,
            "bp_measured_on": today,
            "weight_kg": Decimal("70"),
            "height_cm": Decimal("170"),
        },
        actor=prescriber,
        expected_version=patient.medical_history.version,
    )
    patient = Patient.objects.get(pk=patient.pk)
    decisions.record_decision(
        patient, decision=Decision.ELIGIBLE, note="Drill patient.", signer=prescriber
    )
    consent.record_consent(patient, signed_name="Drill Twochart", witness=nurse, actor=nurse)
    patient = Patient.objects.get(pk=patient.pk)
    course = courses.start_course(
        patient,
        latest_version(Protocol.objects.get(slug="iv-ketamine-depression-twice-weekly")),
        prescriber,
        first_session_on=today,
    )
    order = orders.order_dose(
        course,
        prescriber=prescriber,
        session_number=1,
        product=Product.objects.get(ndc="00000-010-20"),
        measured_weight_kg=Decimal("70"),
        weight_measured_on=today,
        height_cm=Decimal("170"),
    )
    orders.prepare_order(order, version=order.version, actor=nurse)
    order.refresh_from_db()
    orders.second_check(order, version=order.version, actor=prescriber)
    session = sessions.plan_session(course, session_number=1, reason="induction", actor=nurse)
    sessions.record_readiness(session, actor=nurse, **READY)
    sessions.check_in(session, actor=nurse, **CHECK_IN)
    return session.pk, {email: User.objects.get(email=email).pk for email in PEOPLE}


class Charter(threading.Thread):
    """One person at one browser, charting until the deadline."""

    def __init__(self, url: str, session_pk: int, person: int, email: str, start, seconds):
        super().__init__(daemon=True)
        self.url, self.session_pk, self.person, self.email = url, session_pk, person, email
        self.start_gate, self.seconds = start, seconds
        self.confirmed: list[dict] = []
        self.unconfirmed: list[tuple[dict, str]] = []
        self.error = ""

    def run(self) -> None:
        from playwright.sync_api import sync_playwright  # one instance per thread

        try:
            with sync_playwright() as playwright:
                browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
                page = browser.new_context(viewport=TABLET).new_page()
                page.set_default_timeout(30000)
                self.sign_in(page)
                self.start_gate.wait()
                deadline = time.monotonic() + self.seconds
                n = 0
                while time.monotonic() < deadline:
                    self.chart(page, entry_values(self.person, n))
                    n += 1
                browser.close()
        except Exception as exc:
            self.error = f"{type(exc).__name__}: {exc}"
            self.start_gate.abort()

    def sign_in(self, page) -> None:
        from ketaclinic.accounts.demo import demo_totp_code
        from ketaclinic.clinic.management.commands.load_demo import DEMO_PASSWORD

        page.goto(f"{self.url}/staff/sessions/{self.session_pk}/")
        page.get_by_label("Email").fill(self.email)
        page.get_by_label("Password").fill(DEMO_PASSWORD)
        page.get_by_role("button", name="Sign In").click()
        for _try in range(3):
            if 30 - time.time() % 30 < 3:  # let the code outlive the round trip
                time.sleep(30 - time.time() % 30 + 0.2)
            page.get_by_label("Code").fill(demo_totp_code())
            page.get_by_role("button", name="Sign In").click()
            page.wait_for_load_state()
            if page.get_by_label("Systolic (mmHg)").count():
                return
        raise RuntimeError(f"{self.email} could not sign in: {page.url}")

    def chart(self, page, values: dict) -> None:
        page.get_by_label("Systolic (mmHg)").fill(str(values["systolic"]))
        page.get_by_label("Diastolic (mmHg)").fill(str(values["diastolic"]))
        page.get_by_label("Heart rate (/min)").fill(str(values["heart_rate"]))
        page.get_by_label("SpO2 (%)").fill(str(values["spo2"]))
        page.get_by_label("Resp. rate (/min)").fill(str(values["resp_rate"]))
        with page.expect_navigation():
            page.get_by_role("button", name="Chart vital signs").click()
        if page.get_by_text(CONFIRMED, exact=True).count():
            self.confirmed.append(values)
        else:
            self.unconfirmed.append((values, page.url))


def count(session_pk: int, user_ids: dict[str, int], charters: list[Charter]):
    from django.db.models import Count

    from ketaclinic.sessions.models import VitalSigns

    rows = {
        entry_key(item["by_id"], item): item["n"]
        for item in VitalSigns.objects.filter(session_id=session_pk)
        .values("by_id", "systolic", "diastolic", "heart_rate")
        .annotate(n=Count("id"))
    }
    attempted = []
    for charter in charters:
        user_id = user_ids[charter.email]
        attempted += [
            _web.Attempted(entry_key(user_id, v), attempts=1, confirmed=True)
            for v in charter.confirmed
        ]
        attempted += [
            _web.Attempted(entry_key(user_id, v), attempts=1) for v, _url in charter.unconfirmed
        ]
    return attempted, rows


def main() -> int:
    seconds = float(os.environ.get("DRILL_SECONDS", "300"))
    _web.on_sigterm_exit()
    tmp = Path(tempfile.mkdtemp(prefix="ketaclinic-drill-nurses-"))
    server = None
    try:
        with contextlib.ExitStack() as stack:  # unwound in reverse: gunicorn, then the database
            url = stack.enter_context(
                _web.scratch_database("two_nurses", lambda u: _web.app_env(u, tmp))
            )
            env = _web.app_env(url, tmp)
            _web.use_app_env(env)
            import django

            django.setup()
            from django.core.management import call_command
            from django.db import connections

            started = time.monotonic()
            session_pk, user_ids = in_progress_session()
            call_command("collectstatic", "--no-input", verbosity=0)
            connections.close_all()
            _web.log(
                f"demo clinic and session {session_pk} ready in {time.monotonic() - started:.0f} s"
            )

            server = _web.Gunicorn(env, tmp, workers=3)
            stack.callback(server.stop)
            server.wait_ready()
            gate = threading.Barrier(len(PEOPLE) + 1)
            charters = [
                Charter(server.url, session_pk, i, email, gate, seconds)
                for i, email in enumerate(PEOPLE)
            ]
            for charter in charters:
                charter.start()
            with contextlib.suppress(threading.BrokenBarrierError):  # a sign-in failed
                gate.wait(timeout=120)
            began = time.monotonic()
            _web.log(f"both signed in; charting for {seconds:.0f} s")
            for charter in charters:
                charter.join(seconds + 90)
            elapsed = time.monotonic() - began

            attempted, rows = count(session_pk, user_ids, charters)
            connections.close_all()
            charted = sum(rows.values())
            figures = _web.count_figures(
                attempted,
                rows,
                extra={
                    **{f"confirmed_{c.email.split('@')[0]}": len(c.confirmed) for c in charters},
                    "rows_in_chart": charted,
                    "seconds": f"{elapsed:.0f}",
                    "per_minute": f"{len(attempted) / max(elapsed, 1) * 60:.0f}",
                },
            )
            _web.log("counted")
            for line in figures.lines("two_nurses"):
                print(line, flush=True)
            failed = [f"{c.email}: {c.error}" for c in charters if c.error]
            for problem in failed:
                print(f"two_nurses: FAIL: {problem}")
            for charter in charters:
                for values, page_url in charter.unconfirmed[:5]:
                    print(f"two_nurses: no confirmation for {values} at {page_url}")
            if not all(c.confirmed for c in charters):
                print("two_nurses: FAIL: somebody charted nothing")
                return 1
            return 0 if figures.ok and not failed and charted == figures.found else 1
    finally:
        if server is not None:
            server.stop()
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
