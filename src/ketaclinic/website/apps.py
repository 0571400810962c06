from django.apps import AppConfig


class WebsiteConfig(AppConfig):
    name = "ketaclinic.website"
    label = "website"
    verbose_name = "Public website"
