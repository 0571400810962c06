"""Discharge (criteria, overrides, total dose, inventory), the first-session
self-report, the signed note and its amendments, the REMS form from the chart."""

from datetime import timedelta
from decimal import Decimal

import pytest
from django.utils import timezone

from ketaclinic.measures.domain import assignments
from ketaclinic.sessions.domain import charting, discharge, notes, rems_form
from ketaclinic.sessions.domain.errors import Refused, SessionError, StaleSession
from ketaclinic.sessions.models import Status
from tests.sessions.factories import NORMAL, dosing

pytestmark = pytest.mark.django_db

NOW = timezone.now().replace(microsecond=0)
ANSWERS = {"alert_and_oriented": True, "escort_present": True, "suicidal_ideation_rechecked": True}


def observed_iv(session, nurse, *, start, stop_after=40):
    dosing(session, nurse, at=start, rate="52.5")
    charting.record_administration(
        session,
        actor=nurse,
        kind="stop",
        occurred_at=start + timedelta(minutes=stop_after),
        now=start + timedelta(minutes=stop_after),
    )
    return session


def test_iv_discharge_after_observation_records_the_total_dose(iv, nurse):
    session, _order = iv
    start = NOW - timedelta(minutes=110)
    observed_iv(session, nurse, start=start)
    charting.record_vitals(session, actor=nurse, values=NORMAL, now=NOW)

    record = discharge.discharge_session(session, actor=nurse, now=NOW, **ANSWERS)

    assert record.total_dose_mg == Decimal("35.00")  # 52.5 mg/h for 40 minutes
    assert session.status == Status.DISCHARGED
    assert [item["met"] for item in record.criteria] == [True] * 5


def test_discharge_is_blocked_until_the_minimum_observation_and_lists_every_reason(iv, nurse):
    session, _order = iv
    start = NOW - timedelta(minutes=60)
    observed_iv(session, nurse, start=start)

    with pytest.raises(Refused) as caught:
        discharge.discharge_session(
            session, actor=nurse, now=NOW, **{**ANSWERS, "escort_present": False}
        )

    assert caught.value.reasons == [
        "Observed for 20 of the 60 minutes required since the infusion ended; 40 minutes to "
        "go (clinic policy; a prescriber may override it with a reason).",
        "No escort is present: the patient must not drive or leave alone.",
    ]
    assert session.status == Status.OBSERVING


def test_a_prescriber_may_override_the_iv_observation_with_a_reason(iv, nurse, prescriber):
    session, _order = iv
    observed_iv(session, nurse, start=NOW - timedelta(minutes=60))

    record = discharge.discharge_session(
        session,
        actor=prescriber,
        now=NOW,
        overrides={"minimum_observation": "Fully recovered; escort waiting; reviewed by me."},
        **ANSWERS,
    )

    assert record.overrides == {
        "minimum_observation": "Fully recovered; escort waiting; reviewed by me."
    }
    assert record.overridden_by == prescriber


def test_a_nurse_cannot_override(iv, nurse):
    session, _order = iv
    observed_iv(session, nurse, start=NOW - timedelta(minutes=60))

    with pytest.raises(SessionError, match="Only a prescriber may override"):
        discharge.discharge_session(
            session, actor=nurse, now=NOW, overrides={"minimum_observation": "fine"}, **ANSWERS
        )


def test_the_esketamine_observation_can_never_be_overridden(esk, nurse, prescriber):
    session, _order = esk
    dosing(session, nurse, at=NOW - timedelta(minutes=100))

    with pytest.raises(SessionError) as caught:
        discharge.discharge_session(
            session,
            actor=prescriber,
            now=NOW,
            overrides={"minimum_observation": "Patient insists."},
            **ANSWERS,
        )

    assert str(caught.value).startswith(
        "The minimum observation of 120 minutes can never be overridden"
    )
    assert session.status == Status.OBSERVING


def test_esketamine_discharge_after_120_minutes(esk, nurse):
    session, _order = esk
    dosing(session, nurse, at=NOW - timedelta(minutes=121))
    charting.record_vitals(session, actor=nurse, values=NORMAL, now=NOW)

    record = discharge.discharge_session(session, actor=nurse, now=NOW, **ANSWERS)

    assert record.total_dose_mg == Decimal("28.00")


def test_an_open_alert_blocks_discharge(iv, nurse):
    session, _order = iv
    observed_iv(session, nurse, start=NOW - timedelta(minutes=110))
    charting.record_vitals(
        session, actor=nurse, values={**NORMAL, "spo2": 90}, now=NOW - timedelta(minutes=5)
    )
    charting.record_vitals(session, actor=nurse, values=NORMAL, now=NOW)

    with pytest.raises(Refused) as caught:
        discharge.discharge_session(session, actor=nurse, now=NOW, **ANSWERS)

    assert caught.value.reasons == ["1 in-session alert is still open: record the response first."]


def test_a_running_infusion_blocks_discharge(iv, nurse):
    session, _order = iv
    dosing(session, nurse, at=NOW - timedelta(minutes=30))

    with pytest.raises(SessionError, match="still running"):
        discharge.discharge_session(session, actor=nurse, now=NOW, **ANSWERS)


def test_an_unaccounted_draw_blocks_discharge(iv, nurse, monkeypatch):
    session, _order = iv
    observed_iv(session, nurse, start=NOW - timedelta(minutes=110))
    charting.record_vitals(session, actor=nurse, values=NORMAL, now=NOW)
    seen = {}

    def fake(*, order=None, **_kwargs):
        seen["order"] = order
        return ["a draw"]

    monkeypatch.setattr("ketaclinic.inventory.domain.queries.unaccounted_draws", fake)

    with pytest.raises(Refused) as caught:
        discharge.discharge_session(session, actor=nurse, now=NOW, **ANSWERS)

    assert seen["order"] == session.order
    assert caught.value.reasons == [
        "1 controlled-substance draw is not yet accounted for (given + wasted must equal "
        "what was drawn): record the waste in the controlled-substance ledger first."
    ]


