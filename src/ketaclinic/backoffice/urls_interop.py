"""FHIR exports: included under /staff/fhir/."""

from django.urls import path

from ketaclinic.backoffice import views_interop

urlpatterns = [
    path(
        "questionnaires/<slug:instrument_id>/",
        views_interop.questionnaire,
        name="fhir-questionnaire",
    ),
    path(
        "patients/<int:pk>/responses/",
        views_interop.patient_responses,
        name="fhir-patient-responses",
    ),
    path(
        "patients/<int:pk>/responses/<int:response_pk>/",
        views_interop.response,
        name="fhir-response",
    ),
]
