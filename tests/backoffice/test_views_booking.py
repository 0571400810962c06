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
    # session, user, MFA check, role names, location ids, the location, access-log entry,
    # clinic profile, locations for the switcher, chairs, weekly hours, closed days,
    # bookings (patient and chair joined)
    assert len(queries) == 13


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
    assert len(queries) == 13


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
