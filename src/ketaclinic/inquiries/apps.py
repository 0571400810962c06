from django.apps import AppConfig


class InquiriesConfig(AppConfig):
    name = "ketaclinic.inquiries"
    label = "inquiries"
    verbose_name = "Inquiries"
