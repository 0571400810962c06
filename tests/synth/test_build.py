"""``manage.py synth``: the bulk-built rows agree with what the domain computes, the same
seed gives the same data, and the command refuses what it must."""

from __future__ import annotations

import hashlib
from datetime import date

import pytest
from django.core.management import CommandError, call_command
from django.db import transaction
from django.forms.models import model_to_dict
from django.utils import timezone

from ketaclinic.inventory import ledger
from ketaclinic.inventory.domain.entries import lot_entries
from ketaclinic.inventory.domain.queries import unaccounted_draws
from ketaclinic.inventory.models import LedgerEntry, Lot
from ketaclinic.measures.models import Response
from ketaclinic.outcomes.domain.summaries import cohort_current, refresh_patient
from ketaclinic.outcomes.models import IdeationStatus, OutcomeSummary, PatientOutcome
from ketaclinic.patients.models import Patient
from ketaclinic.safety.models import Alert
from ketaclinic.screening.domain.decisions import current_decision
from ketaclinic.sessions.domain.discharge import tell_outcomes, total_given
from ketaclinic.sessions.models import Session
from ketaclinic.synth.build import Options, build
from ketaclinic.treatment.domain.protocols import load_shipped_protocols

pytestmark = pytest.mark.django_db

VOLATILE = {"id", "data_version", "updated_at", "cohort_version", "cohort_of"}


def _rows(model, key):
    return {
        key(row): {k: v for k, v in model_to_dict(row).items() if k not in VOLATILE}
        for row in model.objects.all()
    }


def _outcome_state():
    return (
        _rows(PatientOutcome, lambda r: r.patient_id),
        _rows(OutcomeSummary, lambda r: (r.patient_id, r.instrument_id)),
        _rows(IdeationStatus, lambda r: r.patient_id),
    )


def test_synth_outcome_rows_equal_the_domain_refresh():
    call_command("synth", patients=30, seed=5)
    built = _outcome_state()
    assert len(built[0]) == 30
    assert len(built[1]) >= 30
    # the cohort attributes are stored as current: a score recomputes none of them
    today = timezone.localdate()
    assert all(cohort_current(facts, today) for facts in PatientOutcome.objects.all())

    for patient in Patient.objects.order_by("pk"):
        if Session.objects.filter(course__patient=patient).exists():
            tell_outcomes(patient)  # the sessions app's own path: facts, then refresh
        else:
            refresh_patient(patient)
    domain = _outcome_state()

    for built_rows, domain_rows in zip(built, domain, strict=True):
        assert set(built_rows) == set(domain_rows)
        for key, values in domain_rows.items():
            assert built_rows[key] == values, key


def test_synth_lot_balances_equal_the_ledger():
    call_command("synth", patients=30, seed=6)

    lots = list(Lot.objects.all())

    assert lots
    for lot in lots:
        totals = ledger.lot_totals(lot_entries(lot.pk), lot.pk)
        assert (lot.balance_mg, lot.outstanding_mg) == (totals.stock_mg, totals.outstanding_mg)
        assert lot.balance_mg >= 0
    assert LedgerEntry.objects.filter(kind="waste", witness__isnull=True).count() == 0


def test_synth_sessions_close_as_the_domain_would():
    call_command("synth", patients=30, seed=7)

    sessions = list(Session.objects.select_related("discharge", "course__patient")[:40])

    assert sessions
    for session in sessions:
        assert total_given(session).total_mg == session.discharge.total_dose_mg
    for patient in Patient.objects.all():
        assert unaccounted_draws(patient=patient) == []
        decided = patient.eligibility_decisions.exists()
        assert not decided or not current_decision(patient).out_of_date


def test_synth_patients_have_names_from_the_name_lists():
    # a completed course once overwrote the last name with the last session's time
    from ketaclinic.synth import distributions as dist

    call_command("synth", patients=30, seed=7)

    for patient in Patient.objects.all():
        assert patient.legal_first_name in dist.FIRST_NAMES
        assert patient.legal_last_name in dist.SURNAMES
        assert patient.emergency_contact_name.split(" ")[-1] == patient.legal_last_name


def test_synth_raises_ideation_alerts_for_some_patients():
    call_command("synth", patients=30, seed=5)

    alerts = Alert.objects.filter(kind="suicidal_ideation")

    assert alerts.exists()
    for alert in alerts:
        response = Response.objects.get(pk=alert.cause["response"])
        assert response.answers["9"] > 0
        assert alert.dedup_key == f"measures.response:{response.pk}:suicidal_ideation"


def _key_digest() -> str:
    digest = hashlib.sha256()
    for rows in (
        Patient.objects.order_by("pk").values_list(
            "pk", "legal_last_name", "date_of_birth", "status", "location_id"
        ),
        Response.objects.order_by("pk").values_list(
            "patient_id", "instrument_id", "submitted_at", "total"
        ),
        Session.objects.order_by("pk").values_list(
            "course_id", "session_number", "reason", "dose_started_at"
        ),
        LedgerEntry.objects.order_by("pk").values_list("lot_id", "kind", "quantity_mg"),
        Lot.objects.order_by("pk").values_list("lot_number", "balance_mg"),
        OutcomeSummary.objects.order_by("pk").values_list(
            "patient_id", "instrument_id", "baseline", "latest", "responded_at", "relapsed_at"
        ),
    ):
        digest.update(repr(list(rows)).encode())
    return digest.hexdigest()


def test_the_same_seed_and_anchor_give_the_same_data():
    load_shipped_protocols()  # outside the rolled-back builds: they would reuse it
    anchor = date(2026, 3, 16)
    found = []
    for seed in (11, 11, 12):
        with transaction.atomic():
            report = build(Options(patients=12, seed=seed, anchor=anchor, digest=True))
            found.append((report.digest, _key_digest()))
            transaction.set_rollback(True)

    assert found[0] == found[1]
    assert found[0][0] != found[2][0]
    assert found[0][1] != found[2][1]


def test_synth_refuses_when_the_disk_is_short():
    with pytest.raises(CommandError, match="Not enough disk"):
        call_command("synth", patients=10**12, seed=1)

    assert not Patient.objects.exists()


def test_synth_refuses_a_database_with_patients_unless_appending():
    call_command("synth", patients=3, seed=1)

    with pytest.raises(CommandError, match="already has patients"):
        call_command("synth", patients=3, seed=1)
    call_command("synth", patients=3, seed=2, append=True)

    assert Patient.objects.count() == 6
