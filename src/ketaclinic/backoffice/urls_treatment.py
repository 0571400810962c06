"""Treatment screens: included under /staff/treatment/ by backoffice.urls."""

from django.urls import path

from ketaclinic.backoffice import views_treatment as views

urlpatterns = [
    path("patients/<int:pk>/", views.patient_treatment, name="treatment-patient"),
    path("patients/<int:pk>/start/", views.start_course, name="treatment-start"),
    path("patients/<int:pk>/rems/", views.rems_enrolment, name="treatment-rems"),
    path("courses/<int:pk>/", views.course_detail, name="treatment-course"),
    path("courses/<int:pk>/orders/new/", views.order_new, name="treatment-order-new"),
    path("courses/<int:pk>/rescue/", views.rescue_dose, name="treatment-rescue"),
    path("orders/<int:pk>/", views.order_detail, name="treatment-order"),
    path("orders/<int:pk>/prepare/", views.order_prepare, name="treatment-order-prepare"),
    path("orders/<int:pk>/check/", views.order_check, name="treatment-order-check"),
    path("orders/<int:pk>/cancel/", views.order_cancel, name="treatment-order-cancel"),
    path("protocols/", views.protocol_list, name="treatment-protocols"),
    path("protocols/new/", views.protocol_new, name="treatment-protocol-new"),
    path("protocols/<int:pk>/", views.protocol_detail, name="treatment-protocol"),
    path("protocols/<int:pk>/revise/", views.protocol_revise, name="treatment-protocol-revise"),
]
