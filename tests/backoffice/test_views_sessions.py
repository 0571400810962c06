"""The session screens: charting from the tablet, refusals beside the fields, the
discharge page, the note, the chart image, the REMS form; query counts on the session
page at 1 and 3 vital-sign rows."""

import re
from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from ketaclinic.sessions.domain import charting, discharge
from ketaclinic.sessions.models import SessionAlert, Status, VitalSigns
from tests.sessions.factories import CHECK_IN, NORMAL, READY, dosing, esketamine_setup, iv_setup

pytestmark = pytest.mark.django_db


@pytest.fixture
def iv(riverside, prescriber, nurse):
    return iv_setup(riverside, prescriber, nurse)[0]


@pytest.fixture
def esk(riverside, prescriber, nurse):
    return esketamine_setup(riverside, prescriber, nurse)[0]


def url(name, session, *extra):
    return reverse(f"backoffice:sessions-{name}", args=[session.pk, *extra])


def as_post(data):
    return {key: value for key, value in data.items() if value not in (False, None)}


def test_a_nurse_records_readiness_and_checks_the_patient_in(client_for, nurse, iv):
    client = client_for(nurse)

    client.post(url("readiness", iv), dict.fromkeys(READY, "on"))
    response = client.post(
        url("check-in", iv),
        {
            **as_post({k: ("on" if v is True else v) for k, v in CHECK_IN.items()}),
            "suicidal_ideation": "no",
        },
    )

    assert response.status_code == 302
    iv.refresh_from_db()
    assert iv.status == Status.CHECKED_IN


def test_check_in_refusals_are_listed_and_what_was_typed_is_kept(client_for, nurse, iv):
    client = client_for(nurse)

    response = client.post(
        url("check-in", iv),
        {
            "pregnancy_test": "not_applicable",
            "suicidal_ideation": "yes",
            "medication_changes": "Started sertraline",
        },
    )

    assert response.status_code == 400
    text = response.content.decode()
    assert "has not been recorded for today" in text
    assert "a prescriber must review it and record a decision" in text
    assert "Started sertraline" in text


def test_implausible_vitals_show_beside_the_field_and_keep_the_values(client_for, nurse, iv):
    from tests.sessions.factories import checked_in

    checked_in(iv, nurse)
    client = client_for(nurse)

    response = client.post(
        url("vitals", iv), {"systolic": "80", "diastolic": "120", "heart_rate": "72"}
    )

    assert response.status_code == 400
    text = response.content.decode()
    assert "Diastolic pressure (120) must be lower than the systolic (80)" in text
    assert 'value="120"' in text
    assert VitalSigns.objects.count() == 0


def test_a_breach_shows_an_open_alert_until_the_response_is_recorded(client_for, nurse, iv):
    dosing(iv, nurse, at=timezone.now() - timedelta(minutes=20))
    client = client_for(nurse)

    client.post(
        url("vitals", iv), {"systolic": "190", "diastolic": "95", "heart_rate": "80", "spo2": "97"}
    )
    page = client.get(url("session", iv)).content.decode()
    alert = SessionAlert.objects.get()
    assert "Systolic pressure 190 mmHg is at or above the alert limit of 180 mmHg." in page
    assert "Record the response" in page

    blank = client.post(url("respond", iv, alert.pk), {"response": ""})
    assert blank.status_code == 400
    assert "Say what was done." in blank.content.decode()
    client.post(url("respond", iv, alert.pk), {"response": "Infusion paused; BP 150/90."})

    page = client.get(url("session", iv)).content.decode()
    assert "Record the response" not in page
    assert "Infusion paused; BP 150/90." in page


def test_the_session_page_shows_thresholds_due_checks_and_the_total(client_for, nurse, iv):
    address = url("session", iv)  # the first reverse imports every view: not in the 25 minutes
    client = client_for(nurse)
    dosing(iv, nurse, at=timezone.now() - timedelta(minutes=25), rate="60")

    page = client.get(address).content.decode()

    assert "Systolic: alert at ≥ 180 or &lt; 90 mmHg" in page
    assert "Late: the" in page  # the 10- and 20-minute checks were not charted
    # 60 mg/h for 25 minutes, read a moment after the dose was charted (0.01 mg is 0.6 s)
    assert re.search(r"Given so far: 25\.0\d mg \(infusion running\)", page)


def test_another_location_is_refused(client_for, other_prescriber, iv):
    assert client_for(other_prescriber).get(url("session", iv)).status_code == 403


