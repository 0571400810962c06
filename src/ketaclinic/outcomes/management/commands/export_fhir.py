"""``manage.py export_fhir PATIENT_ID``: the patient's FHIR R4B Bundle on standard output
(``outcomes.domain.exports.patient_fhir_bundle``), logged as an export in the access log
with the command as the actor's context before anything is printed."""

from __future__ import annotations

from django.core.management.base import BaseCommand, CommandError

from ketaclinic.outcomes.domain.exports import log_command_export, patient_fhir_bundle
from ketaclinic.patients.models import Patient


class Command(BaseCommand):
    help = "Print one patient's FHIR R4B Bundle (JSON) on standard output."

    def add_arguments(self, parser):
        parser.add_argument("patient_id", type=int, help="the patient's record number")
        parser.add_argument("--indent", type=int, default=None, help="pretty-print the JSON")

    def handle(self, *args, patient_id: int, indent: int | None, **options):
        patient = Patient.objects.filter(pk=patient_id).first()
        if patient is None:
            raise CommandError(f"No patient with record number {patient_id}.")
        log_command_export("export_fhir", patient=patient, detail={"format": "fhir-r4b"})
        bundle = patient_fhir_bundle(patient)
        self.stdout.write(bundle.model_dump_json(indent=indent))
