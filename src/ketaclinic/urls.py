from django.conf import settings
from django.contrib import admin
from django.http import HttpRequest, HttpResponse
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

if settings.BENCH_MODE:  # never in production (settings refuse it there)

    def bench_bare(request: HttpRequest) -> HttpResponse:
        """The benchmark's ceiling: the middleware stack and nothing else."""
        return HttpResponse(b"ok", content_type="text/plain")

    urlpatterns.insert(0, path("bench/bare/", bench_bare, name="bench-bare"))
