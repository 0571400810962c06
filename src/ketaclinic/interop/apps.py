from django.apps import AppConfig


class InteropConfig(AppConfig):
    """Exports other systems can read: FHIR R4B (questionnaires, answered
    questionnaires with their scores). No models: it reads the other apps' records."""

    name = "ketaclinic.interop"
    label = "interop"
    verbose_name = "Interoperability"
