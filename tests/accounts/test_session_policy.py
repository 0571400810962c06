"""Automatic log-off, absolute lifetime, charting time-out, no-store, ending sessions
(HIPAA 164.312(a)(2)(iii); ONC 170.315(d)(5))."""

from __future__ import annotations

import time

import pytest
from django.contrib.sessions.models import Session
from django.http import HttpResponse
from django.test import Client, override_settings
from django.urls import include, path, reverse

from ketaclinic.accounts import session_policy
from ketaclinic.accounts.models import TrackedSession
from ketaclinic.accounts.session_policy import charting_timeout
from tests.accounts.signin import PASSWORD, age_session, sign_in
from tests.factories import login_with_mfa, totp_code

pytestmark = pytest.mark.django_db

INBOX = reverse("backoffice:inbox")
UNLOCK = reverse("accounts:unlock")
STATUS = reverse("accounts:session-status")
KEEP_ALIVE = reverse("accounts:keep-alive")


@charting_timeout
def charting_page(request):
    return HttpResponse("infusion in progress")


def ordinary_page(request):
    return HttpResponse("ordinary")


# A URLconf for these tests only: two tiny staff pages plus the real site.
urlpatterns = [
    path("staff/test-charting/", charting_page),
    path("staff/test-ordinary/", ordinary_page),
    path("", include("ketaclinic.urls")),
]


# --- idle lock ----------------------------------------------------------------------


def test_activity_within_the_time_out_keeps_the_session_open(client_for, frontdesk):
    client = client_for(frontdesk)
    age_session(client, idle_minutes=14)

    response = client.get(INBOX)

    assert response.status_code == 200


def test_idle_session_is_locked_and_asks_only_for_the_password(client_for, frontdesk):
    client = client_for(frontdesk)
    age_session(client, idle_minutes=16)

    response = client.get(INBOX)
    unlock_page = client.get(response["Location"])

    assert response["Location"] == f"{UNLOCK}?next=%2Fstaff%2Finquiries%2F"
    assert list(unlock_page.context["form"].fields) == ["password"]
    assert client.session[session_policy.LOCKED] is True


def test_unlocking_with_the_password_returns_to_the_page_without_totp(client_for, frontdesk):
    client = client_for(frontdesk)
    age_session(client, idle_minutes=16)
    client.get(INBOX)
    key_while_locked = client.session.session_key

    response = client.post(UNLOCK, {"password": PASSWORD, "next": INBOX})

    assert response["Location"] == INBOX
    assert client.get(INBOX).status_code == 200
    assert client.session.session_key != key_while_locked


def test_wrong_password_keeps_the_session_locked(client_for, frontdesk):
    client = client_for(frontdesk)
    age_session(client, idle_minutes=16)

    response = client.post(UNLOCK, {"password": "not-my-password", "next": INBOX})

    assert response.status_code == 400
    assert client.get(INBOX)["Location"].startswith(UNLOCK)


@override_settings(STAFF_UNLOCK_MAX_ATTEMPTS=3)
def test_too_many_wrong_unlock_passwords_end_the_session(client_for, frontdesk):
    client = client_for(frontdesk)
    age_session(client, idle_minutes=16)

    for _ in range(3):
        response = client.post(UNLOCK, {"password": "not-my-password"})

    assert response["Location"].startswith(reverse("account_login"))
    assert "_auth_user_id" not in client.session


@pytest.mark.parametrize(
    "target", ["https://evil.example/", "//evil.example/", "admin:index", "x>"]
)
def test_unlock_refuses_a_next_that_is_not_a_path_on_this_site(client_for, frontdesk, target):
    client = client_for(frontdesk)
    age_session(client, idle_minutes=16)
    client.get(INBOX)

    response = client.post(UNLOCK, {"password": PASSWORD, "next": target})

    assert response["Location"] == reverse("backoffice:home")


@pytest.mark.parametrize("path", ["/", "/faq/"])
def test_locked_session_can_still_see_public_pages(client_for, frontdesk, path):
    client = client_for(frontdesk)
    age_session(client, idle_minutes=16)

    assert client.get(path).status_code == 200


def test_locked_session_can_sign_out(client_for, frontdesk):
    client = client_for(frontdesk)
    age_session(client, idle_minutes=16)

    client.post(reverse("account_logout"))

    assert "_auth_user_id" not in client.session


def test_locked_session_answers_htmx_with_a_redirect_header(client_for, frontdesk):
    client = client_for(frontdesk)
    age_session(client, idle_minutes=16)

    response = client.get(INBOX, headers={"HX-Request": "true"})

    assert response["HX-Redirect"].startswith(UNLOCK)


def test_locked_session_answers_json_with_401(client_for, frontdesk):
    client = client_for(frontdesk)
    age_session(client, idle_minutes=16)

    response = client.post(KEEP_ALIVE, headers={"Accept": "application/json"})

    assert response.status_code == 401
    assert response.json()["locked"] is True


# --- absolute lifetime --------------------------------------------------------------


def test_absolute_lifetime_ends_the_session(client_for, frontdesk):
    client = client_for(frontdesk)
    age_session(client, signed_in_hours=12)

    response = client.get(INBOX)

    assert response["Location"].startswith(reverse("account_login"))
    assert "_auth_user_id" not in client.session