def test_discharge_of_the_first_session_fires_the_rapid_relief_questionnaires(iv, nurse):
    session, _order = iv
    patient = session.course.patient
    at_discharge = assignments.assign(patient, "phq-9", "first_session_discharge")
    next_day = assignments.assign(patient, "qids-sr16", "24h_after_first_session")
    observed_iv(session, nurse, start=NOW - timedelta(minutes=110))
    charting.record_vitals(session, actor=nurse, values=NORMAL, now=NOW)

    discharge.discharge_session(session, actor=nurse, now=NOW, **ANSWERS)

    at_discharge.refresh_from_db()
    next_day.refresh_from_db()
    assert (at_discharge.next_due_at, next_day.next_due_at) == (NOW, NOW + timedelta(hours=24))


# --- the note -------------------------------------------------------------------------------


def discharged(iv, nurse):
    session, _order = iv
    observed_iv(session, nurse, start=NOW - timedelta(minutes=110))
    charting.record_vitals(session, actor=nurse, values=NORMAL, now=NOW)
    discharge.discharge_session(session, actor=nurse, now=NOW, **ANSWERS)
    return session


def test_a_stale_note_edit_is_refused_with_a_clear_message(iv, nurse, prescriber):
    session = discharged(iv, nurse)
    version = session.version
    notes.save_note(session, actor=nurse, text="Tolerated well.", version=version)

    with pytest.raises(StaleSession, match="Someone else changed this note"):
        notes.save_note(session, actor=prescriber, text="My words.", version=version)

    session.refresh_from_db()
    assert session.note == "Tolerated well."


def test_only_a_prescriber_signs_and_then_only_amendments(iv, nurse, prescriber):
    session = discharged(iv, nurse)
    notes.save_note(session, actor=nurse, text="Tolerated well.", version=session.version)

    with pytest.raises(SessionError, match="Only a prescriber or medical director signs"):
        notes.sign_note(session, actor=nurse, version=session.version)
    notes.sign_note(session, actor=prescriber, version=session.version)
    with pytest.raises(SessionError, match="The note is signed"):
        notes.save_note(session, actor=nurse, text="Changed.", version=session.version)
    amendment = notes.amend_note(session, actor=nurse, text="Called next day: well.")

    session.refresh_from_db()
    assert (session.note, session.note_signed_by) == ("Tolerated well.", prescriber)
    assert list(session.amendments.all()) == [amendment]


def test_the_note_is_signed_after_discharge(iv, nurse, prescriber):
    session, _order = iv
    dosing(session, nurse, at=NOW - timedelta(minutes=10))
    notes.save_note(session, actor=nurse, text="So far so good.", version=session.version)

    with pytest.raises(SessionError, match="once the patient has been discharged"):
        notes.sign_note(session, actor=prescriber, version=session.version)


# --- the REMS form ------------------------------------------------------------------------


def test_the_rems_form_is_filled_from_the_chart(esk, nurse, prescriber):
    session, _order = esk
    first = NOW - timedelta(minutes=125)
    dosing(session, nurse, at=first)
    charting.record_administration(
        session,
        actor=nurse,
        kind="bolus",
        amount_mg="28",
        lot="ESK-2",
        occurred_at=first + timedelta(minutes=5),
        now=first + timedelta(minutes=5),
    )
    charting.record_vitals(
        session,
        actor=nurse,
        values={**NORMAL, "systolic": 150, "diastolic": 92},
        occurred_at=first + timedelta(minutes=41),
        now=first + timedelta(minutes=41),
    )
    charting.record_scale(
        session, actor=nurse, scale="cadss", score=18, now=first + timedelta(minutes=42)
    )
    charting.record_vitals(session, actor=nurse, values=NORMAL, now=NOW)
    discharge.discharge_session(session, actor=nurse, now=NOW, **ANSWERS)

    filled = rems_form.fill(session)

    values = filled.values
    assert (values["dose_mg"], values["dose_category"], values["lot_number"]) == (
        56,
        "56",
        "ESK-1, ESK-2",
    )
    assert (values["bp_before"], values["bp_40min"], values["bp_end"]) == (
        "124/78",
        "150/92",
        "124/78",
    )
    assert values["monitoring_minutes"] == 125
    assert (values["dissociation"], values["sedation"], values["first_treatment"]) == (
        True,
        False,
        True,
    )
    assert values["enrolled_in_rems"] is True
    assert values["vitals_acceptable_before_dosing"] is True
    assert filled.problems == []
    assert "provider_phone" not in filled.missing


def test_discharge_gives_the_outcomes_app_the_session_facts(iv, nurse):
    from ketaclinic.outcomes.models import PatientOutcome

    session = discharged(iv, nurse)

    outcome = PatientOutcome.objects.get(patient=session.course.patient)
    assert (outcome.sessions_so_far, outcome.cumulative_dose_mg, outcome.first_dose_at) == (
        1,
        Decimal("35.0"),
        session.dose_started_at,
    )
    assert outcome.sessions[0]["peak_systolic"] == 124


def test_an_outcomes_failure_never_blocks_the_discharge(iv, nurse, monkeypatch):
    def broken(*_args, **_kwargs):
        raise RuntimeError("outcomes down")

    monkeypatch.setattr("ketaclinic.outcomes.domain.summaries.record_session_facts", broken)

    session = discharged(iv, nurse)

    assert session.status == Status.DISCHARGED
