"""Fixtures shared by the security tests."""

import uuid

import pytest
from django.utils import timezone

from ketaclinic.accounts.models import EmergencyAccess
from ketaclinic.notifications.models import OutboxMessage
from tests.factories import UserFactory, make_inquiry


@pytest.fixture
def sample_args(riverside):
    inquiry = make_inquiry(riverside)
    target = UserFactory(email="target@clinic.test", role="nurse", locations=[riverside])
    grant = EmergencyAccess.objects.create(
        user=target,
        object_type="inquiries.inquiry",
        object_id=str(inquiry.pk),
        location=riverside,
        reason="test",
        expires_at=timezone.now(),
    )
    message = OutboxMessage.objects.first()
    OutboxMessage.objects.filter(pk=message.pk).update(status="failed")
    return {
        "backoffice:inquiry": [inquiry.pk],
        "backoffice:inquiry-move": [inquiry.pk],
        "backoffice:inquiry-assign": [inquiry.pk],
        "backoffice:inquiry-note": [inquiry.pk],
        "backoffice:delivery-retry": [message.pk],
        "website:get-in-touch-thanks": [uuid.uuid4()],
        "backoffice:emergency-request": ["inquiry", inquiry.pk],
        "backoffice:emergency-review": [grant.pk],
        "backoffice:team-resend": [target.pk],
        "backoffice:team-disable": [target.pk],
        "backoffice:team-enable": [target.pk],
        "accounts:invitation": ["no-such-token"],
        "accounts:draft": ["inquiry-note-1"],
        "account_confirm_email": ["no-such-key"],
        "account_reset_password_from_key": ["1", "no-such-key"],
    }
