import csv
import io
from datetime import timedelta

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.utils import timezone

from ketaclinic.sessions.domain import charting, discharge
from tests.sessions.factories import NORMAL, dosing, iv_setup

pytestmark = pytest.mark.django_db

# The header columns issue 7 names, verbatim.
ISSUE_HEADER = (
    "patient_name,date_of_birth,treatment_date,dose_mg,lot_number,monitoring_minutes,"
    "bp_before,bp_40min,bp_end"
)


def test_all_csv_prints_one_row_per_esketamine_session(esk, nurse, prescriber, riverside):
    session, _order = esk
    now = timezone.now().replace(microsecond=0)
    dosing(session, nurse, at=now - timedelta(minutes=130))
    charting.record_vitals(session, actor=nurse, values=NORMAL, now=now)
    discharge.discharge_session(
        session,
        actor=nurse,
        now=now,
        alert_and_oriented=True,
        escort_present=True,
        suicidal_ideation_rechecked=True,
    )
    iv_session, _ = iv_setup(riverside, prescriber, nurse, last_name="Infusion")
    dosing(iv_session, nurse, at=now - timedelta(minutes=20))
    out = io.StringIO()

    call_command("rems_form", "--all", "--csv", stdout=out)

    rows = list(csv.DictReader(io.StringIO(out.getvalue())))
    header = out.getvalue().splitlines()[0].split(",")
    assert set(ISSUE_HEADER.split(",")) <= set(header)
    assert len(rows) == 1
    row = rows[0]
    assert (row["patient_name"], row["date_of_birth"], row["dose_mg"], row["lot_number"]) == (
        "Robin Vale",
        "1980-05-17",
        "28",
        "ESK-1",
    )
    assert (row["monitoring_minutes"], row["bp_before"], row["bp_end"]) == (
        "130",
        "124/78",
        "124/78",
    )
    assert row["bp_40min"] == ""
    assert row["missing"] == "Blood pressure about 40 minutes after dosing"


def test_an_unknown_session_is_a_clear_error(db):
    with pytest.raises(CommandError, match="No esketamine session with id 999"):
        call_command("rems_form", "--session", "999")
