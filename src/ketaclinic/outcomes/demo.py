"""Demo outcomes: PHQ-9 (and WHO-5) trajectories for six demo patients and their session
facts, all through the domain (in-clinic questionnaire links answered with
``measures.domain.responses.submit``, which keeps the summaries current, then
``outcomes.domain.summaries.record_session_facts`` as the sessions app will). The
trajectories show a responder who remits, a non-responder, a responder who relapses
(with suicidal thoughts that resolve), a quick responder, a Hillcrest responder and a
baseline below the severity gate. Five of them answer the short PHQ-9 at discharge of
the first session and 24 hours later through the links of those measures schedules,
which is what the "rapid relief" figures read.

Idempotent: once any patient has session facts (this demo, or the sessions demo after
it), it does nothing, so a second run cannot pick new patients; and a patient who
already has a PHQ-9 is left alone."""

from __future__ import annotations

from datetime import timedelta

from django.db import transaction
from django.utils import timezone

from ketaclinic.accounts.roles import Role
from ketaclinic.measures.domain import links, responses
from ketaclinic.measures.domain.assignments import assign
from ketaclinic.measures.models import Channel
from ketaclinic.outcomes.domain.summaries import (
    DAY1_SCHEDULE,
    DISCHARGE_SCHEDULE,
    record_session_facts,
    refresh_patient,
)
from ketaclinic.outcomes.models import PatientOutcome
from ketaclinic.patients.models import Patient

FIRST_DOSE_DAYS_AGO = 42
INDUCTION_DAYS = (0, 3, 7, 10, 14, 17)  # six infusions, twice weekly

# (PHQ-9 [(day from first dose, total, item 9)], WHO-5 [(day, raw)], peak CADSS, peak BP)
PLANS = [
    ([(-3, 21, 0), (1, 14, 0), (7, 9, 0), (14, 6, 0), (21, 4, 0), (35, 5, 0)],
     [(-3, 7), (35, 16)], 14, (148, 88)),
    ([(-2, 19, 0), (3, 17, 0), (10, 15, 0), (17, 14, 0), (28, 13, 0)],
     [(-2, 6), (28, 8)], 9, (162, 94)),
    ([(-1, 22, 2), (2, 10, 1), (9, 8, 0), (16, 9, 0), (23, 13, 0), (30, 15, 0)],
     [(-1, 5), (30, 10)], 24, (171, 99)),
    ([(-5, 16, 0), (1, 7, 0), (8, 6, 0), (15, 5, 0), (24, 6, 0)], [], 11, (140, 85)),
    ([(-2, 24, 1), (4, 18, 0), (11, 11, 0), (18, 12, 0), (29, 10, 0)], [(-2, 4), (29, 13)],
     18, (155, 90)),
    ([(-1, 8, 0), (5, 6, 0), (19, 3, 0)], [], 6, (132, 80)),
]  # fmt: skip


# PHQ-9 totals at discharge of the first session (about 2 hours after the first dose)
# and 24 hours after it, per plan: the rapid-relief scores (none for the last plan).
EARLY = [(15, 14), (18, 18), (12, 10), (8, 7), (19, 18), None]


def phq9_answers(total: int, item9: int) -> dict[str, int]:
    rest = total - item9
    answers = {}
    for item in range(1, 9):
        answers[str(item)] = min(3, rest)
        rest -= answers[str(item)]
    answers["9"] = item9
    return answers


def who5_answers(raw: int) -> dict[str, int]:
    answers, rest = {}, raw
    for item in range(1, 6):
        answers[str(item)] = min(5, rest)
        rest -= answers[str(item)]
    return answers


def _answer(patient, instrument_id, answers, at, clinician, schedule: str = "") -> None:
    """Answer in clinic; with ``schedule``, through a link of that measures schedule's
    assignment (as the schedule engine sends it)."""
    assignment = None
    if schedule:
        assignment = assign(
            patient, instrument_id, schedule, created_by=clinician, now=at - timedelta(minutes=5)
        )
    link, _token = links.create_link(
        patient,
        instrument_id,
        channel=Channel.IN_CLINIC,
        created_by=clinician,
        assignment=assignment,
        now=at,
    )
    responses.submit(link, answers, now=at)


