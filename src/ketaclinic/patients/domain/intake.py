"""Making patient records: from an inquiry (nothing typed twice) or directly.

Possible duplicates (same name and date of birth, or same email, or same phone) are
looked up *before* a record is made; the screens show them and ask for an explicit
"create anyway".
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import asdict, dataclass, fields
from datetime import date

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import Q

from ketaclinic.inquiries.domain import pipeline
from ketaclinic.inquiries.models import Inquiry
from ketaclinic.inquiries.models import Status as InquiryStatus
from ketaclinic.patients.domain.errors import AlreadyAPatient, PatientError
from ketaclinic.patients.domain.parsing import digits_of
from ketaclinic.patients.models import MedicalHistory, Patient, PatientStatus, Sex

DUPLICATES_SHOWN = 10


@dataclass
class PatientData:
    """Demographics as typed on the new-patient and demographics forms."""

    location: object
    legal_first_name: str
    legal_last_name: str
    date_of_birth: date
    sex: str
    preferred_name: str = ""
    gender_identity: str = ""
    pronouns: str = ""
    email: str = ""
    phone: str = ""
    address_line1: str = ""
    address_line2: str = ""
    city: str = ""
    region: str = ""
    postal_code: str = ""
    emergency_contact_name: str = ""
    emergency_contact_phone: str = ""
    emergency_contact_relationship: str = ""
    primary_prescriber: object | None = None

    @classmethod
    def from_mapping(cls, values: Mapping) -> PatientData:
        names = {field.name for field in fields(cls)}
        return cls(**{key: value for key, value in values.items() if key in names})


DEMOGRAPHIC_FIELDS = tuple(field.name for field in fields(PatientData))


def possible_duplicates(
    first_name: str,
    last_name: str,
    date_of_birth: date | None,
    email: str = "",
    phone: str = "",
    location_ids: Iterable[int] | None = None,
    *,
    exclude_pk: int | None = None,
) -> list[Patient]:
    """Patients who may be the same person: same name and date of birth (any case),
    or the same email, or the same phone number. ``location_ids`` limits the search
    to those locations (None: every location)."""
    match = Q(pk__in=[])
    first, last = (first_name or "").strip(), (last_name or "").strip()
    if first and last and date_of_birth:
        match |= Q(
            legal_first_name__iexact=first,
            legal_last_name__iexact=last,
            date_of_birth=date_of_birth,
        ) | Q(
            preferred_name__iexact=first, legal_last_name__iexact=last, date_of_birth=date_of_birth
        )
    if (email or "").strip():
        match |= Q(email__iexact=email.strip())
    if len(digits_of(phone)) >= 7:
        match |= Q(phone=phone.strip())
    queryset = Patient.objects.filter(match).select_related("location")
    if location_ids is not None:
        queryset = queryset.filter(location_id__in=list(location_ids))
    if exclude_pk is not None:
        queryset = queryset.exclude(pk=exclude_pk)
    return list(queryset.order_by("legal_last_name", "legal_first_name", "id")[:DUPLICATES_SHOWN])


def create_patient(
    data: PatientData | Mapping, *, actor, inquiry: Inquiry | None = None
) -> Patient:
    """Make a patient record (status "screening") with its empty medical history."""
    if not isinstance(data, PatientData):
        data = PatientData.from_mapping(data)
    values = asdict(data)
    if values["sex"] not in Sex.values:
        raise PatientError("Choose the patient's sex.", field="sex")
    patient = Patient(
        **values,
        inquiry=inquiry,
        status=PatientStatus.SCREENING,
        created_by=actor,
    )
    patient.full_clean(exclude=["inquiry"])
    try:
        with transaction.atomic():
            patient._history_user = actor
            patient.save()
            MedicalHistory.objects.create(patient=patient)
    except IntegrityError as exc:
        if inquiry is not None:
            raise AlreadyAPatient(Patient.objects.filter(inquiry=inquiry).first()) from exc
        raise
    return patient


def create_patient_from_inquiry(
    inquiry: Inquiry,
    *,
    actor,
    date_of_birth: date,
    sex: str,
    location=None,
) -> Patient:
    """Turn an inquiry into a patient: name, email, phone and location are carried
    over, the two are linked both ways and the inquiry moves to "became patient",
    all in one transaction. Only what the inquiry did not ask (date of birth, sex)
    is typed. The inquiry's "help with" is shown on the record as a hint; no
    condition is invented from it."""
    with transaction.atomic():
        locked = Inquiry.objects.select_for_update().get(pk=inquiry.pk)
        existing = Patient.objects.filter(inquiry=locked).first()
        if existing is not None:
            raise AlreadyAPatient(existing)
        patient = create_patient(
            PatientData(
                location=location or locked.location,
                legal_first_name=locked.first_name.strip(),
                legal_last_name=locked.last_name.strip(),
                date_of_birth=date_of_birth,
                sex=sex,
                email=locked.email,
                phone=locked.phone,
            ),
            actor=actor,
            inquiry=locked,
        )
        if locked.status != InquiryStatus.BECAME_PATIENT:
            try:
                pipeline.move_inquiry(
                    locked,
                    to_status=InquiryStatus.BECAME_PATIENT,
                    actor=actor,
                    expected_version=locked.version,
                )
            except pipeline.PipelineError as exc:
                raise PatientError(
                    f"{exc} Reopen the inquiry first if this person is becoming a patient."
                ) from exc
    inquiry.__dict__.update({k: v for k, v in locked.__dict__.items() if k != "_state"})
    return patient


def validation_messages(error: ValidationError) -> dict[str, list[str]]:
    """A model ValidationError as {field: [messages]} ("__all__" for the record)."""
    if hasattr(error, "error_dict"):
        return {
            field: [str(m) for e in errors for m in e.messages]
            for field, errors in error.error_dict.items()
        }
    return {"__all__": list(error.messages)}
