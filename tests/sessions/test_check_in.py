"""Readiness and check-in: each refusal, and what a successful check-in does."""

from datetime import timedelta

import pytest
from django.utils import timezone

from ketaclinic.measures.domain import assignments
from ketaclinic.sessions.domain import sessions
from ketaclinic.sessions.domain.errors import Refused, SessionError
from ketaclinic.sessions.models import ReadinessCheck, Status
from ketaclinic.treatment.domain import orders
from tests.sessions.factories import CHECK_IN, READY, checked_order, iv_setup

pytestmark = pytest.mark.django_db


def refusals(session, actor, **answers):
    with pytest.raises(Refused) as caught:
        sessions.check_in(session, actor=actor, **{**CHECK_IN, **answers})
    return caught.value.reasons


def test_readiness_needs_every_item_and_names_the_missing_ones(iv, nurse):
    session, _order = iv

    with pytest.raises(Refused) as caught:
        sessions.record_readiness(
            session, actor=nurse, **{**READY, "suction": False, "oxygen": False}
        )

    assert caught.value.reasons == [
        "Every item must be in place before a session can start. Not confirmed: oxygen "
        "checked; suction checked."
    ]
    assert ReadinessCheck.objects.count() == 0


def test_check_in_without_a_readiness_check_is_refused(iv, nurse):
    session, _order = iv

    assert refusals(session, nurse) == [
        "The emergency readiness check for Riverside Clinic has not been recorded for today: "
        "record it first."
    ]


def test_readiness_per_day_covers_every_session_at_the_location_that_day(
    iv, nurse, prescriber, riverside
):
    session, _order = iv
    sessions.record_readiness(session, actor=nurse, **READY)
    other, _ = iv_setup(riverside, prescriber, nurse, last_name="Other")

    assert sessions.readiness_in_force(other) is not None


def test_readiness_per_session_does_not_cover_another_session(
    iv, nurse, prescriber, riverside, settings
):
    settings.SESSION_READINESS_PER = "session"
    session, _order = iv
    sessions.record_readiness(session, actor=nurse, **READY)
    other, _ = iv_setup(riverside, prescriber, nurse, last_name="Other")

    assert sessions.readiness_in_force(session) is not None
    assert sessions.readiness_in_force(other) is None


def test_check_in_without_a_second_checked_order_is_refused(riverside, prescriber, nurse):
    from ketaclinic.treatment.domain.protocols import load_shipped_protocols
    from tests.sessions.factories import vial
    from tests.treatment.factories import iv_course, ready_patient

    load_shipped_protocols()
    patient = ready_patient(riverside, prescriber, nurse)
    course = iv_course(patient, prescriber)
    order = orders.order_dose(
        course,
        prescriber=prescriber,
        session_number=1,
        product=vial(),
        measured_weight_kg="70",
        weight_measured_on=timezone.localdate(),
    )
    orders.prepare_order(order, version=order.version, actor=nurse)
    session = sessions.plan_session(course, session_number=1, reason="induction", actor=nurse)
    sessions.record_readiness(session, actor=nurse, **READY)

    assert refusals(session, nurse) == [
        "The dose order is prepared: it must be prepared and second-checked before check-in."
    ]


def test_check_in_without_any_order_is_refused(riverside, prescriber, nurse):
    from ketaclinic.treatment.domain.protocols import load_shipped_protocols
    from tests.treatment.factories import iv_course, ready_patient

    load_shipped_protocols()
    course = iv_course(ready_patient(riverside, prescriber, nurse), prescriber)
    session = sessions.plan_session(course, session_number=1, reason="induction", actor=nurse)
    sessions.record_readiness(session, actor=nurse, **READY)

    assert refusals(session, nurse) == [
        "There is no dose order for session 1: a prescriber orders the dose first."
    ]


def test_the_order_requirement_is_clinic_policy(riverside, prescriber, nurse, settings):
    settings.SESSION_REQUIRE_CHECKED_ORDER = False
    from ketaclinic.treatment.domain.protocols import load_shipped_protocols
    from tests.treatment.factories import iv_course, ready_patient

    load_shipped_protocols()
    course = iv_course(ready_patient(riverside, prescriber, nurse), prescriber)
    session = sessions.plan_session(course, session_number=1, reason="induction", actor=nurse)
    sessions.record_readiness(session, actor=nurse, **READY)

    sessions.check_in(session, actor=nurse, **CHECK_IN)

    assert session.status == Status.CHECKED_IN


