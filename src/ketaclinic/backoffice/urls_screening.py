"""Screening of one patient: included under /staff/patients/<pk>/screening/."""

from django.urls import path

from ketaclinic.backoffice import views_screening

urlpatterns = [
    path("", views_screening.screening, name="screening"),
    path("sign/", views_screening.sign_decision, name="screening-sign"),
    path("clearances/", views_screening.record_clearance, name="screening-clearance"),
    path("consent/", views_screening.record_consent, name="screening-consent"),
    path("consent/withdraw/", views_screening.withdraw_consent, name="screening-consent-withdraw"),
]
