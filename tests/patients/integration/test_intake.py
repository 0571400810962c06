"""Making patients: from an inquiry (nothing typed twice), directly, duplicates."""

from datetime import date

import pytest

from ketaclinic.inquiries.domain import pipeline
from ketaclinic.inquiries.models import Inquiry, InquiryEvent
from ketaclinic.patients.domain import intake
from ketaclinic.patients.domain.errors import AlreadyAPatient, PatientError
from ketaclinic.patients.models import MedicalHistory, Patient
from tests.factories import make_inquiry
from tests.patients.factories import make_patient

pytestmark = pytest.mark.django_db
DOB = date(1986, 4, 12)


def convert(inquiry, actor, **overrides):
    values = {"actor": actor, "date_of_birth": DOB, "sex": "male"}
    values.update(overrides)
    return intake.create_patient_from_inquiry(inquiry, **values)


def test_conversion_carries_everything_over_and_links_both_ways(riverside, frontdesk):
    inquiry = make_inquiry(
        riverside,
        first_name="Alex",
        last_name="Morgan",
        email="alex@example.com",
        phone="+12175550110",
        help_with="depression",
    )

    patient = convert(inquiry, frontdesk)

    patient.refresh_from_db()
    inquiry.refresh_from_db()
    assert (patient.legal_first_name, patient.legal_last_name) == ("Alex", "Morgan")
    assert (patient.email, patient.phone) == ("alex@example.com", "+12175550110")
    assert (patient.location, patient.date_of_birth, patient.sex) == (riverside, DOB, "male")
    assert patient.inquiry == inquiry
    assert inquiry.patient == patient
    assert inquiry.status == "became_patient"
    assert patient.status == "screening"
    assert patient.created_by == frontdesk
    assert MedicalHistory.objects.filter(patient=patient).exists()
    assert patient.conditions.count() == 0  # "help with" is a hint, never a condition


def test_conversion_records_the_pipeline_move_with_the_actor(riverside, frontdesk):
    inquiry = make_inquiry(riverside)

    convert(inquiry, frontdesk)

    event = InquiryEvent.objects.filter(inquiry=inquiry, kind="status").get()
    assert (event.from_status, event.to_status, event.actor) == ("new", "became_patient", frontdesk)


@pytest.mark.parametrize("status", ["new", "contacted", "consultation_booked"])
def test_conversion_is_allowed_from_open_statuses(riverside, frontdesk, status):
    inquiry = make_inquiry(riverside)
    Inquiry.objects.filter(pk=inquiry.pk).update(status=status)
    inquiry.refresh_from_db()

    convert(inquiry, frontdesk)

    inquiry.refresh_from_db()
    assert inquiry.status == "became_patient"


def test_an_inquiry_marked_became_patient_without_a_record_can_be_linked(riverside, frontdesk):
    inquiry = make_inquiry(riverside)
    Inquiry.objects.filter(pk=inquiry.pk).update(status="became_patient")
    inquiry.refresh_from_db()

    patient = convert(inquiry, frontdesk)

    assert patient.inquiry_id == inquiry.pk


@pytest.mark.parametrize("status", ["closed", "not_a_fit"])
def test_a_closed_inquiry_is_refused_and_nothing_is_made(riverside, frontdesk, status):
    inquiry = make_inquiry(riverside)
    Inquiry.objects.filter(pk=inquiry.pk).update(status=status)
    inquiry.refresh_from_db()

    with pytest.raises(PatientError, match="Reopen the inquiry"):
        convert(inquiry, frontdesk)

    assert Patient.objects.count() == 0
    assert MedicalHistory.objects.count() == 0


def test_an_inquiry_already_converted_is_refused(riverside, frontdesk, director):
    inquiry = make_inquiry(riverside)
    first = convert(inquiry, frontdesk)

    with pytest.raises(AlreadyAPatient) as refused:
        convert(inquiry, director)

    assert refused.value.patient == first
    assert Patient.objects.count() == 1


def test_a_stale_inquiry_object_cannot_make_a_second_patient(riverside, frontdesk):
    inquiry = make_inquiry(riverside)
    stale = Inquiry.objects.get(pk=inquiry.pk)
    convert(inquiry, frontdesk)

    with pytest.raises(AlreadyAPatient):
        convert(stale, frontdesk)


def test_a_bad_sex_value_is_refused(riverside, frontdesk):
    inquiry = make_inquiry(riverside)

    with pytest.raises(PatientError):
        convert(inquiry, frontdesk, sex="robot")

    inquiry.refresh_from_db()
    assert inquiry.status == "new"


def test_conversion_can_name_another_location(riverside, hillcrest, director):
    inquiry = make_inquiry(riverside)

    patient = convert(inquiry, director, location=hillcrest)

    assert patient.location == hillcrest


def test_create_patient_directly(riverside, frontdesk):
    patient = make_patient(riverside, actor=frontdesk, preferred_name="Rob")

    assert patient.pk
    assert patient.inquiry is None
    assert patient.display_name == "Rob Hart"
    assert patient.medical_history.version == 1
    assert patient.history.first().history_user == frontdesk


def test_create_patient_validates_the_phone(riverside, frontdesk):
    with pytest.raises(Exception, match=r"E\.164"):
        make_patient(riverside, actor=frontdesk, phone="555-0100")


# --- possible duplicates ---------------------------------------------------------------


@pytest.fixture
def existing(riverside):
    return make_patient(
        riverside,
        legal_first_name="Robin",
        legal_last_name="Hart",
        date_of_birth=date(1980, 5, 17),
        email="robin@example.com",
        phone="+12175550177",
    )


@pytest.mark.parametrize(
    ("first", "last", "dob", "email", "phone", "found"),
    [
        ("robin", "HART", date(1980, 5, 17), "", "", True),  # name + DOB, any case
        (" Robin ", "Hart", date(1980, 5, 17), "", "", True),
        ("Robin", "Hart", date(1980, 5, 18), "", "", False),  # same name, other DOB
        ("Robyn", "Hart", date(1980, 5, 17), "", "", False),
        ("Sam", "Lee", None, "ROBIN@example.com", "", True),  # email
        ("Sam", "Lee", None, "", "+12175550177", True),  # phone
        ("Sam", "Lee", None, "sam@example.com", "+12175550100", False),
        ("", "", None, "", "", False),
    ],
)
def test_possible_duplicates(existing, first, last, dob, email, phone, found):
    result = intake.possible_duplicates(first, last, dob, email, phone)

    assert result == ([existing] if found else [])


def test_a_preferred_name_match_counts(riverside):
    patient = make_patient(riverside, legal_first_name="Roberta", preferred_name="Robin")

    assert intake.possible_duplicates("Robin", "Hart", date(1980, 5, 17)) == [patient]


def test_duplicates_are_limited_to_the_given_locations(existing, riverside, hillcrest):
    assert (
        intake.possible_duplicates("Robin", "Hart", date(1980, 5, 17), location_ids=[hillcrest.pk])
        == []
    )
    assert intake.possible_duplicates(
        "Robin", "Hart", date(1980, 5, 17), location_ids=[riverside.pk]
    ) == [existing]


def test_pipeline_allows_became_patient_only_from_open_statuses():
    assert "became_patient" in pipeline.allowed_moves("new")
    assert "became_patient" in pipeline.allowed_moves("contacted")
    assert "became_patient" in pipeline.allowed_moves("consultation_booked")
    assert "became_patient" not in pipeline.allowed_moves("closed")
    assert "became_patient" not in pipeline.allowed_moves("not_a_fit")
