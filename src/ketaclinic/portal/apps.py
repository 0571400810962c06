from django.apps import AppConfig


class PortalConfig(AppConfig):
    """The patients' audience app: questionnaires opened by their link (no models)."""

    name = "ketaclinic.portal"
    label = "portal"
    verbose_name = "Patient portal"
