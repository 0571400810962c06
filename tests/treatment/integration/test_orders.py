"""Dose orders: computed from the protocol, product and dosing weight; the second check."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal

import pytest
from django.db import IntegrityError, transaction
from django.utils import timezone

from ketaclinic.patients.domain import records
from ketaclinic.screening.domain import consent
from ketaclinic.treatment.domain import courses, orders
from ketaclinic.treatment.domain.errors import StaleOrder, TreatmentError
from ketaclinic.treatment.models import RemsCertification, SessionOrder
from tests.treatment.factories import (
    certify,
    enrol,
    esketamine_device,
    iv_course,
    ready_patient,
    version_of,
)

pytestmark = pytest.mark.django_db

TODAY = timezone.localdate()
D = Decimal


@pytest.fixture
def course(patient, prescriber):
    return iv_course(patient, prescriber)


def order(course, prescriber, product, **choices):
    values = {
        "session_number": 1,
        "product": product,
        "measured_weight_kg": "70",
        "weight_measured_on": TODAY,
        "height_cm": "170",
    }
    values.update(choices)
    return orders.order_dose(course, prescriber=prescriber, **values)


def refused(course, prescriber, product, **choices) -> TreatmentError:
    with pytest.raises(TreatmentError) as caught:
        order(course, prescriber, product, **choices)
    return caught.value


# --- IV ketamine --------------------------------------------------------------------------


def test_an_iv_order_is_computed_and_stored_with_its_inputs(course, prescriber, vial10):
    made = order(course, prescriber, vial10)

    made.refresh_from_db()
    assert (made.dose_mg, made.volume_ml, made.infused_ml, made.rate_ml_per_h) == (
        D("35.0"),
        D("3.50"),
        D("3.50"),
        D("5.25"),
    )
    assert (made.mg_per_kg, made.minutes, made.dosing_weight_kg, made.weight_rule) == (
        D("0.500"),
        40,
        D("70.0"),
        "actual",
    )
    assert (made.concentration_mg_per_ml, made.units_needed, made.status) == (D("10"), 1, "ordered")
    assert (made.max_mg_per_kg, made.max_mg, made.ordered_by) == (D("0.5"), D("100"), prescriber)
    assert made.inputs["calculation"] == "ketaclinic.treatment.dosing.weight_based_infusion"
    assert made.inputs["arguments"]["weight_kg"] == "70.0"
    assert made.inputs["result"]["dose_mg"] == "35.0"
    assert made.inputs["protocol"] == {
        "slug": "iv-ketamine-depression-twice-weekly",
        "version": 1,
        "name": "IV ketamine for depression, twice weekly × 6 (ELEKT-D)",
    }
    assert made.inputs["product"]["ndc"] == "00000-010-20"
    assert made.inputs["settings"]["TREATMENT_WEIGHT_MAX_AGE_DAYS"] == 30


def test_a_diluted_order(course, prescriber, vial10):
    made = order(course, prescriber, vial10, final_volume_ml="100")

    assert (made.volume_ml, made.infused_ml, made.rate_ml_per_h, made.rate_mg_per_h) == (
        3.5,
        100,
        150.0,
        52.5,
    )


def test_the_concentration_comes_from_the_product(course, prescriber, vial100):
    made = order(course, prescriber, vial100)

    assert (made.concentration_mg_per_ml, made.volume_ml) == (D("100"), D("0.35"))


def test_vials_needed_counts_whole_vials(course, prescriber, vial10):
    small = vial10.__class__.objects.create(
        name="Ketamine 10 mg/mL, 2 mL",
        drug="ketamine",
        form="vial",
        concentration_mg_per_ml=10,
        unit_volume_ml=2,
        ndc="00000-010-02",
    )

    assert order(course, prescriber, small).units_needed == 2  # 3.5 mL from 2 mL vials


def test_escalation_only_from_the_protocol_session(course, prescriber, vial10):
    error = refused(course, prescriber, vial10, session_number=2, mg_per_kg="0.75")
    assert str(error) == (
        "0.75 mg/kg is above the protocol dose of 0.5 mg/kg; escalation up to 0.75 mg/kg may "
        "be ordered from session 4 (No response after about 3 infusions, and the infusions "
        "were tolerated)."
    )
    assert error.field == "mg_per_kg"

    made = order(course, prescriber, vial10, session_number=4, mg_per_kg="0.75")
    assert (made.dose_mg, made.max_mg_per_kg) == (D("52.5"), D("0.75"))

    above = refused(course, prescriber, vial10, session_number=5, mg_per_kg="0.8")
    assert str(above).endswith("escalation goes up to 0.75 mg/kg.")


def test_a_dose_above_the_absolute_maximum_is_refused(course, prescriber, vial10):
    error = refused(course, prescriber, vial10, measured_weight_kg="210", height_cm="")

    assert str(error).startswith("0.5 mg/kg for 210 kg is 105 mg, above the maximum of 100 mg")
    assert error.field == "mg_per_kg"


@pytest.mark.parametrize(
    ("choices", "field", "words"),
    [
        ({"measured_weight_kg": ""}, "measured_weight_kg", "Enter the patient's weight in kg"),
        ({"measured_weight_kg": "0"}, "measured_weight_kg", "must be more than 0"),
        ({"measured_weight_kg": "700"}, "measured_weight_kg", "outside 30–300 kg"),
        ({"measured_weight_kg": "heavy"}, "measured_weight_kg", "must be a number"),
        ({"weight_measured_on": None}, "weight_measured_on", "Enter the date the weight"),
        (
            {"weight_measured_on": TODAY - timedelta(days=31)},
            "weight_measured_on",
            "The weight was measured 31 days ago; the clinic doses on a weight from the last 30",
        ),
        (
            {"weight_measured_on": TODAY + timedelta(days=1)},
            "weight_measured_on",
            "cannot have been measured in the future",
        ),
        ({"minutes": 30}, "minutes", "over at least 40 minutes"),
        ({"final_volume_ml": "2"}, "final_volume_ml", "is less than the volume drawn"),
        ({"session_number": 0}, "session_number", "Choose the session number"),
        ({"product": None}, "product", "Choose the product"),
    ],
)
def test_order_refusals_name_their_field(course, prescriber, vial10, choices, field, words):
    choices = dict(choices)
    error = refused(course, prescriber, choices.pop("product", vial10), **choices)

    assert words in str(error)
    assert error.field == field
    assert not SessionOrder.objects.exists()


def test_the_weight_window_is_clinic_policy(course, prescriber, vial10, settings):
    settings.TREATMENT_WEIGHT_MAX_AGE_DAYS = 7

    error = refused(course, prescriber, vial10, weight_measured_on=TODAY - timedelta(days=8))

    assert "from the last 7 days" in str(error)


def _book_session(course, number, days_ahead):
    """Book ``number`` of ``course`` ``days_ahead`` from today (Riverside open)."""
    from tests.booking.factories import at, make_booking, make_chair, open_every_day

    location = course.patient.location
    open_every_day(location)
    chair = make_chair(location, f"Chair {number}")
    day = TODAY + timedelta(days=days_ahead)
    return make_booking(
        course.patient, chair, at(day, 9), purpose="session", course=course, session_number=number
    )


def test_once_booked_the_weight_is_counted_to_the_session_date(course, prescriber, vial10):
    """CLINICAL.md §2: weighed "on the day or within a clinic-set window" of the session."""
    _book_session(course, 2, days_ahead=20)
    session_day = courses.long_date(TODAY + timedelta(days=20))

    # 15 days ago: within 30 days of the order, 35 days before the booked session
    error = refused(
        course, prescriber, vial10, session_number=2, weight_measured_on=TODAY - timedelta(15)
    )

    assert error.field == "weight_measured_on"
    assert str(error) == (
        f"The weight was measured 35 days before the session booked for {session_day}; the "
        "clinic doses on a weight from within 30 days of the session. Weigh the patient "
        "again nearer the session."
    )
    # session 1 is not booked: counted to the order date, as before
    assert order(course, prescriber, vial10, weight_measured_on=TODAY - timedelta(15))


def test_a_weight_within_the_window_of_the_booked_session_is_recorded(course, prescriber, vial10):
    _book_session(course, 2, days_ahead=20)

    made = order(course, prescriber, vial10, session_number=2, weight_measured_on=TODAY)

    assert made.inputs["weight_counted_to"] == {
        "date": (TODAY + timedelta(days=20)).isoformat(),
        "basis": "booked session",
        "days": 20,
    }


def test_a_cancelled_booking_no_longer_sets_the_weight_window(course, prescriber, vial10):
    from ketaclinic.booking.domain import bookings

    booking = _book_session(course, 2, days_ahead=40)
    assert refused(course, prescriber, vial10, session_number=2).field == "weight_measured_on"

    bookings.cancel(booking, actor=None, expected_version=booking.version)

    made = order(course, prescriber, vial10, session_number=2)
    assert made.inputs["weight_counted_to"]["basis"] == "order date"


def test_the_obesity_rule_is_clinic_policy_and_shown(course, prescriber, vial10, settings):
    settings.TREATMENT_DOSING_WEIGHT_RULE = "adjusted"

    made = order(course, prescriber, vial10, measured_weight_kg="120", height_cm="170")

    # female (Devine) ideal 61.44 kg; adjusted 61.44 + 0.4 × 58.56 = 84.86 → 84.8 kg
    assert (made.dosing_weight_kg, made.dose_mg, made.weight_rule) == (
        D("84.8"),
        D("42.4"),
        "adjusted",
    )
    assert made.weight_explanation.startswith("Adjusted body weight 84.8 kg")
    assert made.inputs["dosing_weight"]["applied"] == "adjusted"


def test_an_esketamine_device_cannot_be_ordered_on_an_iv_course(course, prescriber):
    error = refused(course, prescriber, esketamine_device())

    assert str(error) == (
        "esketamine 140 mg/mL is esketamine; this course's protocol gives ketamine (racemic)."
    )


def test_an_inactive_product_cannot_be_ordered(course, prescriber, vial10):
    vial10.__class__.objects.filter(pk=vial10.pk).update(active=False)
    vial10.refresh_from_db()

    assert "no longer stocked" in str(refused(course, prescriber, vial10))


def test_only_prescribers_order(course, nurse, vial10):
    with pytest.raises(TreatmentError, match="Only a prescriber or medical director orders"):
        order(course, nurse, vial10)


def test_one_live_order_per_session(course, prescriber, vial10):
    first = order(course, prescriber, vial10)

    error = refused(course, prescriber, vial10)
    assert str(error) == "Session 1 already has an order: cancel it before ordering again."

    orders.cancel_order(first, version=first.version, actor=prescriber, reason="Wrong weight.")
    assert order(course, prescriber, vial10, measured_weight_kg="71").dose_mg == D("35.5")


def test_a_ketamine_allergy_stops_the_order(course, prescriber, vial10):
    records.add_allergy(course.patient, actor=None, substance="Ketamine", reaction="Rash")

    assert "recorded allergy to “Ketamine”" in str(refused(course, prescriber, vial10))


def test_no_order_after_consent_is_withdrawn(course, prescriber, vial10):
    consent.withdraw_consent(consent.current_consent(course.patient), note="Withdrawn.")

    assert str(refused(course, prescriber, vial10)) == (
        "No current informed consent is recorded: no dose can be ordered until it is given again."
    )


def test_no_order_on_an_ended_course(course, prescriber, vial10):
    courses.end_course(course, status="stopped", actor=prescriber, reason="Moved away.")

    assert "This course has ended" in str(refused(course, prescriber, vial10))


# --- CRPS ---------------------------------------------------------------------------------


def test_crps_order_by_the_hour(patient, prescriber, vial10):
    course = iv_course(patient, prescriber, slug="iv-ketamine-crps")

    made = order(course, prescriber, vial10, final_volume_ml="250")

    assert (made.rate_mg_per_h, made.dose_mg, made.minutes, made.rate_ml_per_h) == (
        D("24.5"),
        D("98.0"),
        240,
        D("62.5"),
    )
    assert made.max_mg_per_h == 25


def test_crps_never_above_25_mg_per_hour(patient, prescriber, vial10):
    course = iv_course(patient, prescriber, slug="iv-ketamine-crps")

    error = refused(course, prescriber, vial10, measured_weight_kg="80")

    assert "28 mg/h, above the maximum of 25 mg/h" in str(error)
    assert error.field == "mg_per_kg_per_h"
    assert order(course, prescriber, vial10, measured_weight_kg="80", mg_per_kg_per_h="0.3")


def test_crps_cannot_run_longer_than_the_protocol(patient, prescriber, vial10):
    course = iv_course(patient, prescriber, slug="iv-ketamine-crps")

    assert "at most 240 minutes" in str(refused(course, prescriber, vial10, minutes=300))


# --- esketamine --------------------------------------------------------------------------


@pytest.fixture
def esketamine_course(patient, prescriber, riverside):
    certify(riverside)
    enrol(patient, prescriber)
    return courses.start_course(
        patient, version_of("esketamine-trd-under-65"), prescriber, first_session_on=TODAY
    )


def esk(course, prescriber, **choices):
    return orders.order_dose(course, prescriber=prescriber, product=esketamine_device(), **choices)


def test_esketamine_first_session_is_56_mg_two_devices(esketamine_course, prescriber):
    made = esk(esketamine_course, prescriber, session_number=1)

    assert (made.dose_mg, made.devices, made.units_needed, made.dose_basis) == (
        D("56"),
        2,
        2,
        "fixed_mg",
    )
    assert made.measured_weight_kg is None
    assert made.inputs["result"] == {"devices": 2, "minutes_between_devices": 5}


def test_no_esketamine_order_once_the_certification_is_withdrawn(
    esketamine_course, prescriber, riverside
):
    RemsCertification.objects.filter(location=riverside).update(active=False)

    with pytest.raises(TreatmentError, match="not certified as a Spravato REMS healthcare"):
        esk(esketamine_course, prescriber, session_number=1)


def test_esketamine_84_mg_is_three_devices_after_day_one(esketamine_course, prescriber):
    esk(esketamine_course, prescriber, session_number=1)

    assert esk(esketamine_course, prescriber, session_number=2, fixed_mg=84).devices == 3


@pytest.mark.parametrize(
    ("session", "mg", "message"),
    [
        (1, 84, "The first session is 56 mg (label)."),
        (2, 28, "This protocol allows 56 or 84 mg."),
        (
            2,
            42,
            "Esketamine is given as 28, 56 or 84 mg (one, two or three 28 mg devices); 42 mg "
            "is not a dose the label allows.",
        ),
    ],
)
def test_esketamine_dose_refusals(esketamine_course, prescriber, session, mg, message):
    with pytest.raises(TreatmentError) as caught:
        esk(esketamine_course, prescriber, session_number=session, fixed_mg=mg)
    assert (str(caught.value), caught.value.field) == (message, "fixed_mg")


def test_the_under_65_rule_is_checked_at_the_order(riverside, prescriber, nurse, protocols):
    """The under-65 rule is checked where the order is made, by the age on the order's
    date, whatever the protocol allows (here an order dated when the patient was 64)."""
    certify(riverside, on=date(2010, 1, 1))
    patient = ready_patient(riverside, prescriber, nurse, date_of_birth=date(1950, 1, 1))
    enrol(patient, prescriber, on=date(2010, 1, 1))
    course = courses.start_course(
        patient, version_of("esketamine-trd-65-and-over"), prescriber, first_session_on=TODAY
    )

    assert esk(course, prescriber, session_number=1).dose_mg == 28  # 65 and over: 28 allowed
    with pytest.raises(TreatmentError, match="Under 65 the label allows esketamine 56 or 84 mg"):
        orders.order_dose(
            course,
            prescriber=prescriber,
            product=esketamine_device(),
            session_number=2,
            fixed_mg=28,
            today=date(2014, 6, 1),  # the patient was 64 then
        )


# --- preparation and the second check -------------------------------------------------------


@pytest.fixture
def ordered(course, prescriber, vial10):
    return order(course, prescriber, vial10)


def test_prepare_then_second_check_by_another_person(ordered, nurse, prescriber):
    orders.prepare_order(ordered, version=ordered.version, actor=nurse)
    orders.second_check(ordered, version=ordered.version, actor=prescriber)

    ordered.refresh_from_db()
    assert (ordered.status, ordered.prepared_by, ordered.checked_by, ordered.version) == (
        "checked",
        nurse,
        prescriber,
        3,
    )
    assert ordered.prepared_at <= ordered.checked_at


def test_the_preparer_cannot_check_their_own_preparation(ordered, nurse):
    orders.prepare_order(ordered, version=ordered.version, actor=nurse)

    with pytest.raises(TreatmentError, match="You prepared this dose: a second person must check"):
        orders.second_check(ordered, version=ordered.version, actor=nurse)
    ordered.refresh_from_db()
    assert (ordered.status, ordered.checked_by) == ("prepared", None)


def test_the_database_refuses_a_self_check_too(ordered, nurse):
    orders.prepare_order(ordered, version=ordered.version, actor=nurse)

    with pytest.raises(IntegrityError), transaction.atomic():
        SessionOrder.objects.filter(pk=ordered.pk).update(checked_by=nurse, status="checked")


def test_second_check_roles_are_clinic_policy(ordered, nurse, prescriber, riverside, settings):
    from tests.factories import UserFactory

    other_nurse = UserFactory(role="nurse", locations=[riverside])
    orders.prepare_order(ordered, version=ordered.version, actor=prescriber)
    settings.TREATMENT_SECOND_CHECK_ROLES = ["prescriber"]

    with pytest.raises(TreatmentError, match="Only a prescriber does the second check"):
        orders.second_check(ordered, version=ordered.version, actor=other_nurse)

    settings.TREATMENT_SECOND_CHECK_ROLES = ["nurse", "prescriber"]
    orders.second_check(ordered, version=ordered.version, actor=other_nurse)
    assert ordered.checked_by == other_nurse


def test_front_desk_neither_prepares_nor_checks(ordered, frontdesk, nurse):
    with pytest.raises(TreatmentError, match="prepares a dose"):
        orders.prepare_order(ordered, version=ordered.version, actor=frontdesk)
    orders.prepare_order(ordered, version=ordered.version, actor=nurse)
    with pytest.raises(TreatmentError, match="does the second check"):
        orders.second_check(ordered, version=ordered.version, actor=frontdesk)


def test_a_stale_version_is_refused(ordered, nurse, prescriber):
    seen = ordered.version
    orders.prepare_order(ordered, version=seen, actor=nurse)

    with pytest.raises(StaleOrder, match="Someone else changed this order"):
        orders.cancel_order(ordered, version=seen, actor=prescriber, reason="Changed plan.")


def test_nothing_is_checked_before_it_is_prepared(ordered, prescriber):
    with pytest.raises(TreatmentError, match="cannot be changed that way"):
        orders.second_check(ordered, version=ordered.version, actor=prescriber)


def test_a_cancelled_order_keeps_who_and_why(ordered, prescriber):
    orders.cancel_order(ordered, version=ordered.version, actor=prescriber, reason=" Wrong  vial ")

    ordered.refresh_from_db()
    assert (ordered.status, ordered.cancelled_by, ordered.cancel_reason) == (
        "cancelled",
        prescriber,
        "Wrong vial",
    )
    with pytest.raises(TreatmentError, match="Say why"):
        orders.cancel_order(ordered, version=ordered.version, actor=prescriber, reason="")


def test_order_history_keeps_every_state(ordered, nurse, prescriber):
    orders.prepare_order(ordered, version=ordered.version, actor=nurse)
    orders.second_check(ordered, version=ordered.version, actor=prescriber)

    assert [(h.status, h.history_user) for h in ordered.history.order_by("history_date")] == [
        ("ordered", prescriber),
        ("prepared", nurse),
        ("checked", prescriber),
    ]
