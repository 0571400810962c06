"""The stored outcome summaries, kept current by ``record_score`` (called from the
measures domain) and ``record_session_facts`` (the sessions app's extension point)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from django.db import connection
from django.db.models import F, QuerySet
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from ketaclinic.outcomes.domain import summaries
from ketaclinic.outcomes.models import IdeationStatus, OutcomeSummary, PatientOutcome
from ketaclinic.patients.domain.parsing import next_month_change
from tests.outcomes.scores import phq9, phq9_answers, who5
from tests.patients.factories import make_patient
from tests.treatment.factories import ready_patient, version_of

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("_outcome_settings")]

T0 = datetime(2025, 3, 3, 9, 0, tzinfo=UTC)


def day(days: float, hours: float = 0) -> datetime:
    return T0 + timedelta(days=days, hours=hours)


def course_on(patient, prescriber, first_day):
    from ketaclinic.treatment.domain.courses import start_course

    return start_course(
        patient,
        version_of("iv-ketamine-depression-twice-weekly"),
        prescriber,
        first_session_on=first_day,
        today=first_day,
    )


def summary_of(patient, instrument="phq-9") -> OutcomeSummary:
    return OutcomeSummary.objects.get(patient=patient, instrument_id=instrument)


def test_interim_rule_first_valid_response_is_the_baseline(riverside):
    patient = make_patient(riverside)
    first = phq9(patient, 20, day(0))
    phq9(patient, 12, day(1))
    phq9(patient, 9, day(3))

    row = summary_of(patient)
    assert row.first_dose_source == "interim"
    assert row.baseline == 20
    assert row.baseline_response_id == first.pk
    assert row.latest == 9
    assert row.pct_change == pytest.approx(-55.0)
    assert row.responded_at == day(3)
    assert row.hours_to_response == 72.0
    assert row.remitted_at is None
    assert row.eligible_for_stats is True
    assert row.data_version == 3


def test_relapse_and_remission_follow_each_score(riverside):
    patient = make_patient(riverside)
    for days, total in [(0, 20), (3, 9), (7, 4), (21, 11), (24, 12)]:
        phq9(patient, total, day(days))

    row = summary_of(patient)
    assert row.remitted_at == day(7)
    assert row.relapsed_at == day(21)
    assert row.relapse_cause == "scores"


def test_below_the_gate_is_kept_but_not_counted(riverside):
    patient = make_patient(riverside)
    phq9(patient, 8, day(0))
    phq9(patient, 3, day(2))

    row = summary_of(patient)
    assert row.remitted_at == day(2)
    assert row.eligible_for_stats is False
    assert row.ineligible_reason == "below the gate"


def test_course_first_session_sets_the_first_dose_and_the_baseline_window(
    riverside, prescriber, nurse, protocols
):
    patient = ready_patient(riverside, prescriber, nurse)
    course = course_on(patient, prescriber, day(20).date())
    phq9(patient, 24, day(0))  # 20 days before: outside the 14-day window
    phq9(patient, 18, day(10))  # inside: the baseline
    phq9(patient, 8, day(22))

    row = summary_of(patient)
    assert row.first_dose_source == "course"
    assert row.first_dose_at == datetime(2025, 3, 23, 23, 59, 59, 999999, tzinfo=UTC)
    assert row.protocol_id == course.protocol_version.protocol_id
    assert row.baseline == 18
    assert row.baseline_at == day(10)
    assert row.latest == 8
    assert row.responded_at == day(22)


def test_no_score_in_the_window_means_no_baseline(riverside, prescriber, nurse, protocols):
    patient = ready_patient(riverside, prescriber, nurse)
    course_on(patient, prescriber, day(30).date())
    phq9(patient, 24, day(0))
    phq9(patient, 10, day(31))

    row = summary_of(patient)
    assert row.baseline is None
    assert row.eligible_for_stats is False
    assert row.ineligible_reason == "no baseline"


def test_session_facts_set_the_dose_time_and_durability(riverside):
    patient = make_patient(riverside)
    phq9(patient, 20, day(-1))
    phq9(patient, 9, day(3))
    phq9(patient, 12, day(20))
    phq9(patient, 13, day(24))

    facts = summaries.record_session_facts(
        patient,
        first_dose_at=day(0),
        sessions=[
            {"at": day(0), "reason": "induction", "dose_mg": 35, "mg_per_kg": 0.5},
            {"at": day(4), "reason": "induction", "dose_mg": 35, "mg_per_kg": 0.5,
             "peak_systolic": 168, "peak_diastolic": 96},
            {"at": day(10), "reason": "induction", "dose_mg": 35, "mg_per_kg": 0.5},
        ],
        induction_complete=True,
    )  # fmt: skip

    assert facts.sessions_so_far == 3
    assert str(facts.cumulative_dose_mg) == "105.0"
    assert facts.last_induction_at == day(10)
    row = summary_of(patient)
    assert row.first_dose_source == "session"
    assert row.first_dose_at == day(0)
    assert row.baseline == 20
    assert row.relapsed_at == day(20)
    assert row.durability_days == 10.0
    assert row.durability_event is True


def test_rescue_session_after_response_is_a_relapse(riverside):
    patient = make_patient(riverside)
    phq9(patient, 20, day(-1))
    phq9(patient, 8, day(2))
    summaries.record_session_facts(
        patient,
        first_dose_at=day(0),
        sessions=[{"at": day(0), "reason": "induction"}, {"at": day(9), "reason": "rescue"}],
    )

    row = summary_of(patient)
    assert row.relapsed_at == day(9)
    assert row.relapse_cause == "rescue"


def test_session_facts_refuse_naive_times_and_unknown_reasons(riverside):
    patient = make_patient(riverside)
    with pytest.raises(ValueError, match="timezone-aware"):
        summaries.record_session_facts(patient, first_dose_at=datetime(2025, 3, 3, 9))
    with pytest.raises(ValueError, match="reason must be one of"):
        summaries.record_session_facts(patient, sessions=[{"at": day(0), "reason": "extra"}])


def test_ideation_status_present_then_resolved(riverside):
    patient = make_patient(riverside)
    phq9(patient, 20, day(0), item9=2)
    assert IdeationStatus.objects.get(patient=patient).status == "present"
    phq9(patient, 14, day(2), item9=0)
    assert IdeationStatus.objects.get(patient=patient).status == "present"  # one absence
    phq9(patient, 10, day(5), item9=0)

    status = IdeationStatus.objects.get(patient=patient)
    assert status.status == "resolved"
    assert status.resolved_at == day(2)
    assert [mark["present"] for mark in status.timeline] == [True, False, False]


def test_who5_summary_reports_the_change_without_a_response(riverside):
    patient = make_patient(riverside)
    who5(patient, 8, day(0))
    who5(patient, 16, day(7))

    row = summary_of(patient, "who-5")
    assert row.change == 8
    assert row.responded_at is None


def test_record_score_reads_only_this_patients_rows(riverside):
    """Incremental: the work per score does not grow with other patients' history."""
    patient = make_patient(riverside)
    others = [make_patient(riverside, legal_last_name=f"Other{i}") for i in range(3)]
    for other in others:
        for days in range(4):
            phq9(other, 20 - days, day(days))
    phq9(patient, 20, day(0))
    response = phq9(patient, 12, day(1))

    with CaptureQueriesContext(connection) as queries:
        summaries.record_score(response)
    reads = [q["sql"] for q in queries.captured_queries if "measures_response" in q["sql"]]
    assert reads, "the patient's responses are read"
    assert all(f'"patient_id" = {patient.pk}' in sql.replace("'", "") for sql in reads)