def test_positive_suicidal_ideation_needs_a_prescribers_review(iv, nurse, prescriber):
    session, _order = iv
    sessions.record_readiness(session, actor=nurse, **READY)

    assert refusals(session, nurse, suicidal_ideation=True) == [
        "Suicidal ideation was reported: a prescriber must review it and record a decision "
        "before check-in."
    ]
    sessions.decide(
        session,
        actor=prescriber,
        about="suicidal_ideation",
        decision="proceed",
        reason="Passive, chronic, unchanged; safety plan reviewed.",
    )
    sessions.check_in(session, actor=nurse, **{**CHECK_IN, "suicidal_ideation": True})

    assert session.status == Status.CHECKED_IN
    assert session.check_in.suicidal_ideation is True


def test_a_nurse_cannot_record_the_review(iv, nurse):
    session, _order = iv

    with pytest.raises(SessionError, match="Only a prescriber or medical director decides"):
        sessions.decide(
            session, actor=nurse, about="suicidal_ideation", decision="proceed", reason="ok"
        )


def test_a_deferral_cancels_the_session(iv, nurse, prescriber):
    session, _order = iv

    sessions.decide(
        session,
        actor=prescriber,
        about="suicidal_ideation",
        decision="defer",
        reason="Active plan.",
    )

    assert session.status == Status.CANCELLED
    assert session.cancel_reason.endswith("Active plan.")


def test_esketamine_fasting_and_nasal_spray_gap_must_be_confirmed(esk, nurse):
    session, _order = esk
    sessions.record_readiness(session, actor=nurse, **READY)

    assert refusals(session, nurse, fasting_confirmed=False, nasal_steroid_gap_confirmed=None) == [
        "Esketamine: confirm no food for 2 hours and no liquids for 30 minutes before dosing.",
        "Esketamine: confirm that no nasal corticosteroid or decongestant was used in the "
        "last hour.",
    ]


def test_iv_fasting_is_recorded_not_required(iv, nurse):
    session, _order = iv
    sessions.record_readiness(session, actor=nurse, **READY)

    sessions.check_in(session, actor=nurse, **{**CHECK_IN, "fasting_confirmed": False})

    assert session.check_in.fasting_confirmed is False


def test_every_reason_is_listed_at_once(iv, nurse):
    session, _order = iv

    reasons = refusals(
        session,
        nurse,
        escort_confirmed=False,
        no_driving_confirmed=False,
        pregnancy_test="positive",
        medication_changes="Started lorazepam",
    )

    assert len(reasons) == 5
    assert reasons[1:] == [
        "Confirm that an escort will take the patient home.",
        "Confirm that the patient knows not to drive until the next day after restful sleep.",
        "The pregnancy test is positive: the session cannot go ahead.",
        "Medication changes were reported: review them before dosing.",
    ]


def test_check_in_links_the_order_and_fires_the_before_session_questionnaire(iv, nurse):
    session, order = iv
    patient = session.course.patient
    assignment = assignments.assign(patient, "phq-9", "before_session")
    now = timezone.now()
    sessions.record_readiness(session, actor=nurse, **READY)

    sessions.check_in(session, actor=nurse, now=now, **CHECK_IN)

    assignment.refresh_from_db()
    assert (session.status, session.order_id, session.started_at) == (
        Status.CHECKED_IN,
        order.pk,
        now,
    )
    assert assignment.next_due_at == now


def test_a_second_check_in_is_refused(iv, nurse):
    session, _order = iv
    sessions.record_readiness(session, actor=nurse, **READY)
    sessions.check_in(session, actor=nurse, **CHECK_IN)

    assert refusals(session, nurse) == ["This session is checked in: it cannot be checked in."]


def test_the_same_session_number_twice_is_refused(iv, nurse):
    session, _order = iv

    with pytest.raises(SessionError, match="Session 1 of this course already exists"):
        sessions.plan_session(session.course, session_number=1, reason="induction", actor=nurse)


def test_front_desk_cannot_check_in(iv, frontdesk):
    session, _order = iv

    with pytest.raises(SessionError, match="Only a nurse or prescriber or medical director"):
        sessions.check_in(session, actor=frontdesk, **CHECK_IN)


def test_a_check_in_order_from_another_session_number_does_not_count(iv, nurse, prescriber):
    session, _order = iv
    second = sessions.plan_session(
        session.course, session_number=2, reason="induction", actor=nurse
    )
    sessions.record_readiness(second, actor=nurse, **READY)
    checked_order(session.course, prescriber, nurse, session_number=2)

    sessions.check_in(second, actor=nurse, now=timezone.now() + timedelta(seconds=1), **CHECK_IN)

    assert second.order.session_number == 2


def test_a_planned_session_links_the_booking_of_its_number(iv, nurse):
    from tests.booking.factories import sample_booking

    session, _order = iv
    booking = sample_booking(session.location, session.course.patient)
    type(booking).objects.filter(pk=booking.pk).update(
        course_id=session.course_id, session_number=2
    )

    second = sessions.plan_session(
        session.course, session_number=2, reason="induction", actor=nurse
    )

    assert second.booking_id == booking.pk
