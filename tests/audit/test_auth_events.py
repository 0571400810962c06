"""Sign-in, sign-out, failed sign-in and privilege changes land in the log."""

from __future__ import annotations

import json

import pytest
from django.contrib.auth import login
from django.contrib.auth.models import AnonymousUser, Group
from django.contrib.sessions.backends.db import SessionStore
from django.http import HttpResponse
from django.test import RequestFactory
from django.urls import reverse

from ketaclinic.accounts.roles import Role
from ketaclinic.audit.middleware import AuditContextMiddleware
from ketaclinic.audit.models import AccessLog
from tests.factories import LocationFactory, UserFactory

pytestmark = pytest.mark.django_db
PASSWORD = "correct-horse-battery"  # tests.factories.UserFactory


def entries(action):
    return list(AccessLog.objects.filter(action=action).order_by("id"))


def test_signing_in_is_logged_with_the_user_and_address(frontdesk, riverside):
    # Django's login() is where every sign-in ends (allauth calls it once the password
    # and, when required, the second factor are accepted).
    request = RequestFactory().post(reverse("account_login"), REMOTE_ADDR="198.51.100.20")
    request.session = SessionStore()
    request.user = AnonymousUser()

    login(request, frontdesk, backend="django.contrib.auth.backends.ModelBackend")

    [entry] = entries("login")
    assert (entry.user_id, entry.roles, entry.locations, entry.ip, entry.path) == (
        frontdesk.pk,
        ["front_desk"],
        [riverside.pk],
        "198.51.100.20",
        reverse("account_login"),
    )


def test_a_failed_sign_in_keeps_the_email_tried_and_never_the_password(client, frontdesk):
    client.post(
        reverse("account_login"), {"login": "frontdesk@clinic.test", "password": "Wr0ng-guess!"}
    )

    [entry] = entries("login_failed")
    stored = json.dumps(list(AccessLog.objects.values()), default=str)
    assert (entry.user_id, entry.detail) == (None, {"email": "frontdesk@clinic.test"})
    assert "Wr0ng-guess!" not in stored


def test_signing_out_is_logged(client_for, frontdesk):
    client = client_for(frontdesk)

    client.post(reverse("account_logout"))

    assert [entry.user_id for entry in entries("logout")] == [frontdesk.pk]


def test_a_role_given_in_the_shell_is_logged_with_no_actor(nurse):
    group = Group.objects.get_or_create(name=Role.PRESCRIBER)[0]
    before = AccessLog.objects.order_by("id").last().pk

    nurse.groups.add(group)

    [entry] = AccessLog.objects.filter(pk__gt=before, action="privilege_change")
    assert (entry.user_id, entry.object_type, entry.object_id, entry.detail) == (
        None,
        "accounts.user",
        str(nurse.pk),
        {"field": "groups", "added": [{"id": group.pk, "name": "prescriber"}]},
    )


def test_a_privilege_change_inside_a_request_names_the_actor(admin_user, nurse, riverside):
    hillcrest = LocationFactory(slug="hillcrest")
    request = RequestFactory().post("/config/accounts/user/", REMOTE_ADDR="192.0.2.50")
    request.user = admin_user

    def change(request):
        nurse.locations.add(hillcrest)
        nurse.locations.remove(riverside)
        return HttpResponse()

    AuditContextMiddleware(change)(request)

    changes = entries("privilege_change")[-2:]
    assert [(e.user_id, e.ip, e.object_id, e.detail) for e in changes] == [
        (
            admin_user.pk,
            "192.0.2.50",
            str(nurse.pk),
            {"field": "locations", "added": [{"id": hillcrest.pk, "name": hillcrest.name}]},
        ),
        (
            admin_user.pk,
            "192.0.2.50",
            str(nurse.pk),
            {"field": "locations", "removed": [{"id": riverside.pk, "name": riverside.name}]},
        ),
    ]


def test_clearing_a_group_from_its_side_logs_each_member(frontdesk, other_frontdesk):
    group = Group.objects.get(name=Role.FRONT_DESK)

    group.user_set.clear()

    assert sorted(
        (e.object_id, e.detail["removed"][0]["name"]) for e in entries("privilege_change")[-2:]
    ) == sorted([(str(frontdesk.pk), "front_desk"), (str(other_frontdesk.pk), "front_desk")])


@pytest.mark.parametrize(
    ("flag", "value", "expected"),
    [
        ("is_superuser", True, {"is_superuser": {"from": False, "to": True}}),
        ("is_staff", True, {"is_staff": {"from": False, "to": True}}),
        ("is_active", False, {"is_active": {"from": True, "to": False}}),
    ],
)
def test_changing_a_powerful_flag_is_logged(frontdesk, flag, value, expected):
    setattr(frontdesk, flag, value)

    frontdesk.save()

    [entry] = entries("privilege_change")[-1:]
    assert (entry.object_id, entry.detail) == (
        str(frontdesk.pk),
        {"field": "flags", "created": False, "changes": expected},
    )


def test_creating_a_superuser_is_logged():
    from ketaclinic.accounts.models import User

    user = User.objects.create_superuser("root@clinic.test", "a-long-password-1")

    [entry] = entries("privilege_change")
    assert (entry.object_id, entry.detail["created"], sorted(entry.detail["changes"])) == (
        str(user.pk),
        True,
        ["is_staff", "is_superuser"],
    )


def test_saving_without_a_privilege_change_is_not_logged(frontdesk):
    before = AccessLog.objects.count()
    frontdesk.first_name = "Renamed"

    frontdesk.save()
    frontdesk.save(update_fields=["last_login"])

    assert AccessLog.objects.count() == before


def test_a_new_ordinary_user_is_not_a_privilege_change():
    UserFactory(email="plain@clinic.test")

    assert entries("privilege_change") == []
