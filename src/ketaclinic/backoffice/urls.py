from django.urls import include, path

from ketaclinic.backoffice import views, views_emergency

app_name = "backoffice"

urlpatterns = [
    path("", views.home, name="home"),
    path("inquiries/", views.inbox, name="inbox"),
    path("inquiries/<int:pk>/", views.inquiry_detail, name="inquiry"),
    path("inquiries/<int:pk>/move/", views.inquiry_move, name="inquiry-move"),
    path("inquiries/<int:pk>/assign/", views.inquiry_assign, name="inquiry-assign"),
    path("inquiries/<int:pk>/notes/", views.inquiry_note, name="inquiry-note"),
    path("delivery-problems/", views.delivery_problems, name="delivery-problems"),
    path("delivery-problems/<int:pk>/retry/", views.delivery_retry, name="delivery-retry"),
    path("team/", include("ketaclinic.backoffice.urls_team")),
    path(
        "emergency-access/<str:kind>/<int:pk>/",
        views_emergency.emergency_request,
        name="emergency-request",
    ),
    path("emergency-access/", views_emergency.emergency_queue, name="emergency-queue"),
    path(
        "emergency-access/<int:pk>/review/",
        views_emergency.emergency_review,
        name="emergency-review",
    ),
    path("audit/", include("ketaclinic.backoffice.urls_audit")),
    path("patients/", include("ketaclinic.backoffice.urls_patients")),
    path("patients/<int:pk>/screening/", include("ketaclinic.backoffice.urls_screening")),
    path("alerts/", include("ketaclinic.backoffice.urls_safety")),
    path("calendar/", include("ketaclinic.backoffice.urls_booking")),
    path("patients/<int:pk>/measures/", include("ketaclinic.backoffice.urls_measures")),
    path("treatment/", include("ketaclinic.backoffice.urls_treatment")),
    path("sessions/", include("ketaclinic.backoffice.urls_sessions")),
    path("inventory/", include("ketaclinic.backoffice.urls_inventory")),
    path("fhir/", include("ketaclinic.backoffice.urls_interop")),
    path("outcomes/", include("ketaclinic.backoffice.urls_outcomes")),
]