# 21: the session with its patient's stamps (the permission check's read), then, the page
# built (the test settings cache nothing): the chart's 13 (its seven lists and the people
# who charted them), plus the rescue doses and the standing orders offered, the
# paper-chart scans, the session's draws, their ledger entries, and the lots it may draw
# from (whether there is one, then the options).
@pytest.mark.parametrize(("rows", "queries"), [(1, 21), (3, 21)])
def test_session_page_query_count_does_not_grow_with_rows(
    client_for, nurse, iv, rows, queries, django_assert_num_queries
):
    from ketaclinic.sessions.domain import controlled
    from tests.inventory.factories import receive, register

    start = timezone.now() - timedelta(minutes=40)
    dosing(iv, nurse, at=start)
    register(iv.location)
    lot = receive(iv.location, nurse, product=iv.order.product, units=3).lot
    for minute in range(1, rows):
        charting.record_vitals(
            iv, actor=nurse, values=NORMAL, occurred_at=start + timedelta(minutes=10 * minute)
        )
    for _ in range(rows):
        controlled.draw_for_session(iv, lot_id=lot.pk, mg="50", actor=nurse)
    assert iv.vitals.count() == rows
    assert len(controlled.session_draws(iv)) == rows
    client = client_for(nurse)

    with django_assert_num_queries(queries):
        response = client.get(url("session", iv))

    assert response.status_code == 200


# session, user (roles, locations, MFA as sub-queries), the session (its course joined:
# what the rule and the access log read), access-log entry, then in one
# transaction: BEGIN, the session locked, the vital signs, the session's data version,
# COMMIT (whether they raised an alert comes back with the record: no query)
@pytest.mark.parametrize("rows", [1, 4])
def test_vitals_post_query_count_does_not_grow_with_rows(
    client_for, nurse, iv, rows, django_assert_num_queries
):
    start = timezone.now() - timedelta(minutes=10 * rows + 5)
    dosing(iv, nurse, at=start)
    for minute in range(1, rows):
        charting.record_vitals(
            iv, actor=nurse, values=NORMAL, occurred_at=start + timedelta(minutes=10 * minute)
        )
    client = client_for(nurse)
    client.get(url("session", iv))  # the session's throttled activity write

    with django_assert_num_queries(9):
        response = client.post(
            url("vitals", iv),
            {"systolic": "122", "diastolic": "78", "heart_rate": "72", "spo2": "98"},
        )

    assert response.status_code == 302
    assert iv.vitals.count() == rows + 1


@pytest.mark.parametrize(
    ("systolic", "anchor", "notice"),
    [
        ("122", "#vitals", "Vital signs charted."),
        ("210", "#alerts", "Alert: a value is beyond the thresholds in force."),
    ],
)
def test_a_vitals_post_says_whether_it_raised_an_alert(
    client_for, nurse, iv, systolic, anchor, notice
):
    dosing(iv, nurse, at=timezone.now() - timedelta(minutes=15))
    client = client_for(nurse)

    response = client.post(
        url("vitals", iv), {"systolic": systolic, "diastolic": "78", "heart_rate": "72"}
    )

    assert response["Location"].endswith(anchor)
    assert iv.alerts.exists() == (anchor == "#alerts")
    assert notice in client.get(response["Location"]).content.decode()


def test_the_chart_is_an_svg_cached_per_data_version(client_for, nurse, iv, monkeypatch):
    from ketaclinic.sessions import charts

    dosing(iv, nurse, at=timezone.now() - timedelta(minutes=20))
    calls = []
    real = charts.render_vitals_svg
    monkeypatch.setattr(
        charts, "render_vitals_svg", lambda *a, **k: calls.append(1) or real(*a, **k)
    )
    client = client_for(nurse)

    first = client.get(url("chart", iv))
    client.get(url("chart", iv))
    charting.record_vitals(iv, actor=nurse, values=NORMAL)
    client.get(url("chart", iv))

    assert first["Content-Type"] == "image/svg+xml"
    assert first.content.startswith(b"<?xml")
    assert len(calls) == 2


def observed(session, nurse, minutes_ago=120):
    start = timezone.now() - timedelta(minutes=minutes_ago)
    dosing(session, nurse, at=start)
    charting.record_administration(
        session, actor=nurse, kind="stop", occurred_at=start + timedelta(minutes=40)
    )
    return session


def test_the_discharge_page_lists_each_criterion_and_offers_overrides_to_prescribers_only(
    client_for, nurse, prescriber, iv
):
    observed(iv, nurse, minutes_ago=60)

    nurse_page = client_for(nurse).get(url("discharge", iv)).content.decode()
    prescriber_page = client_for(prescriber).get(url("discharge", iv)).content.decode()

    assert "Minimum observation: not met" in nurse_page
    assert "Observed for 20 of the 60 minutes required" in nurse_page
    assert "override_minimum_observation" not in nurse_page
    assert "override_minimum_observation" in prescriber_page


