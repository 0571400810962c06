"""What the Get In Touch drills read back: drill submissions by their marker address."""

import time
import uuid

import _web
import pytest

from ketaclinic.inquiries.domain.submission import InquiryData, submit_inquiry
from ketaclinic.notifications.models import OutboxMessage

pytestmark = pytest.mark.django_db


def submitted(location, key: str):
    data = InquiryData(
        location=location,
        first_name="Drill",
        last_name="Person",
        email=f"drill-{key}@example.test",
        phone="+12175550110",
        message=f"Fault drill message {key}.",
    )
    return submit_inquiry(data, idempotency_key=uuid.UUID(key), client_ip=None).inquiry


def test_inquiry_rows_counts_each_drill_submission_and_ignores_others(riverside):
    saved, absent = str(uuid.uuid4()), str(uuid.uuid4())
    submitted(riverside, saved)

    rows, incomplete = _web.inquiry_rows([saved, absent])

    assert rows == {saved: 1}
    assert incomplete == []


def test_inquiry_rows_names_an_inquiry_without_its_outbox_email(riverside):
    key = str(uuid.uuid4())
    inquiry = submitted(riverside, key)
    OutboxMessage.objects.filter(dedup_key=f"inquiry:{inquiry.pk}:ack").delete()

    _rows, incomplete = _web.inquiry_rows([key])

    assert incomplete == [key]


def test_resent_after_commit_counts_retries_that_began_after_the_record(riverside):
    before = _web.Attempted(str(uuid.uuid4()), attempts=2, last_try_at=time.time() - 60)
    after = _web.Attempted(str(uuid.uuid4()), attempts=2)
    first_try = _web.Attempted(str(uuid.uuid4()), attempts=1)
    for attempt in (before, after, first_try):
        submitted(riverside, attempt.key)
    after.last_try_at = first_try.last_try_at = time.time() + 1

    assert _web.resent_after_commit([before, after, first_try]) == 1
