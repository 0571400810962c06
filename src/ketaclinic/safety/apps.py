from django.apps import AppConfig


class SafetyConfig(AppConfig):
    name = "ketaclinic.safety"
    label = "safety"
    verbose_name = "Safety alerts, on-call rota and safety plans"
