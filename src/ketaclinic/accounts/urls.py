"""URLs of the accounts app, included once at the site root (before allauth's)."""

from django.urls import path, re_path

from ketaclinic.accounts import views
from ketaclinic.accounts.domain.drafts import KEY_PATTERN

app_name = "accounts"

urlpatterns = [
    path("accounts/invitation/<str:token>/", views.invitation, name="invitation"),
    path("accounts/unlock/", views.unlock, name="unlock"),
    path("staff/session/", views.session_status, name="session-status"),
    path("staff/session/keep-alive/", views.keep_alive, name="keep-alive"),
    re_path(rf"^staff/drafts/(?P<key>{KEY_PATTERN})/$", views.save_draft, name="draft"),
]
