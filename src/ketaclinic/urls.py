from django.contrib import admin
from django.urls import include, path

from ketaclinic.accounts.views import email_management_closed

admin.site.site_header = "Ketaclinic configuration"
admin.site.site_title = "Ketaclinic configuration"

urlpatterns = [
    # invitation, unlock, session keep-alive, form drafts (before allauth's URLs)
    path("", include("ketaclinic.accounts.urls")),
    path("staff/", include("ketaclinic.backoffice.urls")),
    # staff emails are changed by administrators: allauth's own page is shadowed
    path("accounts/email/", email_management_closed, name="email-closed"),
    path("accounts/", include("allauth.urls")),
    path("config/", admin.site.urls),
    path("q/", include("ketaclinic.portal.urls")),
    path("", include("ketaclinic.website.urls")),
]
