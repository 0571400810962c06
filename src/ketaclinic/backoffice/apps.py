from django.apps import AppConfig


class BackofficeConfig(AppConfig):
    name = "ketaclinic.backoffice"
    label = "backoffice"
    verbose_name = "Staff screens"
