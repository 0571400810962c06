"""The chart reads who charted each row with one query for the whole session."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from ketaclinic.sessions.domain import charting, queries
from tests.sessions.factories import NORMAL, dosing

pytestmark = pytest.mark.django_db


def test_each_row_carries_who_charted_it_without_more_queries(iv, nurse, prescriber):
    session, _order = iv
    start = timezone.now().replace(microsecond=0) - timedelta(hours=1)
    dosing(session, nurse, at=start)
    charting.record_vitals(
        session, actor=prescriber, values=NORMAL, occurred_at=start + timedelta(minutes=10)
    )
    charting.record_vitals(
        session,
        actor=nurse,
        values={**NORMAL, "systolic": 186, "diastolic": 104},
        occurred_at=start + timedelta(minutes=20),
    )
    charting.record_scale(session, actor=prescriber, scale="cadss", score=12)
    alert = session.alerts.get()
    charting.respond_to_alert(alert, actor=prescriber, response="Paused; rechecked in 10 min.")
    loaded = queries.session_queryset().get(pk=session.pk)
    now = start + timedelta(minutes=30)

    with CaptureQueriesContext(connection) as reading:
        chart = queries.chart(loaded, now=now)
    with CaptureQueriesContext(connection) as showing:
        charted_by = [item.by.email for item in chart.vitals + chart.scales]
        responders = [item.responded_by.email for item in chart.alerts]
        starters = [item.by.email for item in chart.administrations]

    assert len(reading) == 8
    assert len(showing) == 0
    assert charted_by[-3:] == [prescriber.email, nurse.email, prescriber.email]
    assert responders == [prescriber.email]
    assert set(starters) == {nurse.email}
