"""Staff screens of the calendar: day and week views, booking from a slot, a booking's
page with cancel, move and outcome. Works without JavaScript; query counts fixed."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from ketaclinic.audit.models import AccessLog
from ketaclinic.booking.domain import bookings
from ketaclinic.booking.models import Booking
from ketaclinic.notifications.models import OutboxMessage
from tests.booking.factories import at, future_day, make_booking, make_chair, open_every_day
from tests.patients.factories import make_patient

pytestmark = pytest.mark.django_db
DAY = future_day(7)


@pytest.fixture(autouse=True)
def _policy(settings):
    settings.BOOKING_SLOT_MINUTES = 15
    settings.BOOKING_SESSION_MINUTES = 150
    settings.BOOKING_VISIT_MINUTES = 60
    settings.BOOKING_REMINDER_HOURS = 24


@pytest.fixture
def chair(riverside):
    open_every_day(riverside)
    return make_chair(riverside, "Chair 1", order=1)


@pytest.fixture
def chair2(chair):
    return make_chair(chair.location, "Chair 2", order=2)


@pytest.fixture
def patient(riverside):
    return make_patient(
        riverside, legal_first_name="Robin", legal_last_name="Hart", email="robin@example.test"
    )


@pytest.fixture
def patient2(riverside):
    return make_patient(riverside, legal_first_name="Sam", legal_last_name="Lake")


@pytest.fixture
def no_email_patient(riverside):
    return make_patient(riverside, legal_first_name="Jo", legal_last_name="Quiet", email="")


def day_url(location, day=DAY):
    return reverse("backoffice:booking-day", args=[location.pk]) + f"?date={day.isoformat()}"


def week_url(location, day=DAY):
    return reverse("backoffice:booking-week", args=[location.pk]) + f"?date={day.isoformat()}"


def new_url(location, **params):
    query = "&".join(f"{key}={value}" for key, value in params.items())
    return reverse("backoffice:booking-new", args=[location.pk]) + (f"?{query}" if query else "")


def detail_url(booking):
    return reverse("backoffice:booking-detail", args=[booking.pk])


def form_data(patient, chair, **overrides):
    data = {
        "patient": patient.pk,
        "purpose": "session",
        "esketamine": "on",
        "chair": chair.pk,
        "date": DAY.isoformat(),
        "start": "10:00",
        "minutes": "",
        "notes": "Prefers the window seat.",
    }
    data.update(overrides)
    return {key: value for key, value in data.items() if value is not None}


# --- calendars ---------------------------------------------------------------------------


def test_day_view_shows_chairs_as_columns_bookings_and_free_slots(
    client_for, frontdesk, chair, chair2, patient
):
    make_booking(patient, chair, at(DAY, 9), minutes=60)

    response = client_for(frontdesk).get(day_url(chair.location))

    page = response.content.decode()
    assert response.status_code == 200
    assert '<th scope="col">Chair 1</th>' in page
    assert '<th scope="col">Chair 2</th>' in page
    assert "Robin Hart" in page
    assert 'rowspan="4"' in page  # one hour on a 15-minute grid
    assert f"?chair={chair2.pk}&amp;date={DAY.isoformat()}&amp;start=09:00" in page
    assert "Book Chair 2 at 09:00" in page
    assert 'class="cal-closed"' not in page  # open all the hours shown
    assert "Open 08:00–18:00" in page


def test_day_view_shades_hours_outside_opening(client_for, frontdesk, riverside, patient):
    open_every_day(riverside)
    from ketaclinic.booking.models import ClinicHours

    ClinicHours.objects.filter(location=riverside, weekday=DAY.weekday()).update(
        opens_at=timezone.datetime(2000, 1, 1, 12).time()
    )
    make_chair(riverside)

    page = client_for(frontdesk).get(day_url(riverside)).content.decode()

    assert "Book Chair 1 at 11:45" not in page
    assert "Book Chair 1 at 12:00" in page
    assert page.count('class="cal-closed"') == 4 * 4 + 0  # 08:00–12:00 closed


def test_week_view_lists_bookings_per_chair_and_day(client_for, nurse, chair, patient):
    make_booking(patient, chair, at(DAY, 9), minutes=60)

    response = client_for(nurse).get(week_url(chair.location))

    page = response.content.decode()
    assert response.status_code == 200
    assert '<th scope="row">Chair 1</th>' in page
    assert "09:00–10:00</span> Robin Hart" in page
    assert f"Book Chair 1 on {DAY:%A}, {DAY:%B} {DAY.day}" in page
    assert "1 booking this week" in page


def _setup_bookings(riverside, chair, count):
    for number in range(count):
        person = make_patient(riverside, legal_first_name=f"Person{number}")
        make_booking(person, chair, at(DAY, 9 + number))


@pytest.mark.parametrize("count", [1, 3])
def test_day_view_query_count_does_not_grow_with_bookings(
    client_for, frontdesk, riverside, chair, count
):
    _setup_bookings(riverside, chair, count)
    client = client_for(frontdesk)
    client.get(day_url(riverside))

    with CaptureQueriesContext(connection) as queries:
        response = client.get(day_url(riverside))

    assert len(response.context["view"].bookings) == count
    # session, user (roles, locations, MFA as sub-queries), the location, access-log entry,
    # clinic profile, locations for the switcher, chairs, weekly hours, closed days,
    # bookings (patient and chair joined)
    assert len(queries) == 10


@pytest.mark.parametrize("count", [1, 3])
def test_week_view_query_count_does_not_grow_with_bookings(
    client_for, frontdesk, riverside, chair, count
):
    _setup_bookings(riverside, chair, count)
    client = client_for(frontdesk)
    client.get(week_url(riverside))

    with CaptureQueriesContext(connection) as queries:
        response = client.get(week_url(riverside))

    assert response.context["view"].count == count
    # as the day view
    assert len(queries) == 10


def test_another_locations_calendar_is_refused_and_logged(
    client_for, other_frontdesk, other_prescriber, chair
):
    for person in (other_frontdesk, other_prescriber):
        assert client_for(person).get(day_url(chair.location)).status_code == 403
        assert client_for(person).get(week_url(chair.location)).status_code == 403
        assert client_for(person).get(new_url(chair.location)).status_code == 403
    assert AccessLog.objects.filter(action="permission_denied").count() == 6


def test_the_director_switches_between_every_location(client_for, director, chair, hillcrest):
    page = client_for(director).get(day_url(chair.location)).content.decode()

    assert "Riverside Clinic</a>" in page
    assert f"{reverse('backoffice:booking-day', args=[hillcrest.pk])}?date=" in page
    assert client_for(director).get(day_url(hillcrest)).status_code == 200


def test_the_administrator_has_no_calendar(client_for, admin_user, chair):
    assert client_for(admin_user).get(day_url(chair.location)).status_code == 403


def test_calendar_home_opens_the_persons_own_location(client_for, other_frontdesk, hillcrest):
    response = client_for(other_frontdesk).get(reverse("backoffice:booking-home"))

    assert response.status_code == 302
    assert response["Location"] == reverse("backoffice:booking-day", args=[hillcrest.pk])


def test_an_impossible_date_is_shown_beside_the_field(client_for, frontdesk, chair):
    url = reverse("backoffice:booking-day", args=[chair.location.pk]) + "?date=2026-02-31"

    response = client_for(frontdesk).get(url)

    assert response.status_code == 400
    assert "Enter a valid date." in response.content.decode()
    assert response.context["day"] == timezone.localdate()


def test_a_location_without_chairs_or_hours_says_what_to_do(client_for, frontdesk, riverside):
    page = client_for(frontdesk).get(day_url(riverside)).content.decode()

    assert "No clinic hours are set for Riverside Clinic" in page
    assert "has no chairs or rooms yet" in page


def test_the_nav_links_to_the_calendar_for_those_who_book(client_for, frontdesk, admin_user):
    link = reverse("backoffice:booking-home")
    patients = reverse("backoffice:patient-list")
    assert f'href="{link}"' in client_for(frontdesk).get(patients).content.decode()
    assert f'href="{link}"' not in client_for(admin_user).get(patients).content.decode()


# --- booking -----------------------------------------------------------------------------


def test_the_form_opens_on_the_chosen_slot(client_for, frontdesk, chair):
    url = new_url(chair.location, chair=chair.pk, date=DAY.isoformat(), start="10:15")

    page = client_for(frontdesk).get(url).content.decode()

    assert f'<option value="{chair.pk}" selected>Chair 1' in page
    assert f'value="{DAY.isoformat()}"' in page
    assert 'value="10:15"' in page
    assert "Search for the patient above, then choose them here." in page


def test_patient_search_finds_only_the_locations_patients(
    client_for, frontdesk, chair, patient, hillcrest
):
    make_patient(hillcrest, legal_first_name="Robin", legal_last_name="Elsewhere")

    response = client_for(frontdesk).get(new_url(chair.location, q="Robin", chair=chair.pk))

    page = response.content.decode()
    assert "Robin Hart · born 1980-05-17" in page
    assert "Elsewhere" not in page
    assert f'name="chair" value="{chair.pk}"' in page  # the slot is carried by the search


def test_patient_search_with_htmx_answers_the_same_page(client_for, frontdesk, chair, patient):
    response = client_for(frontdesk).get(new_url(chair.location, q="Hart"), HTTP_HX_REQUEST="true")

    assert response.status_code == 200
    assert 'id="patient-choices"' in response.content.decode()


def test_front_desk_books_a_session_and_the_patient_is_emailed(
    client_for, frontdesk, chair, patient
):
    response = client_for(frontdesk).post(new_url(chair.location), form_data(patient, chair))

    booking = Booking.objects.get()
    assert response.status_code == 302
    assert response["Location"] == detail_url(booking)
    assert (booking.patient, booking.chair, booking.booked_by) == (patient, chair, frontdesk)
    assert (booking.starts_at, booking.minutes, booking.esketamine) == (at(DAY, 10), 150, True)
    email = OutboxMessage.objects.get(dedup_key=f"booking:{booking.pk}:confirmation")
    assert "Eat nothing after 8:00 AM" in email.body
    assert "window seat" not in email.body


def test_a_nurse_and_a_prescriber_book_too(client_for, nurse, prescriber, chair, patient):
    client_for(nurse).post(new_url(chair.location), form_data(patient, chair, start="09:00"))
    client_for(prescriber).post(
        new_url(chair.location), form_data(patient, chair, start="13:00", minutes="60")
    )

    assert [b.booked_by for b in Booking.objects.order_by("starts_at")] == [nurse, prescriber]


def test_a_refused_booking_keeps_what_was_typed_and_says_why(
    client_for, frontdesk, chair, patient, patient2
):
    make_booking(patient2, chair, at(DAY, 9), minutes=120)

    response = client_for(frontdesk).post(
        new_url(chair.location), form_data(patient, chair, start="10:30")
    )

    page = response.content.decode()
    assert response.status_code == 400
    assert "Chair 1 is already booked from 9:00 AM to 11:00 AM." in page
    assert "Prefers the window seat." in page
    assert 'value="10:30"' in page
    assert f'value="{patient.pk}"' in page
    assert "checked" in page  # the patient stays chosen
    assert Booking.objects.count() == 1


def test_missing_and_impossible_fields_are_named(client_for, frontdesk, chair):
    response = client_for(frontdesk).post(
        new_url(chair.location),
        {"purpose": "session", "chair": "99999999999999999999999", "date": "2026-13-01"},
    )

    page = response.content.decode()
    assert response.status_code == 400
    assert "Choose the patient: search by name, date of birth or phone above." in page
    assert "Select a valid choice." in page
    assert "Enter a valid date." in page
    assert "Enter a valid time." in page or "This field is required." in page


def test_a_patient_of_another_location_cannot_be_posted(client_for, frontdesk, chair, hillcrest):
    stranger = make_patient(hillcrest, legal_last_name="Stranger")

    response = client_for(frontdesk).post(new_url(chair.location), form_data(stranger, chair))

    assert response.status_code == 400
    assert "Choose a patient of this location." in response.content.decode()
    assert Booking.objects.count() == 0


def test_outside_hours_and_the_past_are_explained(client_for, frontdesk, chair, patient):
    client = client_for(frontdesk)
    late = client.post(new_url(chair.location), form_data(patient, chair, start="17:00"))
    yesterday = (timezone.localdate() - timedelta(days=1)).isoformat()
    past = client.post(
        new_url(chair.location), form_data(patient, chair, date=yesterday, start="10:00")
    )

    assert "takes appointments from 08:00 to 18:00" in late.content.decode()
    assert "That time has already passed." in past.content.decode()


def test_no_email_on_file_is_said_after_booking(client_for, frontdesk, chair, no_email_patient):
    client = client_for(frontdesk)

    response = client.post(new_url(chair.location), form_data(no_email_patient, chair), follow=True)

    page = response.content.decode()
    assert "No email address on file" in page
    assert "Eat nothing after 8:00 AM" in page  # the instructions, to read out or print
    assert OutboxMessage.objects.filter(dedup_key__startswith="booking:").count() == 0


# --- one booking -------------------------------------------------------------------------


@pytest.fixture
def booking(chair, patient, frontdesk):
    return make_booking(patient, chair, at(DAY, 9), minutes=120, purpose="session", esketamine=True)


def test_detail_shows_the_booking_its_emails_and_the_instructions(client_for, nurse, booking):
    response = client_for(nurse).get(detail_url(booking))

    page = response.content.decode()
    assert response.status_code == 200
    assert "Treatment session" in page
    assert "Chair 1, Riverside Clinic" in page
    assert "Your appointment at Riverside Clinic on" in page  # the email, by subject
    assert "Eat nothing after 7:00 AM" in page
    assert "Cancel this booking" in page
    assert AccessLog.objects.filter(
        object_type="booking.booking", patient_id=str(booking.patient_id)
    ).exists()


def test_cancel_frees_the_slot(client_for, frontdesk, booking):
    response = client_for(frontdesk).post(
        reverse("backoffice:booking-cancel", args=[booking.pk]),
        {"version": booking.version, "reason": "Patient called"},
    )

    booking.refresh_from_db()
    assert response.status_code == 302
    assert (booking.status, booking.cancel_reason, booking.cancelled_by) == (
        "cancelled",
        "Patient called",
        frontdesk,
    )
    day_page = client_for(frontdesk).get(day_url(booking.location)).content.decode()
    assert "Book Chair 1 at 09:00" in day_page
    assert "Cancelled this day" in day_page


def test_cancel_on_a_stale_page_is_refused_with_a_message(client_for, frontdesk, booking):
    bookings.reschedule(booking, actor=None, expected_version=1, starts_at=at(DAY, 11))

    response = client_for(frontdesk).post(
        reverse("backoffice:booking-cancel", args=[booking.pk]), {"version": 1}, follow=True
    )

    booking.refresh_from_db()
    assert booking.status == "booked"
    assert "Someone else changed this booking" in response.content.decode()


def test_cancel_with_a_reason_too_long_keeps_it_beside_the_field(client_for, frontdesk, booking):
    response = client_for(frontdesk).post(
        reverse("backoffice:booking-cancel", args=[booking.pk]),
        {"version": booking.version, "reason": "x" * 250},
    )

    assert response.status_code == 400
    assert "Ensure this value has at most 200 characters" in response.content.decode()


def test_move_to_another_time(client_for, prescriber, booking, chair2):
    url = reverse("backoffice:booking-reschedule", args=[booking.pk])
    client = client_for(prescriber)
    assert 'value="09:00"' in client.get(url).content.decode()

    response = client.post(
        url,
        {
            "chair": chair2.pk,
            "date": DAY.isoformat(),
            "start": "13:00",
            "minutes": 120,
            "version": booking.version,
        },
    )

    booking.refresh_from_db()
    assert response.status_code == 302
    assert (booking.chair, booking.starts_at, booking.version) == (chair2, at(DAY, 13), 2)
    assert OutboxMessage.objects.filter(dedup_key=f"booking:{booking.pk}:change:v2").exists()


def test_move_into_a_taken_slot_keeps_the_form(client_for, frontdesk, booking, chair2, patient2):
    make_booking(patient2, chair2, at(DAY, 13), minutes=60)

    response = client_for(frontdesk).post(
        reverse("backoffice:booking-reschedule", args=[booking.pk]),
        {
            "chair": chair2.pk,
            "date": DAY.isoformat(),
            "start": "12:30",
            "minutes": 60,
            "version": booking.version,
        },
    )

    page = response.content.decode()
    assert response.status_code == 400
    assert "Chair 2 is already booked from 1:00 PM to 2:00 PM." in page
    assert 'value="12:30"' in page


def test_move_on_a_stale_page_is_refused(client_for, frontdesk, booking):
    bookings.reschedule(booking, actor=None, expected_version=1, starts_at=at(DAY, 11))

    response = client_for(frontdesk).post(
        reverse("backoffice:booking-reschedule", args=[booking.pk]),
        {
            "chair": booking.chair_id,
            "date": DAY.isoformat(),
            "start": "14:00",
            "minutes": 60,
            "version": 1,
        },
        follow=True,
    )

    booking.refresh_from_db()
    assert booking.starts_at == at(DAY, 11)
    assert "Someone else changed this booking" in response.content.decode()


def test_a_cancelled_booking_offers_no_move(client_for, frontdesk, booking):
    bookings.cancel(booking, actor=None, expected_version=1)

    response = client_for(frontdesk).get(
        reverse("backoffice:booking-reschedule", args=[booking.pk])
    )

    assert response.status_code == 302


def test_attended_is_recorded_once_the_visit_started(client_for, nurse, chair, patient):
    booking = make_booking(patient, chair, at(DAY, 9))
    Booking.objects.filter(pk=booking.pk).update(
        starts_at=timezone.now() - timedelta(minutes=30),
        ends_at=timezone.now() + timedelta(minutes=30),
    )

    response = client_for(nurse).post(
        reverse("backoffice:booking-outcome", args=[booking.pk]),
        {"status": "attended", "version": 1},
    )

    booking.refresh_from_db()
    assert response.status_code == 302
    assert booking.status == "attended"


def test_another_locations_booking_is_refused(client_for, other_frontdesk, booking):
    client = client_for(other_frontdesk)

    assert client.get(detail_url(booking)).status_code == 403
    assert (
        client.post(
            reverse("backoffice:booking-cancel", args=[booking.pk]), {"version": 1}
        ).status_code
        == 403
    )
    booking.refresh_from_db()
    assert booking.status == "booked"


# --- the sessions of a treatment course ---------------------------------------------------


@pytest.fixture
def course(riverside, prescriber, nurse):
    from ketaclinic.treatment.domain.protocols import load_shipped_protocols
    from tests.treatment.factories import iv_course, ready_patient

    load_shipped_protocols()
    ready = ready_patient(
        riverside, prescriber, nurse, legal_first_name="Robin", email="robin@example.test"
    )
    return iv_course(ready, prescriber, on=DAY)


def course_url(course):
    return reverse("backoffice:booking-course", args=[course.pk])


def sessions_post(rows: dict[int, dict]) -> dict:
    """Form data: {session number: {"book": ..., "date": ..., "chair": ..., "start": ...}}."""
    data = {}
    for number, values in rows.items():
        for name, value in values.items():
            if value is not None:
                data[f"session-{number}-{name}"] = value
    return data


def suggested(response) -> dict[int, dict]:
    """What the page offers: every unbooked row's suggested values, as form data."""
    rows = {}
    for row in response.context["rows"]:
        if row.form is None:
            continue
        initial = row.form.initial
        rows[row.number] = {
            "book": "on" if initial["book"] else None,
            "date": initial["date"].isoformat(),
            "chair": initial["chair"],
            "start": initial["start"].strftime("%H:%M") if initial["start"] else "",
        }
    return rows


