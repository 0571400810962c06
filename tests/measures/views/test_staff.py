"""Staff screens for a patient's questionnaires: permissions per persona, query counts,
assigning, sending, opening in clinic, clinician-rated entry."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from ketaclinic.measures.domain import assignments, links, responses
from ketaclinic.measures.models import Assignment, Response, ResponseLink
from ketaclinic.notifications.models import OutboxMessage
from ketaclinic.safety.models import Alert
from tests.measures.integration.conftest import T0, phq9
from tests.security.test_url_access import LOGIN, STAFF_PERSONAS, staff

pytestmark = pytest.mark.django_db

CLINICAL = {"nurse": 200, "prescriber": 200, "director": 200}
ROWS = {
    "backoffice:measures": ("GET", staff(403, **CLINICAL), []),
    "backoffice:measures-assign": ("POST", staff(403, nurse=400, prescriber=400, director=400), []),
    "backoffice:measures-send": ("POST", staff(403, nurse=400, prescriber=400, director=400), []),
    "backoffice:measures-in-clinic": (
        "POST",
        staff(403, nurse=400, prescriber=400, director=400),
        [],
    ),
    "backoffice:measures-stop": (
        "POST",
        staff(403, nurse=302, prescriber=302, director=302),
        ["A"],
    ),
    "backoffice:measures-enter": ("GET", staff(403, **CLINICAL), ["madrs"]),
}


@pytest.mark.parametrize("name", sorted(ROWS))
def test_each_persona(client_for, personas, patient, name):
    method, expected, extra = ROWS[name]
    for persona in ["anonymous", *STAFF_PERSONAS]:  # patients: the URL walk
        assignment = assignments.assign(patient, "phq-9", "weekly")
        args = [patient.pk] + [assignment.pk if a == "A" else a for a in extra]
        url = reverse(name, args=args)
        client = client_for(personas[persona])
        response = client.post(url, {}) if method == "POST" else client.get(url)
        outcome = response.status_code
        if outcome == 302 and reverse("account_login") in response["Location"]:
            outcome = LOGIN
        assert outcome == expected[persona], f"{method} {url} as {persona}"


def test_page_is_private_and_lists_everything(client_for, nurse, patient):
    assignments.assign(patient, "gad-7", "weekly")
    link, _ = links.create_link(patient, "phq-9")
    responses.save_partial(link, {"1": 1})
    responses.submit_clinician(
        patient, "madrs", {str(i): 1 for i in range(1, 11)}, entered_by=nurse
    )
    response = client_for(nurse).get(reverse("backoffice:measures", args=[patient.pk]))
    assert response.status_code == 200
    assert "no-store" in response["Cache-Control"]
    html = response.content.decode()
    assert "Generalized Anxiety" in html or "GAD-7" in html
    assert "partly answered" in html
    assert "MADRS" in html


def _results(patient, count):
    for n in range(count):
        at = T0 + timedelta(days=7 * n)
        link, _ = links.create_link(patient, "phq-9", now=at)
        responses.submit(link, phq9(base=2 - (n % 2)), now=at)
        assignments.assign(patient, "gad-7", "weekly", now=at)


@pytest.mark.parametrize("count", [1, 3])
def test_query_count_does_not_grow(client_for, nurse, patient, count):
    _results(patient, count)
    client = client_for(nurse)
    url = reverse("backoffice:measures", args=[patient.pk])
    client.get(url)
    with CaptureQueriesContext(connection) as queries:
        response = client.get(url)
    assert response.status_code == 200
    assert len(queries) == QUERIES, [q["sql"] for q in queries.captured_queries]


QUERIES = 8  # constant: the same at 1 and 3 responses


def test_change_from_baseline_shown(client_for, nurse, patient):
    _results(patient, 2)  # 16 then 8
    html = client_for(nurse).get(reverse("backoffice:measures", args=[patient.pk])).content.decode()
    assert "baseline" in html
    assert "-8" in html


def test_assign_and_stop(client_for, prescriber, patient):
    client = client_for(prescriber)
    response = client.post(
        reverse("backoffice:measures-assign", args=[patient.pk]),
        {"instrument_id": "phq-9", "schedule": "weekly"},
    )
    assert response.status_code == 302
    assignment = Assignment.objects.get()
    assert assignment.created_by == prescriber
    assert assignment.next_due_at is not None
    bad = client.post(
        reverse("backoffice:measures-assign", args=[patient.pk]),
        {"instrument_id": "madrs", "schedule": "weekly"},
    )
    assert bad.status_code == 400
    assert "field-error" in bad.content.decode()
    client.post(reverse("backoffice:measures-stop", args=[patient.pk, assignment.pk]))
    assignment.refresh_from_db()
    assert not assignment.active


def test_send_now_emails_a_link(client_for, nurse, patient):
    response = client_for(nurse).post(
        reverse("backoffice:measures-send", args=[patient.pk]), {"instrument_id": "gad-7"}
    )
    assert response.status_code == 302
    link = ResponseLink.objects.get()
    assert link.channel == "email"
    assert link.created_by == nurse
    assert OutboxMessage.objects.get().dedup_key == f"measures.link:{link.pk}:sent"


def test_send_now_without_email_says_so(client_for, nurse, riverside):
    from tests.patients.factories import make_patient

    patient = make_patient(riverside, email="")
    response = client_for(nurse).post(
        reverse("backoffice:measures-send", args=[patient.pk]), {"instrument_id": "gad-7"}
    )
    assert response.status_code == 400
    assert "no email address" in response.content.decode()
    assert not ResponseLink.objects.exists()


def test_open_in_clinic_redirects_to_the_portal(client_for, nurse, patient):
    client = client_for(nurse)
    response = client.post(
        reverse("backoffice:measures-in-clinic", args=[patient.pk]), {"instrument_id": "phq-9"}
    )
    assert response.status_code == 302
    assert response["Location"].startswith("/q/")
    link = ResponseLink.objects.get()
    assert link.channel == "in_clinic"
    assert not OutboxMessage.objects.exists()
    page = client.get(response["Location"])
    assert page.status_code == 200
    assert "Question 1 of 9" in page.content.decode()


def test_enter_madrs_with_errors_beside_fields_then_alert(client_for, prescriber, patient):
    client = client_for(prescriber)
    url = reverse("backoffice:measures-enter", args=[patient.pk, "madrs"])
    response = client.post(url, {"item_1": "9", "item_2": "1"})
    assert response.status_code == 400
    html = response.content.decode()
    assert "field-error" in html
    assert not Response.objects.exists()
    data = {f"item_{i}": "1" for i in range(1, 11)}
    assert client.post(url, data | {"item_3": ""}).status_code == 400
    response = client.post(url, data | {"item_10": "3"})
    assert response.status_code == 302
    stored = Response.objects.get()
    assert stored.entered_by == prescriber
    assert stored.total == 12
    assert Alert.objects.get().tier == "urgent"


def test_enter_refuses_self_report_and_unknown(client_for, nurse, patient):
    client = client_for(nurse)
    assert (
        client.get(reverse("backoffice:measures-enter", args=[patient.pk, "phq-9"])).status_code
        == 404
    )
    assert (
        client.get(reverse("backoffice:measures-enter", args=[patient.pk, "nope"])).status_code
        == 404
    )


def test_overview_panel(client_for, nurse, frontdesk, patient):
    assignments.assign(patient, "gad-7", "weekly")
    url = reverse("backoffice:patient", args=[patient.pk])
    assert "Questionnaires" in client_for(nurse).get(url).content.decode()
    assert 'id="measures"' not in client_for(frontdesk).get(url).content.decode()
