"""Outcomes: the clinic dashboard and each patient's outcome page, under /staff/outcomes/."""

from django.urls import path

from ketaclinic.backoffice import views_outcomes

urlpatterns = [
    path("", views_outcomes.dashboard, name="outcomes-dashboard"),
    path("durability.svg", views_outcomes.dashboard_km, name="outcomes-km"),
    path("waterfall.svg", views_outcomes.dashboard_waterfall, name="outcomes-waterfall"),
    path("research.csv", views_outcomes.research_export, name="outcomes-research"),
    path("patients/<int:pk>/", views_outcomes.patient_page, name="outcomes-patient"),
    path(
        "patients/<int:pk>/figures/<slug:instrument_id>.svg",
        views_outcomes.patient_figure,
        name="outcomes-figure",
    ),
    path("patients/<int:pk>/decide/", views_outcomes.patient_decide, name="outcomes-decide"),
    path("patients/<int:pk>/fhir/", views_outcomes.patient_fhir, name="outcomes-fhir"),
    path("patients/<int:pk>/report.pdf", views_outcomes.patient_report, name="outcomes-report"),
]
