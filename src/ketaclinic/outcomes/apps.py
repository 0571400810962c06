from django.apps import AppConfig


class OutcomesConfig(AppConfig):
    """Outcomes (issue 9): per-patient summaries kept current by the domain functions
    that record a score or a session, adjustment decisions, the clinic dashboard and the
    exports. The pure modules (``metrics``, ``cohort``, ``suggestions``, ``plots``) import
    nothing from Django; this app stores and serves what they compute."""

    name = "ketaclinic.outcomes"
    label = "outcomes"
    verbose_name = "Outcomes"
