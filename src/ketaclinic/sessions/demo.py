"""Demo sessions: one completed IV ketamine course (six induction infusions) and one
completed esketamine course (the eight induction sessions) at Riverside, charted in the
past through the domain functions (readiness, check-in, pre-dose vital signs, the
administration record, vital signs on the schedule, scales, discharge, a signed note),
with one in-session blood-pressure alert answered and one late entry from paper. Every
dose is drawn from the inventory demo's lots through the controlled-substance ledger
(given and the rest wasted with a witness before discharge).

The two patients are made here through the patients and screening domain (history,
a signed "eligible" decision, consent). Idempotent: a demo patient who already has a
course is left alone.
"""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from decimal import Decimal

from django.db import transaction
from django.utils import timezone

from ketaclinic.accounts.roles import Role
from ketaclinic.clinic.models import Location
from ketaclinic.inventory.domain import entries
from ketaclinic.patients.domain import intake, records
from ketaclinic.patients.models import HISTORY_QUESTIONS, Patient
from ketaclinic.screening.domain import consent, decisions
from ketaclinic.screening.domain.readiness import readiness_problems
from ketaclinic.screening.models import Decision
from ketaclinic.sessions.domain import charting, controlled, discharge, notes, sessions
from ketaclinic.sessions.models import ReadinessCheck
from ketaclinic.treatment.domain import courses, orders
from ketaclinic.treatment.domain.protocols import latest_version
from ketaclinic.treatment.models import Product, Protocol, RemsCertification

READY = {name: True for name, _label in ReadinessCheck.ITEMS}
CHECK_IN = {
    "fasting_confirmed": True,
    "nasal_steroid_gap_confirmed": True,
    "escort_confirmed": True,
    "no_driving_confirmed": True,
    "pregnancy_test": "not_applicable",
    "medication_changes": "",
    "medication_changes_reviewed": False,
    "suicidal_ideation": False,
}
PATIENTS = [  # (first, last, born, sex): the IV course, then the esketamine course
    ("Morgan", "Ellis", date(1979, 3, 2), "female"),
    ("Jamie", "Okafor", date(1986, 11, 20), "male"),
]
ANSWERS = {"alert_and_oriented": True, "escort_present": True, "suicidal_ideation_rechecked": True}


def _user(staff: dict, role: str):
    return next(
        (
            user
            for user in staff.values()
            if user.has_role(role) and any(loc.slug == "riverside" for loc in user.locations.all())
        ),
        None,
    )


def _vitals(offset: int, index: int) -> dict:
    """Plausible, gently varying values (no alert) for the demo chart."""
    swing = (index * 7 + offset) % 11
    return {
        "systolic": 122 + swing + (10 if 30 <= offset <= 50 else 0),
        "diastolic": 76 + swing // 2 + (6 if 30 <= offset <= 50 else 0),
        "heart_rate": 70 + swing,
        "spo2": 97 + swing % 3,
        "resp_rate": 14 + swing % 3,
    }


def load_demo_sessions(staff: dict) -> None:
    riverside = Location.objects.filter(slug="riverside").first()
    prescriber, nurse = _user(staff, Role.PRESCRIBER), _user(staff, Role.NURSE)
    if riverside is None or prescriber is None or nurse is None:
        return
    vial = Product.objects.filter(ndc="00000-010-20").first()
    device = Product.objects.filter(ndc="00000-028-02").first()
    if vial is None or device is None:
        return
    start = timezone.localdate() - timedelta(days=30)
    # The demo courses lie in the past: the location's (demo) REMS certification must
    # predate them. Configuration, edited in the admin in a real clinic.
    RemsCertification.objects.filter(location=riverside, certified_on__gt=start).update(
        certified_on=start - timedelta(days=60)
    )
    for (first, last, born, sex), make in zip(
        PATIENTS, (_iv_course, _esketamine_course), strict=True
    ):
        existing = Patient.objects.filter(
            location=riverside, legal_first_name=first, legal_last_name=last, date_of_birth=born
        ).first()
        if existing is not None and existing.courses.exists():
            continue
        with transaction.atomic():
            patient = existing or _ready_patient(
                riverside, first, last, born, sex, prescriber, nurse
            )
            if readiness_problems(patient):
                continue
            make(patient, prescriber, nurse, vial if make is _iv_course else device, start)


