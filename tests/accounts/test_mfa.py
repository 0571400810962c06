"""MFA is required for every staff account (HIPAA 164.312(d), ONC 170.315(d)(1), (d)(13))."""

from __future__ import annotations

import re
import time

import pytest
from allauth.mfa.models import Authenticator
from allauth.mfa.totp.internal.auth import SECRET_SESSION_KEY, format_hotp_value, hotp_value
from django.core import mail
from django.core.cache import cache
from django.test import override_settings
from django.urls import reverse

from ketaclinic import settings as production_settings
from ketaclinic.accounts.roles import Role
from tests.accounts.signin import PASSWORD, sign_in
from tests.factories import UserFactory, totp_code

pytestmark = pytest.mark.django_db

INBOX = reverse("backoffice:inbox")
ACTIVATE_TOTP = reverse("mfa_activate_totp")


@pytest.fixture
def newcomer(riverside):
    """A front-desk member who has a password but no authenticator app yet."""
    return UserFactory(role=Role.FRONT_DESK, locations=[riverside], mfa=False)


def current_code(secret: str) -> str:
    return format_hotp_value(hotp_value(secret, int(time.time()) // 30))


def test_password_and_totp_sign_in_reaches_the_inbox(client, frontdesk):
    response = sign_in(client, frontdesk)

    assert response["Location"] == reverse("backoffice:home")
    assert client.get(INBOX).status_code == 200


def test_password_alone_does_not_sign_in(client, frontdesk):
    client.post(reverse("account_login"), {"login": frontdesk.email, "password": PASSWORD})

    response = client.get(INBOX)

    assert response.status_code == 302
    assert response["Location"].startswith(reverse("account_login"))


def test_wrong_totp_code_is_refused(client, frontdesk):
    client.post(reverse("account_login"), {"login": frontdesk.email, "password": PASSWORD})
    wrong = "000000" if totp_code(frontdesk) != "000000" else "111111"

    response = client.post(reverse("mfa_authenticate"), {"code": wrong})

    assert response.status_code == 200
    assert "Incorrect code." in response.content.decode()
    assert client.get(INBOX).status_code == 302


@pytest.mark.parametrize("path", [INBOX, "/config/"])
def test_staff_without_authenticator_is_sent_to_set_one_up(client, newcomer, path):
    client.post(reverse("account_login"), {"login": newcomer.email, "password": PASSWORD})

    response = client.get(path)

    assert (response.status_code, response["Location"]) == (302, ACTIVATE_TOTP)


@pytest.mark.parametrize(
    "path", ["/", "/faq/", reverse("mfa_index"), reverse("account_change_password")]
)
def test_public_and_account_pages_do_not_require_an_authenticator(client, newcomer, path):
    client.post(reverse("account_login"), {"login": newcomer.email, "password": PASSWORD})

    response = client.get(path)

    assert response.status_code == 200


def test_sign_out_works_without_an_authenticator(client, newcomer):
    client.post(reverse("account_login"), {"login": newcomer.email, "password": PASSWORD})

    client.post(reverse("account_logout"))

    assert "_auth_user_id" not in client.session


@pytest.mark.django_db(transaction=True)  # allauth announces the new authenticator on commit
def test_activating_totp_shows_recovery_codes_then_opens_the_staff_area(client, newcomer):
    client.post(reverse("account_login"), {"login": newcomer.email, "password": PASSWORD})
    # allauth asks for the password again before adding an authenticator
    client.post(reverse("account_reauthenticate"), {"password": PASSWORD})
    client.get(ACTIVATE_TOTP)
    secret = client.session[SECRET_SESSION_KEY]

    response = client.post(ACTIVATE_TOTP, {"code": current_code(secret)})

    assert response["Location"] == reverse("mfa_view_recovery_codes")
    codes_page = client.get(reverse("mfa_view_recovery_codes")).content.decode()
    assert len(re.findall(r"\b[0-9a-f]{8}\b", codes_page)) == 10
    assert client.get(INBOX).status_code == 200


def test_totp_cannot_be_switched_off(client_for, frontdesk):
    client = client_for(frontdesk)
    client.post(reverse("account_reauthenticate"), {"password": PASSWORD})

    client.post(reverse("mfa_deactivate_totp"))

    assert Authenticator.objects.filter(user=frontdesk, type="totp").count() == 1


def test_force_login_without_second_factor_is_signed_out(client, frontdesk):
    client.force_login(frontdesk)  # a session that never passed TOTP

    response = client.get(INBOX)

    assert response["Location"].startswith(reverse("account_login"))
    assert "_auth_user_id" not in client.session


def test_configuration_admin_login_page_is_replaced_by_the_mfa_sign_in(client):
    response = client.get(reverse("admin:login") + "?next=/config/clinic/")

    assert response["Location"] == reverse("account_login") + "?next=%2Fconfig%2Fclinic%2F"


def test_password_reset_does_not_bypass_totp(client, frontdesk):
    client.post(reverse("account_reset_password"), {"email": frontdesk.email})
    link = re.search(r"https?://\S+/accounts/password/reset/key/\S+/", mail.outbox[-1].body)
    set_password_page = client.get(link.group(0).split("testserver", 1)[-1], follow=True)
    client.post(
        set_password_page.redirect_chain[-1][0],
        {"password1": "a-new-long-passphrase-9", "password2": "a-new-long-passphrase-9"},
    )

    after_reset = client.get(INBOX)
    after_password = client.post(
        reverse("account_login"),
        {"login": frontdesk.email, "password": "a-new-long-passphrase-9"},
    )
    before_totp = client.get(INBOX)
    after_totp = client.post(reverse("mfa_authenticate"), {"code": totp_code(frontdesk)})

    assert after_reset["Location"].startswith(reverse("account_login"))
    assert after_password["Location"] == reverse("mfa_authenticate")
    assert before_totp["Location"].startswith(reverse("account_login"))
    assert after_totp["Location"] == reverse("backoffice:home")
    assert client.get(INBOX).status_code == 200


def test_failed_sign_ins_are_rate_limited(client, frontdesk):
    cache.clear()
    with override_settings(ACCOUNT_RATE_LIMITS=production_settings.ACCOUNT_RATE_LIMITS):
        for _ in range(5):
            client.post(reverse("account_login"), {"login": frontdesk.email, "password": "wrong"})
        # the right password is refused too while the limit holds
        response = client.post(
            reverse("account_login"), {"login": frontdesk.email, "password": PASSWORD}
        )

    assert response.status_code == 200
    assert "Too many failed login attempts" in response.content.decode()
    assert client.get(INBOX).status_code == 302
    cache.clear()


def test_rate_limit_setting_covers_failed_sign_ins():
    assert production_settings.ACCOUNT_RATE_LIMITS == {"login_failed": "10/m/ip,5/5m/key"}
