"""Session test data, made through the domain functions (treatment's and ours)."""

from __future__ import annotations

from datetime import datetime, timedelta

from django.utils import timezone

from ketaclinic.sessions.domain import charting, sessions
from ketaclinic.sessions.models import ReadinessCheck, Session
from ketaclinic.treatment.domain import courses, orders
from ketaclinic.treatment.domain.protocols import load_shipped_protocols
from tests.treatment.factories import (
    certify,
    enrol,
    esketamine_device,
    iv_course,
    make_product,
    ready_patient,
    version_of,
)

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
NORMAL = {"systolic": 124, "diastolic": 78, "heart_rate": 72, "spo2": 98, "resp_rate": 14}


def vial():
    from ketaclinic.treatment.models import Product

    return Product.objects.filter(ndc="00000-010-20").first() or make_product(
        "10", ndc="00000-010-20"
    )


def checked_order(course, prescriber, preparer, *, session_number=1, **choices):
    if course.protocol_version.drug == "esketamine":
        choices.setdefault("product", esketamine_device())
    else:
        choices.setdefault("product", vial())
        choices.setdefault("measured_weight_kg", "70")
        choices.setdefault("weight_measured_on", timezone.localdate())
    order = orders.order_dose(
        course, prescriber=prescriber, session_number=session_number, **choices
    )
    orders.prepare_order(order, version=order.version, actor=preparer)
    order.refresh_from_db()
    orders.second_check(order, version=order.version, actor=prescriber)
    order.refresh_from_db()
    return order


def iv_setup(location, prescriber, nurse, *, last_name="Hart"):
    load_shipped_protocols()
    patient = ready_patient(location, prescriber, nurse, legal_last_name=last_name)
    course = iv_course(patient, prescriber)
    order = checked_order(course, prescriber, nurse)
    session = sessions.plan_session(course, session_number=1, reason="induction", actor=nurse)
    return session, order


def esketamine_setup(location, prescriber, nurse, *, last_name="Vale"):
    load_shipped_protocols()
    patient = ready_patient(location, prescriber, nurse, legal_last_name=last_name)
    if not hasattr(location, "rems_certification"):
        certify(location)
    enrol(patient, prescriber)
    course = courses.start_course(
        patient,
        version_of("esketamine-trd-under-65"),
        prescriber,
        first_session_on=timezone.localdate(),
    )
    order = checked_order(course, prescriber, nurse)
    session = sessions.plan_session(course, session_number=1, reason="induction", actor=nurse)
    return session, order


def checked_in(session: Session, nurse, *, now: datetime | None = None, **answers) -> Session:
    sessions.record_readiness(session, actor=nurse, now=now, **READY)
    sessions.check_in(session, actor=nurse, now=now, **{**CHECK_IN, **answers})
    return session


def dosing(session: Session, nurse, *, at: datetime, rate="35") -> Session:
    """Checked in, normal pre-dose vital signs, and the dose started at ``at``."""
    checked_in(session, nurse, now=at - timedelta(minutes=10))
    charting.record_vitals(
        session, actor=nurse, values=NORMAL, occurred_at=at - timedelta(minutes=2), now=at
    )
    if session.is_esketamine:
        charting.record_administration(
            session, actor=nurse, kind="bolus", amount_mg="28", lot="ESK-1", occurred_at=at, now=at
        )
    else:
        charting.record_administration(
            session,
            actor=nurse,
            kind="start",
            rate_mg_per_h=rate,
            lot="KET-1",
            occurred_at=at,
            now=at,
        )
    return session


def sessions_sample_args(riverside) -> dict:
    """URL arguments for tests/security: an esketamine session at Riverside being
    observed, with an open in-session alert, and a planned IV session; both charted by
    staff who are none of the personas."""
    from tests.factories import UserFactory

    signer = UserFactory(email="sessions-prescriber@clinic.test", role="prescriber")
    charter = UserFactory(email="sessions-nurse@clinic.test", role="nurse")
    observed, _order = esketamine_setup(riverside, signer, charter, last_name="Observed")
    start = timezone.now() - timedelta(minutes=30)
    dosing(observed, charter, at=start)
    charting.record_vitals(observed, actor=charter, values={**NORMAL, "spo2": 89})
    alert = observed.alerts.get()
    planned, _ = iv_setup(riverside, signer, charter, last_name="Planned")
    names = [
        "session",
        "chart",
        "decide",
        "vitals",
        "administration",
        "draw",
        "paper-chart",
        "rescue",
        "scale",
        "event",
        "discharge",
        "note",
        "sign",
        "amend",
        "rems",
        "rems-csv",
    ]
    return {
        **{f"backoffice:sessions-{name}": [observed.pk] for name in names},
        "backoffice:sessions-respond": [observed.pk, alert.pk],
        "backoffice:sessions-check-in": [planned.pk],
        "backoffice:sessions-readiness": [planned.pk],
        "backoffice:sessions-cancel": [planned.pk],
        "backoffice:sessions-course": [observed.course_id],
        "backoffice:sessions-plan": [observed.course_id],
    }
