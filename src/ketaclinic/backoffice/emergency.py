"""Which records can be opened with emergency access, and where they are shown.

One row per kind of record: its model, the permission that views it and the URL
name of its page. Later clinical records (patients) add a row here.
"""

from __future__ import annotations

from dataclasses import dataclass

from ketaclinic.booking.models import Booking
from ketaclinic.inquiries.models import Inquiry
from ketaclinic.patients.models import Patient
from ketaclinic.treatment.models import Course, SessionOrder


@dataclass(frozen=True)
class EmergencyKind:
    model: type
    view_permission: str
    url_name: str
    label: str


KINDS: dict[str, EmergencyKind] = {
    "inquiry": EmergencyKind(Inquiry, "inquiries.view_inquiry", "backoffice:inquiry", "an inquiry"),
    # label reads after "Emergency access to" and "cannot open"
    "patient": EmergencyKind(
        Patient, "patients.view_patient", "backoffice:patient", "a patient record"
    ),
    # a grant for the patient opens these too (their view rules look at the patient)
    "course": EmergencyKind(
        Course, "treatment.view_treatment", "backoffice:treatment-course", "a treatment course"
    ),
    "order": EmergencyKind(
        SessionOrder, "treatment.view_treatment", "backoffice:treatment-order", "a dose order"
    ),
    "booking": EmergencyKind(
        Booking, "booking.view_booking", "backoffice:booking-detail", "an appointment"
    ),
}


def kind_of(obj) -> str | None:
    for name, kind in KINDS.items():
        if isinstance(obj, kind.model):
            return name
    return None
