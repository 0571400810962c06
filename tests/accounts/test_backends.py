"""The sign-in backend loads the user with roles, locations and TOTP in one query."""

from __future__ import annotations

import pytest
from allauth.mfa.models import Authenticator
from django.contrib.auth.models import Group
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from ketaclinic.accounts import authkit
from ketaclinic.accounts.backends import EmailBackend, load_user
from ketaclinic.accounts.roles import Role

pytestmark = pytest.mark.django_db


def test_one_query_gives_roles_locations_and_totp(director, riverside, hillcrest):
    director.locations.add(hillcrest)
    director.groups.add(Group.objects.get(name=Role.PRESCRIBER))

    with CaptureQueriesContext(connection) as queries:
        user = load_user(director.pk)
        facts = (user.role_names, user.location_ids, authkit.has_totp(user))

    assert len(queries) == 1
    assert facts == (
        frozenset({Role.MEDICAL_DIRECTOR, Role.PRESCRIBER}),
        frozenset({riverside.pk, hillcrest.pk}),
        True,
    )


def test_the_same_answers_as_the_model_reads(personas):
    """What the loader fills in equals what User's own properties compute."""
    for user in filter(None, personas.values()):
        loaded = load_user(user.pk)
        fresh = type(user).objects.get(pk=user.pk)
        assert loaded.role_names == fresh.role_names, user.email
        assert loaded.location_ids == fresh.location_ids, user.email


def test_no_roles_no_locations_no_authenticator(admin_user):
    admin_user.groups.clear()
    Authenticator.objects.filter(user=admin_user).delete()

    user = load_user(admin_user.pk)

    assert (user.role_names, user.location_ids, authkit.has_totp(user)) == (
        frozenset(),
        frozenset(),
        False,
    )


def test_a_group_name_with_commas_and_spaces_is_kept_whole(nurse):
    nurse.groups.add(Group.objects.create(name="night shift, weekends"))

    assert load_user(nurse.pk).role_names == {Role.NURSE, "night shift, weekends"}


def test_inactive_or_missing_users_are_not_signed_in(nurse):
    backend = EmailBackend()
    assert backend.get_user(nurse.pk) is not None
    nurse.is_active = False
    nurse.save(update_fields=["is_active"])

    assert backend.get_user(nurse.pk) is None
    assert backend.get_user(nurse.pk + 1000) is None
    assert backend.get_user("not a number") is None


def test_a_role_taken_away_counts_from_the_next_request(client_for, nurse, riverside):
    client = client_for(nurse)
    patients = reverse("backoffice:patient-list")
    assert client.get(patients).status_code == 200

    nurse.groups.clear()

    assert client.get(patients).status_code == 403


def test_a_location_taken_away_counts_from_the_next_request(client_for, nurse, riverside):
    from tests.patients.factories import make_patient

    patient = make_patient(riverside)
    client = client_for(nurse)
    page = reverse("backoffice:patient", args=[patient.pk])
    assert client.get(page).status_code == 200

    nurse.locations.clear()

    assert client.get(page).status_code == 403


def test_an_authenticator_removed_sends_staff_to_set_one_up(client_for, nurse):
    client = client_for(nurse)
    patients = reverse("backoffice:patient-list")
    assert client.get(patients).status_code == 200

    Authenticator.objects.filter(user=nurse).delete()

    answer = client.get(patients)
    assert answer.status_code == 302
    assert answer["Location"] == reverse("mfa_activate_totp")
