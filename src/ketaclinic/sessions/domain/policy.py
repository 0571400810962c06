"""The clinic-policy values in force, read from settings, and the session's
monitoring rule read from its protocol version."""

from __future__ import annotations

from datetime import timedelta

from django.conf import settings

from ketaclinic.sessions.schedule import MonitoringRule
from ketaclinic.sessions.thresholds import Thresholds


def thresholds() -> Thresholds:
    return Thresholds.from_mapping(settings.SESSION_THRESHOLDS)


def grace() -> timedelta:
    return timedelta(minutes=settings.SESSION_CHECK_GRACE_MINUTES)


def late_after() -> timedelta:
    return timedelta(minutes=settings.SESSION_LATE_ENTRY_MINUTES)


def monitoring_rule(session) -> MonitoringRule:
    """The protocol version's monitoring section as a ``MonitoringRule``.

    IV: observation from the end of the infusion, for the longer of the protocol's
    minimum and ``SESSION_IV_OBSERVATION_MINUTES``. Esketamine: from the first device,
    never overridable (the protocol schema already insists on at least 120 minutes).
    """
    definition = session.course.protocol_version.parsed
    monitoring = definition.monitoring
    vitals = monitoring.vital_signs
    esketamine = definition.drug == "esketamine"
    offsets = set(vitals.at_minutes)
    if vitals.before_dose:
        offsets.add(0)
    minimum = monitoring.minimum_observation_minutes
    if not esketamine:
        minimum = max(minimum, settings.SESSION_IV_OBSERVATION_MINUTES)
    return MonitoringRule(
        offsets_minutes=tuple(sorted(offsets)),
        during_every_minutes=None if esketamine else vitals.during_every_minutes,
        after_every_minutes=vitals.after_every_minutes,
        minimum_observation_minutes=minimum,
        observe_from="dose_start"
        if monitoring.observation_from == "first_device"
        else "infusion_end",
        check_at_observation_end=vitals.before_discharge,
        overridable=False if esketamine else monitoring.overridable,
        source=monitoring.source,
    )
