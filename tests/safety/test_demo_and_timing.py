"""Demo safety data (idempotent) and how fast an alert reaches the inbox and the phone."""

from __future__ import annotations

import time
from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from ketaclinic.safety.demo import load_demo_safety
from ketaclinic.safety.domain import alerts as domain
from ketaclinic.safety.domain import delivery, oncall
from ketaclinic.safety.models import Alert, AlertNotification, Channel, OnCallShift, SafetyPlan
from tests.patients.factories import make_patient

pytestmark = pytest.mark.django_db


def test_demo_is_complete_and_idempotent(
    riverside, hillcrest, prescriber, other_prescriber, director, nurse
):
    make_patient(riverside, legal_first_name="One", primary_prescriber=prescriber)
    make_patient(hillcrest, legal_first_name="Two", primary_prescriber=other_prescriber)
    staff = {u.email: u for u in (prescriber, other_prescriber, director, nurse)}

    load_demo_safety(staff)
    counts = (
        OnCallShift.objects.count(),
        Alert.objects.count(),
        SafetyPlan.objects.count(),
        AlertNotification.objects.count(),
    )
    load_demo_safety(staff)

    assert counts == (
        OnCallShift.objects.count(),
        Alert.objects.count(),
        SafetyPlan.objects.count(),
        AlertNotification.objects.count(),
    )
    assert sorted(Alert.objects.values_list("tier", flat=True)) == ["same_day", "urgent"]
    assert SafetyPlan.objects.count() == 1
    now = timezone.now()
    for location in (riverside, hillcrest):
        for day in range(14):
            assert oncall.on_call_for(location, now + timedelta(days=day)), (location, day)


def test_time_from_flagged_answer_to_inbox_and_second_channel(
    client_for, riverside, prescriber, director, nurse, capsys
):
    patient = make_patient(riverside, primary_prescriber=prescriber)
    now = timezone.now()
    oncall.add_shift(
        location=riverside,
        prescriber=prescriber,
        starts_at=now - timedelta(hours=1),
        ends_at=now + timedelta(hours=8),
        phone="+12175550123",
        actor=director,
    )
    client = client_for(nurse)
    client.get(reverse("backoffice:safety-inbox"))  # warm up

    start = time.perf_counter()
    alert = domain.raise_alert(
        patient,
        kind="suicidal_ideation",
        tier="urgent",
        cause={"instrument": "phq9", "item": 9, "answer": 2},
        source_type="measures.response",
        source_id=1,
        dedup_key="timing",
    )
    raised = time.perf_counter()
    response = client.get(reverse("backoffice:safety-inbox"))
    shown = time.perf_counter()
    sms = AlertNotification.objects.get(alert=alert, channel=Channel.SMS)
    assert delivery.deliver_notification(sms.pk) == "sent"
    sent = time.perf_counter()

    assert [a["pk"] for a in response.context["alerts"]] == [alert.pk]
    with capsys.disabled():
        print(
            f"\nsafety timing: raise_alert {1000 * (raised - start):.1f} ms; "
            f"+ inbox page {1000 * (shown - raised):.1f} ms; "
            f"second-channel delivery {1000 * (sent - shown):.1f} ms"
        )
    assert sent - start < 2.0
