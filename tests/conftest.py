"""Shared fixtures and the personas every permission test uses.

Personas (ARCHITECTURE.md convention 7):
- ``frontdesk``, ``nurse``, ``prescriber``: staff of the Riverside location;
- ``director`` and ``admin``: see every location;
- ``other_frontdesk``, ``other_prescriber``: staff of Hillcrest, who must NOT see
  Riverside's records;
- ``anonymous``: nobody signed in;
- ``patient``, ``other_patient`` (fixtures ``patient_user``, ``other_patient_user``):
  portal accounts of a Riverside and a Hillcrest patient, signed in by one-time code
  (not in ``personas``: their patients would show in the staff lists; the security
  tests add them).
"""

from __future__ import annotations

import os

import pytest
from hypothesis import HealthCheck, settings

from ketaclinic.accounts.roles import Role
from tests.factories import LocationFactory, UserFactory, login_by_code, login_with_mfa

settings.register_profile(
    "ci",
    max_examples=25,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow],
)
settings.register_profile("dev", max_examples=10, deadline=None)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "ci"))


@pytest.fixture(autouse=True)
def _private_media_in_tmp(settings, tmp_path):
    """Uploaded patient files go to a per-test folder, never var/private."""
    settings.PRIVATE_MEDIA_ROOT = tmp_path / "private"


@pytest.fixture
def riverside(db):
    return LocationFactory(name="Riverside Clinic", slug="riverside")


@pytest.fixture
def hillcrest(db):
    return LocationFactory(name="Hillcrest Clinic", slug="hillcrest")


def _staff(role, locations, email):
    return UserFactory(email=email, role=role, locations=locations)


@pytest.fixture
def frontdesk(riverside):
    return _staff(Role.FRONT_DESK, [riverside], "frontdesk@clinic.test")


@pytest.fixture
def nurse(riverside):
    return _staff(Role.NURSE, [riverside], "nurse@clinic.test")


@pytest.fixture
def prescriber(riverside):
    return _staff(Role.PRESCRIBER, [riverside], "prescriber@clinic.test")


@pytest.fixture
def director(riverside, hillcrest):
    return _staff(Role.MEDICAL_DIRECTOR, [riverside], "director@clinic.test")


@pytest.fixture
def admin_user(riverside, hillcrest):
    return _staff(Role.ADMIN, [], "admin@clinic.test")


@pytest.fixture
def other_frontdesk(hillcrest):
    return _staff(Role.FRONT_DESK, [hillcrest], "frontdesk.hillcrest@clinic.test")


@pytest.fixture
def other_prescriber(hillcrest):
    return _staff(Role.PRESCRIBER, [hillcrest], "prescriber.hillcrest@clinic.test")


@pytest.fixture
def personas(frontdesk, nurse, prescriber, director, admin_user, other_frontdesk, other_prescriber):
    return {
        "anonymous": None,
        "frontdesk": frontdesk,
        "nurse": nurse,
        "prescriber": prescriber,
        "director": director,
        "admin": admin_user,
        "other_frontdesk": other_frontdesk,
        "other_prescriber": other_prescriber,
    }


def _portal_user(location, email, last_name):
    from ketaclinic.patients.domain.portal_access import grant_portal_access
    from tests.patients.factories import make_patient

    patient = make_patient(location, email=email, legal_last_name=last_name)
    return grant_portal_access(patient, actor=None).user


@pytest.fixture
def patient_user(riverside):
    return _portal_user(riverside, "robin.portal@example.test", "Portal")


@pytest.fixture
def other_patient_user(hillcrest):
    return _portal_user(hillcrest, "sam.other@example.test", "Other")


@pytest.fixture
def client_for(client):
    """``client_for(user)``: the test client signed in as ``user`` with a session
    equal to a password + TOTP sign-in (``tests.factories.login_with_mfa``);
    ``client_for(None)``: signed out. Plain ``client.force_login`` is not enough
    for /staff/ and /config/: the session lacks the second factor."""

    def login(user):
        client.logout()
        if user is not None and hasattr(user, "patient_account"):
            login_by_code(client, user)  # patients: one-time code, no TOTP
        elif user is not None:
            login_with_mfa(client, user)
        return client

    return login
