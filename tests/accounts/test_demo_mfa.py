"""The demo clinic stays usable with MFA: a fixed, printed demo TOTP secret."""

from __future__ import annotations

import time

import pytest
from allauth.mfa.models import Authenticator
from allauth.mfa.utils import decrypt
from django.core.management import call_command
from django.test import override_settings
from django.urls import reverse

from ketaclinic.accounts.demo import DEMO_TOTP_SECRET, demo_totp_code, give_demo_totp
from ketaclinic.accounts.models import User

pytestmark = pytest.mark.django_db


def test_every_demo_account_gets_the_demo_authenticator(capsys):
    call_command("load_demo")

    secrets = {decrypt(a.data["secret"]) for a in Authenticator.objects.filter(type="totp")}
    assert Authenticator.objects.filter(type="totp").count() == User.objects.count() == 7
    assert secrets == {DEMO_TOTP_SECRET}
    assert DEMO_TOTP_SECRET in capsys.readouterr().out


def test_loading_the_demo_twice_adds_no_authenticator():
    call_command("load_demo")

    call_command("load_demo")

    assert Authenticator.objects.filter(type="totp").count() == 7


def test_a_person_signs_in_to_the_demo_with_password_and_the_demo_code(client):
    call_command("load_demo")
    client.post(
        reverse("account_login"),
        {"login": "frontdesk@demo.ketaclinic.test", "password": "ketaclinic-demo-2026"},
    )

    response = client.post(reverse("mfa_authenticate"), {"code": demo_totp_code()})

    assert response["Location"] == reverse("backoffice:home")


def test_demo_totp_code_command_prints_the_current_code(capsys):
    call_command("demo_totp_code")

    printed = capsys.readouterr().out.split()[0]

    assert printed == demo_totp_code() or printed == demo_totp_code(time.time() - 30)


@override_settings(PRODUCTION=True)
def test_the_demo_secret_is_refused_in_production(nurse):
    with pytest.raises(Exception, match="not for production"):
        give_demo_totp(nurse)