def _ready_patient(location, first, last, born, sex, prescriber, nurse) -> Patient:
    """A new patient with an answered history, a signed "eligible" decision and consent."""
    patient = intake.create_patient(
        intake.PatientData(
            location=location,
            legal_first_name=first,
            legal_last_name=last,
            date_of_birth=born,
            sex=sex,
            email="",
            phone="",
            primary_prescriber=prescriber,
        ),
        actor=nurse,
    )
    history = patient.medical_history
    records.update_medical_history(
        patient,
        {
            **{name: False for name, _question in HISTORY_QUESTIONS},
            "latest_systolic": 124,
            "latest_diastolic": 78,
            "bp_measured_on": timezone.localdate(),
            "weight_kg": Decimal("72"),
            "height_cm": Decimal("172"),
        },
        actor=prescriber,
        expected_version=history.version,
    )
    patient = Patient.objects.get(pk=patient.pk)  # the updated history
    decisions.record_decision(
        patient, decision=Decision.ELIGIBLE, note="Demo: fit for treatment.", signer=prescriber
    )
    consent.record_consent(patient, signed_name=f"{first} {last}", witness=nurse, actor=nurse)
    return Patient.objects.get(pk=patient.pk)


def _at(day, hour: int) -> datetime:
    return timezone.make_aware(datetime.combine(day, time(hour, 0)))


def _session(course, number, day, prescriber, nurse, **order_choices):
    order = orders.order_dose(
        course, prescriber=prescriber, session_number=number, today=day, **order_choices
    )
    orders.prepare_order(order, version=order.version, actor=nurse)
    order.refresh_from_db()
    orders.second_check(order, version=order.version, actor=prescriber)
    session = sessions.plan_session(course, session_number=number, reason="induction", actor=nurse)
    arrive = _at(day, 9)
    sessions.record_readiness(session, actor=nurse, now=arrive - timedelta(minutes=30), **READY)
    sessions.check_in(session, actor=nurse, now=arrive, **CHECK_IN)
    return session


def _draw(session, nurse, units: int, at: datetime):
    """Draw ``units`` vials or devices for the session's dose from the oldest-expiring
    lot in the safe (the chart then names that lot)."""
    lot = controlled.drawable_lots(session, today=timezone.localdate(at)).first()
    mg = lot.product.mg_per_unit * units
    return controlled.draw_for_session(session, lot_id=lot.pk, mg=mg, actor=nurse, occurred_at=at)


def _account(draw, session, nurse, prescriber, at: datetime) -> None:
    """The dose given from the draw, and the rest wasted with the prescriber as witness."""
    given = min(session.order.dose_mg, draw.quantity_mg)
    entries.record_administration(draw, mg=given, by=nurse, occurred_at=at)
    if draw.quantity_mg > given:
        entries.record_waste(
            draw,
            mg=draw.quantity_mg - given,
            by=nurse,
            witness=prescriber,
            reason="Rest of the vial after the ordered dose.",
            occurred_at=at,
        )


def _finish(session, nurse, prescriber, end: datetime, note: str) -> None:
    charting.record_vitals(
        session, actor=nurse, values=_vitals(0, session.session_number), occurred_at=end, now=end
    )
    discharge.discharge_session(session, actor=nurse, now=end, **ANSWERS)
    notes.save_note(session, actor=nurse, text=note, version=session.version)
    notes.sign_note(session, actor=prescriber, version=session.version, now=end)


