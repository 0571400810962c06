"""Staff FHIR exports: who may fetch them, what they return, what the access log says,
and a query count that does not grow with the number of responses."""

from __future__ import annotations

import pytest
from django.urls import reverse
from fhir.resources.R4B.bundle import Bundle
from fhir.resources.R4B.questionnaire import Questionnaire

from ketaclinic.audit.models import AccessLog
from ketaclinic.measures.domain import links, responses
from ketaclinic.measures.models import Response
from tests.patients.factories import make_patient
from tests.security.test_url_access import LOGIN, STAFF_PERSONAS, staff

pytestmark = pytest.mark.django_db

CLINICAL = {"nurse": 200, "prescriber": 200, "director": 200}
PHQ9 = {str(i): 1 for i in range(1, 10)}


@pytest.fixture
def patient(riverside):
    return make_patient(riverside, legal_first_name="Dana", email="dana@example.com")


def answered(patient, instrument_id="phq-9", answers=PHQ9) -> Response:
    link, _ = links.create_link(patient, instrument_id)
    return responses.submit(link, answers).response


def _urls(patient, response):
    return {
        "questionnaire": reverse("backoffice:fhir-questionnaire", args=["phq-9"]),
        "all": reverse("backoffice:fhir-patient-responses", args=[patient.pk]),
        "one": reverse("backoffice:fhir-response", args=[patient.pk, response.pk]),
    }


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        ("questionnaire", staff(403, **CLINICAL, other_prescriber=200)),
        ("all", staff(403, **CLINICAL)),
        ("one", staff(403, **CLINICAL)),
    ],
)
def test_each_persona(client_for, personas, patient_user, patient, url, expected):
    target = _urls(patient, answered(patient))[url]
    for persona in ["anonymous", *STAFF_PERSONAS, "patient"]:
        user = patient_user if persona == "patient" else personas[persona]
        response = client_for(user).get(target)
        outcome = response.status_code
        if outcome == 302 and reverse("account_login") in response["Location"]:
            outcome = LOGIN
        assert outcome == expected[persona], f"{target} as {persona}"


def test_patient_export_is_a_valid_fhir_bundle(client_for, nurse, patient):
    first = answered(patient)
    second = answered(patient, "gad-7", dict.fromkeys(map(str, range(1, 8)), 2))

    response = client_for(nurse).get(
        reverse("backoffice:fhir-patient-responses", args=[patient.pk])
    )

    assert response.status_code == 200
    assert response["Content-Type"] == "application/fhir+json; fhirVersion=4.3"
    assert response["Content-Disposition"] == (
        f'attachment; filename="patient-{patient.pk}-questionnaires.fhir.json"'
    )
    assert "no-store" in response["Cache-Control"]
    bundle = Bundle.model_validate_json(response.content)
    assert bundle.type == "collection"
    assert [
        (e.resource.__resource_type__, e.resource.identifier.value)
        for e in bundle.entry
        if e.resource.__resource_type__ == "QuestionnaireResponse"
    ] == [("QuestionnaireResponse", str(first.pk)), ("QuestionnaireResponse", str(second.pk))]
    codes = [
        e.resource.code.coding[0].code
        for e in bundle.entry
        if e.resource.__resource_type__ == "Observation"
    ]
    assert codes == ["44261-6", "70274-6"]
    assert b"Dana" not in response.content


def test_single_response_export(client_for, prescriber, patient):
    response_row = answered(patient)

    response = client_for(prescriber).get(
        reverse("backoffice:fhir-response", args=[patient.pk, response_row.pk])
    )

    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/fhir+json")
    bundle = Bundle.model_validate_json(response.content)
    answers, total = (e.resource for e in bundle.entry)
    assert answers.identifier.value == str(response_row.pk)
    assert answers.subject.reference == f"Patient/{patient.pk}"
    assert total.valueQuantity.value == 9
    assert total.derivedFrom[0].reference == bundle.entry[0].fullUrl


