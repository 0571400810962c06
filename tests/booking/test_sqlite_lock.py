"""SQLite: while one booker holds the chair (after its write, before its insert), a
second booker cannot even start its check. It waits (a file database, busy timeout)
or, in the tests' shared-cache memory database, is turned away at once; either way it
never reads the chair's bookings while the first booker is between check and insert."""

from __future__ import annotations

import threading

import pytest
from django.db import OperationalError, connection, connections

from ketaclinic.booking.domain import bookings
from ketaclinic.booking.domain.errors import ChairTaken
from ketaclinic.booking.models import Booking
from tests.booking.factories import at, future_day

pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(connection.vendor != "sqlite", reason="SQLite's write lock"),
]
DAY = future_day(7)


@pytest.mark.parametrize("mode", ["IMMEDIATE", "DEFERRED"])
def test_a_second_booker_cannot_check_while_the_first_holds_the_chair(
    chair, patient, patient2, monkeypatch, mode
):
    """IMMEDIATE is the project's setting (BEGIN takes the lock); under DEFERRED it is
    the chair write that takes it, so the design does not rest on the setting alone."""
    options = connections.settings["default"].setdefault("OPTIONS", {})
    monkeypatch.setitem(options, "transaction_mode", mode)  # the threads' new connections
    first_checked = threading.Event()
    second_done = threading.Event()
    seen_by_second = []
    real = bookings._conflicts

    def conflicts(*args, **kwargs):
        if threading.current_thread().name == "first":
            result = real(*args, **kwargs)
            first_checked.set()
            second_done.wait(timeout=30)  # hold the lock while the second one tries
            return result
        seen_by_second.append(args)
        return real(*args, **kwargs)

    monkeypatch.setattr(bookings, "_conflicts", conflicts)
    outcomes = {}

    def run(name, person, minute):
        try:
            outcomes[name] = bookings.book(
                patient=person,
                chair=chair,
                starts_at=at(DAY, 9, minute),
                minutes=60,
                purpose="consultation",
                actor=None,
            )
        except Exception as exc:  # the outcome under test
            outcomes[name] = exc
        finally:
            if name == "second":
                second_done.set()
            connections.close_all()

    first = threading.Thread(target=run, args=("first", patient, 0), name="first")
    first.start()
    assert first_checked.wait(timeout=30)
    second = threading.Thread(target=run, args=("second", patient2, 30), name="second")
    second.start()
    second.join(timeout=60)
    first.join(timeout=60)

    assert isinstance(outcomes["first"], Booking)
    assert isinstance(outcomes["second"], OperationalError | ChairTaken)
    assert seen_by_second == []  # it never reached its check while the first held the lock
    assert Booking.objects.filter(chair=chair).count() == 1
