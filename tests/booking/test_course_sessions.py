"""A booking names its treatment course session: the link is checked, a course
session is booked once, and a course's sessions are booked in one go (all or nothing)
with suggested chairs and times."""

from __future__ import annotations

from datetime import time, timedelta

import pytest
from django.db import IntegrityError, transaction
from django.utils import timezone

from ketaclinic.booking.domain import bookings, course_sessions
from ketaclinic.booking.domain.course_sessions import (
    SessionRequest,
    SessionsNotBooked,
    book_course_sessions,
    session_rows,
)
from ketaclinic.booking.domain.errors import BookingError, CourseSessionTaken
from ketaclinic.booking.models import Booking, ClosedDay
from ketaclinic.notifications.models import OutboxMessage
from ketaclinic.treatment.domain import courses
from ketaclinic.treatment.domain.protocols import load_shipped_protocols
from ketaclinic.treatment.models import CourseStatus
from tests.booking.factories import at, future_day, make_booking
from tests.treatment.factories import certify, enrol, iv_course, ready_patient, version_of

pytestmark = pytest.mark.django_db
FIRST = future_day(7)


@pytest.fixture
def ready(open_riverside, prescriber, nurse):
    load_shipped_protocols()
    return ready_patient(
        open_riverside, prescriber, nurse, legal_first_name="Robin", email="robin@example.test"
    )


@pytest.fixture
def course(ready, prescriber):
    return iv_course(ready, prescriber, on=FIRST)


def session(course, chair, number, hour=9, **kw):
    day = courses.proposed_session_dates(course)[number - 1]
    return make_booking(
        course.patient,
        chair,
        at(day, hour),
        purpose="session",
        minutes=150,
        course=course,
        session_number=number,
        **kw,
    )


# --- the link ------------------------------------------------------------------------------


def test_a_course_session_is_linked_to_its_course(course, chair):
    booking = session(course, chair, 2)

    booking.refresh_from_db()
    assert (booking.course, booking.session_number, booking.esketamine) == (course, 2, False)
    assert list(course.bookings.all()) == [booking]


def test_the_course_may_be_given_by_its_id(course, chair):
    booking = make_booking(
        course.patient, chair, at(FIRST, 9), purpose="session", course=course.pk, session_number=1
    )

    assert booking.course == course


def test_an_unknown_course_is_refused(ready, chair):
    with pytest.raises(BookingError, match="does not exist") as refused:
        make_booking(ready, chair, at(FIRST, 9), purpose="session", course=999999, session_number=1)

    assert refused.value.field == "course"


def test_another_patients_course_is_refused(course, chair, riverside):
    from tests.patients.factories import make_patient

    other = make_patient(riverside, legal_first_name="Sam")
    with pytest.raises(BookingError, match="belongs to another patient"):
        make_booking(other, chair, at(FIRST, 9), purpose="session", course=course, session_number=1)


def test_an_ended_course_is_refused(course, chair, prescriber):
    courses.end_course(course, status=CourseStatus.STOPPED, actor=prescriber, reason="Moved away")

    with pytest.raises(BookingError, match="This course is stopped") as refused:
        session(course, chair, 1)

    assert refused.value.field == "course"


@pytest.mark.parametrize("number", [0, 7, None])
def test_a_session_outside_the_plan_is_refused(course, chair, number):
    with pytest.raises(BookingError) as refused:
        make_booking(
            course.patient,
            chair,
            at(FIRST, 9),
            purpose="session",
            course=course,
            session_number=number,
        )

    assert refused.value.field == "session_number"
    assert str(refused.value) == "This course plans 6 sessions: choose a session from 1 to 6."


def test_a_course_session_is_a_treatment_session(course, chair):
    with pytest.raises(BookingError) as refused:
        make_booking(
            course.patient,
            chair,
            at(FIRST, 9),
            purpose="consultation",
            course=course,
            session_number=1,
        )

    assert refused.value.field == "purpose"


