"""``record()``, the explicit way to log, and the append-only rows it writes."""

from __future__ import annotations

import pytest
from django.test import RequestFactory

from ketaclinic.audit.domain.log import acting_request, record
from ketaclinic.audit.models import AccessLog, AppendOnlyError, AuditSeal
from tests.factories import make_inquiry

pytestmark = pytest.mark.django_db


class FakePatientRecord:
    """Stands in for a future clinical model that names its patient."""

    class _meta:  # noqa: N801 - mimics a model's options
        label_lower = "treatment.course"

    pk = 12
    patient_id = 77


def test_record_an_export_for_a_patient(director):
    request = RequestFactory().get("/staff/export/", REMOTE_ADDR="192.0.2.4")
    request.user = director

    entry = record(
        "export", request=request, object_type="patients.patient", patient_id=77, detail={"rows": 3}
    )

    entry.refresh_from_db()
    assert (entry.action, entry.patient_id, entry.user_id, entry.ip, entry.detail) == (
        "export",
        "77",
        director.pk,
        "192.0.2.4",
        {"rows": 3},
    )


def test_an_object_gives_its_label_pk_and_patient():
    entry = record("print", obj=FakePatientRecord())

    assert (entry.object_type, entry.object_id, entry.patient_id, entry.user_id) == (
        "treatment.course",
        "12",
        "77",
        None,
    )


def test_the_current_request_is_used_when_none_is_given(frontdesk):
    request = RequestFactory().get("/staff/x/", HTTP_USER_AGENT="Safari")
    request.user = frontdesk

    with acting_request(request):
        entry = record("view", object_type="inquiries.inquiry")

    assert (entry.user_id, entry.user_agent, entry.path) == (frontdesk.pk, "Safari", "/staff/x/")


def test_unknown_actions_are_refused():
    with pytest.raises(ValueError, match="unknown audit action"):
        record("peek")


def test_text_that_postgres_cannot_store_is_cleaned():
    entry = record("view", detail={"query": "q=\x00abc", "long": "x" * 5000})

    entry.refresh_from_db()
    assert (entry.detail["query"], len(entry.detail["long"])) == ("q=abc", 1000)


def test_entries_cannot_be_changed_or_deleted_through_the_orm(riverside):
    make_inquiry(riverside)
    entry = record("view")

    for attempt in (
        lambda: entry.save(),
        lambda: entry.delete(),
        lambda: AccessLog.objects.filter(pk=entry.pk).update(action="login"),
        lambda: AccessLog.objects.filter(pk=entry.pk).delete(),
        lambda: AuditSeal.objects.all().delete(),
    ):
        with pytest.raises(AppendOnlyError):
            attempt()
    assert AccessLog.objects.get(pk=entry.pk).action == "view"