def _iv_course(patient, prescriber, nurse, vial, first_day) -> None:
    protocol = Protocol.objects.get(slug="iv-ketamine-depression-twice-weekly")
    course = courses.start_course(
        patient, latest_version(protocol), prescriber, first_session_on=first_day, today=first_day
    )
    history = patient.medical_history
    for number, day in enumerate(courses.proposed_session_dates(course)[:6], start=1):
        session = _session(
            course,
            number,
            day,
            prescriber,
            nurse,
            product=vial,
            measured_weight_kg=history.weight_kg or Decimal("70"),
            weight_measured_on=day,
            height_cm=history.height_cm,
        )
        dose = _at(day, 9) + timedelta(minutes=15)
        charting.record_vitals(
            session,
            actor=nurse,
            values=_vitals(0, number),
            occurred_at=dose - timedelta(minutes=5),
            now=dose - timedelta(minutes=5),
        )
        order = session.order
        draw = _draw(session, nurse, 1, dose - timedelta(minutes=10))
        charting.record_administration(
            session,
            actor=nurse,
            kind="start",
            rate_mg_per_h=order.rate_mg_per_h,
            lot=draw.lot.lot_number,
            occurred_at=dose,
            now=dose,
        )
        for minute in range(10, 41, 10):
            at = dose + timedelta(minutes=minute)
            values = _vitals(minute, number)
            entered = at + (timedelta(minutes=25) if number == 2 and minute == 20 else timedelta())
            if number == 1 and minute == 40:
                values = {**values, "systolic": 184, "diastolic": 102}
            charting.record_vitals(
                session,
                actor=nurse,
                values=values,
                occurred_at=at,
                now=entered,
                from_paper=entered != at,
            )
            if number == 1 and minute == 40:
                alert = session.alerts.get()
                charting.respond_to_alert(
                    alert,
                    actor=prescriber,
                    response="Seen at the chair; infusion finishing; recheck in 10 minutes.",
                    now=at + timedelta(minutes=3),
                )
        stop = dose + timedelta(minutes=40)
        charting.record_administration(
            session, actor=nurse, kind="stop", occurred_at=stop, now=stop
        )
        charting.record_scale(
            session, actor=nurse, scale="cadss", score=14 - number, occurred_at=stop, now=stop
        )
        _account(draw, session, nurse, prescriber, stop + timedelta(minutes=5))
        for minute in (15, 30, 45):
            at = stop + timedelta(minutes=minute)
            charting.record_vitals(
                session, actor=nurse, values=_vitals(minute + 60, number), occurred_at=at, now=at
            )
        _finish(
            session,
            nurse,
            prescriber,
            stop + timedelta(minutes=61),
            "Infusion completed as ordered. Mild dissociation, settled by the end of the "
            "infusion. Discharged with escort.",
        )
    courses.end_course(
        course, status="completed", actor=prescriber, reason="Induction completed (demo)."
    )


def _esketamine_course(patient, prescriber, nurse, device, first_day) -> None:
    slug = "esketamine-trd-65-and-over" if patient.age_years >= 65 else "esketamine-trd-under-65"
    protocol = Protocol.objects.get(slug=slug)
    courses.record_rems_enrolment(
        patient,
        enrolment_id=f"DEMO-{patient.pk:05d}",
        enrolled_on=first_day - timedelta(days=7),
        actor=prescriber,
    )
    course = courses.start_course(
        patient, latest_version(protocol), prescriber, first_session_on=first_day, today=first_day
    )
    for number, day in enumerate(courses.proposed_session_dates(course)[:8], start=1):
        session = _session(course, number, day, prescriber, nurse, product=device)
        first = _at(day, 9) + timedelta(minutes=15)
        charting.record_vitals(
            session,
            actor=nurse,
            values=_vitals(0, number),
            occurred_at=first - timedelta(minutes=5),
            now=first - timedelta(minutes=5),
        )
        devices = int(session.order.devices or 2)
        draw = _draw(session, nurse, devices, first - timedelta(minutes=10))
        for device_number in range(devices):
            at = first + timedelta(minutes=5 * device_number)
            charting.record_administration(
                session,
                actor=nurse,
                kind="bolus",
                amount_mg="28",
                lot=draw.lot.lot_number,
                occurred_at=at,
                now=at,
            )
        charting.record_scale(
            session,
            actor=nurse,
            scale="moaas",
            score=4,
            occurred_at=first + timedelta(minutes=30),
            now=first + timedelta(minutes=30),
        )
        at = first + timedelta(minutes=40)
        charting.record_vitals(
            session, actor=nurse, values=_vitals(40, number), occurred_at=at, now=at
        )
        charting.record_scale(session, actor=nurse, scale="cadss", score=10, occurred_at=at, now=at)
        _account(draw, session, nurse, prescriber, at)
        _finish(
            session,
            nurse,
            prescriber,
            first + timedelta(minutes=121),
            "Esketamine given as ordered. Transient dissociation and mild sedation, resolved "
            "before discharge. Escort present.",
        )
    courses.end_course(
        course, status="completed", actor=prescriber, reason="Induction completed (demo)."
    )