def test_a_course_session_is_booked_once(course, chair, chair2):
    session(course, chair, 1, hour=9)

    with pytest.raises(CourseSessionTaken) as refused:
        session(course, chair2, 1, hour=14)

    assert refused.value.field == "session_number"
    assert "Session 1 of this course is already booked" in str(refused.value)
    assert "Chair 1" in str(refused.value)


def test_a_cancelled_course_session_can_be_booked_again(course, chair):
    first = session(course, chair, 1)
    bookings.cancel(first, actor=None, expected_version=first.version)

    again = session(course, chair, 1, hour=13)

    assert again.course == course


def test_the_database_refuses_a_second_active_booking_of_a_course_session(course, chair, chair2):
    booking = session(course, chair, 1)
    twin = Booking(
        location=booking.location,
        chair=chair2,
        patient=booking.patient,
        starts_at=booking.starts_at + timedelta(days=1),
        ends_at=booking.ends_at + timedelta(days=1),
        purpose="session",
        course=course,
        session_number=1,
    )

    with pytest.raises(IntegrityError), transaction.atomic():
        twin.save()


def test_the_database_refuses_a_session_number_without_a_course(ready, chair):
    booking = make_booking(ready, chair, at(FIRST, 9), purpose="session")

    with pytest.raises(IntegrityError), transaction.atomic():
        Booking.objects.filter(pk=booking.pk).update(session_number=2)


def test_an_esketamine_course_gives_esketamine_instructions(ready, prescriber, chair, riverside):
    certify(riverside)
    enrol(ready, prescriber)
    course = courses.start_course(
        ready, version_of("esketamine-trd-under-65"), prescriber, first_session_on=FIRST
    )

    booking = session(course, chair, 1, esketamine=False)  # the course decides

    assert booking.esketamine is True
    email = OutboxMessage.objects.get(dedup_key=f"booking:{booking.pk}:confirmation")
    assert "Eat nothing after" in email.body


# --- booking a course's sessions in one go -----------------------------------------------


def test_rows_propose_every_planned_date_with_the_first_free_chair(course, chair, chair2):
    dates = courses.proposed_session_dates(course)
    session(course, chair, 1)
    # someone else holds Chair 1 at 9:00 on the second date
    from tests.patients.factories import make_patient

    other = make_patient(course.patient.location, legal_first_name="Sam")
    make_booking(other, chair, at(dates[1], 9), minutes=60)

    rows = session_rows(course)

    assert [row.proposed for row in rows] == dates
    assert rows[0].booking is not None
    assert not rows[0].suggested
    assert (rows[1].chair, rows[1].start, rows[1].suggested) == (chair2, time(9, 0), True)
    assert (rows[2].chair, rows[2].start, rows[2].suggested) == (chair, time(9, 0), True)


def test_rows_start_later_when_every_chair_is_taken(course, chair):
    from tests.patients.factories import make_patient

    day = courses.proposed_session_dates(course)[0]
    other = make_patient(course.patient.location, legal_first_name="Sam")
    make_booking(other, chair, at(day, 9), minutes=90)

    (first, *_) = session_rows(course)

    assert (first.chair, first.start) == (chair, time(10, 30))


def test_rows_start_at_the_clinics_usual_time_or_the_opening(course, chair, settings):
    from ketaclinic.booking.models import ClinicHours

    settings.BOOKING_SESSION_START = "07:00"
    day = courses.proposed_session_dates(course)[0]

    (first, *_) = session_rows(course)

    assert first.start == time(8, 0)  # Riverside opens at 8:00
    ClinicHours.objects.filter(location=chair.location, weekday=day.weekday()).update(
        opens_at=time(6, 0)
    )
    assert session_rows(course)[0].start == time(7, 0)


