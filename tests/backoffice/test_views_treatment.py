"""Treatment screens: start a course, the course page, the order form with every input,
preparation and the second check, rescue doses, and the protocol library."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from ketaclinic.patients.domain import records
from ketaclinic.treatment.domain import courses, orders
from ketaclinic.treatment.domain.protocols import add_protocol, load_shipped_protocols
from ketaclinic.treatment.models import Course, Protocol, RescueDose, SessionOrder, StandingOrder
from ketaclinic.treatment.protocols import definition_json, shipped_definitions
from tests.treatment.factories import certify, iv_course, make_product, ready_patient, version_of

pytestmark = pytest.mark.django_db
TODAY = timezone.localdate()


@pytest.fixture
def protocols(db):
    return load_shipped_protocols()


@pytest.fixture
def vial10(db):
    return make_product("10", volume="20", ndc="00000-010-20")


@pytest.fixture
def patient(riverside, prescriber, nurse, protocols):
    return ready_patient(riverside, prescriber, nurse)


@pytest.fixture
def course(patient, prescriber):
    return iv_course(patient, prescriber)


def url(name, *args):
    return reverse(f"backoffice:treatment-{name}", args=args)


def html(response) -> str:
    return response.content.decode()


# --- patient page and starting a course -------------------------------------------------


def test_the_patient_overview_links_to_treatment(client_for, nurse, patient):
    response = client_for(nurse).get(reverse("backoffice:patient", args=[patient.pk]))

    assert url("patient", patient.pk) in html(response)


def test_patient_page_shows_readiness_and_rems(client_for, nurse, riverside, protocols):
    from tests.patients.factories import make_patient

    patient = make_patient(riverside)
    response = client_for(nurse).get(url("patient", patient.pk))

    assert response.status_code == 200
    text = html(response)
    assert "No eligibility decision has been signed." in text
    assert "Not enrolled" in text
    assert "Not certified" in text
    assert url("start", patient.pk) not in text  # nurses do not start courses


def test_a_prescriber_starts_a_course(client_for, prescriber, patient):
    client = client_for(prescriber)
    version = version_of("iv-ketamine-depression-twice-weekly")

    response = client.post(
        url("start", patient.pk),
        {
            "protocol_version": version.pk,
            "prescriber": prescriber.pk,
            "first_session_on": TODAY.isoformat(),
            "note": "Six infusions.",
        },
    )

    course = Course.objects.get(patient=patient)
    assert response.status_code == 302
    assert response["Location"] == url("course", course.pk)
    assert (course.protocol_version, course.started_by, course.note) == (
        version,
        prescriber,
        "Six infusions.",
    )


def test_a_refused_start_lists_every_reason_and_keeps_the_form(client_for, prescriber, patient):
    version = version_of("esketamine-trd-under-65")

    response = client_for(prescriber).post(
        url("start", patient.pk),
        {
            "protocol_version": version.pk,
            "prescriber": prescriber.pk,
            "first_session_on": TODAY.isoformat(),
            "note": "Spravato please.",
        },
    )

    assert response.status_code == 400
    text = html(response)
    assert "The course cannot start" in text
    assert "not enrolled in the Spravato REMS" in text
    assert "not certified as a Spravato REMS healthcare setting" in text
    assert "Spravato please." in text
    assert not Course.objects.exists()


def test_a_bad_date_is_shown_beside_its_field(client_for, prescriber, patient):
    response = client_for(prescriber).post(
        url("start", patient.pk),
        {"protocol_version": "", "prescriber": prescriber.pk, "first_session_on": "31/31/2026"},
    )

    assert response.status_code == 400
    form = response.context["form"]
    assert form.errors["first_session_on"] == ["Enter a valid date."]
    assert form.errors["protocol_version"] == ["This field is required."]


def test_rems_enrolment_from_the_patient_page(client_for, nurse, patient):
    client = client_for(nurse)

    bad = client.post(url("rems", patient.pk), {"enrolment_id": "no spaces!", "enrolled_on": ""})
    good = client.post(
        url("rems", patient.pk), {"enrolment_id": "PT-4242", "enrolled_on": "2024-05-01"}
    )

    assert bad.status_code == 400
    assert bad.context["rems_form"].errors["enrolled_on"] == ["This field is required."]
    assert good.status_code == 302
    patient.refresh_from_db()
    assert patient.rems_enrolment.enrolment_id == "PT-4242"


def test_hillcrest_staff_cannot_open_a_riverside_course(client_for, other_prescriber, course):
    assert client_for(other_prescriber).get(url("course", course.pk)).status_code == 403


# --- the course page --------------------------------------------------------------------


def test_course_page_shows_proposed_dates_and_the_protocol(client_for, nurse, course):
    response = client_for(nurse).get(url("course", course.pk))

    text = html(response)
    dates = courses.proposed_session_dates(course)
    assert [row["date"] for row in response.context["sessions"]] == dates
    assert f"{dates[5]:%b} {dates[5].day}, {dates[5].year}" in text
    assert "0.5 mg/kg" in text
    assert "100 mg per session" in text
    assert "Vital signs at 0, 10, 20, 30, 40, 55, 70, 85, 100 minutes" in text
    assert url("order-new", course.pk) not in text  # nurses do not order


def _orders(course, prescriber, product, count):
    for session in range(1, count + 1):
        orders.order_dose(
            course,
            prescriber=prescriber,
            session_number=session,
            product=product,
            measured_weight_kg="70",
            weight_measured_on=TODAY,
        )


def _bookings(course, count):
    """Book sessions 1..count of ``course``, one a day from tomorrow."""
    from tests.booking.factories import at, future_day, make_booking, make_chair, open_every_day

    location = course.patient.location
    open_every_day(location)
    chair = make_chair(location, "Chair 1")
    return [
        make_booking(
            course.patient,
            chair,
            at(future_day(number), 9),
            purpose="session",
            course=course,
            session_number=number,
        )
        for number in range(1, count + 1)
    ]


@pytest.mark.parametrize("count", [1, 3])
def test_course_page_query_count_does_not_grow(client_for, prescriber, course, vial10, count):
    _orders(course, prescriber, vial10, count)
    _bookings(course, count)
    client = client_for(prescriber)
    client.get(url("course", course.pk))

    with CaptureQueriesContext(connection) as queries:
        response = client.get(url("course", course.pk))

    assert sum(row["order"] is not None for row in response.context["sessions"]) == count
    assert sum(row["booking"] is not None for row in response.context["sessions"]) == count
    # session, user (roles, locations, MFA as sub-queries), the course (patient, location, protocol
    # version, protocol, prescriber joined), access log, clinic profile, orders
    # (product, preparer, checker joined), bookings (chair joined), rescue doses,
    # standing orders (form)
    assert len(queries) == 9, [q["sql"] for q in queries.captured_queries]


def test_course_page_lists_booked_sessions_and_offers_booking(client_for, nurse, course):
    (booking,) = _bookings(course, 1)
    response = client_for(nurse).get(url("course", course.pk))

    text = html(response)
    assert reverse("backoffice:booking-detail", args=[booking.pk]) in text
    assert "Chair 1" in text
    assert "1 of 6 booked" in text
    assert reverse("backoffice:booking-course", args=[course.pk]) in text


def test_an_ended_course_offers_no_booking(client_for, prescriber, course):
    courses.end_course(course, status="completed", actor=prescriber, reason="Done")

    response = client_for(prescriber).get(url("course", course.pk))

    assert reverse("backoffice:booking-course", args=[course.pk]) not in html(response)


def test_the_nav_links_to_protocols_for_clinicians_only(client_for, nurse, frontdesk, director):
    link = f'href="{url("protocols")}"'

    page = reverse("backoffice:patient-list")
    assert link in html(client_for(nurse).get(page))
    assert link in html(client_for(director).get(page))
    assert link not in html(client_for(frontdesk).get(page))


def test_emergency_access_to_the_patient_opens_their_treatment_for_viewing(
    client_for, other_prescriber, course, riverside, vial10, prescriber
):
    from ketaclinic.accounts.models import EmergencyAccess
    from ketaclinic.backoffice.emergency import KINDS, kind_of

    _orders(course, prescriber, vial10, 1)
    order = course.orders.get()
    client = client_for(other_prescriber)
    refused = client.get(url("course", course.pk))
    assert refused.status_code == 403
    assert reverse("backoffice:emergency-request", args=["course", course.pk]) in html(refused)
    assert (kind_of(course), kind_of(order)) == ("course", "order")
    assert KINDS["order"].url_name == "backoffice:treatment-order"

    EmergencyAccess.objects.create(
        user=other_prescriber,
        object_type="patients.patient",
        object_id=str(course.patient_id),
        location=riverside,
        reason="Patient here in crisis",
        expires_at=timezone.now() + timedelta(minutes=30),
    )

    assert client.get(url("course", course.pk)).status_code == 200
    assert client.get(url("order", order.pk)).status_code == 200
    assert client.get(url("order-new", course.pk)).status_code == 403  # viewing only


@pytest.mark.parametrize("count", [1, 3])
def test_patient_page_query_count_does_not_grow(client_for, nurse, patient, prescriber, count):
    for _ in range(count):
        course = iv_course(patient, prescriber)
        courses.end_course(course, status="completed", actor=prescriber, reason="Done.")
    client = client_for(nurse)
    client.get(url("patient", patient.pk))

    with CaptureQueriesContext(connection) as queries:
        response = client.get(url("patient", patient.pk))

    assert len(response.context["courses"]) == count
    # session, user (roles, locations, MFA as sub-queries), patient (location, history
    # joined), access log, REMS enrolment, readiness (medications, conditions, clearances, decision,
    # consent text, consent), certification, clinic profile, courses (protocol and
    # prescriber joined)
    assert len(queries) == 14, [q["sql"] for q in queries.captured_queries]


# --- the order form ---------------------------------------------------------------------


def test_order_form_is_prefilled_from_the_protocol_and_record(client_for, prescriber, course):
    response = client_for(prescriber).get(url("order-new", course.pk) + "?session=2")

    form = response.context["form"]
    assert (form["session_number"].value(), form["mg_per_kg"].value()) == (2, 0.5)
    assert (form["measured_weight_kg"].value(), form["height_cm"].value()) == (
        Decimal("70.0"),
        Decimal("170.0"),
    )
    assert (form["minutes"].value(), form["product"].value()) == (40, None)  # never preselected
    assert form["weight_measured_on"].value() is None  # the record does not say when


def _order_post(product, **changes):
    data = {
        "session_number": "1",
        "product": product.pk,
        "mg_per_kg": "0.5",
        "measured_weight_kg": "70",
        "weight_measured_on": TODAY.isoformat(),
        "height_cm": "170",
        "minutes": "40",
        "final_volume_ml": "100",
        "action": "preview",
    }
    data.update(changes)
    return data


def test_calculate_shows_every_input_and_number_and_saves_nothing(
    client_for, prescriber, course, vial10
):
    response = client_for(prescriber).post(url("order-new", course.pk), _order_post(vial10))

    assert response.status_code == 200
    text = html(response)
    for shown in [
        "70 kg",  # dosing weight
        "Actual body weight 70 kg (clinic rule: actual weight).",
        f"on {TODAY:%b} {TODAY.day}, {TODAY.year}",  # when it was weighed
        "0.5 mg/kg over 40 minutes",
        "<strong>35 mg</strong>",
        "= 0.5 mg/kg × 70 kg",  # the arithmetic, shown
        "<strong>10 mg/mL</strong>",
        "<strong>3.5 mL</strong>",
        "= 35 mg ÷ 10 mg/mL",
        "final volume of <strong>100 mL</strong>",
        "<strong>150 mL/h</strong> = 52.5 mg/h",
    ]:
        assert shown in text, shown
    assert not SessionOrder.objects.exists()


def test_ordering_saves_and_opens_the_order(client_for, prescriber, course, vial10):
    response = client_for(prescriber).post(
        url("order-new", course.pk), _order_post(vial10, action="order")
    )

    order = SessionOrder.objects.get()
    assert response.status_code == 302
    assert response["Location"] == url("order", order.pk)
    assert (order.dose_mg, order.rate_ml_per_h, order.ordered_by) == (35, 150, prescriber)


def test_a_refused_order_shows_the_reason_beside_the_field_and_keeps_the_input(
    client_for, prescriber, course, vial10
):
    old = (TODAY - timedelta(days=40)).isoformat()

    response = client_for(prescriber).post(
        url("order-new", course.pk), _order_post(vial10, weight_measured_on=old, action="order")
    )

    assert response.status_code == 400
    form = response.context["form"]
    assert form.errors["weight_measured_on"] == [
        "The weight was measured 40 days ago; the clinic doses on a weight from the last 30 "
        "days. Weigh the patient again."
    ]
    assert f'value="{old}"' in html(response)
    assert not SessionOrder.objects.exists()


@pytest.mark.parametrize(
    ("field", "value", "error"),
    [
        ("measured_weight_kg", "seventy", "Enter a number."),
        ("measured_weight_kg", "1e400", "Ensure that there are no more than 5 digits"),
        ("session_number", "99999999999999999999", "Ensure this value is less than or equal"),
        ("product", "99999999999999999999999", "Select a valid choice."),
        ("mg_per_kg", "0.9", "0.9 mg/kg is above the protocol dose of 0.5 mg/kg;"),
    ],
)  # fmt: skip
def test_hostile_order_input_is_refused_beside_the_field(
    client_for, prescriber, course, vial10, field, value, error
):
    response = client_for(prescriber).post(
        url("order-new", course.pk), {**_order_post(vial10), field: value}
    )

    assert response.status_code == 400
    assert response.context["form"].errors[field][0].startswith(error)


def test_an_esketamine_order_form_offers_only_the_allowed_doses(
    client_for, prescriber, patient, riverside
):
    certify(riverside)
    courses.record_rems_enrolment(patient, enrolment_id="PT-1", enrolled_on=TODAY, actor=prescriber)
    course = courses.start_course(
        patient, version_of("esketamine-trd-under-65"), prescriber, first_session_on=TODAY
    )
    device = make_product("140", drug="esketamine", volume="0.2", ndc="00000-028-02")

    client = client_for(prescriber)
    form = client.get(url("order-new", course.pk)).context["form"]
    response = client.post(
        url("order-new", course.pk),
        {"session_number": "1", "product": device.pk, "fixed_mg": "84", "action": "order"},
    )

    assert [value for value, _ in form.fields["fixed_mg"].choices] == [56, 84]
    assert "measured_weight_kg" not in form.fields
    assert response.status_code == 400
    assert response.context["form"].errors["fixed_mg"] == ["The first session is 56 mg (label)."]


# --- the order page, preparation and the second check -----------------------------------


@pytest.fixture
def order(course, prescriber, vial10):
    return orders.order_dose(
        course,
        prescriber=prescriber,
        session_number=1,
        product=vial10,
        measured_weight_kg="70",
        weight_measured_on=TODAY,
        final_volume_ml="100",
    )


def test_the_order_page_shows_every_input(client_for, nurse, order):
    text = html(client_for(nurse).get(url("order", order.pk)))

    for shown in ["<strong>70 kg</strong>", "0.5 mg/kg over 40 minutes", "<strong>35 mg</strong>",
                  "<strong>10 mg/mL</strong>", "NDC 00000-010-20", "<strong>3.5 mL</strong>",
                  "<strong>100 mL</strong>", "<strong>150 mL/h</strong> = 52.5 mg/h",
                  "I prepared this dose"]:  # fmt: skip
        assert shown in text, shown


def test_the_order_page_says_when_the_session_is_booked(client_for, nurse, order):
    client = client_for(nurse)
    assert "not booked yet" in html(client.get(url("order", order.pk)))

    (booking,) = _bookings(order.course, 1)
    text = html(client.get(url("order", order.pk)))

    assert reverse("backoffice:booking-detail", args=[booking.pk]) in text
    assert "Chair 1" in text


def test_an_order_made_after_booking_says_the_weight_is_counted_to_the_session(
    client_for, prescriber, course, vial10
):
    (booking,) = _bookings(course, 1)
    made = orders.order_dose(
        course,
        prescriber=prescriber,
        session_number=1,
        product=vial10,
        measured_weight_kg="70",
        weight_measured_on=TODAY,
    )
    session_day = timezone.localtime(booking.starts_at).date()

    text = html(client_for(prescriber).get(url("order", made.pk)))

    assert (
        f"1 day before the session booked for {session_day:%b} {session_day.day}, "
        f"{session_day.year}"
    ) in text


def test_prepare_then_check_by_a_second_person(client_for, nurse, prescriber, order):
    prepared = client_for(nurse).post(url("order-prepare", order.pk), {"version": order.version})
    order.refresh_from_db()
    own_check = client_for(nurse).post(url("order-check", order.pk), {"version": order.version})
    checked = client_for(prescriber).post(url("order-check", order.pk), {"version": order.version})

    assert prepared.status_code == 302
    assert own_check.status_code == 400
    assert "You prepared this dose: a second person must check it." in html(own_check)
    assert checked.status_code == 302
    order.refresh_from_db()
    assert (order.status, order.prepared_by, order.checked_by) == ("checked", nurse, prescriber)


def test_the_preparer_is_not_offered_the_check_button(client_for, nurse, order):
    orders.prepare_order(order, version=order.version, actor=nurse)

    text = html(client_for(nurse).get(url("order", order.pk)))

    assert "Second check: correct" not in text
    assert "You prepared this dose: a second licensed colleague must check it." in text


def test_a_stale_page_is_refused(client_for, nurse, prescriber, order):
    seen = order.version
    orders.prepare_order(order, version=seen, actor=prescriber)

    response = client_for(nurse).post(url("order-prepare", order.pk), {"version": seen})

    assert response.status_code == 400
    assert "Someone else changed this order" in html(response)


def test_cancel_needs_a_reason(client_for, prescriber, order):
    client = client_for(prescriber)

    empty = client.post(url("order-cancel", order.pk), {"version": order.version, "reason": ""})
    done = client.post(
        url("order-cancel", order.pk), {"version": order.version, "reason": "Wrong weight"}
    )

    assert empty.status_code == 400
    assert empty.context["cancel_form"].errors["reason"] == ["This field is required."]
    assert done.status_code == 302
    order.refresh_from_db()
    assert (order.status, order.cancel_reason) == ("cancelled", "Wrong weight")


# --- rescue doses -----------------------------------------------------------------------


def test_a_rescue_dose_is_refused_on_an_allergy(client_for, nurse, course):
    records.add_allergy(course.patient, actor=None, substance="Zofran", reaction="Hives")
    ondansetron = StandingOrder.objects.get(slug="ondansetron-iv-nausea")
    data = {"standing_order": ondansetron.pk, "session_number": "1", "dose_mg": "4",
            "reason": "Nausea"}  # fmt: skip

    response = client_for(nurse).post(url("rescue", course.pk), data)

    assert response.status_code == 400
    assert response.context["rescue_form"].errors["standing_order"] == [
        "Not given: the patient has a recorded allergy to “Zofran” (Hives), which matches "
        "ondansetron. Call the prescriber."
    ]
    assert not RescueDose.objects.exists()


def test_a_rescue_dose_within_limits_is_recorded(client_for, nurse, course):
    labetalol = StandingOrder.objects.get(slug="labetalol-iv-hypertension")
    data = {"standing_order": labetalol.pk, "session_number": "1", "dose_mg": "5",
            "reason": "BP 184/102 twice"}  # fmt: skip

    response = client_for(nurse).post(url("rescue", course.pk), data)

    assert response.status_code == 302
    assert RescueDose.objects.get().given_by == nurse
    assert "Labetalol 5 mg" in html(client_for(nurse).get(url("course", course.pk)))


# --- the protocol library ---------------------------------------------------------------


def _library(count, director):
    base = definition_json(shipped_definitions()[-1])
    for number in range(count):
        add_protocol(
            {**base, "slug": f"protocol-{number}", "name": f"Protocol {number}"},
            actor=director,
            note="Test.",
        )


@pytest.mark.parametrize("count", [1, 3])
def test_protocol_list_query_count_does_not_grow(client_for, nurse, director, count):
    _library(count, director)
    client = client_for(nurse)
    client.get(url("protocols"))

    with CaptureQueriesContext(connection) as queries:
        response = client.get(url("protocols"))

    assert len(response.context["rows"]) == count
    # session, user (roles, locations, MFA as sub-queries), access log, versions (protocol joined),
    # clinic profile
    assert len(queries) == 5, [q["sql"] for q in queries.captured_queries]


def test_the_director_revises_a_protocol(client_for, director, protocols):
    protocol = Protocol.objects.get(slug="iv-ketamine-crps")
    client = client_for(director)
    shown = client.get(url("protocol-revise", protocol.pk)).context["form"]["definition"].value()
    revised = shown.replace(
        '"minimum_observation_minutes": 60', '"minimum_observation_minutes": 90'
    )

    response = client.post(
        url("protocol-revise", protocol.pk), {"definition": revised, "note": "Longer."}
    )

    assert response.status_code == 302
    assert version_of("iv-ketamine-crps").number == 2
    assert "Version 2" in html(client.get(url("protocol", protocol.pk)))


def test_a_revision_without_maxima_is_refused_beside_the_field(client_for, director, protocols):
    protocol = Protocol.objects.get(slug="iv-ketamine-crps")
    client = client_for(director)
    shown = client.get(url("protocol-revise", protocol.pk)).context["form"]["definition"].value()
    broken = shown.replace('"max_mg_per_h": 25.0,', "")

    response = client.post(
        url("protocol-revise", protocol.pk), {"definition": broken, "note": "Try."}
    )

    assert response.status_code == 400
    assert response.context["form"].errors["definition"] == [
        "This protocol cannot be saved: dose → max_mg_per_h: missing. A protocol without its "
        "maxima cannot be saved."
    ]
    assert version_of("iv-ketamine-crps").number == 1
    assert "Try." in html(response)


def test_bad_json_is_refused_beside_the_field(client_for, director, protocols):
    response = client_for(director).post(
        url("protocol-new"), {"definition": "{not json", "note": "New."}
    )

    assert response.status_code == 400
    assert (
        response.context["form"]
        .errors["definition"][0]
        .startswith("This protocol cannot be saved: This is not valid JSON")
    )


def test_the_admin_shows_treatment_configuration(client, django_user_model, protocols, vial10):
    from tests.factories import login_with_mfa

    root = django_user_model.objects.create_superuser(email="root@clinic.test", password="x" * 16)
    login_with_mfa(client, root)

    editable = {"product": 200, "standingorder": 200, "remscertification": 200}
    for name, adding in {**editable, "protocol": 403, "protocolversion": 403}.items():
        assert client.get(reverse(f"admin:treatment_{name}_changelist")).status_code == 200
        assert client.get(reverse(f"admin:treatment_{name}_add")).status_code == adding
    assert (
        client.get(reverse("admin:treatment_product_change", args=[vial10.pk])).status_code == 200
    )


def test_a_product_named_by_an_order_keeps_its_strength_in_the_admin(
    client, django_user_model, order
):
    from tests.factories import login_with_mfa

    root = django_user_model.objects.create_superuser(email="root@clinic.test", password="x" * 16)
    login_with_mfa(client, root)

    page = client.get(reverse("admin:treatment_product_change", args=[order.product_id]))

    assert page.status_code == 200
    assert 'name="concentration_mg_per_ml"' not in page.content.decode()
    assert 'name="name"' in page.content.decode()