def _course_from(patient, prescriber, first_day) -> bool:
    """An IV course whose first session was ``first_day`` (the domain's own check of
    the date runs as of that day). False when the patient is not ready for one."""
    from ketaclinic.treatment.domain.courses import start_course
    from ketaclinic.treatment.domain.errors import TreatmentError
    from ketaclinic.treatment.domain.protocols import latest_version
    from ketaclinic.treatment.models import Protocol

    protocol = Protocol.objects.filter(slug="iv-ketamine-depression-twice-weekly").first()
    if protocol is None or prescriber is None:
        return False
    try:
        start_course(
            patient,
            latest_version(protocol),
            prescriber,
            first_session_on=first_day,
            today=first_day,
            note="Demo: six infusions; review response after the third.",
        )
    except TreatmentError:
        return False
    return True


def load_demo_outcomes(staff: dict) -> None:
    from ketaclinic.screening.domain.readiness import readiness_problems

    if PatientOutcome.objects.exclude(sessions=[]).exists():
        return  # loaded before: the patients it would pick now are others
    clinician = next((u for u in staff.values() if u.has_role(Role.NURSE, Role.PRESCRIBER)), None)
    prescriber = next((u for u in staff.values() if u.has_role(Role.PRESCRIBER)), None)
    now = timezone.now().replace(second=0, microsecond=0)
    first_dose = now - timedelta(days=FIRST_DOSE_DAYS_AGO)
    free = list(
        Patient.objects.filter(location__slug="riverside", courses__isnull=True)
        .select_related("medical_history")
        .order_by("pk")
    )
    # The non-responder (second plan) is on a course, so suggestions show for them.
    ready = next((p for p in free if not readiness_problems(p)), None)
    others = [p for p in free if p != ready and not p.responses.exists()]
    others += list(
        Patient.objects.filter(location__slug="hillcrest", responses__isnull=True)
        .distinct()
        .order_by("pk")
    )
    patients = [*others[:1], ready, *others[1:5]]
    for index, (patient, plan) in enumerate(zip(patients, PLANS, strict=False)):
        phq9, who5, cadss, (systolic, diastolic) = plan
        if patient is None or patient.responses.filter(instrument_id="phq-9").exists():
            continue
        sessions = INDUCTION_DAYS if index != 1 else INDUCTION_DAYS[:3]
        with transaction.atomic():
            if index == 1 and not _course_from(patient, prescriber, first_dose.date()):
                continue
            for day, total, item9 in phq9:
                at = first_dose + timedelta(days=day, hours=1)
                _answer(patient, "phq-9", phq9_answers(total, item9), at, clinician)
            if EARLY[index] is not None:
                discharged, next_day = EARLY[index]
                for total, hours, schedule in (
                    (discharged, 2, DISCHARGE_SCHEDULE),
                    (next_day, 24, DAY1_SCHEDULE),
                ):
                    at = first_dose + timedelta(hours=hours)
                    _answer(patient, "phq-9", phq9_answers(total, 0), at, clinician, schedule)
            for day, raw in who5:
                at = first_dose + timedelta(days=day, hours=1, minutes=5)
                _answer(patient, "who-5", who5_answers(raw), at, clinician)
            record_session_facts(
                patient,
                first_dose_at=first_dose,
                sessions=[
                    {
                        "at": first_dose + timedelta(days=day),
                        "reason": "induction",
                        "dose_mg": 35,
                        "mg_per_kg": 0.5,
                        "peak_systolic": systolic - 6 + number,
                        "peak_diastolic": diastolic - 3 + number // 2,
                        "peak_cadss": max(0, cadss - 3 + number),
                    }
                    for number, day in enumerate(sessions)
                ],
                induction_complete=len(sessions) == len(INDUCTION_DAYS),
            )
    # Courses started after their patients' scores (the treatment demo): date them now.
    for patient in Patient.objects.filter(
        courses__isnull=False, responses__isnull=False
    ).distinct():
        refresh_patient(patient)
