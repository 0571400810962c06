"""Check-in runs the screening's interaction rules again on the current medications:
hits are shown to the nurse, and a hit new since the eligibility decision needs a
prescriber's documented review before check-in."""

from __future__ import annotations

import pytest
from django.urls import reverse

from ketaclinic.patients.domain.records import add_medication
from ketaclinic.screening.domain import decisions
from ketaclinic.screening.models import Decision
from ketaclinic.sessions.domain import sessions
from ketaclinic.sessions.domain.errors import Refused
from ketaclinic.sessions.domain.interactions import interaction_hits
from ketaclinic.sessions.models import Status
from tests.sessions.factories import CHECK_IN, READY, iv_setup

pytestmark = pytest.mark.django_db
CHECK_IN_POST = {
    **{k: ("on" if v is True else v) for k, v in CHECK_IN.items() if v is not False},
    "suicidal_ideation": "no",
}


@pytest.fixture
def iv(riverside, prescriber, nurse):
    session, _order = iv_setup(riverside, prescriber, nurse)
    sessions.record_readiness(session, actor=nurse, **READY)
    return session


def url(name, session):
    return reverse(f"backoffice:sessions-{name}", args=[session.pk])


def test_a_new_interaction_is_shown_and_blocks_check_in_until_a_prescriber_reviews(
    client_for, nurse, prescriber, iv
):
    add_medication(iv.patient, actor=nurse, name="Lorazepam", interaction_class="benzodiazepine")
    nurse_client = client_for(nurse)

    page = nurse_client.get(url("check-in", iv)).content.decode()
    assert "New since the eligibility decision:" in page
    assert "Takes a benzodiazepine: added sedation and respiratory depression." in page
    assert "A prescriber must review the new interaction" in page

    refused = nurse_client.post(url("check-in", iv), CHECK_IN_POST)
    assert refused.status_code == 400
    assert "A prescriber must review the medications" in refused.content.decode()
    iv.refresh_from_db()
    assert iv.status == Status.PLANNED

    reviewed = client_for(prescriber).post(
        url("decide", iv),
        {"about": "interaction", "decision": "proceed", "reason": "Low dose; monitor SpO2."},
    )
    assert reviewed["Location"] == url("check-in", iv)
    assert "Medications reviewed by" in nurse_client.get(url("check-in", iv)).content.decode()

    assert nurse_client.post(url("check-in", iv), CHECK_IN_POST).status_code == 302
    iv.refresh_from_db()
    assert iv.status == Status.CHECKED_IN


def test_a_hit_known_at_the_eligibility_decision_is_shown_but_needs_no_review(
    client_for, nurse, prescriber, iv
):
    add_medication(iv.patient, actor=nurse, name="Phenelzine", interaction_class="maoi")
    decisions.record_decision(
        iv.patient, decision=Decision.WITH_CONDITIONS, note="MAOI reviewed.", signer=prescriber
    )

    assert [(hit.rule_id, hit.new) for hit in interaction_hits(iv.patient)] == [
        ("maoi_interaction", False)
    ]
    page = client_for(nurse).get(url("check-in", iv)).content.decode()
    assert "Takes an MAOI" in page
    assert "New since the eligibility decision" not in page
    assert client_for(nurse).post(url("check-in", iv), CHECK_IN_POST).status_code == 302


def test_a_stopped_medication_does_not_fire_and_a_deferral_cancels(nurse, prescriber, iv):
    add_medication(
        iv.patient, actor=nurse, name="Oxycodone", interaction_class="opioid", active=False
    )
    assert interaction_hits(iv.patient) == []

    add_medication(iv.patient, actor=nurse, name="Zolpidem")  # classed from the shipped list
    assert [hit.rule_id for hit in interaction_hits(iv.patient)] == ["sedative_hypnotic_sedation"]
    sessions.decide(
        iv, actor=prescriber, about="interaction", decision="defer", reason="Stop zolpidem first."
    )
    with pytest.raises(Refused):
        sessions.check_in(iv, actor=nurse, **CHECK_IN)
    iv.refresh_from_db()
    assert iv.status == Status.CANCELLED


def test_a_nurse_cannot_record_the_medication_review(client_for, nurse, iv):
    add_medication(iv.patient, actor=nurse, name="Lorazepam", interaction_class="benzodiazepine")

    response = client_for(nurse).post(
        url("decide", iv), {"about": "interaction", "decision": "proceed", "reason": "Fine."}
    )

    assert response.status_code == 403
