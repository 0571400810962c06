"""Chairs, clinic hours and closed days are configuration, kept in the admin."""

from __future__ import annotations

from datetime import time

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse

from ketaclinic.booking.models import ClinicHours
from tests.factories import login_with_mfa

pytestmark = pytest.mark.django_db


def test_hours_that_close_before_they_open_get_one_clear_message(riverside):
    hours = ClinicHours(location=riverside, weekday=0, opens_at=time(18), closes_at=time(8))

    with pytest.raises(ValidationError) as refused:
        hours.full_clean()

    assert refused.value.message_dict == {"closes_at": ["Closing time must be after opening time."]}


def test_an_open_day_needs_both_times(riverside):
    with pytest.raises(ValidationError) as refused:
        ClinicHours(location=riverside, weekday=0, opens_at=time(8)).full_clean()

    assert refused.value.messages == [
        "Give the opening and closing times (closing after opening), or mark the day closed."
    ]


def test_a_closed_day_needs_no_times(riverside):
    ClinicHours(location=riverside, weekday=6, is_closed=True).full_clean()


def test_the_admin_edits_hours_chairs_and_closed_days(client, django_user_model, riverside):
    root = django_user_model.objects.create_superuser(email="root@clinic.test", password="x" * 16)
    login_with_mfa(client, root)

    response = client.post(
        reverse("admin:booking_clinichours_add"),
        {"location": riverside.pk, "weekday": 0, "opens_at": "18:00", "closes_at": "08:00"},
    )
    assert response.status_code == 200
    assert "Closing time must be after opening time." in response.content.decode()

    response = client.post(
        reverse("admin:booking_clinichours_add"),
        {"location": riverside.pk, "weekday": 0, "opens_at": "08:00", "closes_at": "18:00"},
    )
    assert response.status_code == 302
    for name in ("chair", "closedday", "clinichours"):
        assert client.get(reverse(f"admin:booking_{name}_changelist")).status_code == 200
