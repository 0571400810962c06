"""The appointment calendar: day and week views per location, booking from an empty
slot, a booking's page with cancel, move and attended / did not attend.

Every view passes ``staff_view`` (permission check on the location or the booking,
and the access log). Front desk, nurses and prescribers work with their own
locations; the medical director with all. Everything works without JavaScript; htmx
only refreshes the patient search in place.
"""

from __future__ import annotations

from datetime import date, timedelta

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from ketaclinic.backoffice.access import staff_view
from ketaclinic.backoffice.forms_util import add_domain_error
from ketaclinic.booking import forms as booking_forms
from ketaclinic.booking.domain import bookings, course_sessions, instructions, notices, queries
from ketaclinic.booking.domain.errors import BookingError, StaleBooking
from ketaclinic.booking.models import Booking, Chair, Status
from ketaclinic.clinic.models import Location
from ketaclinic.formfields import MAX_ID
from ketaclinic.notifications.models import OutboxMessage
from ketaclinic.patients.domain.queries import search_patients
from ketaclinic.treatment.models import Course, CourseStatus, Drug

SEARCH_RESULTS = 20


def _location(request: HttpRequest, location_pk: int, **_kwargs) -> Location:
    return get_object_or_404(Location, pk=location_pk)


def _booking(request: HttpRequest, pk: int, **_kwargs) -> Booking:
    return get_object_or_404(
        Booking.objects.select_related("patient", "location", "chair", "booked_by", "cancelled_by"),
        pk=pk,
    )


def _course(request: HttpRequest, pk: int, **_kwargs) -> Course:
    return get_object_or_404(
        Course.objects.select_related("patient__location", "protocol_version__protocol"),
        pk=pk,
    )


def _day_from(request: HttpRequest) -> tuple[booking_forms.CalendarDateForm, date, bool]:
    """The date asked for (``?date=``), today when none; an impossible date is shown
    beside the date field and today is used."""
    today = timezone.localdate()
    form = booking_forms.CalendarDateForm(request.GET or None)
    if not form.is_bound:
        return booking_forms.CalendarDateForm(initial={"date": today}), today, True
    if not form.is_valid():
        return form, today, False
    return form, form.cleaned_data["date"] or today, True


def _calendar_context(request, location, day, date_form, view_name) -> dict:
    step = 1 if view_name == "day" else 7
    return {
        "location": location,
        "locations": list(queries.calendar_locations(request.user)),
        "day": day,
        "today": timezone.localdate(),
        "previous": day - timedelta(days=step),
        "next": day + timedelta(days=step),
        "date_form": date_form,
        "view_name": view_name,
        "can_book": request.user.has_perm("booking.book", location),
    }


# --- calendars ---------------------------------------------------------------------------


@require_GET
@staff_view("booking.view_calendar")
def calendar_home(request: HttpRequest) -> HttpResponse:
    """The calendar of the person's first location, today."""
    first = queries.calendar_locations(request.user).first()
    if first is None:
        return render(request, "backoffice/booking/no_location.html")
    return redirect("backoffice:booking-day", location_pk=first.pk)


@require_GET
@staff_view("booking.view_calendar", get_object=_location)
def calendar_day(request: HttpRequest, location_pk: int, obj: Location) -> HttpResponse:
    date_form, day, ok = _day_from(request)
    view = queries.day_view(obj, day)
    context = _calendar_context(request, obj, day, date_form, "day")
    context["view"] = view
    return render(request, "backoffice/booking/day.html", context, status=200 if ok else 400)


@require_GET
@staff_view("booking.view_calendar", get_object=_location)
def calendar_week(request: HttpRequest, location_pk: int, obj: Location) -> HttpResponse:
    date_form, day, ok = _day_from(request)
    view = queries.week_view(obj, day)
    context = _calendar_context(request, obj, day, date_form, "week")
    context["view"] = view
    return render(request, "backoffice/booking/week.html", context, status=200 if ok else 400)


# --- booking -----------------------------------------------------------------------------


def _chosen_patient(location, value):
    try:
        pk = int(str(value))
    except (TypeError, ValueError):
        return None
    if not 0 < pk <= MAX_ID:
        return None
    return queries.bookable_patients(location).filter(pk=pk).first()


