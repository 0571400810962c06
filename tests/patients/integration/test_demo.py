"""The demo patients: built through the domain, idempotent."""

import pytest

from ketaclinic.accounts.roles import Role
from ketaclinic.inquiries.domain.submission import InquiryData, submit_inquiry
from ketaclinic.patients.demo import load_demo_patients
from ketaclinic.patients.domain.history import treatment_history
from ketaclinic.patients.models import Medication, Patient
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def demo(riverside, hillcrest):
    staff = {
        "frontdesk": UserFactory(role=Role.FRONT_DESK, locations=[riverside]),
        "prescriber": UserFactory(role=Role.PRESCRIBER, locations=[riverside]),
        "frontdesk.hillcrest": UserFactory(role=Role.FRONT_DESK, locations=[hillcrest]),
        "prescriber.hillcrest": UserFactory(role=Role.PRESCRIBER, locations=[hillcrest]),
        "director": UserFactory(role=Role.MEDICAL_DIRECTOR, locations=[riverside, hillcrest]),
    }
    inquiry = submit_inquiry(
        InquiryData(
            location=riverside,
            first_name="Alex",
            last_name="Morgan",
            email="alex.morgan@example.com",
            phone="+12175550110",
            message="I've tried three antidepressants.",
            help_with="depression",
        ),
        idempotency_key="6f1c2a52-6c55-4d39-9a7a-0f8b5a1f7e11",
        client_ip=None,
    ).inquiry
    return {"riverside": riverside, "hillcrest": hillcrest}, staff, inquiry


def test_demo_patients_are_loaded_once(demo):
    locations, staff, inquiry = demo

    load_demo_patients(locations, staff)
    load_demo_patients(locations, staff)

    assert Patient.objects.count() == 12
    assert Patient.objects.filter(location=locations["riverside"]).count() == 6
    assert Patient.objects.filter(location=locations["hillcrest"]).count() == 6
    alex = Patient.objects.get(legal_first_name="Alex")
    assert alex.inquiry == inquiry
    inquiry.refresh_from_db()
    assert inquiry.status == "became_patient"
    assert alex.primary_prescriber == staff["prescriber"]


def test_demo_histories_are_realistic(demo):
    locations, staff, _ = demo
    load_demo_patients(locations, staff)

    classes = set(Medication.objects.values_list("interaction_class", flat=True))
    assert {"benzodiazepine", "opioid", "maoi", "psychostimulant", "mood_stabiliser"} <= classes
    flags = {
        name: Patient.objects.filter(**{f"medical_history__{name}": True}).count()
        for name in (
            "prior_ketamine_misuse",
            "pregnant",
            "recent_myocardial_infarction",
            "bipolar_disorder",
        )
    }
    assert all(flags.values()), flags
    assert Patient.objects.filter(medical_history__latest_systolic=168).exists()
    resistant = [
        p for p in Patient.objects.all() if treatment_history(p).summary.treatment_resistant
    ]
    assert len(resistant) >= 3
