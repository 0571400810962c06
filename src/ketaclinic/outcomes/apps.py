from django.apps import AppConfig


class OutcomesConfig(AppConfig):
    """Outcomes (issue 9): per-patient summaries kept current by the domain functions
    that record a score or a session, adjustment decisions, the clinic dashboard and the
    exports. The pure modules (``metrics``, ``cohort``, ``suggestions``, ``plots``) import
    nothing from Django; this app stores and serves what they compute."""

    name = "ketaclinic.outcomes"
    label = "outcomes"
    verbose_name = "Outcomes"

    def ready(self) -> None:
        from ketaclinic.outcomes.domain.exports import register_section
        from ketaclinic.outcomes.domain.fhir_sessions import session_entries

        # doses and vital signs in the patient's FHIR Bundle (read from the sessions app)
        register_section(session_entries)
