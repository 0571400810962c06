"""The demo's outcomes include rapid relief: early scores answered through the
discharge and 24-hour measures schedules."""

import pytest
from django.core.management import call_command

from ketaclinic.outcomes.models import OutcomeSummary

pytestmark = pytest.mark.django_db


def test_the_demo_shows_rapid_relief_for_five_patients(capsys):
    call_command("load_demo")

    early = OutcomeSummary.objects.filter(
        instrument_id="phq-9", discharge_score__isnull=False, day1_score__isnull=False
    )
    assert early.count() == 5
    assert set(early.values_list("discharge_responded", flat=True)) == {True, False}
