from django.contrib import admin
from django.urls import include, path

admin.site.site_header = "Ketaclinic configuration"
admin.site.site_title = "Ketaclinic configuration"

urlpatterns = [
    path("staff/", include("ketaclinic.backoffice.urls")),
    path("accounts/", include("allauth.urls")),
    path("config/", admin.site.urls),
    path("", include("ketaclinic.website.urls")),
]
