"""The demo treatment data: built through the domain, idempotent."""

import pytest
from django.core.management import call_command

from ketaclinic.treatment.models import Course, Product, Protocol, RemsCertification, SessionOrder

pytestmark = pytest.mark.django_db


def counts():
    # Active courses only: the sessions demo adds two completed courses with their orders;
    # the outcomes demo adds a third active IV course (no orders) for its non-responder.
    return [
        Protocol.objects.count(),
        Product.objects.count(),
        RemsCertification.objects.count(),
        Course.objects.filter(status="active").count(),
        SessionOrder.objects.filter(course__status="active").count(),
    ]


def test_demo_has_protocols_products_and_active_courses():
    call_command("load_demo")

    assert counts() == [6, 4, 1, 3, 2]
    iv = SessionOrder.objects.get(
        course__protocol_version__drug="ketamine", course__status="active"
    )
    assert (iv.status, iv.prepared_by.email, iv.checked_by.email) == (
        "checked",
        "nurse@demo.ketaclinic.test",
        "prescriber@demo.ketaclinic.test",
    )
    esketamine = SessionOrder.objects.get(
        course__protocol_version__drug="esketamine", course__status="active"
    )
    assert (esketamine.status, esketamine.devices) == (
        "ordered",
        2 if esketamine.dose_mg == 56 else 1,
    )


def test_demo_twice_changes_nothing():
    call_command("load_demo")
    first = counts()

    call_command("load_demo")

    assert counts() == first