def test_front_desk_sees_the_proposed_dates_with_a_chair_and_time(
    client_for, frontdesk, chair, course
):
    from ketaclinic.treatment.domain.courses import proposed_session_dates

    response = client_for(frontdesk).get(course_url(course))

    assert response.status_code == 200
    dates = proposed_session_dates(course)
    rows = suggested(response)
    assert [rows[n]["date"] for n in range(1, 7)] == [d.isoformat() for d in dates]
    assert {(r["chair"], r["start"], r["book"]) for r in rows.values()} == {
        (chair.pk, "09:00", "on")
    }
    text = response.content.decode()
    assert "Book session 3" in text  # each row's fields are labelled
    assert "Each session is booked for 150 minutes" in text
    assert reverse("backoffice:treatment-course", args=[course.pk]) not in text  # front desk


def test_front_desk_books_every_session_in_one_go(client_for, frontdesk, chair, course):
    client = client_for(frontdesk)
    rows = suggested(client.get(course_url(course)))

    response = client.post(course_url(course), sessions_post(rows))

    assert response.status_code == 302
    assert response["Location"] == course_url(course)
    made = list(course.bookings.order_by("session_number"))
    assert [b.session_number for b in made] == [1, 2, 3, 4, 5, 6]
    assert {(b.chair, b.booked_by, b.purpose, b.minutes) for b in made} == {
        (chair, frontdesk, "session", 150)
    }
    assert OutboxMessage.objects.filter(dedup_key__endswith=":confirmation").count() == 6
    page = client.get(course_url(course))
    assert "Booked 6 sessions for Robin" in page.content.decode()
    assert "Every planned session is booked" in page.content.decode()
    assert all(row.booking is not None for row in page.context["rows"])
    detail = client.get(detail_url(made[2])).content.decode()
    assert f'<a href="{course_url(course)}">session 3 of the course</a>' in detail


