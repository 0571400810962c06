"""Moving, assigning and annotating inquiries; concurrent edits never overwrite."""

import pytest

from ketaclinic.inquiries.domain import pipeline
from ketaclinic.inquiries.models import Inquiry, InquiryEvent
from tests.factories import make_inquiry


@pytest.fixture
def inquiry(riverside):
    return make_inquiry(riverside)


def test_a_new_inquiry_records_that_it_was_received(inquiry):
    assert list(inquiry.events.values_list("kind", "to_status")) == [("received", "new")]


def test_move_records_who_and_when_and_bumps_the_version(inquiry, frontdesk):
    pipeline.move_inquiry(inquiry, to_status="contacted", actor=frontdesk, expected_version=1)

    inquiry.refresh_from_db()
    event = inquiry.events.get(kind=InquiryEvent.Kind.STATUS)
    assert (inquiry.status, inquiry.version) == ("contacted", 2)
    assert (event.from_status, event.to_status, event.actor) == ("new", "contacted", frontdesk)


def test_move_keeps_change_history_with_the_actor(inquiry, frontdesk):
    pipeline.move_inquiry(inquiry, to_status="contacted", actor=frontdesk, expected_version=1)

    latest = inquiry.history.first()
    assert latest.status == "contacted"
    assert latest.history_user == frontdesk
    assert latest.prev_record.status == "new"


def test_a_move_on_a_stale_version_is_refused_and_changes_nothing(inquiry, frontdesk, director):
    stale_copy = Inquiry.objects.get(pk=inquiry.pk)
    pipeline.move_inquiry(inquiry, to_status="contacted", actor=frontdesk, expected_version=1)

    with pytest.raises(pipeline.StaleInquiry):
        pipeline.move_inquiry(stale_copy, to_status="closed", actor=director, expected_version=1)

    inquiry.refresh_from_db()
    assert inquiry.status == "contacted"


def test_an_assignment_on_a_stale_version_is_refused(inquiry, frontdesk, director):
    pipeline.assign_inquiry(inquiry, assignee=frontdesk, actor=frontdesk, expected_version=1)

    with pytest.raises(pipeline.StaleInquiry):
        pipeline.assign_inquiry(inquiry, assignee=director, actor=director, expected_version=1)

    inquiry.refresh_from_db()
    assert inquiry.assigned_to == frontdesk


@pytest.mark.parametrize(
    ("start", "target"),
    [
        ("not_a_fit", "became_patient"),
        ("became_patient", "contacted"),
        ("closed", "closed"),
        ("new", "nonsense"),
    ],
)
def test_moves_outside_the_pipeline_are_refused(inquiry, frontdesk, start, target):
    Inquiry.objects.filter(pk=inquiry.pk).update(status=start)
    inquiry.refresh_from_db()

    with pytest.raises(pipeline.PipelineError):
        pipeline.move_inquiry(inquiry, to_status=target, actor=frontdesk, expected_version=1)


def test_the_whole_pipeline_can_be_walked(inquiry, frontdesk):
    for version, status in enumerate(
        ["contacted", "consultation_booked", "became_patient"], start=1
    ):
        pipeline.move_inquiry(inquiry, to_status=status, actor=frontdesk, expected_version=version)

    assert pipeline.allowed_moves(inquiry.status) == ()


def test_closed_inquiry_can_be_reopened(inquiry, frontdesk):
    pipeline.move_inquiry(inquiry, to_status="closed", actor=frontdesk, expected_version=1)
    pipeline.move_inquiry(inquiry, to_status="contacted", actor=frontdesk, expected_version=2)

    assert inquiry.status == "contacted"


def test_notes_are_kept_with_their_author(inquiry, frontdesk):
    note = pipeline.add_note(inquiry, body="  Left a voicemail.  ", author=frontdesk)

    assert (note.body, note.author) == ("Left a voicemail.", frontdesk)


@pytest.mark.parametrize("body", ["", "   ", "x" * 5001])
def test_empty_or_huge_notes_are_refused(inquiry, frontdesk, body):
    with pytest.raises(pipeline.PipelineError):
        pipeline.add_note(inquiry, body=body, author=frontdesk)
