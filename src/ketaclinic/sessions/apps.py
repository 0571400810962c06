from django.apps import AppConfig


class SessionsConfig(AppConfig):
    """A treatment session from check-in to discharge: readiness, check-in, the chart
    (vital signs, administrations, scales, adverse events, in-session alerts), pre-dose
    decisions, discharge, the signed note and the Spravato REMS form.

    The clinical arithmetic lives in the pure modules beside this app (``thresholds``,
    ``schedule``, ``discharge``, ``doses``, ``rems``, ``charts``); ``domain/`` is the one
    way to write."""

    name = "ketaclinic.sessions"
    # "sessions" is django.contrib.sessions' label; permissions are still "sessions.*".
    label = "treatment_sessions"
    verbose_name = "Sessions"
