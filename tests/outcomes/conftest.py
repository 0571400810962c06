"""Fixtures for the outcomes app's database tests (the pure tests need none)."""

from __future__ import annotations

import pytest


@pytest.fixture
def _outcome_settings(settings, tmp_path):
    settings.SAFETY_SECOND_CHANNEL = "ketaclinic.safety.channels.FileChannel"
    settings.SAFETY_MESSAGES_FILE = tmp_path / "safety-messages.log"
    settings.SITE_URL = "https://clinic.example"
    settings.OUTCOMES_BASELINE_WINDOW_DAYS = 14
    settings.OUTCOMES_RELAPSE_CONSECUTIVE = 2
    settings.OUTCOMES_IDEATION_RESOLVED_CONSECUTIVE = 2
    settings.TIME_ZONE = "UTC"


@pytest.fixture
def protocols(db):
    from ketaclinic.treatment.domain.protocols import load_shipped_protocols

    return load_shipped_protocols()
