"""FHIR R4B exports for staff (``interop.domain.fhir``), as ``application/fhir+json``.

- a questionnaire definition per instrument: no patient data, so any clinician
  (``measures.view_measures`` without an object) may fetch it and nothing is logged;
- one submitted response of a patient, and all of a patient's submitted responses, as
  a Bundle (collection): the same permission as the patient's results page
  (``measures.view_measures`` on the patient: nurses and prescribers of the patient's
  location, the medical director). Each is logged by ``staff_view`` as an "export"
  of the response or the patient before anything is built.
"""

from __future__ import annotations

from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404
from django.views.decorators.http import require_GET
from fhir.resources.R4B.operationoutcome import OperationOutcome

from ketaclinic.backoffice.access import staff_view
from ketaclinic.interop.domain import fhir
from ketaclinic.measures.instruments import available
from ketaclinic.measures.models import Response
from ketaclinic.patients.models import Patient

FHIR_JSON = "application/fhir+json; fhirVersion=4.3"


def _fhir(resource, *, filename: str, status: int = 200) -> HttpResponse:
    response = HttpResponse(resource.model_dump_json(), content_type=FHIR_JSON, status=status)
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response


def _patient(request: HttpRequest, pk: int, **_kwargs) -> Patient:
    return get_object_or_404(Patient.objects.only("pk", "location_id"), pk=pk)


def _response(request: HttpRequest, pk: int, response_pk: int, **_kwargs) -> Response:
    """A submitted response of this patient; it carries its patient's location (what
    the permission looks at) and names its patient in the access log."""
    response = get_object_or_404(
        Response.objects.select_related("patient").filter(submitted_at__isnull=False),
        pk=response_pk,
        patient_id=pk,
    )
    response.location_id = response.patient.location_id
    return response


@require_GET
@staff_view("measures.view_measures")
def questionnaire(request: HttpRequest, instrument_id: str) -> HttpResponse:
    if instrument_id not in available():
        raise Http404("no such questionnaire")
    return _fhir(fhir.questionnaire(instrument_id), filename=f"{instrument_id}.fhir.json")


@require_GET
@staff_view("measures.view_measures", get_object=_patient, audit_action="export")
def patient_responses(request: HttpRequest, pk: int, obj: Patient) -> HttpResponse:
    return _fhir(fhir.patient_bundle(obj), filename=f"patient-{obj.pk}-questionnaires.fhir.json")


@require_GET
@staff_view("measures.view_measures", get_object=_response, audit_action="export")
def response(request: HttpRequest, pk: int, response_pk: int, obj: Response) -> HttpResponse:
    filename = f"patient-{pk}-{obj.instrument_id}-{obj.pk}.fhir.json"
    try:
        bundle = fhir.response_bundle(obj)
    except fhir.NotExportable as error:
        outcome = OperationOutcome.model_validate(
            {
                "resourceType": "OperationOutcome",
                "issue": [
                    {
                        "severity": "error",
                        "code": "not-supported",
                        "diagnostics": f"This response cannot be exported: {error}.",
                    }
                ],
            }
        )
        return _fhir(outcome, filename=filename, status=422)
    return _fhir(bundle, filename=filename)
