"""Session screens: included under /staff/sessions/ by backoffice.urls."""

from django.urls import path

from ketaclinic.backoffice import views_sessions as views

urlpatterns = [
    path("course/<int:pk>/", views.course_sessions, name="sessions-course"),
    path("course/<int:pk>/plan/", views.plan, name="sessions-plan"),
    path("rems.csv", views.rems_all_csv, name="sessions-rems-all"),
    path("<int:pk>/", views.session_page, name="sessions-session"),
    path("<int:pk>/chart.svg", views.chart_svg, name="sessions-chart"),
    path("<int:pk>/check-in/", views.check_in, name="sessions-check-in"),
    path("<int:pk>/readiness/", views.readiness, name="sessions-readiness"),
    path("<int:pk>/cancel/", views.cancel, name="sessions-cancel"),
    path("<int:pk>/decide/", views.decide, name="sessions-decide"),
    path("<int:pk>/vitals/", views.vitals, name="sessions-vitals"),
    path("<int:pk>/administration/", views.administration, name="sessions-administration"),
    path("<int:pk>/draw/", views.draw, name="sessions-draw"),
    path("<int:pk>/paper-chart/", views.paper_chart, name="sessions-paper-chart"),
    path("<int:pk>/rescue/", views.rescue, name="sessions-rescue"),
    path("<int:pk>/scale/", views.scale, name="sessions-scale"),
    path("<int:pk>/event/", views.event, name="sessions-event"),
    path("<int:pk>/alerts/<int:alert>/respond/", views.respond, name="sessions-respond"),
    path("<int:pk>/discharge/", views.discharge, name="sessions-discharge"),
    path("<int:pk>/note/", views.note, name="sessions-note"),
    path("<int:pk>/note/sign/", views.sign, name="sessions-sign"),
    path("<int:pk>/note/amend/", views.amend, name="sessions-amend"),
    path("<int:pk>/rems/", views.rems_page, name="sessions-rems"),
    path("<int:pk>/rems.csv", views.rems_csv, name="sessions-rems-csv"),
]
