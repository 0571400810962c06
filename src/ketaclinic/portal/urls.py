from django.urls import path

from ketaclinic.portal import views

app_name = "portal"

urlpatterns = [
    # a signed-in patient's own pages (before the token pattern: "me" is no token)
    path("me/", views.home, name="home"),
    path("me/results/", views.results, name="results"),
    path("me/start/<int:assignment_id>/", views.start, name="start"),
    path("me/progress/", views.progress, name="progress"),
    path("me/progress/<slug:instrument_id>.svg", views.progress_figure, name="progress-figure"),
    path("<str:token>/", views.questionnaire, name="questionnaire"),
]