def test_a_failing_summary_never_blocks_the_questionnaire(riverside, monkeypatch):
    patient = make_patient(riverside)

    def broken(*args, **kwargs):
        raise RuntimeError("boom")

    monkeypatch.setattr(summaries, "summarise", broken)
    response = phq9(patient, 20, day(0), item9=1)

    assert response.pk is not None
    assert patient.safety_alerts.count() == 1  # the alert was raised all the same
    assert not OutcomeSummary.objects.filter(patient=patient).exists()


def test_refresh_patient_rebuilds_from_the_patients_records(riverside):
    patient = make_patient(riverside)
    phq9(patient, 20, day(0))
    phq9(patient, 9, day(3))
    OutcomeSummary.objects.all().delete()

    summaries.refresh_patient(patient)

    assert summary_of(patient).responded_at == day(3)
    assert PatientOutcome.objects.get(patient=patient).first_dose_source == "interim"


def test_phq9_answers_helper():
    assert sum(phq9_answers(20, 2).values()) == 20


def test_adjustment_decisions_cannot_be_changed(riverside, prescriber):
    from ketaclinic.audit.models import AppendOnlyError
    from ketaclinic.outcomes.models import AdjustmentDecision

    decision = AdjustmentDecision.objects.create(
        patient=make_patient(riverside),
        rule_id="stop-and-discuss",
        sentence="s",
        source="clinic policy",
        fingerprint="f" * 64,
        decision="decline",
        reason="r",
        decided_by=prescriber,
    )
    decision.reason = "changed"
    with pytest.raises(AppendOnlyError):
        decision.save()
    with pytest.raises(AppendOnlyError):
        AdjustmentDecision.objects.all().delete()


