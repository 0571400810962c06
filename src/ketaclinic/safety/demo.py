"""Demo safety data: an on-call rota for every location for the next 14 days, one open
urgent and one same-day alert, and a safety plan. Built through the domain functions;
idempotent (existing shifts, alerts — by dedup key — and plans are left alone)."""

from __future__ import annotations

from datetime import datetime, time, timedelta

from django.db import transaction
from django.utils import timezone

from ketaclinic.accounts.roles import Role
from ketaclinic.clinic.models import Location
from ketaclinic.patients.models import Patient
from ketaclinic.safety.domain import oncall, plans
from ketaclinic.safety.domain.alerts import raise_alert
from ketaclinic.safety.models import Kind, OnCallShift, Tier

ROTA_DAYS = 14
SHIFT_START = time(8, 0)  # shifts run 08:00 to 08:00 the next day
DEMO_PHONES = ["+12175550140", "+12175550141", "+12175550142", "+12175550143"]


def _on_call_people(location, staff: dict) -> list:
    people = [
        user
        for user in staff.values()
        if user.has_role(Role.PRESCRIBER) and location.pk in user.location_ids
    ]
    return people or [u for u in staff.values() if u.has_role(Role.MEDICAL_DIRECTOR)]


def _rota(staff: dict, director) -> None:
    today = timezone.localdate()
    tz = timezone.get_current_timezone()
    for index, location in enumerate(Location.objects.filter(is_active=True).order_by("pk")):
        people = _on_call_people(location, staff)
        if not people:
            continue
        start_day = today - timedelta(days=1)  # covers "now" even before 08:00
        for offset in range(ROTA_DAYS + 1):
            starts = datetime.combine(start_day + timedelta(days=offset), SHIFT_START, tzinfo=tz)
            ends = starts + timedelta(days=1)
            if OnCallShift.objects.filter(
                location=location, starts_at__lt=ends, ends_at__gt=starts
            ).exists():
                continue
            person = people[offset % len(people)]
            oncall.add_shift(
                location=location,
                prescriber=person,
                starts_at=starts,
                ends_at=ends,
                phone=DEMO_PHONES[(index + offset % len(people)) % len(DEMO_PHONES)],
                actor=director,
            )


def load_demo_safety(staff: dict) -> None:
    director = next((u for u in staff.values() if u.has_role(Role.MEDICAL_DIRECTOR)), None)
    if director is None:
        return
    with transaction.atomic():
        _rota(staff, director)
        patients = list(Patient.objects.order_by("pk")[:2])
        if not patients:
            return
        urgent_patient = patients[0]
        raise_alert(
            urgent_patient,
            kind=Kind.SUICIDAL_IDEATION,
            tier=Tier.URGENT,
            cause={"instrument": "phq-9", "item": "9", "answer": 2, "previous": 0},
            source_type="demo",
            source_id="urgent",
            dedup_key=f"demo:urgent:{urgent_patient.pk}",
        )
        same_day_patient = patients[-1]
        raise_alert(
            same_day_patient,
            kind=Kind.SUICIDAL_IDEATION,
            tier=Tier.SAME_DAY,
            cause={"instrument": "phq-9", "item": "9", "answer": 1, "previous": 1},
            source_type="demo",
            source_id="same_day",
            dedup_key=f"demo:same_day:{same_day_patient.pk}",
        )
        if plans.plan_for(urgent_patient) is None:
            plans.save_safety_plan(
                urgent_patient,
                actor=director,
                expected_version=0,
                warning_signs="Not sleeping; pulling away from friends; thinking 'I'm a burden'.",
                coping_steps="Walk the dog; call my sister; guided breathing app.",
                contacts="Sister (Anna) 555-0100; clinic during hours; call or text 988.",
                means_safety="Partner keeps the medications; no firearms at home.",
            )
