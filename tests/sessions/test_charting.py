"""Charting: pre-dose holds, in-session alerts, the administration record, scales,
events, late entries; two people charting at once."""

from datetime import timedelta
from decimal import Decimal

import pytest
from django.utils import timezone

from ketaclinic.safety.models import Alert
from ketaclinic.sessions.domain import charting, sessions
from ketaclinic.sessions.domain.errors import FieldErrors, SessionError
from ketaclinic.sessions.models import SessionAlert, Status, VitalSigns
from tests.sessions.factories import NORMAL, checked_in, dosing

pytestmark = pytest.mark.django_db

T0 = timezone.now().replace(microsecond=0) - timedelta(hours=1)


def test_predose_vitals_at_the_review_level_show_the_reason(iv, nurse):
    session, _order = iv
    checked_in(session, nurse)

    record = charting.record_vitals(
        session, actor=nurse, values={**NORMAL, "systolic": 146, "diastolic": 88}
    )

    assert record.predose_level == "review"
    assert record.reasons == [
        "Blood pressure 146/88 is above the review level of 140/90: weigh a delay before dosing."
    ]


def test_predose_vitals_need_blood_pressure_and_heart_rate(iv, nurse):
    session, _order = iv
    checked_in(session, nurse)

    with pytest.raises(FieldErrors) as caught:
        charting.record_vitals(session, actor=nurse, values={"spo2": 98})

    assert caught.value.errors == {
        "systolic": "Systolic pressure is required before dosing.",
        "diastolic": "Diastolic pressure is required before dosing.",
        "heart_rate": "Heart rate is required before dosing.",
    }
    assert VitalSigns.objects.count() == 0


def test_implausible_values_are_named_field_by_field(iv, nurse):
    session, _order = iv
    checked_in(session, nurse)

    with pytest.raises(FieldErrors) as caught:
        charting.record_vitals(session, actor=nurse, values={**NORMAL, "spo2": 9})

    assert caught.value.errors == {
        "spo2": "SpO2 of 9 % is not plausible: enter a value from 50 to 100 %."
    }


def test_a_hold_blocks_the_first_dose_until_a_prescriber_decides_to_proceed(iv, nurse, prescriber):
    session, _order = iv
    checked_in(session, nurse)
    charting.record_vitals(session, actor=nurse, values={**NORMAL, "systolic": 165})

    with pytest.raises(SessionError, match="a prescriber must record a decision to proceed"):
        charting.record_administration(session, actor=nurse, kind="start", rate_mg_per_h="35")

    sessions.decide(
        session,
        actor=prescriber,
        about="vitals_hold",
        decision="proceed",
        reason="Rechecked after rest: known white-coat pattern.",
    )
    charting.record_administration(session, actor=nurse, kind="start", rate_mg_per_h="35")

    assert session.status == Status.DOSING


def test_a_new_hold_after_a_decision_needs_a_new_decision(iv, nurse, prescriber):
    session, _order = iv
    checked_in(session, nurse)
    charting.record_vitals(session, actor=nurse, values={**NORMAL, "systolic": 165})
    sessions.decide(
        session, actor=prescriber, about="vitals_hold", decision="proceed", reason="Rechecked."
    )
    charting.record_vitals(session, actor=nurse, values={**NORMAL, "heart_rate": 118})

    with pytest.raises(SessionError, match="hold level"):
        charting.record_administration(session, actor=nurse, kind="start", rate_mg_per_h="35")


def test_no_dose_without_predose_vitals(iv, nurse):
    session, _order = iv
    checked_in(session, nurse)

    with pytest.raises(SessionError, match="Chart the pre-dose vital signs"):
        charting.record_administration(session, actor=nurse, kind="start", rate_mg_per_h="35")


def test_a_value_beyond_the_thresholds_raises_an_alert_that_stays_until_answered(
    iv, nurse, prescriber
):
    session, _order = iv
    dosing(session, nurse, at=T0)

    charting.record_vitals(
        session,
        actor=nurse,
        values={**NORMAL, "systolic": 186, "diastolic": 104},
        occurred_at=T0 + timedelta(minutes=40),
        now=T0 + timedelta(minutes=41),
    )

    alert = SessionAlert.objects.get()
    assert alert.sentences == [
        "Systolic pressure 186 mmHg is at or above the alert limit of 180 mmHg.",
        "Diastolic pressure 104 mmHg is at or above the alert limit of 100 mmHg.",
    ]
    assert alert.is_open
    safety = Alert.objects.get()
    assert (safety.kind, safety.tier, safety.patient_id) == (
        "vital_signs",
        "urgent",
        session.course.patient_id,
    )
    assert alert.safety_alert == safety

    charting.respond_to_alert(
        alert, actor=prescriber, response="Infusion paused; BP 150/92 after 10 minutes."
    )

    alert.refresh_from_db()
    safety.refresh_from_db()
    assert not alert.is_open
    assert alert.responded_by == prescriber
    assert safety.acknowledged_by == prescriber


def test_a_response_is_recorded_once(iv, nurse, prescriber):
    session, _order = iv
    dosing(session, nurse, at=T0)
    charting.record_vitals(session, actor=nurse, values={**NORMAL, "spo2": 88})
    alert = SessionAlert.objects.get()
    charting.respond_to_alert(alert, actor=nurse, response="Oxygen 2 L given.")

    with pytest.raises(SessionError, match="already recorded"):
        charting.respond_to_alert(alert, actor=prescriber, response="Seen.")


