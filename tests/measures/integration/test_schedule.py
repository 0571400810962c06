"""The schedule engine: due links by calendar, the event hook, emails without health details."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest

from ketaclinic.measures import tasks
from ketaclinic.measures.domain import assignments
from ketaclinic.measures.domain.errors import MeasuresError
from ketaclinic.measures.models import ResponseLink
from ketaclinic.notifications.models import OutboxMessage
from tests.measures.integration.conftest import T0
from tests.patients.factories import make_patient

pytestmark = pytest.mark.django_db

HEALTH_WORDS = ["phq", "gad", "depress", "anxi", "suicid", "mania", "patient health", "score"]


def test_once_sends_one_link_and_ends(patient):
    assignment = assignments.assign(patient, "phq-9", "once", now=T0)
    assert assignments.due_assignments(T0 - timedelta(minutes=1)) == 0
    assert assignments.due_assignments(T0) == 1
    assert assignments.due_assignments(T0 + timedelta(minutes=15)) == 0  # idempotent
    assignment.refresh_from_db()
    assert not assignment.active
    assert assignment.next_due_at is None
    link = ResponseLink.objects.get()
    assert link.assignment == assignment
    assert link.instrument_id == "phq-9"
    assert link.expires_at == T0 + timedelta(days=4)


def test_weekly_advances_without_a_burst_after_downtime(patient):
    assignment = assignments.assign(patient, "gad-7", "weekly", now=T0)
    assignments.due_assignments(T0)
    assignment.refresh_from_db()
    assert assignment.next_due_at == T0 + timedelta(days=7)
    assert assignments.due_assignments(T0 + timedelta(days=22)) == 1  # missed two weeks
    assignment.refresh_from_db()
    assert assignment.next_due_at == T0 + timedelta(days=28)
    assert ResponseLink.objects.count() == 2


def test_monthly(patient):
    assignment = assignments.assign(patient, "gad-7", "monthly", now=T0)
    assignments.due_assignments(T0)
    assignment.refresh_from_db()
    assert assignment.next_due_at == T0.replace(month=4)


def test_email_has_only_a_link(patient):
    assignments.assign(patient, "phq-9", "once", now=T0)
    tasks.run_schedule(T0)
    message = OutboxMessage.objects.get()
    assert message.to == "dana@example.com"
    assert message.kind == "measures_link"
    text = (message.subject + message.body).lower()
    assert "https://clinic.example/q/" in text
    # the random token may spell anything ("gad"): look at the words around the link
    text = re.sub(r"https://clinic\.example/q/\S+", "<link>", text)
    for word in [*HEALTH_WORDS, "dana", "quill"]:
        assert word not in text, word


def test_patient_without_email_is_skipped_and_stays_due(riverside):
    patient = make_patient(riverside, email="")
    assignment = assignments.assign(patient, "phq-9", "once", now=T0)
    assert assignments.due_assignments(T0) == 0
    assignment.refresh_from_db()
    assert assignment.active
    assert assignment.next_due_at == T0


def test_event_schedules_wait_for_the_hook(patient):
    before = assignments.assign(patient, "phq-9", "before_session", now=T0)
    later = assignments.assign(patient, "phq-9", "24h_after_first_session", now=T0)
    assert assignments.due_assignments(T0 + timedelta(days=30)) == 0
    discharge = T0 + timedelta(days=1)
    assert assignments.fire_event(patient, "first_session_discharge", discharge) == [later]
    later.refresh_from_db()
    assert later.next_due_at == discharge + timedelta(hours=24)
    assert assignments.due_assignments(discharge + timedelta(hours=24)) == 1
    later.refresh_from_db()
    assert not later.active
    assignments.fire_event(patient, "session_upcoming", discharge)
    assert assignments.due_assignments(discharge + timedelta(hours=25)) == 1
    before.refresh_from_db()
    assert before.active
    assert before.next_due_at is None
    with pytest.raises(ValueError, match="unknown measures event"):
        assignments.fire_event(patient, "no-such-event", discharge)


def test_clinician_scales_and_unknown_ids_cannot_be_assigned(patient):
    with pytest.raises(MeasuresError):
        assignments.assign(patient, "madrs", "once")
    with pytest.raises(MeasuresError):
        assignments.assign(patient, "nope", "once")
    with pytest.raises(MeasuresError):
        assignments.assign(patient, "phq-9", "hourly")


def test_scheduled_task_exists():
    from django_q.models import Schedule

    schedule = Schedule.objects.get(name="measures-links")
    assert schedule.func == "ketaclinic.measures.tasks.run_schedule"
    assert schedule.minutes == 15