def test_questionnaire_definition(client_for, other_prescriber):
    client = client_for(other_prescriber)  # no patient data: any clinician

    response = client.get(reverse("backoffice:fhir-questionnaire", args=["madrs"]))

    assert response.status_code == 200
    assert response["Content-Type"] == "application/fhir+json; fhirVersion=4.3"
    questionnaire = Questionnaire.model_validate_json(response.content)
    assert (questionnaire.id, len(questionnaire.item)) == ("madrs", 10)
    assert client.get(reverse("backoffice:fhir-questionnaire", args=["nope"])).status_code == 404
    assert not AccessLog.objects.filter(action="view", path=response.wsgi_request.path).exists()


def test_response_of_another_patient_or_a_draft_is_not_found(client_for, nurse, patient, riverside):
    other = make_patient(riverside, email="other@example.com")
    theirs = answered(other)
    link, _ = links.create_link(patient, "phq-9")
    draft = responses.save_partial(link, {"1": 1})
    client = client_for(nurse)

    assert (
        client.get(reverse("backoffice:fhir-response", args=[patient.pk, theirs.pk])).status_code
        == 404
    )
    draft_pk = getattr(draft, "pk", None) or Response.objects.get(link=link).pk
    assert (
        client.get(reverse("backoffice:fhir-response", args=[patient.pk, draft_pk])).status_code
        == 404
    )


def test_response_that_cannot_be_exported_says_why(client_for, nurse, patient):
    row = answered(patient)
    Response.objects.filter(pk=row.pk).update(instrument_id="retired-scale")

    response = client_for(nurse).get(reverse("backoffice:fhir-response", args=[patient.pk, row.pk]))

    assert response.status_code == 422
    assert response["Content-Type"].startswith("application/fhir+json")
    assert b"no longer in the library" in response.content


def test_each_export_is_in_the_access_log(client_for, nurse, other_prescriber, patient):
    row = answered(patient)
    client_for(nurse).get(reverse("backoffice:fhir-response", args=[patient.pk, row.pk]))
    client_for(nurse).get(reverse("backoffice:fhir-patient-responses", args=[patient.pk]))
    client_for(other_prescriber).get(
        reverse("backoffice:fhir-patient-responses", args=[patient.pk])
    )

    entries = list(
        AccessLog.objects.filter(path__startswith="/staff/fhir/")
        .order_by("id")
        .values_list("user_email", "action", "object_type", "object_id", "patient_id")
    )
    assert entries == [
        (nurse.email, "export", "measures.response", str(row.pk), str(patient.pk)),
        (nurse.email, "export", "patients.patient", str(patient.pk), str(patient.pk)),
        (
            other_prescriber.email,
            "permission_denied",
            "patients.patient",
            str(patient.pk),
            str(patient.pk),
        ),
    ]


@pytest.mark.parametrize("count", [1, 3])
def test_patient_export_query_count_does_not_grow(
    client_for, nurse, patient, count, django_assert_num_queries
):
    for _ in range(count):
        answered(patient)
    client = client_for(nurse)
    url = reverse("backoffice:fhir-patient-responses", args=[patient.pk])
    client.get(url)

    # session, user (roles, locations, MFA as sub-queries), the patient, the access log
    # row, responses
    with django_assert_num_queries(5):
        response = client.get(url)

    assert response.status_code == 200
    assert len(Bundle.model_validate_json(response.content).entry) == 2 * count


def test_results_page_links_to_the_exports(client_for, nurse, patient):
    row = answered(patient)

    html = client_for(nurse).get(reverse("backoffice:measures", args=[patient.pk])).content.decode()

    assert reverse("backoffice:fhir-patient-responses", args=[patient.pk]) in html
    assert reverse("backoffice:fhir-response", args=[patient.pk, row.pk]) in html
    assert "Export (FHIR)" in html
