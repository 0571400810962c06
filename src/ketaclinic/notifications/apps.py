from django.apps import AppConfig


class NotificationsConfig(AppConfig):
    name = "ketaclinic.notifications"
    label = "notifications"
    verbose_name = "Notifications outbox"
