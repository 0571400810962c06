"""Fixtures for the safety tests: a Riverside patient, a rota, a frozen clock."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from ketaclinic.safety.domain import oncall
from tests.patients.factories import make_patient

# A fixed moment: every escalation test passes ``now=`` explicitly (frozen clock).
T0 = datetime(2025, 3, 4, 14, 0, tzinfo=UTC)


@pytest.fixture(autouse=True)
def _second_channel_in_tmp(settings, tmp_path):
    settings.SAFETY_SECOND_CHANNEL = "ketaclinic.safety.channels.FileChannel"
    settings.SAFETY_MESSAGES_FILE = tmp_path / "safety-messages.log"
    settings.SAFETY_ESCALATE_MINUTES = 15
    settings.SITE_URL = "https://clinic.example"


@pytest.fixture
def messages_file(settings):
    return settings.SAFETY_MESSAGES_FILE


@pytest.fixture
def patient(riverside, prescriber):
    return make_patient(
        riverside,
        legal_first_name="Dana",
        legal_last_name="Quill",
        primary_prescriber=prescriber,
    )


@pytest.fixture
def on_call(riverside, director, db):
    """A second Riverside prescriber on call around T0, with a phone."""
    from ketaclinic.accounts.roles import Role
    from tests.factories import UserFactory

    person = UserFactory(email="oncall@clinic.test", role=Role.PRESCRIBER, locations=[riverside])
    shift = oncall.add_shift(
        location=riverside,
        prescriber=person,
        starts_at=T0 - timedelta(hours=8),
        ends_at=T0 + timedelta(hours=16),
        phone="+12175550123",
        actor=director,
    )
    return shift
