"""Discharged sessions for the outcomes tests, made through the sessions domain
(read-only use of the sessions app: we never write its rows ourselves)."""

from __future__ import annotations

from datetime import datetime, timedelta

from ketaclinic.sessions.domain import charting, discharge
from tests.sessions.factories import NORMAL, dosing, iv_setup

ANSWERS = {"alert_and_oriented": True, "escort_present": True, "suicidal_ideation_rechecked": True}


def discharged_iv(
    location,
    prescriber,
    nurse,
    *,
    name: str,
    end: datetime,
    events: tuple[str, ...] = (),
    low_spo2: bool = False,
):
    """A first IV session at ``location`` discharged at ``end``: started 110 minutes
    before, 52.5 mg/h for 40 minutes (35 mg), with an adverse event of each severity in
    ``events`` and, with ``low_spo2``, one in-session alert (SpO2 89 %, answered)."""
    session, _order = iv_setup(location, prescriber, nurse, last_name=name)
    start = end - timedelta(minutes=110)
    dosing(session, nurse, at=start, rate="52.5")
    if low_spo2:
        charting.record_vitals(
            session,
            actor=nurse,
            values={**NORMAL, "spo2": 89},
            occurred_at=start + timedelta(minutes=10),
            now=start + timedelta(minutes=10),
        )
        for alert in session.alerts.all():
            charting.respond_to_alert(
                alert, actor=nurse, response="Oxygen given; SpO2 back to 97 %.", now=start
            )
    for severity in events:
        charting.record_adverse_event(
            session,
            actor=nurse,
            type="nausea",
            severity=severity,
            occurred_at=start + timedelta(minutes=20),
            now=start + timedelta(minutes=20),
        )
    stop = start + timedelta(minutes=40)
    charting.record_administration(session, actor=nurse, kind="stop", occurred_at=stop, now=stop)
    charting.record_vitals(session, actor=nurse, values=NORMAL, occurred_at=end, now=end)
    discharge.discharge_session(session, actor=nurse, now=end, **ANSWERS)
    return session
