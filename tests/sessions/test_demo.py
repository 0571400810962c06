"""The demo sessions: a completed IV course and a completed esketamine course, charted
through the domain, idempotent."""

import pytest
from django.core.management import call_command

from ketaclinic.inventory.domain import queries
from ketaclinic.sessions.domain import controlled, rems_form
from ketaclinic.sessions.models import Administration, Session, SessionAlert
from ketaclinic.treatment.models import Course

pytestmark = pytest.mark.django_db


def test_demo_charts_two_completed_courses_and_is_idempotent():
    call_command("load_demo")
    first = Session.objects.count()

    call_command("load_demo")

    completed = Course.objects.filter(status="completed")
    assert sorted(completed.values_list("protocol_version__drug", flat=True)) == [
        "esketamine",
        "ketamine",
    ]
    sessions = Session.objects.filter(course__in=completed)
    assert (first, Session.objects.count(), sessions.count()) == (14, 14, 14)
    assert set(sessions.values_list("status", flat=True)) == {"discharged"}
    assert not sessions.filter(note_signed_at__isnull=True).exists()
    assert SessionAlert.objects.filter(responded_at__isnull=False).count() == 1
    # Every dose given names a lot drawn for its session, and every draw is accounted for.
    given = Administration.objects.filter(session__in=sessions, kind__in=["start", "bolus"])
    assert given.count() > 14
    for item in given.select_related("session"):
        assert item.lot in controlled.drawn_lot_numbers(item.session)
    assert all(not queries.unaccounted_draws(order=s.order) for s in sessions)
    esketamine = sessions.filter(course__protocol_version__drug="esketamine").first()
    assert rems_form.fill(esketamine).missing == []
