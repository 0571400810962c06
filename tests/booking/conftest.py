"""Fixtures for the booking tests: Riverside open 08:00–18:00 every day, two chairs,
patients with and without email, the clinic policy at its documented defaults."""

from __future__ import annotations

import pytest

from tests.booking.factories import make_chair, open_every_day
from tests.patients.factories import make_patient


@pytest.fixture(autouse=True)
def _policy(settings):
    settings.BOOKING_SLOT_MINUTES = 15
    settings.BOOKING_SESSION_MINUTES = 150
    settings.BOOKING_VISIT_MINUTES = 60
    settings.BOOKING_ARRIVE_EARLY_MINUTES = 15
    settings.BOOKING_REMINDER_HOURS = 24
    settings.BOOKING_MAX_DAYS_AHEAD = 365


@pytest.fixture
def open_riverside(riverside):
    open_every_day(riverside)
    return riverside


@pytest.fixture
def chair(open_riverside):
    return make_chair(open_riverside, "Chair 1", order=1)


@pytest.fixture
def chair2(open_riverside):
    return make_chair(open_riverside, "Chair 2", order=2)


@pytest.fixture
def patient(riverside):
    return make_patient(
        riverside, legal_first_name="Robin", legal_last_name="Hart", email="robin@example.test"
    )


@pytest.fixture
def patient2(riverside):
    return make_patient(
        riverside, legal_first_name="Sam", legal_last_name="Lake", email="sam@example.test"
    )


@pytest.fixture
def no_email_patient(riverside):
    return make_patient(riverside, legal_first_name="Jo", legal_last_name="Quiet", email="")
