"""The long lists' rows written in Python (``backoffice.rows``): they show what the
templates showed, name people as the models do, and escape everything typed."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from html import escape
from zoneinfo import ZoneInfo

import pytest
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.dateformat import format as format_date
from django.utils.formats import get_format
from hypothesis import given
from hypothesis import strategies as st

from ketaclinic.accounts.models import User
from ketaclinic.backoffice import rows
from ketaclinic.patients.domain import records
from ketaclinic.patients.models import Patient
from ketaclinic.safety.domain import alerts as alert_domain
from ketaclinic.safety.models import Action, Alert, AlertNotification, Tier
from tests.factories import login_with_mfa
from tests.patients.factories import make_patient

MARKUP = "<b>\"Bo\" & 'Jo'</b>"
text = st.text(max_size=12)


@given(first=text, last=text, email=text)
def test_a_person_is_named_as_user_str_names_them(first, last, email):
    row = {
        "closed_by": 1,
        "closed_by__first_name": first,
        "closed_by__last_name": last,
        "closed_by__email": email,
    }
    user = User(first_name=first, last_name=last, email=email)

    assert rows._named(row, "closed_by") == escape(str(user))


def test_nobody_is_a_dash():
    assert rows._named({"responsible": None}, "responsible") == rows.DASH


@given(preferred=text, first=text, last=text)
def test_a_patient_is_named_as_display_name_names_them(preferred, first, last):
    row = {
        "patient__preferred_name": preferred,
        "patient__legal_first_name": first,
        "patient__legal_last_name": last,
    }
    patient = Patient(preferred_name=preferred, legal_first_name=first, legal_last_name=last)

    assert rows._patient_name(row) == escape(patient.display_name)


def _raise(patient, key, tier=Tier.URGENT, now=None):
    return alert_domain.raise_alert(
        patient,
        kind="suicidal_ideation",
        tier=tier,
        cause={"instrument": "phq-9", "item": "9", "answer": 2},
        source_type="measures.response",
        source_id=key,
        dedup_key=key,
        now=now,
    )


@pytest.mark.django_db
def test_inbox_rows_escape_names_and_show_each_state(client, riverside, prescriber):
    riverside.name = f"Riverside {MARKUP}"
    riverside.save()
    patient = make_patient(riverside, legal_first_name=MARKUP, primary_prescriber=prescriber)
    now = timezone.now()
    urgent = _raise(patient, "u", now=now - timedelta(hours=3))
    routine = _raise(patient, "r", Tier.ROUTINE, now=now - timedelta(hours=2))
    Alert.objects.filter(pk=urgent.pk).update(escalation_level=2)
    closed = _raise(patient, "c", Tier.SAME_DAY, now=now - timedelta(hours=1))
    Alert.objects.filter(pk=closed.pk).update(
        closed_at=now, closed_by=None, action_taken=Action.OTHER
    )
    alert_domain.acknowledge(routine, prescriber)
    told = AlertNotification.objects.filter(recipient=prescriber).values("alert").distinct()
    login_with_mfa(client, prescriber)

    body = client.get(reverse("backoffice:safety-inbox"), {"state": "all"}).content.decode()

    assert MARKUP not in body
    assert f"{escape(MARKUP)} Hart</a>" in body
    assert f'<span class="muted">Riverside {escape(MARKUP)}</span>' in body
    assert '<tr class="is-urgent"><td><span class="badge badge--urgent">Urgent</span>' in body
    assert "<strong>Not acknowledged</strong> · escalated to level 2" in body
    assert f"Acknowledged by {escape(str(prescriber))}" in body
    label = Action(Action.OTHER).label.lower()
    assert f"Closed ({escape(label)})" in body  # closed by nobody named: no "by None"
    assert told.count() >= 1  # the patient's prescriber is told of some
    assert body.count('<span class="badge badge--new">for you</span>') == told.count()
    assert body.count("<tr") == 4  # the head's row and three alerts


@pytest.mark.django_db
def test_patient_rows_escape_what_was_typed(client, riverside, frontdesk, nurse, prescriber):
    patient = make_patient(
        riverside,
        legal_first_name=MARKUP,
        legal_last_name=f"Hart{MARKUP}",
        preferred_name=MARKUP,
        primary_prescriber=prescriber,
    )
    records.add_condition(patient, actor=nurse, code="J45.909", description=MARKUP)
    login_with_mfa(client, frontdesk)

    body = client.get(reverse("backoffice:patient-list")).content.decode()

    assert MARKUP not in body
    link = reverse("backoffice:patient", args=[patient.pk])
    assert f'<a href="{link}">Hart{escape(MARKUP)}, {escape(MARKUP)}</a>' in body
    assert f'<span class="muted">({escape(MARKUP)})</span>' in body
    assert f'<span class="code" title="{escape(MARKUP)}">J45.909</span>' in body
    assert f"<td>{escape(str(prescriber))}</td>" in body
    assert f"({patient.age_years})</span>" in body
    assert "May 17, 1980" in body


@pytest.mark.parametrize("name", ["backoffice:patient", "backoffice:safety-alert"])
def test_one_reverse_per_page_gives_each_rows_url(name):
    url = rows.url_for_each(name)

    assert [url(pk) for pk in (1, 7, 12345)] == [reverse(name, args=[pk]) for pk in (1, 7, 12345)]


@given(
    moment=st.datetimes(
        min_value=datetime(2000, 1, 1),
        max_value=datetime(2040, 12, 31),
        timezones=st.sampled_from([UTC, ZoneInfo("America/New_York"), ZoneInfo("Asia/Tokyo")]),
    ),
    language=st.sampled_from(["en-us", "de", "fr"]),
)
def test_a_remembered_date_reads_as_django_formats_it(moment, language):
    with translation.override(language):
        for pattern in (get_format("DATETIME_FORMAT"), "M j, Y"):
            assert rows._formatted(moment, pattern, language) == escape(
                format_date(moment, pattern)
            )
            # the same instant in another zone is told apart, not taken from memory
            other = moment.astimezone(ZoneInfo("Pacific/Auckland"))
            assert rows._formatted(other, pattern, language) == escape(format_date(other, pattern))
        assert rows._formatted(moment.date(), "M j, Y", language) == escape(
            format_date(moment.date(), "M j, Y")
        )
