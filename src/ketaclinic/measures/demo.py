"""Demo questionnaires: PHQ-9 and GAD-7 assigned weekly to three demo patients, with a
few answered questionnaires (two weeks apart, so the change from baseline shows). The
third patient's latest PHQ-9 has item 9 = 1, which raises a suicidal-ideation alert.

Built through the domain functions (in-clinic links, so no demo emails are queued).
Idempotent: a patient who already has answers or assignments is left alone."""

from __future__ import annotations

from datetime import timedelta

from django.db import transaction
from django.utils import timezone

from ketaclinic.accounts.roles import Role
from ketaclinic.measures.domain import assignments, links, responses
from ketaclinic.measures.models import Assignment, Channel, Response
from ketaclinic.patients.models import Patient


def _phq9(level: int, item9: int = 0) -> dict:
    answers = {str(i): level for i in range(1, 9)}
    answers["9"] = item9
    return answers


def _gad7(level: int) -> dict:
    return {str(i): level for i in range(1, 8)}


# per patient: [(days ago, instrument, answers)]
PLANS = [
    [(21, "phq-9", _phq9(2)), (7, "phq-9", _phq9(1)), (7, "gad-7", _gad7(2))],
    [(14, "phq-9", _phq9(3)), (14, "gad-7", _gad7(3)), (1, "gad-7", _gad7(1))],
    [(28, "phq-9", _phq9(2)), (2, "phq-9", _phq9(2, item9=1))],
]


def load_demo_measures(staff: dict) -> None:
    clinician = next((u for u in staff.values() if u.has_role(Role.NURSE, Role.PRESCRIBER)), None)
    now = timezone.now()
    for patient, plan in zip(Patient.objects.order_by("pk")[:3], PLANS, strict=False):
        with transaction.atomic():
            if not Assignment.objects.filter(patient=patient).exists():
                for instrument_id in ("phq-9", "gad-7"):
                    assignments.assign(
                        patient, instrument_id, "weekly", created_by=clinician, now=now
                    )
            if Response.objects.filter(patient=patient).exists():
                continue
            for days_ago, instrument_id, answers in plan:
                at = now - timedelta(days=days_ago)
                link, _token = links.create_link(
                    patient, instrument_id, channel=Channel.IN_CLINIC, created_by=clinician, now=at
                )
                responses.submit(link, answers, now=at)