def test_madrs_ideation_level_is_the_alerts_clinic_setting(riverside, settings):
    from ketaclinic.measures.domain.responses import submit_clinician

    settings.MEASURES_MADRS_IDEATION_MIN = 3
    patient = make_patient(riverside)
    answers = {str(i): 1 for i in range(1, 11)} | {"10": 2}
    submit_clinician(patient, "madrs", answers, entered_by=None, now=day(0))

    status = IdeationStatus.objects.get(patient=patient)
    assert status.status == "none"  # 2 is below the clinic's level of 3
    assert status.timeline[0]["present"] is False


def test_starting_a_course_after_the_scores_refreshes_the_summary(
    riverside, prescriber, nurse, protocols
):
    patient = ready_patient(riverside, prescriber, nurse)
    phq9(patient, 24, day(0))
    phq9(patient, 18, day(10))  # the baseline once the course starts on day 20
    phq9(patient, 8, day(22))
    assert summary_of(patient).first_dose_source == "interim"
    assert summary_of(patient).baseline == 24

    course = course_on(patient, prescriber, day(20).date())

    row = summary_of(patient)
    assert row.first_dose_source == "course"
    assert row.protocol_id == course.protocol_version.protocol_id
    assert row.baseline == 18
    assert row.responded_at == day(22)


def test_a_summary_failure_never_stops_a_course(
    riverside, prescriber, nurse, protocols, monkeypatch, caplog
):
    patient = ready_patient(riverside, prescriber, nurse)
    phq9(patient, 20, day(0))

    def broken(_patient, **_kwargs):
        raise RuntimeError("summary bug")

    monkeypatch.setattr(summaries, "refresh_patient", broken)
    course = course_on(patient, prescriber, day(20).date())

    assert course.pk is not None
    assert summary_of(patient).first_dose_source == "interim"  # unchanged, repaired later
    assert "outcome summaries not refreshed" in caplog.text


def test_past_the_read_bound_the_latest_score_still_updates(riverside, monkeypatch):
    # The bound keeps the NEWEST responses: the latest score and ideation follow the
    # last answer however long the patient's history (bound lowered to 3 to show it).
    monkeypatch.setattr(summaries, "SCORE_LIMIT", 3)
    patient = make_patient(riverside)
    for days, total in [(0, 20), (3, 15), (7, 12), (10, 9)]:
        phq9(patient, total, day(days))
    phq9(patient, 6, day(14), item9=1)

    row = summary_of(patient)
    assert row.latest == 6
    assert row.latest_at == day(14)
    assert IdeationStatus.objects.get(patient=patient).last_present_at == day(14)


