"""The background sealer: chains entries, exports heads, emails them daily."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from django.core.management import call_command
from django_q.models import Schedule

from ketaclinic.audit import tasks
from ketaclinic.audit.domain import chain, sealer
from ketaclinic.audit.domain.log import record
from ketaclinic.audit.models import AccessLog, AuditSeal
from ketaclinic.notifications.models import OutboxMessage
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db


def expected_chain():
    previous, links = chain.GENESIS, []
    for values in AccessLog.objects.order_by("id").values(*chain.ENTRY_FIELDS):
        previous = chain.link_hash(previous, values)
        links.append((values["id"], previous))
    return links


def test_sealing_chains_every_entry_in_id_order():
    for number in range(3):
        record("view", object_type="inquiries.inquiry", object_id=number)

    sealed = tasks.seal_audit_log()

    assert sealed == 3
    assert list(AuditSeal.objects.order_by("seq").values_list("seq", "entry_id", "hash")) == [
        (seq, entry_id, digest) for seq, (entry_id, digest) in enumerate(expected_chain(), 1)
    ]


def test_a_second_run_seals_only_new_entries_in_small_batches(settings):
    settings.AUDIT_SEAL_BATCH_SIZE = 2
    record("view")
    sealer.seal_pending()
    for _ in range(3):
        record("view")

    sealed = sealer.seal_pending()

    assert sealed == 3
    assert list(AuditSeal.objects.order_by("seq").values_list("entry_id", "hash")) == (
        expected_chain()
    )


def test_the_head_is_appended_to_the_heads_file_once(heads_file):
    record("view")
    record("view")

    sealer.seal_pending()
    sealer.seal_pending()  # nothing new: no new line

    head = sealer.current_head()
    assert heads_file.read_text().splitlines() == [chain.format_head(head)]
    assert (head.seq, head.entry_id) == (2, AccessLog.objects.order_by("id").last().pk)


def test_a_head_missed_by_a_crash_is_exported_by_the_next_run(heads_file):
    record("view")
    sealer.seal_pending()
    record("view")
    sealer._seal_batch(None, 10)  # sealed, then the worker died before the export

    sealer.seal_pending()

    assert [chain.parse_head(line).seq for line in heads_file.read_text().splitlines()] == [1, 2]


def test_nothing_to_seal_writes_no_file(heads_file):
    assert sealer.seal_pending() == 0
    assert not heads_file.exists()


def test_the_seal_command_reports_the_head():
    record("view")

    call_command("seal_audit_log", stdout=(out := _Output()))

    assert out.text.startswith("Sealed 1 entry; head is seal 1 (")


def test_the_daily_email_goes_to_each_medical_director_once_a_day(director, admin_user):
    other_director = UserFactory(email="director2@clinic.test", role="medical_director")
    record("view")

    tasks.email_audit_head()
    tasks.email_audit_head()  # a second run the same day adds nothing

    head = sealer.current_head()
    today = datetime.now(UTC).date().isoformat()
    messages = OutboxMessage.objects.filter(kind="audit_head").order_by("to")
    assert [(m.to, m.dedup_key) for m in messages] == [
        ("director2@clinic.test", f"audit-head:{today}:{other_director.pk}"),
        ("director@clinic.test", f"audit-head:{today}:{director.pk}"),
    ]
    assert f"verify_audit_log --head {head.seq}:{head.hash}" in messages[0].body


def test_migrations_schedule_the_sealer_and_the_daily_email():
    schedules = dict(
        Schedule.objects.filter(name__in=["audit-seal", "audit-head-email"]).values_list(
            "name", "func"
        )
    )

    assert schedules == {
        "audit-seal": "ketaclinic.audit.tasks.seal_audit_log",
        "audit-head-email": "ketaclinic.audit.tasks.email_audit_head",
    }


class _Output:
    def __init__(self):
        self.text = ""

    def write(self, value):
        self.text += value

    def flush(self):
        pass