def test_a_conflict_on_one_date_books_nothing_and_keeps_every_choice(
    client_for, frontdesk, chair, chair2, course, patient2
):
    from ketaclinic.treatment.domain.courses import proposed_session_dates

    third = proposed_session_dates(course)[2]
    client = client_for(frontdesk)
    rows = suggested(client.get(course_url(course)))
    rows[2]["chair"] = chair2.pk  # a choice the person made
    rows[5]["start"] = "14:00"
    make_booking(patient2, chair, at(third, 9), minutes=60)  # taken meanwhile

    response = client.post(course_url(course), sessions_post(rows))

    assert response.status_code == 400
    assert not course.bookings.exists()
    assert not OutboxMessage.objects.filter(dedup_key__endswith=":confirmation").exists()
    text = response.content.decode()
    assert "Nothing was booked: 1 session could not be booked" in text
    assert "Session 3: Chair 1 is already booked from 9:00 AM to 10:00 AM" in text
    forms = {row.number: row.form for row in response.context["rows"]}
    assert forms[2]["chair"].value() == str(chair2.pk)
    assert forms[5]["start"].value() == "14:00"
    assert forms[3].errors
    assert not forms[2].errors

    rows[3]["chair"] = chair2.pk
    assert client.post(course_url(course), sessions_post(rows)).status_code == 302
    assert course.bookings.count() == 6