def test_a_response_needs_words(iv, nurse):
    session, _order = iv
    dosing(session, nurse, at=T0)
    charting.record_vitals(session, actor=nurse, values={**NORMAL, "spo2": 88})

    with pytest.raises(SessionError) as caught:
        charting.respond_to_alert(SessionAlert.objects.get(), actor=nurse, response="  ")

    assert caught.value.field == "response"


def test_sedation_below_the_floor_raises_an_alert(esk, nurse):
    session, _order = esk
    dosing(session, nurse, at=T0)

    charting.record_scale(session, actor=nurse, scale="moaas", score=2)

    assert SessionAlert.objects.get().kinds == ["sedation"]


def test_thresholds_are_clinic_policy(iv, nurse, settings):
    settings.SESSION_THRESHOLDS = {"alert_systolic_high": 170}
    session, _order = iv
    dosing(session, nurse, at=T0)

    charting.record_vitals(session, actor=nurse, values={**NORMAL, "systolic": 172})

    assert SessionAlert.objects.get().kinds == ["systolic_high"]


def test_a_late_entry_is_kept_and_marked(iv, nurse):
    session, _order = iv
    dosing(session, nurse, at=T0)

    late = charting.record_vitals(
        session,
        actor=nurse,
        values=NORMAL,
        occurred_at=T0 + timedelta(minutes=10),
        now=T0 + timedelta(minutes=35),
        from_paper=True,
    )
    prompt = charting.record_vitals(
        session,
        actor=nurse,
        values=NORMAL,
        occurred_at=T0 + timedelta(minutes=20),
        now=T0 + timedelta(minutes=21),
    )

    assert (late.is_late, late.from_paper, prompt.is_late) == (True, True, False)


def test_a_time_in_the_future_is_refused(iv, nurse):
    session, _order = iv
    checked_in(session, nurse)

    with pytest.raises(SessionError) as caught:
        charting.record_vitals(
            session,
            actor=nurse,
            values=NORMAL,
            occurred_at=timezone.now() + timedelta(minutes=30),
        )

    assert caught.value.field == "occurred_at"


def test_two_people_charting_at_once_both_keep_their_entries(iv, nurse, prescriber):
    session, _order = iv
    dosing(session, nurse, at=T0)
    stale_copy = type(session).objects.get(pk=session.pk)

    charting.record_vitals(session, actor=nurse, values=NORMAL, now=T0 + timedelta(minutes=10))
    charting.record_scale(stale_copy, actor=prescriber, scale="cadss", score=12)

    assert session.vitals.count() == 2
    assert session.scales.count() == 1


def test_the_administration_record_refuses_an_impossible_sequence(iv, nurse):
    session, _order = iv
    dosing(session, nurse, at=T0)
    charting.record_administration(
        session, actor=nurse, kind="stop", occurred_at=T0 + timedelta(minutes=40)
    )

    with pytest.raises(SessionError, match="pauses an infusion that is not running"):
        charting.record_administration(
            session, actor=nurse, kind="pause", occurred_at=T0 + timedelta(minutes=41)
        )


def test_stop_ends_the_infusion_and_starts_observation(iv, nurse):
    session, _order = iv
    dosing(session, nurse, at=T0)

    charting.record_administration(
        session, actor=nurse, kind="stop", occurred_at=T0 + timedelta(minutes=40)
    )

    assert (session.status, session.infusion_ended_at) == (
        Status.OBSERVING,
        T0 + timedelta(minutes=40),
    )


def test_esketamine_devices_cannot_exceed_the_order(esk, nurse):
    session, order = esk
    dosing(session, nurse, at=T0)
    charting.record_administration(
        session, actor=nurse, kind="bolus", amount_mg="28", occurred_at=T0 + timedelta(minutes=5)
    )

    with pytest.raises(SessionError, match=r"This would give 84\.00 mg: the order is 56\.0 mg"):
        charting.record_administration(
            session,
            actor=nurse,
            kind="bolus",
            amount_mg="28",
            occurred_at=T0 + timedelta(minutes=10),
        )
    assert order.dose_mg == Decimal("56.0")
    assert session.first_device_at == T0


def test_esketamine_is_charted_as_devices(esk, nurse):
    session, _order = esk
    checked_in(session, nurse)
    charting.record_vitals(session, actor=nurse, values=NORMAL)

    with pytest.raises(SessionError, match="one device at a time"):
        charting.record_administration(session, actor=nurse, kind="start", rate_mg_per_h="30")


def test_an_adverse_event_of_type_other_needs_a_description(iv, nurse):
    session, _order = iv
    dosing(session, nurse, at=T0)

    with pytest.raises(SessionError) as caught:
        charting.record_adverse_event(session, actor=nurse, type="other", severity="mild")

    assert caught.value.field == "description"
    event = charting.record_adverse_event(
        session, actor=nurse, type="nausea", severity="mild", intervention="Ondansetron 4 mg"
    )
    assert str(event) == "Nausea (Mild)"


def test_scores_outside_the_scale_are_refused(iv, nurse):
    session, _order = iv
    dosing(session, nurse, at=T0)

    with pytest.raises(SessionError, match="from 0 to 92"):
        charting.record_scale(session, actor=nurse, scale="cadss", score=93)


def test_nothing_is_charted_on_a_planned_session(iv, nurse):
    session, _order = iv

    with pytest.raises(SessionError, match="This session is planned"):
        charting.record_vitals(session, actor=nurse, values=NORMAL)


def test_every_charted_item_bumps_the_data_version(iv, nurse):
    session, _order = iv
    dosing(session, nurse, at=T0)
    before = type(session).objects.get(pk=session.pk).data_version

    charting.record_vitals(session, actor=nurse, values=NORMAL)

    assert type(session).objects.get(pk=session.pk).data_version == before + 1
