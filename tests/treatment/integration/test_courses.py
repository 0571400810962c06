"""Starting a course: the one domain function, its refusals, and proposed dates."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from django.utils import timezone

from ketaclinic.patients.models import Patient
from ketaclinic.screening.domain import consent, decisions
from ketaclinic.screening.models import Decision
from ketaclinic.treatment.domain import courses
from ketaclinic.treatment.domain.errors import CourseRefused, TreatmentError
from ketaclinic.treatment.domain.protocols import revise_protocol, set_protocol_active
from ketaclinic.treatment.models import Course, CourseStatus, Protocol, RemsCertification
from ketaclinic.treatment.protocols import definition_json
from tests.patients.factories import make_patient
from tests.treatment.factories import (
    answer_history,
    certify,
    enrol,
    iv_course,
    ready_patient,
    version_of,
)

pytestmark = pytest.mark.django_db

TODAY = timezone.localdate()
NO_DECISION = "No eligibility decision has been signed."
STALE = "The eligibility decision is out of date: the record changed since it was signed."
NO_CONSENT = "No current informed consent is recorded."
NOT_ENROLLED = (
    "The patient is not enrolled in the Spravato REMS: record the enrolment number first."
)
NOT_CERTIFIED = (
    "This location is not certified as a Spravato REMS healthcare setting: esketamine "
    "cannot be given here (the administrator records the certification)."
)


def refusal(patient, slug, prescriber, **kwargs) -> list[str]:
    with pytest.raises(CourseRefused) as caught:
        courses.start_course(
            patient, version_of(slug), prescriber, first_session_on=TODAY, **kwargs
        )
    assert not Course.objects.filter(patient=patient).exists()
    return caught.value.reasons


def test_a_ready_patient_starts_a_course_and_is_in_treatment(patient, prescriber):
    course = iv_course(patient, prescriber)

    patient.refresh_from_db()
    assert (course.status, course.prescriber, course.started_by) == (
        "active",
        prescriber,
        prescriber,
    )
    assert course.protocol_version == version_of("iv-ketamine-depression-twice-weekly")
    assert patient.status == "in_treatment"
    assert patient.status_changes.last().reason == (
        "Course started: IV ketamine for depression, twice weekly × 6 (ELEKT-D)"
    )


def test_refused_without_a_decision(riverside, prescriber, nurse, protocols):
    patient = answer_history(make_patient(riverside))
    consent.record_consent(patient, signed_name="Robin Hart", witness=nurse, actor=nurse)

    assert refusal(patient, "iv-ketamine-depression-twice-weekly", prescriber) == [NO_DECISION]


def test_refused_with_a_stale_decision(patient, prescriber):
    patient = answer_history(patient, latest_systolic=150)  # the record changed

    assert refusal(patient, "iv-ketamine-depression-twice-weekly", prescriber) == [STALE]


def test_refused_with_a_not_eligible_decision(riverside, prescriber, nurse, protocols):
    patient = answer_history(make_patient(riverside))
    decisions.record_decision(
        patient, decision=Decision.NOT_ELIGIBLE, note="Not now.", signer=prescriber
    )
    consent.record_consent(patient, signed_name="Robin Hart", witness=nurse, actor=nurse)

    assert refusal(patient, "iv-ketamine-depression-twice-weekly", prescriber) == [
        "The signed eligibility decision is “not eligible”."
    ]


def test_refused_without_consent(riverside, prescriber, protocols):
    patient = answer_history(make_patient(riverside))
    decisions.record_decision(patient, decision=Decision.ELIGIBLE, note="Fit.", signer=prescriber)

    assert refusal(patient, "iv-ketamine-depression-twice-weekly", prescriber) == [NO_CONSENT]


def test_refused_after_consent_is_withdrawn(patient, prescriber):
    consent.withdraw_consent(consent.current_consent(patient), note="Changed their mind.")

    assert refusal(patient, "iv-ketamine-depression-twice-weekly", prescriber) == [NO_CONSENT]


def test_esketamine_refused_without_rems_enrolment(patient, prescriber, riverside):
    certify(riverside)

    assert refusal(patient, "esketamine-trd-under-65", prescriber) == [NOT_ENROLLED]


def test_esketamine_refused_at_an_uncertified_location(patient, prescriber):
    enrol(patient, prescriber)

    assert refusal(patient, "esketamine-trd-under-65", prescriber) == [NOT_CERTIFIED]


def test_esketamine_refused_when_the_certification_is_withdrawn(patient, prescriber, riverside):
    enrol(patient, prescriber)
    RemsCertification.objects.filter(pk=certify(riverside).pk).update(active=False)

    assert refusal(patient, "esketamine-trd-under-65", prescriber) == [NOT_CERTIFIED]


def test_esketamine_refused_when_enrolled_after_the_first_session(patient, prescriber, riverside):
    certify(riverside)
    enrol(patient, prescriber, on=TODAY)

    yesterday = courses.long_date(TODAY - timedelta(days=1))
    with pytest.raises(CourseRefused, match=f"dated {courses.long_date(TODAY)}, after {yesterday}"):
        courses.start_course(
            patient,
            version_of("esketamine-trd-under-65"),
            prescriber,
            first_session_on=TODAY - timedelta(days=1),
            today=TODAY - timedelta(days=1),
        )


def test_esketamine_starts_when_enrolled_and_certified(patient, prescriber, riverside):
    certify(riverside)
    enrol(patient, prescriber)

    course = courses.start_course(
        patient, version_of("esketamine-trd-under-65"), prescriber, first_session_on=TODAY
    )

    assert course.definition.drug == "esketamine"


def test_the_age_rule_keeps_under_65s_and_over_65s_on_their_own_protocols(
    riverside, prescriber, nurse, protocols
):
    certify(riverside)
    older = ready_patient(riverside, prescriber, nurse, date_of_birth=date(1950, 1, 1))
    enrol(older, prescriber)
    age = older.age_years

    reasons = refusal(older, "esketamine-trd-under-65", prescriber)

    assert reasons == [
        f"The patient is {age} on {courses.long_date(TODAY)}: this protocol is for adults 18 "
        "to 64. Choose the protocol for their age."
    ]
    course = courses.start_course(
        older, version_of("esketamine-trd-65-and-over"), prescriber, first_session_on=TODAY
    )
    assert course.definition.dose.first_dose_mg == 28


def test_under_65s_cannot_start_the_65_and_over_protocol(patient, prescriber, riverside):
    certify(riverside)
    enrol(patient, prescriber)

    (reason,) = refusal(patient, "esketamine-trd-65-and-over", prescriber)
    assert reason.endswith(
        "this protocol is for adults 65 and over. Choose the protocol for their age."
    )


def test_every_reason_is_given_at_once(riverside, prescriber, protocols):
    patient = answer_history(make_patient(riverside))

    assert refusal(patient, "esketamine-trd-under-65", prescriber) == [
        NO_DECISION,
        NO_CONSENT,
        NOT_ENROLLED,
        NOT_CERTIFIED,
    ]


def test_only_prescribers_start_courses(patient, nurse, prescriber):
    with pytest.raises(TreatmentError, match="Only a prescriber or medical director"):
        courses.start_course(
            patient,
            version_of("iv-ketamine-depression-twice-weekly"),
            nurse,
            first_session_on=TODAY,
        )
    with pytest.raises(TreatmentError, match="starts a course"):
        courses.start_course(
            patient,
            version_of("iv-ketamine-depression-twice-weekly"),
            prescriber,
            first_session_on=TODAY,
            started_by=nurse,
        )


def test_one_active_course_at_a_time(patient, prescriber):
    iv_course(patient, prescriber)

    assert refusal_after_course(patient, prescriber) == [
        "The patient already has an active course: end it before starting another."
    ]


def refusal_after_course(patient, prescriber):
    with pytest.raises(CourseRefused) as caught:
        iv_course(patient, prescriber, slug="iv-ketamine-depression-three-weekly")
    return caught.value.reasons


def test_a_course_that_ended_makes_room_for_another(patient, prescriber):
    first = iv_course(patient, prescriber)
    courses.end_course(first, status=CourseStatus.COMPLETED, actor=prescriber, reason="Done.")

    second = iv_course(patient, prescriber, slug="iv-ketamine-depression-three-weekly")

    assert second.status == "active"
    assert Course.objects.get(pk=first.pk).status == "completed"


def test_the_first_session_cannot_be_in_the_past(patient, prescriber):
    with pytest.raises(CourseRefused, match="cannot be in the past"):
        iv_course(patient, prescriber, on=TODAY - timedelta(days=1))


def test_a_retired_protocol_starts_no_course(patient, prescriber, director):
    set_protocol_active(
        Protocol.objects.get(slug="iv-ketamine-depression-twice-weekly"), False, actor=director
    )

    with pytest.raises(CourseRefused, match="no longer offered"):
        iv_course(patient, prescriber)


def _revise(director, slug="iv-ketamine-depression-twice-weekly"):
    protocol = Protocol.objects.get(slug=slug)
    data = definition_json(version_of(slug).parsed)
    data["monitoring"]["minimum_observation_minutes"] = 90
    return revise_protocol(protocol, data, actor=director, note="Longer observation.")


def test_a_course_keeps_its_version_when_the_protocol_is_revised(patient, prescriber, director):
    course = iv_course(patient, prescriber)
    old = course.protocol_version

    new = _revise(director)

    course.refresh_from_db()
    assert (course.protocol_version, new.number) == (old, 2)
    assert course.definition.monitoring.minimum_observation_minutes == 60


def test_a_new_course_starts_on_the_newest_version(patient, prescriber, director):
    old = version_of("iv-ketamine-depression-twice-weekly")
    _revise(director)

    with pytest.raises(CourseRefused, match="was revised: start the course on version 2"):
        courses.start_course(patient, old, prescriber, first_session_on=TODAY)


def test_proposed_session_dates_follow_the_protocol_spacing(patient, prescriber):
    monday = TODAY + timedelta(days=(7 - TODAY.weekday()) % 7 or 7)
    course = iv_course(patient, prescriber, on=monday)

    assert [(day - monday).days for day in courses.proposed_session_dates(course)] == [
        0, 3, 7, 10, 14, 17,
    ]  # fmt: skip
    assert {day.strftime("%a") for day in courses.proposed_session_dates(course)} == {"Mon", "Thu"}


def test_rems_enrolment_is_recorded_and_corrected(patient, nurse, prescriber):
    first = enrol(patient, nurse)
    second = courses.record_rems_enrolment(
        patient, enrolment_id="PT-99999", enrolled_on=date(2024, 2, 1), actor=prescriber
    )

    assert (first.pk, second.enrolment_id, second.recorded_by) == (
        second.pk,
        "PT-99999",
        prescriber,
    )
    assert Patient.objects.get(pk=patient.pk).rems_enrolment.enrolled_on == date(2024, 2, 1)


@pytest.mark.parametrize(
    ("number", "on", "message"),
    [
        ("", date(2024, 1, 1), "Enter the REMS enrolment number."),
        ("PT 1!", date(2024, 1, 1), "Letters, digits and hyphens only."),
        ("PT-1", TODAY + timedelta(days=1), "The enrolment date cannot be in the future."),
    ],
)
def test_rems_enrolment_refusals(patient, nurse, number, on, message):
    with pytest.raises(TreatmentError) as caught:
        courses.record_rems_enrolment(patient, enrolment_id=number, enrolled_on=on, actor=nurse)
    assert str(caught.value) == message
