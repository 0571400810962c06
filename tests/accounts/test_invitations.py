"""Staff accounts are invitation-only: invite, accept, re-send."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from allauth.account.models import EmailAddress
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from ketaclinic.accounts.domain.invitations import hash_token, invite_staff
from ketaclinic.accounts.models import Invitation, User
from ketaclinic.accounts.roles import Role
from ketaclinic.notifications.models import OutboxMessage

pytestmark = pytest.mark.django_db

INVITE = reverse("backoffice:team-invite")
NEW_PASSWORD = "quiet-river-lantern-42"


def invite_form(riverside, **overrides):
    data = {
        "email": "Sam.Newman@Clinic.test",
        "first_name": "Sam",
        "last_name": "Newman",
        "roles": [Role.NURSE],
        "locations": [riverside.pk],
    }
    data.update(overrides)
    return data


def token_from(message: OutboxMessage) -> str:
    return re.search(r"/accounts/invitation/([^/\s]+)/", message.body).group(1)


@pytest.fixture
def invited(admin_user, riverside):
    """An invitation made through the domain; returns (user, token)."""
    result = invite_staff(
        email="sam@clinic.test",
        first_name="Sam",
        last_name="Newman",
        roles=[Role.NURSE],
        locations=[riverside],
        actor=admin_user,
    )
    return result.invitation.user, result.token


def accept_url(token):
    return reverse("accounts:invitation", args=[token])


# --- inviting -------------------------------------------------------------------------


def test_admin_invites_a_staff_member(client_for, admin_user, riverside):
    response = client_for(admin_user).post(INVITE, invite_form(riverside))

    user = User.objects.get(email="sam.newman@clinic.test")
    invitation = user.invitations.get()
    assert response["Location"] == reverse("backoffice:team")
    assert (user.is_active, user.has_usable_password()) == (False, False)
    assert list(user.groups.values_list("name", flat=True)) == [Role.NURSE]
    assert list(user.locations.all()) == [riverside]
    assert invitation.invited_by == admin_user
    assert invitation.expires_at - invitation.created_at == timedelta(hours=72)


def test_invitation_email_holds_only_the_link(client_for, admin_user, riverside):
    client_for(admin_user).post(INVITE, invite_form(riverside))

    invitation = Invitation.objects.get()
    message = OutboxMessage.objects.get(dedup_key=f"invite:{invitation.pk}")
    token = token_from(message)
    assert message.to == "sam.newman@clinic.test"
    assert f"http://127.0.0.1:8000/accounts/invitation/{token}/" in message.body
    assert invitation.token_hash == hash_token(token)
    assert token not in invitation.token_hash
    assert "Nurse" not in message.body
    assert "Riverside" not in message.body


def test_invitation_needs_a_role_and_a_location(client_for, admin_user, riverside):
    response = client_for(admin_user).post(INVITE, invite_form(riverside, roles=[], locations=[]))

    assert response.status_code == 400
    assert response.context["form"].errors == {
        "roles": ["Choose at least one role."],
        "locations": ["Choose at least one location."],
    }
    assert User.objects.filter(email="sam.newman@clinic.test").count() == 0


def test_invitation_to_an_existing_address_is_refused(client_for, admin_user, riverside, nurse):
    response = client_for(admin_user).post(INVITE, invite_form(riverside, email=nurse.email))

    assert response.status_code == 400
    assert "already exists" in response.context["form"].errors["email"][0]
    assert Invitation.objects.count() == 0


@pytest.mark.parametrize(
    ("persona", "expected"),
    [
        ("anonymous", 302),
        ("frontdesk", 403),
        ("nurse", 403),
        ("prescriber", 403),
        ("director", 403),
        ("admin", 200),
    ],
)
def test_only_administrators_can_invite(client_for, personas, persona, expected):
    response = client_for(personas[persona]).get(INVITE)

    assert response.status_code == expected


def test_sign_up_stays_closed(client):
    response = client.get(reverse("account_signup"))

    assert "Sign Up Closed" in response.content.decode()


# --- accepting --------------------------------------------------------------------------


def test_invitee_sets_a_password_and_is_sent_to_set_up_mfa(client, invited):
    user, token = invited

    page = client.get(accept_url(token))
    response = client.post(
        accept_url(token), {"new_password1": NEW_PASSWORD, "new_password2": NEW_PASSWORD}
    )

    user.refresh_from_db()
    assert page.status_code == 200
    assert response["Location"] == reverse("mfa_activate_totp")
    assert (user.is_active, user.check_password(NEW_PASSWORD)) == (True, True)
    assert user.invitations.get().accepted_at is not None
    assert client.session["_auth_user_id"] == str(user.pk)
    # signed in, and not asked for the password again before adding the authenticator
    assert client.get(reverse("mfa_activate_totp")).status_code == 200
    # …but the staff area stays closed until the authenticator is set up
    assert client.get(reverse("backoffice:home"))["Location"] == reverse("mfa_activate_totp")


@pytest.mark.parametrize(
    ("password", "message"),
    [
        ("short-pw-1", "This password is too short. It must contain at least 12 characters."),
        ("password1234", "This password is too common."),
    ],
)
def test_weak_passwords_are_refused(client, invited, password, message):
    user, token = invited

    response = client.post(
        accept_url(token), {"new_password1": password, "new_password2": password}
    )

    user.refresh_from_db()
    assert response.status_code == 400
    assert message in response.context["form"].errors["new_password2"]
    assert user.is_active is False


def test_a_used_link_shows_a_clear_page(client, invited):
    _user, token = invited
    Client().post(accept_url(token), {"new_password1": NEW_PASSWORD, "new_password2": NEW_PASSWORD})

    response = client.get(accept_url(token))

    assert response.status_code == 410
    assert "already been used" in response.content.decode()


def test_an_expired_link_shows_a_clear_page(client, invited):
    user, token = invited
    Invitation.objects.filter(user=user).update(expires_at=timezone.now() - timedelta(seconds=1))

    response = client.post(
        accept_url(token), {"new_password1": NEW_PASSWORD, "new_password2": NEW_PASSWORD}
    )

    user.refresh_from_db()
    assert response.status_code == 410
    assert "has expired" in response.content.decode()
    assert user.is_active is False


@pytest.mark.parametrize("token", ["not-a-real-token", "x" * 500])
def test_an_unknown_link_shows_a_clear_page(client, token):
    response = client.get(accept_url(token))

    assert response.status_code == 404
    assert "not valid" in response.content.decode()


# --- re-sending ----------------------------------------------------------------------------


def test_resending_sends_a_new_link_and_retires_the_old_one(client_for, admin_user, invited):
    user, old_token = invited

    client_for(admin_user).post(reverse("backoffice:team-resend", args=[user.pk]))

    newest = user.invitations.order_by("-created_at", "-id").first()
    new_token = token_from(OutboxMessage.objects.get(dedup_key=f"invite:{newest.pk}"))
    assert Client().get(accept_url(old_token)).status_code == 410
    assert Client().get(accept_url(new_token)).status_code == 200
    assert OutboxMessage.objects.filter(kind="staff_invitation").count() == 2


def test_resending_to_someone_who_accepted_is_refused(client_for, admin_user, nurse):
    client = client_for(admin_user)

    response = client.post(reverse("backoffice:team-resend", args=[nurse.pk]), follow=True)

    assert "already accepted" in response.content.decode()
    assert Invitation.objects.count() == 0


def test_disabling_withdraws_an_open_invitation(client_for, admin_user, invited):
    user, token = invited

    client_for(admin_user).post(reverse("backoffice:team-disable", args=[user.pk]))

    assert Client().get(accept_url(token)).status_code == 410


def test_an_invitation_opened_while_signed_in_as_someone_else_is_refused(
    client_for, nurse, invited
):
    user, token = invited

    response = client_for(nurse).get(accept_url(token))

    user.refresh_from_db()
    assert response.status_code == 409
    assert user.is_active is False


def test_accepting_marks_the_email_address_verified(client, invited):
    user, token = invited

    client.post(accept_url(token), {"new_password1": NEW_PASSWORD, "new_password2": NEW_PASSWORD})

    assert list(EmailAddress.objects.filter(user=user).values_list("verified", "primary")) == [
        (True, True)
    ]