def test_a_summary_made_at_the_same_moment_elsewhere_is_updated_not_lost(riverside, monkeypatch):
    """Two first scores at once: both UPDATEs find no row, one INSERT wins and the other
    meets the unique constraint; the loser updates the winner's row instead."""
    patient = make_patient(riverside)
    phq9(patient, 20, day(0))  # the other request's row
    before = summary_of(patient).data_version
    real_update = QuerySet.update
    calls = []

    def update_that_first_misses(self, **kwargs):
        calls.append(self.model)
        if len(calls) == 1:
            return 0  # as if the row were not committed yet when this request looked
        return real_update(self, **kwargs)

    monkeypatch.setattr(QuerySet, "update", update_that_first_misses)
    kept = summary_of(patient)  # every column as the other request stored it
    values = {
        field.attname: getattr(kept, field.attname)
        for field in OutcomeSummary._meta.concrete_fields
        if field.attname not in ("id", "patient_id", "instrument_id", "data_version")
    }
    values["latest"] = 7.0
    summaries._put(
        OutcomeSummary,
        {"patient_id": patient.pk, "instrument_id": "phq-9"},
        {**values, "data_version": F("data_version") + 1},
        values,
    )

    row = summary_of(patient)
    assert (row.latest, row.data_version) == (7.0, before + 1)
    assert OutcomeSummary.objects.filter(patient=patient).count() == 1


# -- the cohort attributes, kept until what they are computed from changes ---------------

HISTORY_TABLES = (
    "patients_condition",
    "patients_antidepressanttrial",
    "patients_othertreatment",
    "treatment_course",
)


def staged_patient(location):
    """A patient with a staged depressive episode (moderate severity, eight months) and
    one failed adequate trial: Maudsley "mild"."""
    from ketaclinic.patients.domain import records
    from tests.patients.factories import make_trial

    patient = make_patient(location)
    started = timezone.localdate() - timedelta(days=240)
    records.add_condition(
        patient,
        actor=None,
        code="F33.1",
        is_primary=True,
        episode_started_on=started,
        episode_severity="moderate",
    )
    make_trial(patient)
    return patient


def facts_of(patient) -> PatientOutcome:
    return PatientOutcome.objects.get(patient=patient)


def test_a_score_reuses_the_cohort_attributes_while_they_hold(riverside):
    patient = staged_patient(riverside)
    phq9(patient, 20, day(0))
    facts = facts_of(patient)
    assert (facts.condition_group, facts.maudsley) == ("depression", "mild")
    assert summaries.cohort_current(facts, timezone.localdate())
    # the episode's ninth month starts on the day its start's day comes round again
    assert facts.cohort_until == next_month_change(
        timezone.localdate() - timedelta(days=240), timezone.localdate()
    )

    with CaptureQueriesContext(connection) as queries:
        phq9(patient, 12, day(7))

    read = " ".join(q["sql"] for q in queries.captured_queries)
    assert not [table for table in HISTORY_TABLES if table in read]
    assert summary_of(patient).maudsley == "mild"


