"""New patients: directly, or from an inquiry; duplicates are shown first."""

from datetime import date

import pytest
from django.urls import reverse

from ketaclinic.audit.models import AccessLog
from ketaclinic.inquiries.models import Inquiry
from ketaclinic.patients.models import Patient
from tests.factories import make_inquiry
from tests.patients.factories import make_patient

NEW = reverse("backoffice:patient-new")
pytestmark = pytest.mark.django_db


def new_patient_data(location, **overrides):
    data = {
        "legal_first_name": "Robin",
        "legal_last_name": "Hart",
        "date_of_birth": "1980-05-17",
        "sex": "female",
        "email": "robin@example.com",
        "phone": "(217) 555-0177",
        "location": location.pk,
    }
    data.update(overrides)
    return data


@pytest.mark.parametrize(
    ("persona", "expected"),
    [
        ("anonymous", 302),
        ("frontdesk", 200),
        ("nurse", 403),
        ("prescriber", 403),
        ("director", 200),
        ("admin", 200),
        ("other_frontdesk", 200),
    ],
)
def test_new_patient_page_access(client_for, personas, persona, expected):
    assert client_for(personas[persona]).get(NEW).status_code == expected


def test_create_a_patient(client_for, frontdesk, riverside, prescriber):
    response = client_for(frontdesk).post(
        NEW, new_patient_data(riverside, primary_prescriber=prescriber.pk)
    )

    patient = Patient.objects.get()
    assert response.status_code == 302
    assert response["Location"] == reverse("backoffice:patient", args=[patient.pk])
    assert (patient.phone, patient.date_of_birth, patient.primary_prescriber) == (
        "+12175550177",
        date(1980, 5, 17),
        prescriber,
    )
    created = AccessLog.objects.get(action="create")
    assert (created.object_type, created.patient_id) == ("patients.patient", str(patient.pk))


def test_a_location_outside_the_users_is_refused(client_for, frontdesk, hillcrest):
    response = client_for(frontdesk).post(NEW, new_patient_data(hillcrest))

    assert response.status_code == 400
    assert Patient.objects.count() == 0


def test_errors_keep_what_was_typed(client_for, frontdesk, riverside):
    response = client_for(frontdesk).post(
        NEW,
        new_patient_data(riverside, phone="12", date_of_birth="2999-01-01", city="Springfield"),
    )

    page = response.content.decode()
    assert response.status_code == 400
    assert "Enter a valid phone number" in page
    assert "The date of birth is in the future." in page
    assert 'value="Springfield"' in page
    assert 'value="Robin"' in page
    assert Patient.objects.count() == 0


@pytest.mark.parametrize(
    "overrides",
    [
        {"legal_first_name": "ROBIN", "email": "", "phone": ""},  # name + DOB
        {"legal_first_name": "Sam", "email": "Robin@Example.com", "phone": ""},  # email
        {"legal_first_name": "Sam", "email": "", "phone": "217-555-0177"},  # phone
    ],
)
def test_duplicates_are_shown_before_a_record_is_made(client_for, frontdesk, riverside, overrides):
    existing = make_patient(
        riverside, email="robin@example.com", phone="+12175550177", legal_first_name="Robin"
    )
    client = client_for(frontdesk)

    response = client.post(NEW, new_patient_data(riverside, **overrides))

    page = response.content.decode()
    assert response.status_code == 200
    assert "This may be someone who already has a record" in page
    assert reverse("backoffice:patient", args=[existing.pk]) in page
    assert "Create anyway" in page
    assert Patient.objects.count() == 1

    anyway = client.post(
        NEW, new_patient_data(riverside, acknowledged=str(existing.pk), **overrides)
    )

    assert anyway.status_code == 302
    assert Patient.objects.count() == 2


def test_a_new_match_after_acknowledging_is_shown_again(client_for, frontdesk, riverside):
    first = make_patient(riverside, email="robin@example.com")
    second = make_patient(riverside, legal_first_name="Sam", phone="+12175550177")
    client = client_for(frontdesk)

    response = client.post(NEW, new_patient_data(riverside, acknowledged=str(first.pk)))

    assert response.status_code == 200
    assert reverse("backoffice:patient", args=[second.pk]) in response.content.decode()
    assert Patient.objects.count() == 2


def test_duplicates_at_other_locations_are_not_disclosed(
    client_for, frontdesk, riverside, hillcrest
):
    make_patient(hillcrest, email="robin@example.com")

    response = client_for(frontdesk).post(NEW, new_patient_data(riverside))

    assert response.status_code == 302
    assert Patient.objects.count() == 2


# --- inquiry → patient ------------------------------------------------------------------


@pytest.fixture
def inquiry(riverside):
    return make_inquiry(
        riverside,
        first_name="Alex",
        last_name="Morgan",
        email="alex@example.com",
        phone="+12175550110",
        help_with="depression",
    )


