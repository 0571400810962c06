from django.apps import AppConfig


class TreatmentConfig(AppConfig):
    """Protocols (as data, versioned), the product list, courses, dose orders with a
    second check, and rescue doses under standing orders. Dose arithmetic is the pure
    ``treatment.dosing``; the protocol schema is the pure ``treatment.protocols``."""

    name = "ketaclinic.treatment"
    label = "treatment"
    verbose_name = "Treatment"
