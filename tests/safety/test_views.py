"""Safety screens: who opens what, query counts, POST-only changes, stale versions,
hostile input."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from ketaclinic.safety.domain import alerts as domain
from ketaclinic.safety.domain import oncall
from ketaclinic.safety.models import Action, Alert, OnCallShift, SafetyPlan, Tier
from tests.factories import login_with_mfa
from tests.security.test_hostile_input import hostile_value
from tests.security.test_url_access import LOGIN, STAFF_PERSONAS, staff

pytestmark = pytest.mark.django_db


def raise_one(patient, key="k", tier=Tier.URGENT, now=None):
    return domain.raise_alert(
        patient,
        kind="suicidal_ideation",
        tier=tier,
        cause={"instrument": "phq9", "item": 9, "answer": 2},
        source_type="measures.response",
        source_id=key,
        dedup_key=key,
        now=now,
    )


@pytest.fixture
def shift(riverside, director, prescriber):
    now = timezone.now()
    return oncall.add_shift(
        location=riverside,
        prescriber=prescriber,
        starts_at=now - timedelta(hours=1),
        ends_at=now + timedelta(hours=8),
        phone="+12175550123",
        actor=director,
    )


CLINICAL_HERE = {"nurse": 200, "prescriber": 200, "director": 200}
# name: (method, expected per persona) — the rows proposed for tests/security
ACCESS = {
    "backoffice:safety-inbox": ("GET", staff(403, **CLINICAL_HERE, other_prescriber=200)),
    "backoffice:safety-badge": ("GET", staff(403, **CLINICAL_HERE, other_prescriber=200)),
    "backoffice:safety-alert": ("GET", staff(403, **CLINICAL_HERE)),
    "backoffice:safety-acknowledge": (
        "POST",
        staff(403, nurse=302, prescriber=302, director=302),
    ),
    "backoffice:safety-close": ("POST", staff(403, nurse=400, prescriber=400, director=400)),
    "backoffice:safety-follow-up": ("POST", staff(403, nurse=302, prescriber=302, director=302)),
    "backoffice:safety-oncall": ("GET", staff(403, director=200)),
    "backoffice:safety-oncall-remove": ("POST", staff(403, director=302)),
    "backoffice:safety-plan": ("GET", staff(403, **CLINICAL_HERE)),
}


@pytest.fixture
def sample_args(patient, shift):
    alert = raise_one(patient)
    return {
        **{
            name: [alert.pk]
            for name in [
                "backoffice:safety-alert",
                "backoffice:safety-acknowledge",
                "backoffice:safety-close",
                "backoffice:safety-follow-up",
            ]
        },
        "backoffice:safety-oncall-remove": [shift.pk],
        "backoffice:safety-plan": [patient.pk],
    }


def test_every_safety_url_has_a_row():
    from tests.security.test_url_access import our_urls

    assert {name for name in our_urls() if name.startswith("backoffice:safety")} == set(ACCESS)


@pytest.mark.parametrize("name", sorted(ACCESS))
def test_each_persona_gets_what_the_table_says(client_for, personas, sample_args, name):
    method, expected = ACCESS[name]
    url = reverse(name, args=sample_args.get(name, []))
    for persona in ["anonymous", *STAFF_PERSONAS]:  # patients: the URL walk
        client = client_for(personas[persona])
        response = client.post(url, {}) if method == "POST" else client.get(url)
        outcome = response.status_code
        if outcome == 302 and reverse("account_login") in response["Location"]:
            outcome = LOGIN
        assert outcome == expected[persona], f"{method} {url} as {persona}"


@pytest.mark.parametrize("name", [n for n, (m, _) in ACCESS.items() if m == "POST"])
def test_no_state_change_through_get(client_for, director, sample_args, name):
    response = client_for(director).get(reverse(name, args=sample_args[name]))
    assert response.status_code == 405


def test_posts_need_csrf(director, sample_args):
    client = Client(enforce_csrf_checks=True)
    login_with_mfa(client, director)
    url = reverse("backoffice:safety-acknowledge", args=sample_args["backoffice:safety-alert"])
    assert client.post(url).status_code == 403
    assert Alert.objects.get().acknowledged_at is None


# --- inbox --------------------------------------------------------------------------------


def test_inbox_urgent_first_then_newest_and_scoped(client_for, patient, prescriber, hillcrest):
    from tests.patients.factories import make_patient

    now = timezone.now()
    routine = raise_one(patient, "r", Tier.ROUTINE, now - timedelta(minutes=1))
    same_day = raise_one(patient, "s", Tier.SAME_DAY, now)
    urgent_old = raise_one(patient, "u1", Tier.URGENT, now - timedelta(hours=2))
    urgent_new = raise_one(patient, "u2", Tier.URGENT, now - timedelta(hours=1))
    elsewhere = raise_one(make_patient(hillcrest, legal_first_name="Away"), "h", Tier.URGENT)

    response = client_for(prescriber).get(reverse("backoffice:safety-inbox"))
    order = [alert["pk"] for alert in response.context["alerts"]]
    assert order == [urgent_new.pk, urgent_old.pk, same_day.pk, routine.pk]
    assert elsewhere.pk not in order
    assert response.context["alerts"][-1]["for_me"]  # the primary prescriber was told


def test_inbox_filters_closed_and_patient(client_for, patient, prescriber):
    open_alert = raise_one(patient, "a")
    closed = raise_one(patient, "b")
    domain.close_alert(closed, prescriber, Action.CALLED_PATIENT, "", closed.version)
    client = client_for(prescriber)
    inbox = reverse("backoffice:safety-inbox")

    assert [a["pk"] for a in client.get(inbox).context["alerts"]] == [open_alert.pk]
    closed_ones = client.get(inbox, {"state": "closed"}).context["alerts"]
    assert [a["pk"] for a in closed_ones] == [closed.pk]
    assert client.get(inbox, {"state": "all", "patient": patient.pk + 1}).context["alerts"] == []


@pytest.mark.parametrize("count", [1, 3])
def test_inbox_query_count_does_not_grow(client_for, patient, nurse, count):
    for number in range(count):
        raise_one(patient, f"k{number}")
    client = client_for(nurse)
    client.get(reverse("backoffice:safety-inbox"))

    with CaptureQueriesContext(connection) as queries:
        response = client.get(reverse("backoffice:safety-inbox"))

    assert len(response.context["alerts"]) == count
    # session, user (roles, locations, MFA as sub-queries),
    # access-log entry, clinic profile, row count, the page's alert ids, those alerts
    # (patient, location, responsible, acknowledged/closed by joined; "for you" as EXISTS)
    assert len(queries) == 7


def _inbox_order_key(alert):
    return (alert.tier_rank, -alert.created_at.timestamp(), -alert.pk)


@pytest.mark.parametrize("count", [2, 7])
def test_inbox_query_count_and_order_hold_across_pages(
    client_for, patient, nurse, prescriber, monkeypatch, count
):
    """More open alerts than one page: the count is exact, the same number of queries
    at every size, and the pages together are every open alert in the inbox's order
    (ties on created_at broken by newest id), with no closed alert among them."""
    from ketaclinic.backoffice import views_safety

    monkeypatch.setattr(views_safety, "PAGE_SIZE", 3)
    now = timezone.now()
    tiers = [Tier.ROUTINE, Tier.URGENT, Tier.SAME_DAY]
    raised = [
        raise_one(patient, f"p{n}", tiers[n % 3], now - timedelta(minutes=n // 2))
        for n in range(count)
    ]
    acknowledged = raised[0]
    domain.acknowledge(acknowledged, prescriber)
    closed = raise_one(patient, "closed", Tier.URGENT, now)
    domain.close_alert(closed, prescriber, Action.CALLED_PATIENT, "", closed.version)
    client = client_for(nurse)
    inbox = reverse("backoffice:safety-inbox")
    client.get(inbox)

    with CaptureQueriesContext(connection) as queries:
        first = client.get(inbox)
    first_page_queries = len(queries)  # read now: the next request empties the log
    pages = [first]
    while pages[-1].context["page"].has_next():
        pages.append(client.get(inbox, {"page": pages[-1].context["page"].next_page_number()}))

    # as in test_inbox_query_count_does_not_grow: the rows' people and states are read
    # in the one query for the page's alerts (no deferred column is read per row)
    assert first_page_queries == 7
    assert f"{count} open alerts." in first.content.decode()
    shown = [alert["pk"] for page in pages for alert in page.context["alerts"]]
    expected = sorted(Alert.objects.filter(pk__in=[a.pk for a in raised]), key=_inbox_order_key)
    assert shown == [alert.pk for alert in expected]
    assert closed.pk not in shown
    for page in pages:
        body = page.content.decode()
        for alert in page.context["alerts"]:
            assert f'<a href="{reverse("backoffice:safety-alert", args=[alert["pk"]])}">' in body
    assert f"Acknowledged by {prescriber}" in "".join(page.content.decode() for page in pages)


@pytest.mark.parametrize("count", [1, 4])
def test_inbox_of_every_state_query_count_does_not_grow(
    client_for, patient, nurse, prescriber, count
):
    """Closed and acknowledged rows show who acted and what was done, with no query
    per row."""
    for number in range(count):
        alert = raise_one(patient, f"k{number}")
        if number % 2:
            domain.acknowledge(alert, prescriber)
        else:
            domain.close_alert(alert, prescriber, Action.CALLED_PATIENT, "", alert.version)
    client = client_for(nurse)
    url = reverse("backoffice:safety-inbox")
    client.get(url, {"state": "all"})

    with CaptureQueriesContext(connection) as queries:
        response = client.get(url, {"state": "all"})

    assert len(response.context["alerts"]) == count
    body = response.content.decode()
    assert f"Closed by {prescriber} (called the patient)" in body
    assert (f"Acknowledged by {prescriber}" in body) == (count > 1)
    assert patient.display_name in body
    assert len(queries) == 7


@pytest.mark.parametrize("levels", [0, 2])
def test_detail_query_count_does_not_grow(client_for, patient, shift, nurse, director, levels):
    alert = raise_one(patient, now=timezone.now() - timedelta(hours=1))
    for _ in range(levels):
        domain.escalate_due()
    client = client_for(nurse)
    url = reverse("backoffice:safety-alert", args=[alert.pk])
    client.get(url)

    with CaptureQueriesContext(connection) as queries:
        response = client.get(url)

    assert response.status_code == 200
    assert len(response.context["notifications"]) >= 2
    # session, user (roles, locations, MFA as sub-queries), the alert (patient, location,
    # prescriber, safety plan, people, follow-up joined), access log, clinic profile,
    # notifications (recipient joined), emails
    assert len(queries) == 7


def test_badge_counts_open_urgent(client_for, patient, nurse, prescriber):
    raise_one(patient, "a")
    raise_one(patient, "b", Tier.SAME_DAY)
    closed = raise_one(patient, "c")
    domain.close_alert(closed, prescriber, Action.OTHER, "handled", closed.version)
    response = client_for(nurse).get(reverse("backoffice:safety-badge"), HTTP_X_STAFF_PASSIVE="1")
    assert response.context["count"] == 1
    assert b">1<" in response.content


def test_nav_shows_alerts_only_to_those_who_may_see_them(client_for, nurse, frontdesk):
    link = reverse("backoffice:safety-inbox").encode()
    assert link in client_for(nurse).get(reverse("backoffice:patient-list")).content
    assert link not in client_for(frontdesk).get(reverse("backoffice:patient-list")).content


# --- detail, acknowledge, close -----------------------------------------------------------


def test_detail_shows_cause_plan_and_notifications(client_for, patient, shift, nurse):
    SafetyPlan.objects.create(patient=patient, warning_signs="<b>Not sleeping</b>")
    alert = raise_one(patient)
    response = client_for(nurse).get(reverse("backoffice:safety-alert", args=[alert.pk]))
    body = response.content.decode()
    assert "phq9" in body
    assert "&lt;b&gt;Not sleeping&lt;/b&gt;" in body  # the safety plan, escaped
    assert "Acknowledge" in body
    assert "Close the alert" in body
    assert "Second channel" in body


def test_acknowledge_and_close_through_the_screens(client_for, patient, nurse, prescriber):
    alert = raise_one(patient)
    client = client_for(nurse)
    response = client.post(reverse("backoffice:safety-acknowledge", args=[alert.pk]))
    assert response.status_code == 302
    alert.refresh_from_db()
    assert alert.acknowledged_by == nurse

    client = client_for(prescriber)
    close = reverse("backoffice:safety-close", args=[alert.pk])
    response = client.post(close, {"action": "", "note": "", "version": alert.version})
    assert response.status_code == 400
    assert "This field is required" in response.content.decode()
    response = client.post(close, {"action": "other", "note": "", "version": alert.version})
    assert response.status_code == 400
    assert "Describe the action taken" in response.content.decode()

    response = client.post(
        close, {"action": "called_patient", "note": "ok", "version": alert.version - 1}
    )
    assert response.status_code == 302
    follow = client.get(response["Location"])
    assert "Someone else changed this" in follow.content.decode()

    response = client.post(
        close, {"action": "called_patient", "note": "Safe at home", "version": alert.version}
    )
    assert response.status_code == 302
    alert.refresh_from_db()
    assert (alert.closed_by, alert.action_taken) == (prescriber, "called_patient")


def test_follow_up_recorded_through_the_screen(client_for, patient, nurse):
    alert = raise_one(patient)
    response = client_for(nurse).post(
        reverse("backoffice:safety-follow-up", args=[alert.pk]), {"note": "Called, safe"}
    )
    assert response.status_code == 302
    alert.follow_up.refresh_from_db()
    assert alert.follow_up.note == "Called, safe"


# --- on-call rota -------------------------------------------------------------------------


def _shift_data(riverside, prescriber, start, hours=8, phone="(217) 555-0199"):
    return {
        "location": riverside.pk,
        "prescriber": prescriber.pk,
        "starts_at": start.strftime("%Y-%m-%dT%H:%M"),
        "ends_at": (start + timedelta(hours=hours)).strftime("%Y-%m-%dT%H:%M"),
        "phone": phone,
    }


def test_director_adds_a_shift_and_overlap_is_refused(client_for, director, prescriber, riverside):
    client = client_for(director)
    url = reverse("backoffice:safety-oncall")
    start = timezone.localtime().replace(second=0, microsecond=0) + timedelta(days=1)

    response = client.post(url, _shift_data(riverside, prescriber, start))
    assert response.status_code == 302
    shift = OnCallShift.objects.get()
    assert shift.phone == "+12175550199"

    response = client.post(url, _shift_data(riverside, director, start + timedelta(hours=2)))
    assert response.status_code == 400
    assert "overlaps" in response.content.decode()
    assert OnCallShift.objects.count() == 1

    page = client.get(url).content.decode()
    assert str(prescriber) in page

    response = client.post(reverse("backoffice:safety-oncall-remove", args=[shift.pk]))
    assert response.status_code == 302
    assert not OnCallShift.objects.exists()


# --- safety plan --------------------------------------------------------------------------


def test_safety_plan_edit_and_stale(client_for, patient, nurse, prescriber):
    url = reverse("backoffice:safety-plan", args=[patient.pk])
    data = {
        "warning_signs": "Not sleeping",
        "coping_steps": "Walk",
        "contacts": "988",
        "means_safety": "Meds with partner",
        "version": 0,
    }
    assert client_for(nurse).post(url, data).status_code == 302
    client = client_for(prescriber)
    response = client.post(url, data)  # still says version 0
    assert response.status_code == 302
    assert "Someone else changed this" in client.get(url).content.decode()
    plan = SafetyPlan.objects.get()
    assert (plan.version, plan.updated_by) == (1, nurse)

    overview = client_for(nurse).get(reverse("backoffice:patient", args=[patient.pk]))
    assert "Safety plan and open alerts" in overview.content.decode()
    assert "Meds with partner" in overview.content.decode()


def test_patient_overview_panel_counts_open_alerts(client_for, patient, nurse, frontdesk):
    raise_one(patient, "a")
    raise_one(patient, "b", Tier.SAME_DAY)
    response = client_for(nurse).get(reverse("backoffice:patient", args=[patient.pk]))
    assert response.context["safety_open_alerts"] == 2
    assert response.context["safety_open_urgent"] == 1
    body = client_for(frontdesk).get(reverse("backoffice:patient", args=[patient.pk]))
    assert "Safety plan and open alerts" not in body.content.decode()


# --- hostile input ------------------------------------------------------------------------

HYPOTHESIS = settings(
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
    deadline=None,
    max_examples=15,
)


@HYPOTHESIS
@given(data=st.fixed_dictionaries(dict.fromkeys(["action", "note", "version"], hostile_value)))
def test_close_form_survives_hostile_input(client_for, prescriber, patient, data):
    alert = Alert.objects.filter(dedup_key="hostile").first() or raise_one(patient, "hostile")
    response = client_for(prescriber).post(
        reverse("backoffice:safety-close", args=[alert.pk]), data
    )
    assert response.status_code < 500


@HYPOTHESIS
@given(
    data=st.fixed_dictionaries(
        dict.fromkeys(["location", "prescriber", "starts_at", "ends_at", "phone"], hostile_value)
    )
)
def test_on_call_form_survives_hostile_input(client_for, director, data):
    response = client_for(director).post(reverse("backoffice:safety-oncall"), data)
    assert response.status_code < 500


@HYPOTHESIS
@given(
    data=st.fixed_dictionaries(
        dict.fromkeys(
            ["warning_signs", "coping_steps", "contacts", "means_safety", "version"],
            hostile_value,
        )
    )
)
def test_safety_plan_form_survives_hostile_input(client_for, nurse, patient, data):
    response = client_for(nurse).post(reverse("backoffice:safety-plan", args=[patient.pk]), data)
    assert response.status_code < 500
    plan = SafetyPlan.objects.filter(patient=patient).first()
    if plan is not None:
        page = client_for(nurse).get(reverse("backoffice:safety-plan", args=[patient.pk]))
        assert "<script>alert(1)</script>" not in page.content.decode()


@HYPOTHESIS
@given(state=hostile_value, patient_id=hostile_value, page=hostile_value)
def test_inbox_filters_survive_hostile_input(client_for, nurse, state, patient_id, page):
    response = client_for(nurse).get(
        reverse("backoffice:safety-inbox"), {"state": state, "patient": patient_id, "page": page}
    )
    assert response.status_code < 500
