"""Break the glass: a clinician opens one record of another location, with a reason."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from ketaclinic.accounts.models import EmergencyAccess
from ketaclinic.audit.models import AccessLog
from tests.factories import make_inquiry

pytestmark = pytest.mark.django_db
REASON = "Patient arrived in crisis at our clinic; their own clinic is closed tonight."


@pytest.fixture
def inquiry(riverside):
    return make_inquiry(riverside, first_name="Robin", message="Please call me.")


def request_url(inquiry):
    return reverse("backoffice:emergency-request", args=["inquiry", inquiry.pk])


def detail_url(inquiry):
    return reverse("backoffice:inquiry", args=[inquiry.pk])


def test_refusal_page_offers_emergency_access_to_a_clinician(client_for, other_prescriber, inquiry):
    response = client_for(other_prescriber).get(detail_url(inquiry))

    assert response.status_code == 403
    assert request_url(inquiry) in response.content.decode()


def test_refusal_page_offers_nothing_to_front_desk(client_for, other_frontdesk, inquiry):
    response = client_for(other_frontdesk).get(detail_url(inquiry))

    assert response.status_code == 403
    assert request_url(inquiry) not in response.content.decode()
    assert client_for(other_frontdesk).get(request_url(inquiry)).status_code == 403


def test_a_reason_opens_the_record_for_a_limited_time_and_is_logged(
    client_for, other_prescriber, inquiry, settings
):
    settings.BREAK_GLASS_MINUTES = 30
    client = client_for(other_prescriber)

    response = client.post(request_url(inquiry), {"reason": REASON})

    assert response["Location"] == detail_url(inquiry)
    page = client.get(detail_url(inquiry))
    assert page.status_code == 200
    assert "Opened with emergency access" in page.content.decode()
    grant = EmergencyAccess.objects.get()
    assert (grant.user, grant.object_type, grant.object_id) == (
        other_prescriber,
        "inquiries.inquiry",
        str(inquiry.pk),
    )
    assert timedelta(minutes=29) < grant.expires_at - grant.granted_at <= timedelta(minutes=30)
    entry = AccessLog.objects.get(action="emergency_access")
    assert (entry.user, entry.object_id, entry.detail["reason"]) == (
        other_prescriber,
        str(inquiry.pk),
        REASON,
    )


def test_emergency_access_covers_only_that_record(client_for, other_prescriber, riverside, inquiry):
    other = make_inquiry(riverside, first_name="Sam", message="Another one")
    client = client_for(other_prescriber)
    client.post(request_url(inquiry), {"reason": REASON})

    assert client.get(detail_url(other)).status_code == 403


def test_emergency_access_allows_viewing_only(client_for, other_prescriber, inquiry):
    client = client_for(other_prescriber)
    client.post(request_url(inquiry), {"reason": REASON})

    response = client.post(reverse("backoffice:inquiry-note", args=[inquiry.pk]), {"body": "x"})

    assert response.status_code == 403


def test_expired_emergency_access_is_refused_again(client_for, other_prescriber, inquiry):
    client = client_for(other_prescriber)
    client.post(request_url(inquiry), {"reason": REASON})
    EmergencyAccess.objects.update(expires_at=timezone.now() - timedelta(seconds=1))

    assert client.get(detail_url(inquiry)).status_code == 403


@pytest.mark.parametrize("reason", ["", "need it", "x" * 1001])
def test_a_missing_short_or_huge_reason_is_refused_beside_the_field(
    client_for, other_prescriber, inquiry, reason
):
    response = client_for(other_prescriber).post(request_url(inquiry), {"reason": reason})

    assert response.status_code == 400
    assert response.context["form"].errors["reason"]
    assert EmergencyAccess.objects.count() == 0


def test_a_role_that_cannot_view_the_kind_gets_no_grant(client_for, nurse, hillcrest):
    inquiry = make_inquiry(hillcrest, message="Hillcrest record")

    response = client_for(nurse).post(request_url(inquiry), {"reason": REASON})

    assert response.status_code == 400
    assert "cannot open an inquiry even in an emergency" in response.content.decode()
    assert EmergencyAccess.objects.count() == 0
    assert not AccessLog.objects.filter(action="emergency_access").exists()


def test_own_location_record_opens_normally(client_for, prescriber, inquiry):
    response = client_for(prescriber).get(request_url(inquiry))

    assert response["Location"] == detail_url(inquiry)


def test_unknown_kind_is_404(client_for, other_prescriber, inquiry):
    url = reverse("backoffice:emergency-request", args=["patient-secrets", inquiry.pk])

    assert client_for(other_prescriber).get(url).status_code == 404


def test_director_reviews_each_use_once(client_for, other_prescriber, director, inquiry):
    client_for(other_prescriber).post(request_url(inquiry), {"reason": REASON})
    grant = EmergencyAccess.objects.get()
    client = client_for(director)
    queue = client.get(reverse("backoffice:emergency-queue")).content.decode()
    assert REASON in queue

    client.post(reverse("backoffice:emergency-review", args=[grant.pk]), {"note": "Appropriate."})
    again = client.post(
        reverse("backoffice:emergency-review", args=[grant.pk]), {"note": "Twice"}, follow=True
    )

    grant.refresh_from_db()
    assert (grant.reviewed_by, grant.review_note) == (director, "Appropriate.")
    assert "already reviewed" in again.content.decode()


def test_review_without_a_note_is_refused(client_for, other_prescriber, director, inquiry):
    client_for(other_prescriber).post(request_url(inquiry), {"reason": REASON})
    grant = EmergencyAccess.objects.get()

    client_for(director).post(
        reverse("backoffice:emergency-review", args=[grant.pk]), {"note": " "}
    )

    grant.refresh_from_db()
    assert grant.reviewed_at is None


@pytest.mark.parametrize("count", [1, 3])
def test_review_queue_query_count_does_not_grow(
    client_for, other_prescriber, director, riverside, count
):
    for number in range(count):
        target = make_inquiry(riverside, message=f"record {number}")
        client_for(other_prescriber).post(request_url(target), {"reason": REASON})
    client = client_for(director)
    client.get(reverse("backoffice:emergency-queue"))

    with CaptureQueriesContext(connection) as queries:
        response = client.get(reverse("backoffice:emergency-queue"))

    assert len(response.context["grants"]) == count
    # session, user (roles, locations, MFA as sub-queries),
    # access-log entry, grants (with user, location, reviewer), clinic profile
    assert len(queries) == 5
