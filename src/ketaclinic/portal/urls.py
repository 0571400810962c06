from django.urls import path

from ketaclinic.portal import views

app_name = "portal"

urlpatterns = [
    path("<str:token>/", views.questionnaire, name="questionnaire"),
]
