"""Rescue doses under standing orders (clinic policy, as data), given by a nurse.

Each dose is checked against the standing order's limits (largest single dose, most
per session, minutes between doses) and against the patient's recorded allergies:
an allergy entry naming the drug, a brand or its class stops it, with a sentence
that says which entry matched.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from datetime import timedelta
from decimal import Decimal, InvalidOperation

from django.db import transaction
from django.utils import timezone

from ketaclinic.accounts.roles import Role
from ketaclinic.treatment.domain.errors import TreatmentError, require_role

GIVING_ROLES = (Role.NURSE, Role.PRESCRIBER, Role.MEDICAL_DIRECTOR)
MIN_MATCH = 3  # an allergy entry shorter than this ("a") never matches on its own


def _words(text: str) -> str:
    return " ".join(re.sub(r"[^a-z0-9]+", " ", (text or "").lower()).split())


def allergy_conflicts(allergies: Iterable, terms: Iterable[str]) -> list:
    """The allergy entries (objects with ``substance``) that name one of ``terms``:
    a term inside the entry ("ondansetron" in "Ondansetron (Zofran)", "setron" in
    "granisetron", "beta blocker" in "beta blockers"), or the whole entry inside a term
    ("zofran"). Case, hyphens and punctuation are ignored. Errs towards a match: a
    false match stops a rescue dose and calls the prescriber; a missed one harms."""
    wanted = [_words(term) for term in terms if _words(term)]
    found = []
    for allergy in allergies:
        substance = _words(allergy.substance)
        if not substance:
            continue
        for term in wanted:
            if term in substance or (len(substance) >= MIN_MATCH and substance in term):
                found.append(allergy)
                break
    return found


def give_rescue_dose(
    course,
    standing_order,
    *,
    session_number: int,
    dose_mg,
    reason: str,
    given_by,
    given_at=None,
    now=None,
):
    """Record a rescue dose given under ``standing_order``, within its limits.

    ``given_at`` is when it was given (default now). An earlier time is a late entry:
    allowed, kept beside ``entered_at`` and shown as late; the interval rule is checked
    against the doses on both sides of that time."""
    from ketaclinic.treatment.models import Course, CourseStatus, RescueDose

    require_role(given_by, GIVING_ROLES, "gives a rescue medication")
    now = now or timezone.now()
    given_at = given_at or now
    if timezone.is_naive(given_at):
        given_at = timezone.make_aware(given_at)
    if given_at > now + timedelta(minutes=1):
        raise TreatmentError(
            "This time is in the future: enter when it was given.", field="given_at"
        )
    if not standing_order.active:
        raise TreatmentError("This standing order is no longer in use.", field="standing_order")
    if not isinstance(session_number, int) or session_number < 1:
        raise TreatmentError("Choose the session number (1 or more).", field="session_number")
    try:
        dose = Decimal(str(dose_mg))
    except InvalidOperation:
        raise TreatmentError("The dose must be a number of mg.", field="dose_mg") from None
    if not dose.is_finite() or dose <= 0:
        raise TreatmentError("The dose must be more than 0 mg.", field="dose_mg")
    if dose > standing_order.max_single_mg:
        raise TreatmentError(
            f"{dose.normalize():f} mg is more than this standing order allows at once "
            f"({standing_order.max_single_mg.normalize():f} mg). Call the prescriber.",
            field="dose_mg",
        )
    text = " ".join((reason or "").split())
    if not text:
        raise TreatmentError("Say why it is given (symptom, blood pressure).", field="reason")
    conflicts = allergy_conflicts(course.patient.allergies.all(), standing_order.allergy_terms)
    if conflicts:
        allergy = conflicts[0]
        what = f" ({allergy.reaction})" if allergy.reaction else ""
        raise TreatmentError(
            f"Not given: the patient has a recorded allergy to “{allergy.substance}”{what}, "
            f"which matches {standing_order.drug.lower()}. Call the prescriber.",
            field="standing_order",
        )
    with transaction.atomic():
        locked = Course.objects.select_for_update().get(pk=course.pk)
        if locked.status != CourseStatus.ACTIVE:
            raise TreatmentError("This course has ended.")
        earlier = list(
            RescueDose.objects.filter(
                course=locked, session_number=session_number, standing_order=standing_order
            ).order_by("given_at")
        )
        total = sum((item.dose_mg for item in earlier), Decimal(0))
        if total + dose > standing_order.max_total_mg:
            raise TreatmentError(
                f"{total.normalize():f} mg was already given this session; another "
                f"{dose.normalize():f} mg would pass the "
                f"{standing_order.max_total_mg.normalize():f} mg this standing order allows. "
                "Call the prescriber.",
                field="dose_mg",
            )
        gap = timedelta(minutes=standing_order.min_interval_minutes)
        before = [item for item in earlier if item.given_at <= given_at]
        after = [item for item in earlier if item.given_at > given_at]
        if before and given_at - before[-1].given_at < gap:
            minutes = int((given_at - before[-1].given_at).total_seconds() // 60)
            raise TreatmentError(
                f"The last dose was {minutes} minutes before this one; this standing order needs "
                f"{standing_order.min_interval_minutes} minutes between doses.",
                field="dose_mg",
            )
        if after and after[0].given_at - given_at < gap:
            minutes = int((after[0].given_at - given_at).total_seconds() // 60)
            raise TreatmentError(
                f"A dose is already recorded {minutes} minutes after this time; this standing "
                f"order needs {standing_order.min_interval_minutes} minutes between doses.",
                field="dose_mg",
            )
        return RescueDose.objects.create(
            course=locked,
            session_number=session_number,
            standing_order=standing_order,
            dose_mg=dose,
            route=standing_order.route,
            reason=text[:500],
            given_by=given_by,
            given_at=given_at,
            entered_at=now,
        )