def convert_url(inquiry):
    return reverse("backoffice:patient-convert", args=[inquiry.pk])


@pytest.mark.parametrize(
    ("persona", "button"),
    [("frontdesk", True), ("director", True), ("admin", True), ("prescriber", False)],
)
def test_make_patient_button_on_the_inquiry(client_for, personas, inquiry, persona, button):
    page = client_for(personas[persona]).get(reverse("backoffice:inquiry", args=[inquiry.pk]))

    assert (convert_url(inquiry) in page.content.decode()) is button


@pytest.mark.parametrize(
    ("persona", "expected"),
    [
        ("anonymous", 302),
        ("frontdesk", 200),
        ("director", 200),
        ("admin", 200),
        ("nurse", 403),
        ("prescriber", 403),
        ("other_frontdesk", 403),
        ("other_prescriber", 403),
    ],
)
def test_convert_access(client_for, personas, inquiry, persona, expected):
    assert client_for(personas[persona]).post(convert_url(inquiry)).status_code == expected


def test_convert_refuses_get(client_for, frontdesk, inquiry):
    assert client_for(frontdesk).get(convert_url(inquiry)).status_code == 405


def test_the_button_shows_the_form_and_changes_nothing(client_for, frontdesk, inquiry):
    response = client_for(frontdesk).post(convert_url(inquiry))

    page = response.content.decode()
    assert "Date of birth" in page
    assert "alex@example.com" in page
    assert "field-error" not in page
    assert Patient.objects.count() == 0


def test_convert_carries_everything_over_and_links_both_ways(client_for, frontdesk, inquiry):
    client = client_for(frontdesk)

    response = client.post(
        convert_url(inquiry), {"step": "details", "date_of_birth": "1986-04-12", "sex": "male"}
    )

    patient = Patient.objects.get()
    inquiry.refresh_from_db()
    assert response["Location"] == reverse("backoffice:patient", args=[patient.pk])
    assert (patient.legal_first_name, patient.legal_last_name, patient.email, patient.phone) == (
        "Alex",
        "Morgan",
        "alex@example.com",
        "+12175550110",
    )
    assert patient.inquiry == inquiry
    assert inquiry.status == "became_patient"
    inquiry_page = client.get(reverse("backoffice:inquiry", args=[inquiry.pk])).content.decode()
    assert "Patient record:" in inquiry_page
    assert reverse("backoffice:patient", args=[patient.pk]) in inquiry_page
    assert convert_url(inquiry) not in inquiry_page


def test_convert_shows_duplicates_then_creates_anyway(client_for, frontdesk, inquiry, riverside):
    existing = make_patient(riverside, legal_first_name="Alexandra", phone="+12175550110")
    client = client_for(frontdesk)
    data = {"step": "details", "date_of_birth": "1986-04-12", "sex": "male"}

    warned = client.post(convert_url(inquiry), data)

    assert "This may be someone who already has a record" in warned.content.decode()
    assert Patient.objects.count() == 1
    created = client.post(convert_url(inquiry), {**data, "acknowledged": str(existing.pk)})
    assert created.status_code == 302
    assert Patient.objects.count() == 2


def test_convert_keeps_what_was_typed_on_error(client_for, frontdesk, inquiry):
    response = client_for(frontdesk).post(
        convert_url(inquiry), {"step": "details", "date_of_birth": "1986-04-12", "sex": "x"}
    )

    assert response.status_code == 400
    assert 'value="1986-04-12"' in response.content.decode()


def test_a_converted_inquiry_leads_to_its_patient(client_for, frontdesk, inquiry):
    client = client_for(frontdesk)
    data = {"step": "details", "date_of_birth": "1986-04-12", "sex": "male"}
    client.post(convert_url(inquiry), data)

    again = client.post(convert_url(inquiry), data)

    assert again.status_code == 302
    assert Patient.objects.count() == 1


def test_a_closed_inquiry_says_why_it_cannot_be_converted(client_for, frontdesk, inquiry):
    Inquiry.objects.filter(pk=inquiry.pk).update(status="closed")

    response = client_for(frontdesk).post(
        convert_url(inquiry), {"step": "details", "date_of_birth": "1986-04-12", "sex": "male"}
    )

    assert response.status_code == 400
    assert "Reopen the inquiry first" in response.content.decode()
    assert Patient.objects.count() == 0


@pytest.mark.parametrize("acknowledged", ["²", "99999,²,x", "9" * 40, "\x00", "-1"])
def test_odd_acknowledged_values_are_ignored(client_for, frontdesk, riverside, acknowledged):
    make_patient(riverside, email="robin@example.com")

    response = client_for(frontdesk).post(
        NEW, new_patient_data(riverside, acknowledged=acknowledged)
    )

    assert response.status_code in {200, 400}  # a warning, or NUL refused by the form
    assert Patient.objects.count() == 1
