"""The demo treatment data: built through the domain, idempotent."""

import pytest
from django.core.management import call_command

from ketaclinic.treatment.models import Course, Product, Protocol, RemsCertification, SessionOrder

pytestmark = pytest.mark.django_db


def counts():
    return [m.objects.count() for m in (Protocol, Product, RemsCertification, Course, SessionOrder)]


def test_demo_has_protocols_products_and_two_courses():
    call_command("load_demo")

    assert counts() == [6, 4, 1, 2, 2]
    iv = SessionOrder.objects.get(course__protocol_version__drug="ketamine")
    assert (iv.status, iv.prepared_by.email, iv.checked_by.email) == (
        "checked",
        "nurse@demo.ketaclinic.test",
        "prescriber@demo.ketaclinic.test",
    )
    esketamine = SessionOrder.objects.get(course__protocol_version__drug="esketamine")
    assert (esketamine.status, esketamine.devices) == (
        "ordered",
        2 if esketamine.dose_mg == 56 else 1,
    )


def test_demo_twice_changes_nothing():
    call_command("load_demo")
    first = counts()

    call_command("load_demo")

    assert counts() == first
