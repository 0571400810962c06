"""Fixtures for measures tests: a Riverside patient with an email, a frozen clock."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from tests.patients.factories import make_patient

T0 = datetime(2025, 3, 4, 14, 0, tzinfo=UTC)

PHQ9_ZERO = {str(i): 0 for i in range(1, 10)}


def phq9(item9: int = 0, base: int = 1) -> dict:
    answers = {str(i): base for i in range(1, 9)}
    answers["9"] = item9
    return answers


@pytest.fixture(autouse=True)
def _measures_settings(settings, tmp_path):
    settings.SAFETY_SECOND_CHANNEL = "ketaclinic.safety.channels.FileChannel"
    settings.SAFETY_MESSAGES_FILE = tmp_path / "safety-messages.log"
    settings.SITE_URL = "https://clinic.example"
    settings.MEASURES_LINK_DAYS = 4
    settings.MEASURES_REMINDER_DAYS = 2


@pytest.fixture
def patient(riverside, prescriber):
    return make_patient(
        riverside,
        legal_first_name="Dana",
        legal_last_name="Quill",
        email="dana@example.com",
        primary_prescriber=prescriber,
    )
