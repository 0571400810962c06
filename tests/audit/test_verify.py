"""``manage.py verify_audit_log``: 0 when intact, 1 naming the first bad entry."""

from __future__ import annotations

import io

import pytest
from django.core.management import CommandError, call_command

from ketaclinic.audit.domain import sealer
from ketaclinic.audit.domain.log import record
from ketaclinic.audit.models import AccessLog
from tests.audit.conftest import swap_contents, tampering

pytestmark = pytest.mark.django_db


@pytest.fixture
def sealed_entries():
    """Four entries, sealed, their head exported; returns their ids in order."""
    ids = [record("view", object_type="inquiries.inquiry", object_id=n).pk for n in range(4)]
    sealer.seal_pending()
    return ids


def verify(*args):
    out = io.StringIO()
    call_command("verify_audit_log", *args, stdout=out)
    return out.getvalue()


def verify_fails(*args):
    with pytest.raises(CommandError) as failure:
        verify(*args)
    return failure.value.returncode, str(failure.value)


def test_an_intact_log_verifies(sealed_entries):
    record("view")  # a newer entry, not sealed yet, is not a problem

    output = verify()

    assert output.startswith("Audit log intact: 4 entries sealed up to entry ")
    assert "1 exported head agrees; 1 newer entry not sealed yet." in output


def test_an_empty_log_verifies():
    assert verify().startswith("Audit log intact: 0 entries sealed; 0 exported heads agree")


def test_an_edited_entry_is_named(sealed_entries):
    edited = sealed_entries[2]
    with tampering() as cursor:
        cursor.execute("UPDATE audit_accesslog SET object_id = '999' WHERE id = %s", [edited])

    assert verify_fails() == (
        1,
        f"Audit log TAMPERED: entry {edited} (seal 3) was altered or moved: its content no "
        "longer gives the hash it was sealed with",
    )


def test_a_deleted_entry_is_named(sealed_entries):
    deleted = sealed_entries[1]
    with tampering() as cursor:
        cursor.execute("DELETE FROM audit_accesslog WHERE id = %s", [deleted])

    assert verify_fails() == (1, f"Audit log TAMPERED: entry {deleted} (seal 2) was deleted")


def test_swapping_two_entries_is_named_at_the_first(sealed_entries):
    first, second = sealed_entries[1], sealed_entries[2]
    with tampering() as cursor:
        swap_contents(cursor, first, second)

    assert AccessLog.objects.get(pk=first).object_id == "2"  # the swap happened
    assert verify_fails() == (
        1,
        f"Audit log TAMPERED: entry {first} (seal 2) was altered or moved: its content no "
        "longer gives the hash it was sealed with",
    )


def test_a_heads_file_line_that_disagrees_is_named(sealed_entries, heads_file):
    line = heads_file.read_text()
    forged = line[: line.index("hash=") + 5] + "0" * 64 + "\n"
    heads_file.write_text(forged)

    returncode, message = verify_fails()

    assert returncode == 1
    assert message.startswith(
        f"Audit log TAMPERED: {heads_file} line 1 says seal 4 is entry {sealed_entries[3]} "
        f"with hash {'0' * 64}, but the chain has entry {sealed_entries[3]} with hash "
    )


def test_a_cut_and_resealed_chain_disagrees_with_the_exported_heads(sealed_entries):
    # Remove the last two entries and their seals, then let the sealer seal a forgery.
    with tampering() as cursor:
        cursor.execute("DELETE FROM audit_auditseal WHERE seq > 2")
        cursor.execute("DELETE FROM audit_accesslog WHERE id > %s", [sealed_entries[1]])
    record("view", object_type="inquiries.inquiry", object_id="forged 2")
    record("view", object_type="inquiries.inquiry", object_id="forged 3")
    sealer.seal_pending()

    returncode, message = verify_fails()

    assert returncode == 1
    assert " line 1 says seal 4 is entry " in message


def test_a_chain_shorter_than_its_exported_head_is_named(sealed_entries, heads_file):
    with tampering() as cursor:
        cursor.execute("DELETE FROM audit_auditseal WHERE seq = 4")
        cursor.execute("DELETE FROM audit_accesslog WHERE id = %s", [sealed_entries[3]])

    assert verify_fails() == (
        1,
        f"Audit log TAMPERED: {heads_file} line 1 names seal 4, but the chain ends at seal 3: "
        "sealed entries and their seals were removed",
    )


def test_a_deleted_seal_is_named(sealed_entries):
    with tampering() as cursor:
        cursor.execute("DELETE FROM audit_auditseal WHERE seq = 2")

    assert verify_fails() == (
        1,
        "Audit log TAMPERED: seal 2 is missing (the next seal is 3): seals were deleted",
    )


def test_an_entry_slipped_into_the_sealed_range_is_named():
    ids = [record("view").pk for _ in range(3)]
    with tampering() as cursor:  # free an id inside what will be the sealed range
        cursor.execute("DELETE FROM audit_accesslog WHERE id = %s", [ids[1]])
    sealer.seal_pending()

    AccessLog.objects.create(pk=ids[1], action="view", object_id="backdated")

    assert verify_fails() == (
        1,
        f"Audit log TAMPERED: entry {ids[1]} lies inside the sealed part of the log but has "
        "no seal: it was added after sealing",
    )


def test_a_head_from_the_daily_email_is_checked(sealed_entries):
    head = sealer.current_head()

    assert verify("--no-heads-file", "--head", f"{head.seq}:{head.hash}").startswith(
        "Audit log intact"
    )
    assert verify_fails("--no-heads-file", "--head", f"{head.seq}:{'f' * 64}")[0] == 1


def test_a_missing_heads_file_fails_when_entries_are_sealed(sealed_entries, heads_file):
    heads_file.unlink()

    returncode, message = verify_fails()

    assert returncode == 1
    assert f"the heads file {heads_file} is missing" in message


def test_a_garbled_heads_file_fails(sealed_entries, heads_file):
    heads_file.write_text("not a head\n")

    assert verify_fails() == (
        1,
        f"Audit log NOT verified: {heads_file}, line 1: not a chain head line: 'not a head'",
    )