@require_http_methods(["GET", "POST"])
@staff_view("booking.book", get_object=_location)
def booking_new(request: HttpRequest, location_pk: int, obj: Location) -> HttpResponse:
    location = obj
    search = booking_forms.PatientSearchForm(request.GET or None)
    term = search.cleaned_data["q"] if search.is_valid() else ""
    patients = queries.bookable_patients(location)
    results = list(search_patients(patients, q=term)[:SEARCH_RESULTS]) if term else []
    chosen = _chosen_patient(location, request.POST.get("patient") or request.GET.get("patient"))
    shown = ([chosen] if chosen else []) + [p for p in results if p != chosen]
    initial = {
        key: request.GET[key]
        for key in ("chair", "date", "start", "purpose", "minutes")
        if request.GET.get(key)
    }
    if chosen:
        initial["patient"] = chosen.pk
    form = booking_forms.BookingForm(
        request.POST or None,
        location=location,
        patients=patients,
        shown_patients=shown,
        initial=initial,
    )
    status = 200
    if request.method == "POST":
        if form.is_valid():
            data = form.cleaned_data
            try:
                booking = bookings.book(
                    patient=data["patient"],
                    chair=data["chair"],
                    starts_at=form.starts_at(),
                    minutes=data["minutes"],
                    purpose=data["purpose"],
                    esketamine=data["esketamine"],
                    notes=data["notes"],
                    actor=request.user,
                )
            except BookingError as exc:
                add_domain_error(form, exc)
            else:
                _announce(request, booking, "Booked")
                return redirect("backoffice:booking-detail", pk=booking.pk)
        status = 400
    return render(
        request,
        "backoffice/booking/new.html",
        {
            "location": location,
            "form": form,
            "patient_fields": [form["patient"]],
            "other_fields": [form[name] for name in form.fields if name != "patient"],
            "search": search if search.is_bound else booking_forms.PatientSearchForm(),
            "term": term,
            "results": results,
            "carry": {k: v for k, v in initial.items() if k != "patient"},
            "courses": _active_courses(shown),
        },
        status=status,
    )


def _active_courses(patients) -> list[Course]:
    """The active treatment courses of the patients shown (one query, none if none)."""
    if not patients:
        return []
    return list(
        Course.objects.filter(patient__in=patients, status=CourseStatus.ACTIVE)
        .select_related("patient", "protocol_version__protocol")
        .order_by("patient__legal_last_name", "pk")
    )


def _announce(request, booking: Booking, what: str) -> None:
    when = timezone.localtime(booking.starts_at)
    text = (
        f"{what}: {booking.patient.display_name}, {instructions.full_day(when)} at "
        f"{instructions.clock(when)}, {booking.chair.name}."
    )
    if booking.patient.email:
        text += " The patient is sent an email with the details."
    else:
        text += (
            " No email address on file: give the patient the instructions below by phone "
            "or on paper."
        )
    messages.success(request, text)


# --- one booking -------------------------------------------------------------------------


def _detail(request, booking: Booking, *, cancel_form=None, status=200) -> HttpResponse:
    user = request.user
    now = timezone.now()
    emails = list(
        OutboxMessage.objects.filter(dedup_key__startswith=notices.dedup_prefix(booking))
        .order_by("created_at", "id")
        .values("kind", "subject", "status", "created_at", "sent_at")
    )
    can_change = user.has_perm("booking.change_booking", booking)
    is_booked = booking.status == Status.BOOKED
    started = booking.starts_at <= now
    return render(
        request,
        "backoffice/booking/detail.html",
        {
            "booking": booking,
            "patient": booking.patient,
            "emails": emails,
            "instructions": instructions.details(notices.visit_for(booking)),
            "can_cancel": can_change and is_booked,
            "can_move": can_change and is_booked,
            "can_record_outcome": can_change and started and booking.status != Status.CANCELLED,
            "cancel_form": cancel_form
            or booking_forms.CancelForm(initial={"version": booking.version}),
            "local_day": timezone.localtime(booking.starts_at).date(),
        },
        status=status,
    )


@require_GET
@staff_view("booking.view_booking", get_object=_booking)
def booking_detail(request: HttpRequest, pk: int, obj: Booking) -> HttpResponse:
    return _detail(request, obj)


@require_POST
@staff_view("booking.change_booking", get_object=_booking)
def booking_cancel(request: HttpRequest, pk: int, obj: Booking) -> HttpResponse:
    form = booking_forms.CancelForm(request.POST)
    if form.is_valid():
        try:
            bookings.cancel(
                obj,
                actor=request.user,
                expected_version=form.cleaned_data["version"],
                reason=form.cleaned_data["reason"],
            )
        except StaleBooking as exc:
            messages.error(request, str(exc))
            return redirect("backoffice:booking-detail", pk=obj.pk)
        except BookingError as exc:
            if exc.field not in form.fields:
                messages.error(request, str(exc))
                return redirect("backoffice:booking-detail", pk=obj.pk)
            add_domain_error(form, exc)
        else:
            messages.success(request, "Booking cancelled: the chair is free again.")
            return redirect("backoffice:booking-detail", pk=obj.pk)
    return _detail(request, obj, cancel_form=form, status=400)


@require_POST
@staff_view("booking.change_booking", get_object=_booking)
def booking_outcome(request: HttpRequest, pk: int, obj: Booking) -> HttpResponse:
    form = booking_forms.OutcomeForm(request.POST)
    if not form.is_valid():
        messages.error(request, "Choose attended or did not attend.")
        return _detail(request, obj, status=400)
    try:
        bookings.record_outcome(
            obj,
            actor=request.user,
            expected_version=form.cleaned_data["version"],
            status=form.cleaned_data["status"],
        )
    except BookingError as exc:
        messages.error(request, str(exc))
    else:
        messages.success(request, f"Marked “{obj.get_status_display()}”.")
    return redirect("backoffice:booking-detail", pk=obj.pk)


