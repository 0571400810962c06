"""Starting a course (the one way), its proposed session dates, and REMS enrolment.

``start_course`` checks, and refuses with every reason at once:

- a current, positive eligibility decision and current consent
  (``screening.domain.readiness``, the one place that decides readiness);
- the protocol is offered and the version is its newest;
- the patient's age on the first session fits the protocol (esketamine under 65 and
  65-and-over are separate protocols with separate doses);
- for esketamine: the patient's REMS enrolment and the location's REMS certification;
- no other active course.

``proposed_session_dates(course)`` is for the booking app: the date of every scheduled
session by the protocol's spacing, counted from the course's first session.
"""

from __future__ import annotations

from datetime import date

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone

from ketaclinic.accounts.roles import Role
from ketaclinic.outcomes.domain.summaries import course_started
from ketaclinic.patients.domain.parsing import age_on
from ketaclinic.patients.domain.status import set_status
from ketaclinic.screening.domain.readiness import readiness_problems
from ketaclinic.treatment.domain.errors import CourseRefused, TreatmentError, require_role
from ketaclinic.treatment.domain.protocols import latest_version
from ketaclinic.treatment.models import (
    Course,
    CourseStatus,
    Drug,
    ProtocolVersion,
    RemsCertification,
    RemsEnrolment,
)
from ketaclinic.treatment.protocols import schedule_dates

PRESCRIBING_ROLES = (Role.PRESCRIBER, Role.MEDICAL_DIRECTOR)
CLINICAL_ROLES = (Role.NURSE, Role.PRESCRIBER, Role.MEDICAL_DIRECTOR)
NOTE_MAX = 2000


def long_date(day: date) -> str:
    return f"{day.day} {day:%B %Y}"


def proposed_session_dates(course: Course) -> list[date]:
    """The proposed date of each session of ``course`` (index 0 is session 1), by its
    protocol version's spacing. Open-ended maintenance is not included."""
    return schedule_dates(course.definition.schedule, course.first_session_on)


def age_problem(patient, version: ProtocolVersion, on: date) -> str | None:
    """The age rule: the patient's age on ``on`` must fit the protocol's age band."""
    band = version.parsed.age
    age = age_on(patient.date_of_birth, on)
    if age < band.min_years or (band.max_years is not None and age > band.max_years):
        fits = (
            f"adults {band.min_years} to {band.max_years}"
            if band.max_years is not None
            else f"adults {band.min_years} and over"
        )
        return (
            f"The patient is {age} on {long_date(on)}: this protocol is for {fits}. "
            "Choose the protocol for their age."
        )
    return None


def rems_problems(patient, *, on: date) -> list[str]:
    """What stops esketamine for this patient at their location (REMS)."""
    problems = []
    enrolment = RemsEnrolment.objects.filter(patient=patient).first()
    if enrolment is None:
        problems.append(
            "The patient is not enrolled in the Spravato REMS: record the enrolment number first."
        )
    elif enrolment.enrolled_on > on:
        problems.append(
            f"The REMS enrolment is dated {long_date(enrolment.enrolled_on)}, after "
            f"{long_date(on)}."
        )
    certification = RemsCertification.objects.filter(
        location_id=patient.location_id, active=True
    ).first()
    if certification is None or certification.certified_on > on:
        problems.append(
            "This location is not certified as a Spravato REMS healthcare setting: esketamine "
            "cannot be given here (the administrator records the certification)."
        )
    return problems


def course_problems(
    patient, version: ProtocolVersion, *, first_session_on: date, today: date
) -> list[str]:
    problems = list(readiness_problems(patient))
    protocol = version.protocol
    if not protocol.active:
        problems.append(f"“{protocol.name}” is no longer offered for new courses.")
    newest = latest_version(protocol)
    if newest is not None and newest.pk != version.pk:
        problems.append(
            f"“{protocol.name}” was revised: start the course on version {newest.number}."
        )
    if first_session_on < today:
        problems.append("The first session cannot be in the past.")
    age = age_problem(patient, version, first_session_on)
    if age:
        problems.append(age)
    if version.drug == Drug.ESKETAMINE:
        problems.extend(rems_problems(patient, on=first_session_on))
    if patient.courses.filter(status=CourseStatus.ACTIVE).exists():
        problems.append("The patient already has an active course: end it before starting another.")
    return problems