def test_only_ticked_sessions_are_booked(client_for, nurse, chair, course):
    client = client_for(nurse)
    rows = suggested(client.get(course_url(course)))
    for number in (3, 4, 5, 6):
        rows[number]["book"] = None

    assert client.post(course_url(course), sessions_post(rows)).status_code == 302

    assert sorted(course.bookings.values_list("session_number", flat=True)) == [1, 2]
    page = client.get(course_url(course))
    assert sorted(row.number for row in page.context["rows"] if row.form) == [3, 4, 5, 6]


def test_a_ticked_row_needs_its_fields_and_nothing_ticked_is_said(
    client_for, frontdesk, chair, course
):
    client = client_for(frontdesk)
    rows = suggested(client.get(course_url(course)))
    rows[1].update(date="", start="25:00", chair="999999")

    response = client.post(course_url(course), sessions_post(rows))

    assert response.status_code == 400
    errors = response.context["rows"][0].form.errors
    assert errors["date"] == ["Choose the date."]
    assert errors["chair"] == ["Choose one of this location's chairs."]
    assert "start" in errors
    assert not course.bookings.exists()

    nothing = {
        n: {**values, "book": None}
        for n, values in suggested(client.get(course_url(course))).items()
    }
    response = client.post(course_url(course), sessions_post(nothing))
    assert response.status_code == 400
    assert "Tick at least one session to book." in response.content.decode()


