"""The patient's questionnaire page: no JavaScript needed, crisis resources, no-store,
calm pages for closed links, hostile input never a 500."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from django.db import connection
from django.urls import reverse
from django.utils import timezone
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from ketaclinic.measures.domain import links, responses
from ketaclinic.measures.models import Response, ResponseLink
from ketaclinic.safety.models import Alert
from tests.measures.integration.conftest import phq9
from tests.security.test_hostile_input import hostile_value

pytestmark = pytest.mark.django_db


def url(token):
    return reverse("portal:questionnaire", args=[token])


def form_data(answers, action="submit"):
    return {**{f"item_{k}": str(v) for k, v in answers.items()}, "action": action}


@pytest.fixture
def opened(patient):
    link, token = links.create_link(patient, "phq-9")
    return link, token


def assert_private(response):
    assert "no-store" in response["Cache-Control"]
    assert "private" in response["Cache-Control"]


def test_questionnaire_page(client, opened):
    _link, token = opened
    response = client.get(url(token))
    assert response.status_code == 200
    assert_private(response)
    html = response.content.decode()
    assert "Question 1 of 9" in html
    assert "Question 9 of 9" in html
    assert "Little interest or pleasure in doing things" in html
    assert 'type="radio"' in html
    assert "csrfmiddlewaretoken" in html
    assert "not watched in real time" in html
    assert "crisis-box" in html
    assert "<script" not in html
    assert "style=" not in html
    assert "Dana" not in html
    assert "Quill" not in html


def test_save_partial_then_come_back_then_submit(client, opened):
    _link, token = opened
    response = client.post(url(token), form_data({"1": 2, "2": 1}, action="save"))
    assert response.status_code == 200
    assert "saved" in response.content.decode()
    assert Response.objects.get().answers == {"1": 2, "2": 1}
    again = client.get(url(token)).content.decode()
    assert re.search(r'name="item_1" value="2"[^>]*checked', again)
    assert not re.search(r'name="item_3" value="\d"[^>]*checked', again)
    response = client.post(url(token), form_data(phq9(base=1)))
    assert response.status_code == 200
    html = response.content.decode()
    assert "Your answers were sent" in html
    assert_private(response)
    assert Response.objects.get().total == 8
    assert client.get(url(token)).status_code == 410


def test_incomplete_submit_keeps_answers_and_marks_questions(client, opened):
    _link, token = opened
    response = client.post(url(token), form_data({"1": 3}))
    assert response.status_code == 400
    assert "Please answer this question." in response.content.decode()
    assert Response.objects.get().answers == {"1": 3}


def test_suicidal_ideation_shows_crisis_resources_first(client, opened):
    _link, token = opened
    response = client.post(url(token), form_data(phq9(item9=1)))
    html = response.content.decode()
    assert response.status_code == 200
    assert html.index("crisis-box") < html.index("Your answers were sent")
    assert Alert.objects.filter(kind="suicidal_ideation", tier="urgent").count() == 1


def test_without_ideation_no_crisis_lead(client, opened):
    _link, token = opened
    html = client.post(url(token), form_data(phq9())).content.decode()
    assert "portal-crisis-first" not in html
    assert "crisis-box" in html


def test_expired_used_unknown_tampered(client, patient):
    link, token = links.create_link(patient, "gad-7")
    ResponseLink.objects.filter(pk=link.pk).update(expires_at=timezone.now() - timedelta(seconds=1))
    response = client.get(url(token))
    assert response.status_code == 410
    assert "expired" in response.content.decode()
    assert_private(response)
    assert client.post(url(token), form_data({"1": 1})).status_code == 410

    used, used_token = links.create_link(patient, "gad-7")
    responses.submit(used, {str(i): 0 for i in range(1, 8)})
    response = client.get(url(used_token))
    assert response.status_code == 410
    assert "already sent" in response.content.decode()

    assert client.get(url(links.new_token())).status_code == 404
    tampered = used_token[:-1] + ("0" if used_token[-1] != "0" else "1")
    response = client.get(url(tampered))
    assert response.status_code == 404
    assert "crisis-box" in response.content.decode()
    assert client.get(url("x" * 300)).status_code == 404


def test_csrf_is_required(patient):
    from django.test import Client

    _link, token = links.create_link(patient, "phq-9")
    strict = Client(enforce_csrf_checks=True)
    assert strict.post(url(token), form_data(phq9())).status_code == 403
    assert not Response.objects.exists()


@given(
    data=st.dictionaries(
        st.sampled_from([f"item_{i}" for i in range(1, 11)] + ["action", "item_x", "x"]),
        hostile_value,
        max_size=12,
    )
)
@settings(
    max_examples=25,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
def test_hostile_input_never_500(client, opened, data):
    _link, token = opened
    response = client.post(url(token), data)
    assert response.status_code < 500


@pytest.mark.parametrize("earlier", [1, 4])
def test_a_submission_query_count_does_not_grow_with_earlier_answers(
    client, patient, earlier, django_assert_num_queries
):
    """The answer is stored with one statement and the outcome summaries are brought up
    to date in the same transaction, whatever the patient's history (the first answer
    ever also makes the summary rows)."""
    for _ in range(earlier):
        link, _token = links.create_link(patient, "phq-9")
        responses.submit(link, phq9())
    _link, token = links.create_link(patient, "phq-9")
    client.get(url(token))

    # the link, then in a transaction: the link claimed (one UPDATE), the answer (one
    # INSERT, filling a draft if there is one; SQLite looks for the draft first), the
    # patient's answers (read once: alert rules, scores, ideation); the summaries
    # (savepoint): facts (their cohort attributes current: no course or history read),
    # the summary written (one UPDATE, no read before or after), the ideation status
    # written (one UPDATE); then the clinic facts' number of the thank-you page
    with django_assert_num_queries(13 if connection.vendor == "postgresql" else 14):
        answer = client.post(url(token), form_data(phq9()))

    assert answer.status_code == 200
    assert Response.objects.filter(patient=patient, submitted_at__isnull=False).count() == (
        earlier + 1
    )
