"""Safety alerts, the on-call rota and safety plans: included under /staff/alerts/."""

from django.urls import path

from ketaclinic.backoffice import views_safety

urlpatterns = [
    path("", views_safety.alert_inbox, name="safety-inbox"),
    path("badge/", views_safety.alert_badge, name="safety-badge"),
    path("<int:pk>/", views_safety.alert_detail, name="safety-alert"),
    path("<int:pk>/acknowledge/", views_safety.alert_acknowledge, name="safety-acknowledge"),
    path("<int:pk>/close/", views_safety.alert_close, name="safety-close"),
    path("<int:pk>/follow-up/", views_safety.follow_up_done, name="safety-follow-up"),
    path("on-call/", views_safety.on_call_rota, name="safety-oncall"),
    path("on-call/<int:pk>/remove/", views_safety.on_call_remove, name="safety-oncall-remove"),
    path("safety-plan/<int:pk>/", views_safety.safety_plan_edit, name="safety-plan"),
]