@require_http_methods(["GET", "POST"])
@staff_view("booking.change_booking", get_object=_booking)
def booking_reschedule(request: HttpRequest, pk: int, obj: Booking) -> HttpResponse:
    booking = obj
    local = timezone.localtime(booking.starts_at)
    form = booking_forms.RescheduleForm(
        request.POST or None,
        location=booking.location,
        initial={
            "chair": booking.chair_id,
            "date": local.date(),
            "start": local.time(),
            "minutes": booking.minutes,
            "version": booking.version,
        },
    )
    status = 200
    if booking.status != Status.BOOKED:
        messages.error(
            request, f"This booking is {booking.get_status_display().lower()}: it cannot be moved."
        )
        return redirect("backoffice:booking-detail", pk=booking.pk)
    if request.method == "POST":
        if form.is_valid():
            data = form.cleaned_data
            try:
                bookings.reschedule(
                    booking,
                    actor=request.user,
                    expected_version=data["version"],
                    starts_at=form.starts_at(),
                    minutes=data["minutes"],
                    chair=data["chair"],
                )
            except StaleBooking as exc:
                messages.error(request, str(exc))
                return redirect("backoffice:booking-detail", pk=booking.pk)
            except BookingError as exc:
                add_domain_error(form, exc)
            else:
                _announce(request, booking, "Moved")
                return redirect("backoffice:booking-detail", pk=booking.pk)
        status = 400
    return render(
        request,
        "backoffice/booking/reschedule.html",
        {
            "booking": booking,
            "form": form,
            "day_url": reverse("backoffice:booking-day", args=[booking.location_id])
            + f"?date={local.date().isoformat()}",
        },
        status=status,
    )


# --- the sessions of a treatment course --------------------------------------------------


def _session_forms(course, rows, chairs, data=None) -> dict:
    forms = {}
    for row in rows:
        if row.booking is not None:
            continue
        initial = {
            "book": row.suggested,
            "date": row.proposed,
            "chair": row.chair.pk if row.chair else "",
            "start": row.start,
        }
        forms[row.number] = booking_forms.CourseSessionForm(
            data, chairs=chairs, number=row.number, initial=initial
        )
    return forms


def _put_row_error(form, error: BookingError) -> None:
    add_domain_error(form, error, field={"minutes": "start"}.get(error.field))


@require_http_methods(["GET", "POST"])
@staff_view("booking.book", get_object=_course)
def course_sessions_book(request: HttpRequest, pk: int, obj: Course) -> HttpResponse:
    """Book the sessions of a course: the proposed dates with a chair and a start to
    choose for each, booked all together (all or nothing; see
    ``booking.domain.course_sessions``)."""
    course = obj
    patient = course.patient
    rows = course_sessions.session_rows(course)
    chairs = list(Chair.objects.filter(location_id=patient.location_id, is_active=True))
    active = course.status == CourseStatus.ACTIVE
    forms = _session_forms(course, rows, chairs, request.POST if request.method == "POST" else None)
    problem = ""
    status = 200
    if request.method == "POST":
        status = 400
        valid = [form.is_valid() for form in forms.values()]  # every row, for its errors
        if not active:
            problem = "This course has ended: its sessions can no longer be booked."
        elif all(valid):
            chosen = [form for form in forms.values() if form.cleaned_data["book"]]
            requests = [
                course_sessions.SessionRequest(
                    form.number, form.cleaned_data["chair"], form.starts_at()
                )
                for form in chosen
            ]
            try:
                made = course_sessions.book_course_sessions(course, requests, actor=request.user)
            except course_sessions.SessionsNotBooked as exc:
                problem = str(exc)
                for number, error in exc.errors.items():
                    _put_row_error(forms[number], error)
            except BookingError as exc:
                problem = str(exc)
            else:
                _announce_sessions(request, patient, made)
                return redirect("backoffice:booking-course", pk=course.pk)
        else:
            problem = "Nothing was booked: check the sessions marked below."
    for row in rows:
        row.form = forms.get(row.number)
    return render(
        request,
        "backoffice/booking/course.html",
        {
            "course": course,
            "patient": patient,
            "rows": rows,
            "active": active,
            "problem": problem,
            "minutes": course_sessions.session_minutes(course),
            "esketamine": course.protocol_version.drug == Drug.ESKETAMINE,
            "can_view_course": request.user.has_perm("treatment.view_treatment", course),
            "to_book": [row for row in rows if row.form is not None],
        },
        status=status,
    )


def _announce_sessions(request, patient, made: list[Booking]) -> None:
    count = len(made)
    text = f"Booked {count} session{'s' if count != 1 else ''} for {patient.display_name}."
    if patient.email:
        text += " The patient is sent an email with the instructions for each."
    else:
        text += (
            " No email address on file: give the patient the instructions (on each "
            "booking's page) by phone or on paper."
        )
    messages.success(request, text)
