"""Team screens (administrators): included under /staff/team/ by backoffice.urls."""

from django.urls import path

from ketaclinic.backoffice import views_team

urlpatterns = [
    path("", views_team.team, name="team"),
    path("invite/", views_team.team_invite, name="team-invite"),
    path("<int:pk>/resend/", views_team.team_resend, name="team-resend"),
    path("<int:pk>/disable/", views_team.team_disable, name="team-disable"),
    path("<int:pk>/enable/", views_team.team_enable, name="team-enable"),
]
