"""Questionnaires of one patient: included under /staff/patients/<pk>/measures/."""

from django.urls import path

from ketaclinic.backoffice import views_measures

urlpatterns = [
    path("", views_measures.measures, name="measures"),
    path("assign/", views_measures.assign, name="measures-assign"),
    path("send/", views_measures.send_now, name="measures-send"),
    path("in-clinic/", views_measures.in_clinic, name="measures-in-clinic"),
    path(
        "assignments/<int:assignment_pk>/stop/",
        views_measures.stop_assignment,
        name="measures-stop",
    ),
    path("enter/<slug:instrument_id>/", views_measures.enter, name="measures-enter"),
]