def test_a_closed_or_past_date_is_not_ticked_and_says_why(course, chair, riverside):
    day = courses.proposed_session_dates(course)[1]
    ClosedDay.objects.create(location=riverside, date=day, reason="Training day")

    rows = session_rows(course, today=courses.proposed_session_dates(course)[0] + timedelta(1))

    assert (rows[0].suggested, rows[1].suggested) == (False, False)
    assert "has passed" in rows[0].note
    assert "Training day" in rows[1].note
    assert rows[2].suggested


def test_rows_take_the_same_queries_however_many_sessions(course, chair, django_assert_num_queries):
    assert course.patient.location.name  # loaded first, as the view's select_related does
    # booked sessions, chairs, weekly hours, closed days, bookings nearby
    with django_assert_num_queries(5):
        session_rows(course)
    session(course, chair, 1)
    session(course, chair, 2)
    with django_assert_num_queries(5):
        session_rows(course)


def test_a_session_takes_the_protocols_dosing_and_observation_time(ready, prescriber, chair):
    iv = iv_course(ready, prescriber, on=FIRST)
    assert course_sessions.session_minutes(iv) == 150  # 40 + 60 fits the usual 150

    courses.end_course(iv, status=CourseStatus.STOPPED, actor=prescriber, reason="Switch")
    crps = iv_course(ready, prescriber, slug="iv-ketamine-crps", on=FIRST)
    assert course_sessions.session_minutes(crps) == 300  # a 4-hour infusion + 60


def _requests(course, chair, numbers, hour=9):
    dates = courses.proposed_session_dates(course)
    return [SessionRequest(n, chair, at(dates[n - 1], hour)) for n in numbers]


def test_the_sessions_are_booked_together_with_instructions(course, chair, frontdesk):
    made = book_course_sessions(course, _requests(course, chair, range(1, 7)), actor=frontdesk)

    assert [b.session_number for b in made] == [1, 2, 3, 4, 5, 6]
    assert {b.course_id for b in made} == {course.pk}
    assert {b.booked_by for b in made} == {frontdesk}
    assert all(b.minutes == 150 for b in made)
    keys = set(OutboxMessage.objects.values_list("dedup_key", flat=True))
    assert {f"booking:{b.pk}:confirmation" for b in made} <= keys


def test_one_refused_session_books_nothing_and_names_that_session(course, chair, riverside):
    from tests.patients.factories import make_patient

    dates = courses.proposed_session_dates(course)
    other = make_patient(riverside, legal_first_name="Sam")
    make_booking(other, chair, at(dates[2], 9), minutes=60)
    before = OutboxMessage.objects.count()

    with pytest.raises(SessionsNotBooked) as refused:
        book_course_sessions(course, _requests(course, chair, [1, 2, 3, 4]), actor=None)

    assert list(refused.value.errors) == [3]
    assert "Chair 1 is already booked" in str(refused.value.errors[3])
    assert course.bookings.count() == 0
    assert OutboxMessage.objects.count() == before


def test_nothing_chosen_is_refused(course):
    with pytest.raises(BookingError, match="Tick at least one session"):
        book_course_sessions(course, [], actor=None)


def test_booked_sessions_are_not_booked_again_in_one_go(course, chair):
    session(course, chair, 1)

    with pytest.raises(SessionsNotBooked) as refused:
        book_course_sessions(course, _requests(course, chair, [1, 2], hour=13), actor=None)

    assert list(refused.value.errors) == [1]
    assert isinstance(refused.value.errors[1], CourseSessionTaken)


def test_a_session_start_outside_the_grid_is_explained(course, chair):
    dates = courses.proposed_session_dates(course)
    request = SessionRequest(1, chair, at(dates[0], 9, 7))

    with pytest.raises(SessionsNotBooked) as refused:
        book_course_sessions(course, [request], actor=None)

    assert "15-minute grid" in str(refused.value.errors[1])


def test_proposed_dates_in_the_past_can_be_booked_on_another_date(course, chair):
    today = timezone.localdate()
    request = SessionRequest(1, chair, at(today + timedelta(days=2), 10))

    (booking,) = book_course_sessions(course, [request], actor=None)

    assert booking.session_number == 1