def test_another_locations_staff_cannot_book_the_course(client_for, other_frontdesk, course):
    assert client_for(other_frontdesk).get(course_url(course)).status_code == 403


def test_finding_a_patient_with_a_course_offers_its_sessions(
    client_for, frontdesk, chair, course, patient2
):
    client = client_for(frontdesk)

    found = client.get(new_url(chair.location, q="Robin"))
    chosen = client.get(new_url(chair.location, patient=course.patient_id))
    other = client.get(new_url(chair.location, q="Lake"))

    assert course_url(course) in found.content.decode()
    assert "Book the sessions of Robin" in found.content.decode()
    assert course_url(course) in chosen.content.decode()
    assert course_url(course) not in other.content.decode()


@pytest.mark.parametrize("count", [1, 3])
def test_course_sessions_page_query_count_does_not_grow(
    client_for, frontdesk, chair, course, count
):
    from ketaclinic.treatment.domain.courses import proposed_session_dates

    dates = proposed_session_dates(course)
    for number in range(1, count + 1):
        make_booking(
            course.patient,
            chair,
            at(dates[number - 1], 9),
            purpose="session",
            course=course,
            session_number=number,
        )
    client = client_for(frontdesk)
    client.get(course_url(course))

    with CaptureQueriesContext(connection) as queries:
        response = client.get(course_url(course))

    assert sum(row.booking is not None for row in response.context["rows"]) == count
    # session, user (roles, locations, MFA as sub-queries), the course (patient, location,
    # protocol version, protocol joined), access-log entry, booked sessions (chair
    # joined), chairs, weekly hours, closed days, bookings nearby, chairs for the forms,
    # clinic profile
    assert len(queries) == 11, [q["sql"] for q in queries.captured_queries]


@pytest.mark.parametrize("number", [1, 6])
def test_hostile_session_rows_are_refused_beside_the_row_never_a_500(
    client_for, frontdesk, chair, course, number
):
    from hypothesis import HealthCheck, given, settings
    from hypothesis import strategies as st

    from tests.security.test_hostile_input import hostile_value

    client = client_for(frontdesk)

    @settings(
        suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
        deadline=None,
        max_examples=25,
    )
    @given(values=st.lists(hostile_value, min_size=4, max_size=4))
    def post(values):
        fields = ["book", "date", "chair", "start"]
        data = {
            f"session-{number}-{name}": value for name, value in zip(fields, values, strict=True)
        }
        response = client.post(course_url(course), data)
        assert response.status_code in (302, 400), data

    post()
    assert course.bookings.count() <= 1
