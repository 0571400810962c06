"""The team screen: administrators list, invite, re-send, disable and enable staff."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from ketaclinic.accounts.domain.invitations import invite_staff
from ketaclinic.accounts.roles import Role
from tests.factories import UserFactory, login_with_mfa

pytestmark = pytest.mark.django_db

TEAM = reverse("backoffice:team")


def row_for(response, user):
    return next(row for row in response.context["rows"] if row["user"].pk == user.pk)


@pytest.mark.parametrize(
    ("persona", "expected"),
    [
        ("anonymous", 302),
        ("frontdesk", 403),
        ("nurse", 403),
        ("prescriber", 403),
        ("director", 403),
        ("other_frontdesk", 403),
        ("admin", 200),
    ],
)
def test_only_administrators_see_the_team(client_for, personas, persona, expected):
    response = client_for(personas[persona]).get(TEAM)

    assert response.status_code == expected


def test_team_lists_roles_locations_mfa_and_status(client_for, admin_user, nurse, riverside):
    no_app = UserFactory(role=Role.FRONT_DESK, locations=[riverside], mfa=False)
    invite_staff(
        email="new@clinic.test",
        first_name="New",
        last_name="Person",
        roles=[Role.PRESCRIBER],
        locations=[riverside],
        actor=admin_user,
    )

    response = client_for(admin_user).get(TEAM)

    nurse_row = row_for(response, nurse)
    invited_row = next(r for r in response.context["rows"] if r["user"].email == "new@clinic.test")
    assert (nurse_row["roles"], nurse_row["locations"]) == (["Nurse"], ["Riverside Clinic"])
    assert (nurse_row["user"].has_totp, nurse_row["status_label"]) == (True, "Active")
    assert row_for(response, no_app)["user"].has_totp is False
    assert (invited_row["status_label"], invited_row["can_resend"]) == ("Invited", True)
    assert row_for(response, admin_user)["can_disable"] is False  # not yourself


@pytest.mark.parametrize("staff_count", [1, 3])
def test_team_query_count_does_not_grow_with_staff(client_for, admin_user, riverside, staff_count):
    for _ in range(staff_count - 1):
        UserFactory(role=Role.NURSE, locations=[riverside])
    client = client_for(admin_user)
    client.get(TEAM)  # warm caches

    with CaptureQueriesContext(connection) as queries:
        response = client.get(TEAM)

    assert len(response.context["rows"]) == staff_count
    # session, user (roles, locations, MFA as sub-queries)
    # and access-log entry (the view is audited), staff with MFA and open invitation
    # annotated, their groups, their locations, clinic profile
    assert len(queries) == 7


def test_disable_and_enable(client_for, admin_user, nurse):
    client = client_for(admin_user)

    client.post(reverse("backoffice:team-disable", args=[nurse.pk]))
    nurse.refresh_from_db()
    disabled = nurse.is_active
    client.post(reverse("backoffice:team-enable", args=[nurse.pk]))
    nurse.refresh_from_db()

    assert (disabled, nurse.is_active) == (False, True)


def test_a_disabled_person_cannot_sign_in(client_for, admin_user, nurse):
    client_for(admin_user).post(reverse("backoffice:team-disable", args=[nurse.pk]))

    response = Client().post(
        reverse("account_login"), {"login": nurse.email, "password": "correct-horse-battery"}
    )

    assert response["Location"] == reverse("account_inactive")
    assert Client().get(reverse("backoffice:inbox")).status_code == 302


def test_administrators_cannot_disable_themselves(client_for, admin_user):
    response = client_for(admin_user).post(
        reverse("backoffice:team-disable", args=[admin_user.pk]), follow=True
    )

    admin_user.refresh_from_db()
    assert admin_user.is_active is True
    assert "cannot disable your own account" in response.content.decode()


@pytest.mark.parametrize("name", ["team-resend", "team-disable", "team-enable"])
def test_team_actions_refuse_get(client_for, admin_user, nurse, name):
    response = client_for(admin_user).get(reverse(f"backoffice:{name}", args=[nurse.pk]))

    nurse.refresh_from_db()
    assert (response.status_code, nurse.is_active) == (405, True)


def test_team_actions_need_a_csrf_token(admin_user, nurse):
    client = login_with_mfa(Client(enforce_csrf_checks=True), admin_user)

    response = client.post(reverse("backoffice:team-disable", args=[nurse.pk]))

    nurse.refresh_from_db()
    assert (response.status_code, nurse.is_active) == (403, True)


@pytest.mark.parametrize(("persona", "shown"), [("admin", True), ("director", False)])
def test_team_link_in_the_staff_nav_for_administrators_only(client_for, personas, persona, shown):
    page = client_for(personas[persona]).get(reverse("backoffice:inbox")).content.decode()

    assert (f'href="{TEAM}"' in page) is shown


def test_team_page_has_no_inline_style_or_script(client_for, admin_user):
    page = client_for(admin_user).get(TEAM).content.decode()

    assert "style=" not in page
    assert "<script>" not in page