def start_course(
    patient,
    protocol_version: ProtocolVersion,
    prescriber,
    *,
    first_session_on: date,
    started_by=None,
    note: str = "",
    today: date | None = None,
) -> Course:
    """The only way a course begins. Raises ``CourseRefused`` with every reason."""
    started_by = started_by or prescriber
    require_role(prescriber, PRESCRIBING_ROLES, "can be the prescriber of a course")
    require_role(started_by, PRESCRIBING_ROLES, "starts a course")
    today = today or timezone.localdate()
    text = (note or "").strip()
    if len(text) > NOTE_MAX:
        raise TreatmentError(f"Keep the note under {NOTE_MAX} characters.", field="note")
    problems = course_problems(
        patient, protocol_version, first_session_on=first_session_on, today=today
    )
    if problems:
        raise CourseRefused(problems)
    try:
        with transaction.atomic():
            course = Course(
                patient=patient,
                protocol_version=protocol_version,
                prescriber=prescriber,
                first_session_on=first_session_on,
                note=text,
                started_by=started_by,
            )
            course._history_user = started_by
            course.save()
            set_status(
                patient,
                "in_treatment",
                reason=f"Course started: {protocol_version.protocol.name}",
                actor=started_by,
            )
            course_started(patient)  # outcomes: this course's first session is day 0
    except IntegrityError:  # a second course started at the same moment
        raise CourseRefused(
            ["The patient already has an active course: end it before starting another."]
        ) from None
    return course


def record_rems_enrolment(patient, *, enrolment_id: str, enrolled_on: date, actor) -> RemsEnrolment:
    """Record (or correct) the patient's Spravato REMS enrolment number and date."""
    require_role(actor, CLINICAL_ROLES, "records a REMS enrolment")
    number = (enrolment_id or "").strip()
    if not number:
        raise TreatmentError("Enter the REMS enrolment number.", field="enrolment_id")
    if enrolled_on is None:
        raise TreatmentError("Enter the date of the enrolment.", field="enrolled_on")
    if enrolled_on > timezone.localdate():
        raise TreatmentError("The enrolment date cannot be in the future.", field="enrolled_on")
    enrolment = RemsEnrolment.objects.filter(patient=patient).first() or RemsEnrolment(
        patient=patient
    )
    enrolment.enrolment_id = number
    enrolment.enrolled_on = enrolled_on
    enrolment.recorded_by = actor
    enrolment.recorded_at = timezone.now()
    try:
        enrolment.full_clean(exclude=["patient", "recorded_by"])
    except ValidationError as exc:
        messages = exc.message_dict.get("enrolment_id") or exc.messages
        raise TreatmentError(messages[0], field="enrolment_id") from None
    enrolment._history_user = actor
    enrolment.save()
    return enrolment


def end_course(course: Course, *, status: str, actor, reason: str) -> Course:
    """Mark a course completed or stopped (its orders are kept)."""
    require_role(actor, PRESCRIBING_ROLES, "ends a course")
    if status not in (CourseStatus.COMPLETED, CourseStatus.STOPPED):
        raise TreatmentError("A course ends as completed or stopped.", field="status")
    text = (reason or "").strip()
    if not text:
        raise TreatmentError("Say why the course ends.", field="reason")
    with transaction.atomic():
        current = Course.objects.select_for_update().get(pk=course.pk)
        if current.status != CourseStatus.ACTIVE:
            raise TreatmentError("This course has already ended.")
        current.status = status
        current.note = (current.note + "\n" if current.note else "") + f"Ended: {text}"[:NOTE_MAX]
        current.version += 1
        current._history_user = actor
        current.save()
    course.__dict__.update(current.__dict__)
    return course
