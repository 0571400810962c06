import uuid

import pytest
from django.test import override_settings

from ketaclinic.inquiries.domain.submission import is_rate_limited
from ketaclinic.inquiries.models import Inquiry
from tests.factories import make_inquiry


def test_submit_with_the_same_key_returns_the_first_inquiry(riverside):
    key = uuid.uuid4()

    first = make_inquiry(riverside, idempotency_key=key)
    second = make_inquiry(riverside, idempotency_key=key, first_name="Other")

    assert first.pk == second.pk
    assert Inquiry.objects.count() == 1


def test_crisis_text_marks_the_inquiry_urgent(riverside):
    inquiry = make_inquiry(riverside, message="Lately I have no reason to live.")

    assert inquiry.is_urgent is True
    assert inquiry.crisis_matches == ["no reason to live"]


@override_settings(INQUIRY_RATE_LIMIT_COUNT=2)
def test_rate_limit_counts_recent_inquiries_from_one_address(riverside):
    make_inquiry(riverside, client_ip="192.0.2.1", message="first")
    assert is_rate_limited("192.0.2.1") is False

    make_inquiry(riverside, client_ip="192.0.2.1", message="second")

    assert is_rate_limited("192.0.2.1") is True
    assert is_rate_limited("192.0.2.2") is False
    assert is_rate_limited(None) is False


@override_settings(INQUIRY_RATE_LIMIT_COUNT=1, INQUIRY_RATE_LIMIT_ENABLED=False)
def test_rate_limit_can_be_lifted_by_setting(riverside):
    make_inquiry(riverside, client_ip="192.0.2.1")

    assert is_rate_limited("192.0.2.1") is False


pytestmark = pytest.mark.django_db


def test_the_same_message_resent_from_a_reloaded_form_is_one_inquiry(riverside):
    first = make_inquiry(riverside, message="Hello  there", email="A@example.com")

    second = make_inquiry(riverside, message="hello there", email="a@example.com")

    assert first.pk == second.pk


def test_a_different_message_from_the_same_person_is_a_new_inquiry(riverside):
    first = make_inquiry(riverside, message="Hello")

    second = make_inquiry(riverside, message="One more question")

    assert first.pk != second.pk


@override_settings(INQUIRY_DUPLICATE_WINDOW_SECONDS=0)
def test_duplicate_window_is_a_setting(riverside):
    first = make_inquiry(riverside, message="Hello")

    second = make_inquiry(riverside, message="Hello")

    assert first.pk != second.pk


def test_the_same_key_wins_over_an_earlier_copy_of_the_words(riverside):
    copy = make_inquiry(riverside, message="Hello")
    key = uuid.uuid4()
    keyed = make_inquiry(riverside, idempotency_key=key, message="Another question")

    again = make_inquiry(riverside, idempotency_key=key, message="Hello")

    assert again.pk == keyed.pk != copy.pk
    assert Inquiry.objects.count() == 2
