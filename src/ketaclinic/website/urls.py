from django.urls import path

from ketaclinic.website import views
from ketaclinic.website.pages import PAGES

app_name = "website"

urlpatterns = [
    *[path(page.path, views.PageView.as_view(page=page), name=page.name) for page in PAGES],
    path("locations/", views.locations, name="locations"),
    path("get-in-touch/", views.get_in_touch, name="get-in-touch"),
    path("get-in-touch/thanks/<uuid:key>/", views.get_in_touch_thanks, name="get-in-touch-thanks"),
]
