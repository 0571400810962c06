"""Rescue medications under standing orders, recorded and shown on the session page."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import pytest
from django.urls import reverse
from django.utils import timezone

from ketaclinic.sessions.domain import rescue
from ketaclinic.sessions.domain.errors import SessionError
from ketaclinic.treatment.models import RescueDose, StandingOrder
from tests.sessions.factories import dosing, iv_setup

pytestmark = pytest.mark.django_db


@pytest.fixture
def planned(riverside, prescriber, nurse):
    return iv_setup(riverside, prescriber, nurse)[0]


@pytest.fixture
def iv(planned, nurse):
    return dosing(planned, nurse, at=timezone.now() - timedelta(minutes=20))


def url(name, session):
    return reverse(f"backoffice:sessions-{name}", args=[session.pk])


def ondansetron():
    return StandingOrder.objects.get(slug="ondansetron-iv-nausea")


def test_a_nurse_gives_a_rescue_dose_from_the_session_page(client_for, nurse, iv):
    client = client_for(nurse)

    response = client.post(
        url("rescue", iv),
        {"standing_order": ondansetron().pk, "dose_mg": "4", "reason": "Nausea at 20 minutes"},
    )

    assert response.status_code == 302
    dose = RescueDose.objects.get()
    assert (dose.course, dose.session_number, dose.dose_mg) == (
        iv.course,
        iv.session_number,
        Decimal("4.000"),
    )
    page = client.get(url("session", iv)).content.decode()
    assert "Nausea at 20 minutes" in page
    assert "No rescue medication given this session." not in page


def test_a_dose_beyond_the_standing_order_is_refused_beside_the_field(client_for, nurse, iv):
    response = client_for(nurse).post(
        url("rescue", iv),
        {"standing_order": ondansetron().pk, "dose_mg": "400", "reason": "Nausea"},
    )

    page = response.content.decode()
    assert response.status_code == 400
    assert "more than this standing order allows at once" in page
    assert 'value="400"' in page
    assert not RescueDose.objects.exists()


def test_no_rescue_dose_before_check_in(nurse, planned):
    with pytest.raises(SessionError, match="check the patient in first"):
        rescue.give_rescue(
            planned, standing_order=ondansetron(), dose_mg="4", reason="Nausea", actor=nurse
        )


def test_a_rescue_dose_entered_later_keeps_both_times_and_is_marked_late(client_for, nurse, iv):
    given = timezone.localtime() - timedelta(minutes=15)
    client = client_for(nurse)

    response = client.post(
        url("rescue", iv),
        {
            "standing_order": ondansetron().pk,
            "dose_mg": "4",
            "reason": "Nausea",
            "occurred_time": given.strftime("%H:%M"),
        },
    )

    assert response.status_code == 302
    dose = RescueDose.objects.get()
    assert dose.given_at == given.replace(second=0, microsecond=0)
    assert dose.entered_at - dose.given_at >= timedelta(minutes=14)
    assert dose.is_late
    page = client.get(url("session", iv)).content.decode()
    assert f"late entry, entered {timezone.localtime(dose.entered_at):%H:%M}" in page


def test_a_dose_given_now_is_not_late(nurse, iv):
    dose = rescue.give_rescue(
        iv, standing_order=ondansetron(), dose_mg="4", reason="Nausea", actor=nurse
    )

    assert not dose.is_late
    assert dose.entered_at == dose.given_at


def test_a_rescue_time_in_the_future_is_refused_beside_the_time(nurse, iv):
    now = timezone.now()
    with pytest.raises(SessionError, match="in the future") as caught:
        rescue.give_rescue(
            iv,
            standing_order=ondansetron(),
            dose_mg="4",
            reason="Nausea",
            actor=nurse,
            occurred_at=now + timedelta(minutes=30),
            now=now,
        )
    assert caught.value.field == "occurred_at"


def test_a_late_dose_too_close_to_a_later_one_is_refused(nurse, iv):
    now = timezone.now()
    order = ondansetron()
    rescue.give_rescue(iv, standing_order=order, dose_mg="4", reason="Nausea", actor=nurse, now=now)
    gap = order.min_interval_minutes
    if gap < 2:
        pytest.skip("this standing order has no interval to test")

    with pytest.raises(SessionError, match=r"already recorded .* minutes after this time"):
        rescue.give_rescue(
            iv,
            standing_order=order,
            dose_mg="4",
            reason="Nausea, charted late",
            actor=nurse,
            occurred_at=now - timedelta(minutes=gap - 1),
            now=now,
        )
