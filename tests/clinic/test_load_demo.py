import pytest
from django.core.management import call_command

from ketaclinic.accounts.models import User
from ketaclinic.clinic.models import ClinicProfile, FeeItem, Location
from ketaclinic.inquiries.models import Inquiry
from ketaclinic.notifications.models import OutboxMessage

pytestmark = pytest.mark.django_db


def counts():
    return [model.objects.count() for model in (User, Location, FeeItem, Inquiry, OutboxMessage)]


def test_load_demo_builds_two_locations_with_staff_of_every_role(capsys):
    call_command("load_demo")

    # outbox: two emails per demo inquiry (8), a confirmation per demo appointment of a
    # patient with an email address (6), and one email per urgent demo alert (5: the
    # safety demo, a measures PHQ-9 with item 9 > 0, two outcome trajectories with
    # suicidal thoughts, and a session's blood-pressure alert)
    assert counts() == [7, 2, 3, 4, 19]
    assert ClinicProfile.current().name == "Ketaclinic Demo Clinic"
    assert "frontdesk@demo.ketaclinic.test" in capsys.readouterr().out
    assert Inquiry.objects.filter(is_urgent=True).count() == 1


def test_load_demo_twice_changes_nothing():
    call_command("load_demo")
    first = counts()

    call_command("load_demo")

    assert counts() == first


def test_demo_passwords_work():
    call_command("load_demo")

    assert User.objects.get(email="director@demo.ketaclinic.test").check_password(
        "ketaclinic-demo-2026"
    )
