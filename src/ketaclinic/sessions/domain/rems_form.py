"""The Spravato REMS Patient Monitoring Form of an esketamine session, filled from the
chart through the pure ``sessions.rems`` (its fields are data).

What the chart says, field by field:

- patient, date of birth, sex; first treatment = no earlier discharged esketamine
  session of the patient; enrolled = a REMS enrolment on record;
- concomitant medications: the patient's current medications by interaction class;
- monitoring provider: the course's prescriber (name, email) and the location's phone;
  setting: the location's name and address;
- dose: the total from the administration record; lots: the devices' lot numbers;
  minutes from the first device to discharge; ready to leave: the end of the minimum
  observation (or discharge, if earlier);
- vitals acceptable before dosing: the last pre-dose set was not at the hold level;
  before completion: the discharge criterion "vital signs within range" was met;
- sedation: any MOAA/S below 5 or a sedation event; dissociation: any CADSS above 0 or a
  dissociation event; respiratory depression: such an event or an SpO2/respiratory-rate
  alert; other serious adverse events: any event charted as serious.
"""

from __future__ import annotations

from django.utils import timezone

from ketaclinic.patients.models import InteractionClass
from ketaclinic.sessions import rems
from ketaclinic.sessions.domain.discharge import total_given
from ketaclinic.sessions.models import (
    EventType,
    PredoseLevel,
    Scale,
    Session,
    Severity,
    Status,
)
from ketaclinic.treatment.models import RemsEnrolment

CLASS_FIELDS = {
    "concomitant_benzodiazepines": InteractionClass.BENZODIAZEPINE,
    "concomitant_non_benzodiazepine_sedative_hypnotics": (
        InteractionClass.NON_BENZO_SEDATIVE_HYPNOTIC
    ),
    "concomitant_psychostimulants": InteractionClass.PSYCHOSTIMULANT,
    "concomitant_maois": InteractionClass.MAOI,
    "concomitant_opioids": InteractionClass.OPIOID,
}


def esketamine_sessions():
    return (
        Session.objects.filter(course__protocol_version__drug="esketamine")
        .exclude(status=Status.CANCELLED)
        .filter(first_device_at__isnull=False)
        .select_related(
            "course__patient",
            "course__prescriber",
            "course__protocol_version",
            "location",
            "discharge",
        )
        .prefetch_related("vitals", "administrations", "scales", "events", "alerts")
        .order_by("first_device_at", "id")
    )


def facts_for(session: Session) -> rems.RemsFacts:
    patient = session.course.patient
    location = session.location
    prescriber = session.course.prescriber
    local = timezone.localtime
    vitals = sorted(session.vitals.all(), key=lambda item: (item.occurred_at, item.id))
    administrations = list(session.administrations.all())
    scales = list(session.scales.all())
    events = list(session.events.all())
    alerts = list(session.alerts.all())
    discharge = getattr(session, "discharge", None)
    classes = set(
        patient.medications.filter(active=True).values_list("interaction_class", flat=True)
    )
    earlier = (
        Session.objects.filter(
            course__patient=patient,
            course__protocol_version__drug="esketamine",
            status=Status.DISCHARGED,
            first_device_at__lt=session.first_device_at,
        )
        .exclude(pk=session.pk)
        .exists()
        if session.first_device_at
        else False
    )
    predose = [item for item in vitals if item.predose_level]
    total = total_given(session)
    types = {event.type for event in events}
    breach_kinds = {kind for alert in alerts for kind in alert.kinds}
    address = ", ".join(
        part
        for part in (
            location.address_line1,
            location.address_line2,
            location.city,
            f"{location.region} {location.postal_code}".strip(),
        )
        if part
    )
    vitals_in_range = None
    if discharge is not None:
        vitals_in_range = next(
            (item["met"] for item in discharge.criteria if item["name"] == "vitals_in_range"),
            None,
        )
    serious = [event for event in events if event.severity == Severity.SERIOUS]
    return rems.RemsFacts(
        patient_name=patient.legal_name,
        date_of_birth=patient.date_of_birth,
        sex=patient.get_sex_display(),
        first_treatment=not earlier,
        enrolled_in_rems=RemsEnrolment.objects.filter(patient=patient).exists(),
        **{name: value in classes for name, value in CLASS_FIELDS.items()},
        provider_name=str(prescriber),
        provider_phone=location.phone or None,
        provider_email=prescriber.email or None,
        setting_name=location.name,
        setting_address=address or None,
        dose_mg=int(total.total_mg)
        if total is not None and total.total_mg == int(total.total_mg)
        else None,
        lot_numbers=[item.lot for item in administrations if item.lot],
        first_device_at=local(session.first_device_at) if session.first_device_at else None,
        monitoring_ended_at=local(session.discharged_at) if session.discharged_at else None,
        ready_to_leave=(
            f"{local(discharge.ready_to_leave_at):%H:%M}"
            if discharge is not None and discharge.ready_to_leave_at
            else None
        ),
        vitals_acceptable_before_dosing=(
            predose[-1].predose_level != PredoseLevel.HOLD if predose else None
        ),
        vitals_acceptable_before_completion=vitals_in_range,
        bp_readings=[
            rems.BpReading(local(item.occurred_at), item.systolic, item.diastolic)
            for item in vitals
            if item.systolic is not None and item.diastolic is not None
        ],
        sedation=any(s.scale == Scale.MOAAS and s.score < 5 for s in scales)
        or EventType.SEDATION in types,
        dissociation=any(s.scale == Scale.CADSS and s.score > 0 for s in scales)
        or EventType.DISSOCIATION in types,
        respiratory_depression=EventType.RESPIRATORY_DEPRESSION in types
        or bool(breach_kinds & {"spo2_low", "resp_rate_low"}),
        other_serious_adverse_events=bool(serious),
        other_serious_adverse_events_details="; ".join(
            f"{event.get_type_display()}: {event.description or event.outcome}".strip(": ")
            for event in serious
        )
        or None,
    )


def fill(session: Session) -> rems.RemsFill:
    return rems.fill_rems_form(facts_for(session))