def test_a_prescriber_overrides_with_a_reason_and_discharges(client_for, nurse, prescriber, iv):
    observed(iv, nurse, minutes_ago=60)
    charting.record_vitals(iv, actor=nurse, values=NORMAL)

    response = client_for(prescriber).post(
        url("discharge", iv),
        {
            "alert_and_oriented": "on",
            "escort_present": "on",
            "suicidal_ideation_rechecked": "on",
            "override_minimum_observation": "Fully recovered; escort waiting.",
        },
    )

    assert response.status_code == 302
    iv.refresh_from_db()
    assert iv.discharge.overrides == {"minimum_observation": "Fully recovered; escort waiting."}


def test_a_blocked_discharge_says_why_and_keeps_the_ticks(client_for, nurse, iv):
    observed(iv, nurse, minutes_ago=60)

    response = client_for(nurse).post(url("discharge", iv), {"escort_present": "on"})

    assert response.status_code == 400
    text = response.content.decode()
    assert "The patient is not yet alert and oriented." in text
    assert "Escort present: met" in text
    assert 'name="escort_present" id="id_escort_present" checked' in text


def test_esketamine_observation_offers_no_override(client_for, nurse, prescriber, esk):
    dosing(esk, nurse, at=timezone.now() - timedelta(minutes=30))

    page = client_for(prescriber).get(url("discharge", esk)).content.decode()

    assert "override_minimum_observation" not in page
    assert "never overridden" in page


def discharged_iv(iv, nurse):
    observed(iv, nurse)
    charting.record_vitals(iv, actor=nurse, values=NORMAL)
    discharge.discharge_session(
        iv,
        actor=nurse,
        alert_and_oriented=True,
        escort_present=True,
        suicidal_ideation_rechecked=True,
    )
    return iv


def test_a_stale_note_keeps_the_typed_text_and_says_so(client_for, nurse, iv):
    discharged_iv(iv, nurse)
    client = client_for(nurse)
    version = iv.version
    client.post(url("note", iv), {"note": "First words.", "version": version})

    response = client.post(url("note", iv), {"note": "My own words.", "version": version})

    assert response.status_code == 409
    text = response.content.decode()
    assert "Someone else changed this note" in text
    assert "My own words." in text


def test_the_prescriber_signs_and_later_changes_are_amendments(client_for, nurse, prescriber, iv):
    discharged_iv(iv, nurse)
    client_for(nurse).post(url("note", iv), {"note": "Tolerated well.", "version": iv.version})
    iv.refresh_from_db()
    client = client_for(prescriber)

    client.post(url("sign", iv), {"version": iv.version})
    client.post(url("amend", iv), {"amendment": "Phoned next day: well."})
    page = client.get(url("session", iv)).content.decode()

    iv.refresh_from_db()
    assert iv.note_signed_by == prescriber
    assert "Signed by" in page
    assert "Phoned next day: well." in page
    assert client_for(nurse).post(url("sign", iv), {"version": iv.version}).status_code == 403


def test_the_rems_form_page_lists_what_is_missing_and_the_csv_has_the_columns(
    client_for, nurse, esk
):
    dosing(esk, nurse, at=timezone.now() - timedelta(minutes=30))
    client = client_for(nurse)

    page = client.get(url("rems", esk)).content.decode()
    csv_text = client.get(url("rems-csv", esk)).content.decode()

    assert "Missing from the chart" in page
    assert "Minutes from the first device" in page or "monitoring" in page.lower()
    header = csv_text.splitlines()[0].split(",")
    assert {
        "patient_name",
        "date_of_birth",
        "treatment_date",
        "dose_mg",
        "lot_number",
        "bp_before",
    } <= set(header)
    assert "Robin Vale" in csv_text.splitlines()[1]


def test_the_rems_form_is_only_for_esketamine(client_for, nurse, iv):
    assert client_for(nurse).get(url("rems", iv)).status_code == 404


def test_the_all_sessions_csv_is_scoped_to_the_prescribers_locations(
    client_for, nurse, prescriber, other_prescriber, esk
):
    dosing(esk, nurse, at=timezone.now() - timedelta(minutes=30))
    link = reverse("backoffice:sessions-rems-all")

    own = client_for(prescriber).get(link).content.decode().splitlines()
    other = client_for(other_prescriber).get(link).content.decode().splitlines()

    assert (len(own), len(other)) == (2, 1)


def test_a_session_is_planned_from_the_course_page(client_for, nurse, iv):
    client = client_for(nurse)
    course_url = reverse("backoffice:sessions-course", args=[iv.course_id])

    page = client.get(course_url).content.decode()
    duplicate = client.post(
        reverse("backoffice:sessions-plan", args=[iv.course_id]),
        {"session_number": "1", "reason": "induction"},
    )
    made = client.post(
        reverse("backoffice:sessions-plan", args=[iv.course_id]),
        {"session_number": "2", "reason": "induction"},
    )

    assert "Session 1" in page
    assert duplicate.status_code == 400
    assert "Session 1 of this course already exists." in duplicate.content.decode()
    assert made.status_code == 302