def test_after_the_absolute_lifetime_totp_is_needed_again(client, frontdesk):
    sign_in(client, frontdesk)
    age_session(client, signed_in_hours=12)
    client.get(INBOX)

    response = client.post(
        reverse("account_login"), {"login": frontdesk.email, "password": PASSWORD}
    )

    assert response["Location"] == reverse("mfa_authenticate")


# --- charting time-out -----------------------------------------------------------------


@override_settings(ROOT_URLCONF=__name__)
def test_charting_page_gets_the_longer_idle_time_out(client_for, nurse):
    client = client_for(nurse)
    client.get("/staff/test-charting/")
    age_session(client, idle_minutes=45)

    response = client.get("/staff/test-charting/")

    assert response.content == b"infusion in progress"
    assert client.session[session_policy.IDLE_TIMEOUT] == 60 * 60


@override_settings(ROOT_URLCONF=__name__)
def test_charting_time_out_also_ends(client_for, nurse):
    client = client_for(nurse)
    client.get("/staff/test-charting/")
    age_session(client, idle_minutes=61)

    response = client.get("/staff/test-charting/")

    assert response["Location"].startswith(UNLOCK)


@override_settings(ROOT_URLCONF=__name__)
def test_leaving_the_charting_page_restores_the_ordinary_time_out(client_for, nurse):
    client = client_for(nurse)
    client.get("/staff/test-charting/")
    client.get("/staff/test-ordinary/")
    age_session(client, idle_minutes=16)

    response = client.get("/staff/test-ordinary/")

    assert response["Location"].startswith(UNLOCK)


# --- status and keep-alive ------------------------------------------------------------


def test_status_tells_the_time_left_without_counting_as_activity(client_for, frontdesk):
    client = client_for(frontdesk)
    age_session(client, idle_minutes=10)
    before = client.session[session_policy.LAST_ACTIVITY_AT]

    data = client.get(STATUS).json()

    assert 295 <= data["remaining"] <= 300
    assert data["locked"] is False
    assert client.session[session_policy.LAST_ACTIVITY_AT] == before


def test_status_reports_a_locked_session(client_for, frontdesk):
    client = client_for(frontdesk)
    age_session(client, idle_minutes=16)

    data = client.get(STATUS).json()

    assert (data["locked"], data["remaining"]) == (True, 0)


def test_keep_alive_restarts_the_idle_clock(client_for, frontdesk):
    client = client_for(frontdesk)
    age_session(client, idle_minutes=14)

    data = client.post(KEEP_ALIVE).json()

    assert data["remaining"] >= 15 * 60 - 2
    assert time.time() - client.session[session_policy.LAST_ACTIVITY_AT] < 5


def test_keep_alive_needs_post_and_a_csrf_token(frontdesk):
    client = login_with_mfa(Client(enforce_csrf_checks=True), frontdesk)

    assert client.get(KEEP_ALIVE).status_code == 405
    assert client.post(KEEP_ALIVE).status_code == 403


def test_staff_pages_load_the_session_scripts_with_their_settings(client_for, frontdesk):
    content = client_for(frontdesk).get(INBOX).content.decode()

    assert 'src="/static/ketaclinic/js/staff-session.js" defer data-idle-seconds="900"' in content
    assert 'data-warning-seconds="60"' in content
    assert 'src="/static/ketaclinic/js/form-drafts.js" defer' in content


# --- caching, session ids, ending sessions ---------------------------------------------


@pytest.mark.parametrize("path", ["/", INBOX, reverse("mfa_index")])
def test_every_response_to_a_signed_in_person_is_no_store(client_for, frontdesk, path):
    response = client_for(frontdesk).get(path)

    assert "no-store" in response["Cache-Control"]


def test_public_pages_for_visitors_stay_cacheable(client):
    response = client.get("/")

    assert "no-store" not in response.get("Cache-Control", "")


def test_sign_in_gives_a_new_session_id(client, frontdesk):
    client.get(reverse("account_login"))
    client.post(reverse("account_login"), {"login": frontdesk.email, "password": PASSWORD})
    before = client.session.session_key

    sign_in_response = client.post(reverse("mfa_authenticate"), {"code": totp_code(frontdesk)})

    assert sign_in_response["Location"] == reverse("backoffice:home")
    assert client.session.session_key != before
    assert not Session.objects.filter(session_key=before).exists()


def test_disabling_a_user_ends_all_their_sessions(client_for, admin_user, frontdesk):
    office = login_with_mfa(Client(), frontdesk)
    laptop = login_with_mfa(Client(), frontdesk)
    keys = [office.session.session_key, laptop.session.session_key]

    client_for(admin_user).post(reverse("backoffice:team-disable", args=[frontdesk.pk]))

    assert Session.objects.filter(session_key__in=keys).count() == 0
    assert TrackedSession.objects.filter(user=frontdesk).count() == 0
    assert office.get(INBOX)["Location"].startswith(reverse("account_login"))
    assert laptop.get(INBOX)["Location"].startswith(reverse("account_login"))


def test_a_new_session_id_after_unlock_is_still_tracked(client_for, admin_user, frontdesk):
    staff = login_with_mfa(Client(), frontdesk)
    age_session(staff, idle_minutes=16)
    staff.post(UNLOCK, {"password": PASSWORD})
    staff.get(INBOX)

    client_for(admin_user).post(reverse("backoffice:team-disable", args=[frontdesk.pk]))

    assert Session.objects.filter(session_key=staff.session.session_key).count() == 0