@pytest.mark.parametrize(
    "change",
    [
        "add a PTSD condition as the primary one",
        "update the condition",
        "remove the condition",
        "add a trial",
        "remove the trial",
        "add another treatment",
        "raw UPDATE of a trial",
    ],
)
def test_every_write_to_the_history_makes_them_stale(riverside, change):
    from ketaclinic.patients.domain import records
    from ketaclinic.patients.models import AntidepressantTrial, Condition
    from tests.patients.factories import make_trial

    patient = staged_patient(riverside)
    phq9(patient, 20, day(0))
    condition = Condition.objects.get(patient=patient)
    trial = AntidepressantTrial.objects.get(patient=patient)
    assert summaries.cohort_current(facts_of(patient), timezone.localdate())

    if change == "add a PTSD condition as the primary one":
        records.add_condition(patient, actor=None, code="F43.12", is_primary=True)
    elif change == "update the condition":
        records.update_condition(condition, {"episode_severity": "mild"}, actor=None)
    elif change == "remove the condition":
        records.remove_condition(condition, actor=None)
    elif change == "add a trial":
        make_trial(patient, drug="escitalopram", dose_mg=20)
    elif change == "remove the trial":
        records.remove_trial(trial, actor=None)
    elif change == "add another treatment":
        records.add_other_treatment(
            patient, actor=None, kind="augmentation", description="lithium", current_episode=True
        )
    else:  # no write path can forget: the trigger sees a bulk UPDATE too
        AntidepressantTrial.objects.filter(pk=trial.pk).update(weeks=2)

    assert not summaries.cohort_current(facts_of(patient), timezone.localdate())
    phq9(patient, 12, day(7))

    # the next score computed them afresh, as refresh_patient does from scratch
    cached = facts_of(patient)
    assert summaries.cohort_current(cached, timezone.localdate())
    summaries.refresh_patient(patient)
    fresh = facts_of(patient)
    assert (cached.condition_group, cached.maudsley) == (fresh.condition_group, fresh.maudsley)
    assert summary_of(patient).maudsley == fresh.maudsley
    if change == "add a PTSD condition as the primary one":
        assert summary_of(patient).condition_group == "ptsd"


def test_a_course_makes_them_stale_and_sets_the_protocol(riverside, prescriber, nurse, protocols):
    patient = ready_patient(riverside, prescriber, nurse)
    phq9(patient, 20, day(0))
    before = facts_of(patient).cohort_version

    course = course_on(patient, prescriber, day(20).date())

    facts = facts_of(patient)
    assert facts.cohort_version > before  # the course's INSERT moved it ...
    assert summaries.cohort_current(facts, timezone.localdate())  # ... and start_course refreshed
    assert facts.protocol_id == course.protocol_version.protocol_id


def test_the_stage_is_computed_again_when_the_episode_month_turns(riverside):
    patient = staged_patient(riverside)
    phq9(patient, 20, day(0))
    today = timezone.localdate()
    # a stored stage that no longer matches the history shows which path a score took
    PatientOutcome.objects.filter(patient=patient).update(
        maudsley="severe", cohort_until=today + timedelta(days=1)
    )
    phq9(patient, 18, day(3))
    assert summary_of(patient).maudsley == "severe"  # still held: kept, not recomputed

    PatientOutcome.objects.filter(patient=patient).update(cohort_until=today)
    phq9(patient, 16, day(6))
    assert summary_of(patient).maudsley == "mild"  # the month turned: recomputed
    assert facts_of(patient).cohort_until > today


def test_a_first_score_computes_them(riverside):
    patient = staged_patient(riverside)
    assert not PatientOutcome.objects.filter(patient=patient).exists()

    phq9(patient, 20, day(0))

    facts = facts_of(patient)
    assert facts.cohort_of == facts.cohort_version
    assert facts.maudsley == "mild"


def test_the_stored_facts_are_loaded_as_the_orm_loads_them(riverside):
    """A score's path reads the facts from a compiled query: the same row, every field
    converted (JSON lists, decimals, times), and no row for a patient without facts."""
    patient = make_patient(riverside)
    phq9(patient, 20, day(-1))
    summaries.record_session_facts(
        patient,
        first_dose_at=day(0),
        sessions=[{"at": day(0), "reason": "induction", "dose_mg": 35, "mg_per_kg": 0.5}],
        rescue_sessions=[day(2)],
    )
    loaded = summaries._stored_facts(patient.pk)
    stored = PatientOutcome.objects.get(patient=patient)
    fields = [f.attname for f in PatientOutcome._meta.concrete_fields]
    assert [getattr(loaded, name) for name in fields] == [getattr(stored, name) for name in fields]
    assert not loaded._state.adding
    assert summaries._stored_facts(make_patient(riverside).pk) is None
