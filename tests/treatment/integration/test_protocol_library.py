"""The protocol library in the database: idempotent loading, director-only additions
and revisions, immutable versions."""

from __future__ import annotations

import pytest
from django.core.management import call_command

from ketaclinic.treatment.domain.errors import TreatmentError
from ketaclinic.treatment.domain.protocols import (
    add_protocol,
    load_shipped_protocols,
    revise_protocol,
)
from ketaclinic.treatment.models import Protocol, ProtocolVersion, ProtocolVersionImmutable
from ketaclinic.treatment.protocols import definition_json
from tests.treatment.factories import version_of

pytestmark = pytest.mark.django_db

SLUG = "iv-ketamine-depression-twice-weekly"


def data(slug=SLUG) -> dict:
    return definition_json(version_of(slug).parsed)


def test_loading_twice_changes_nothing(protocols):
    assert len(protocols.added) == 6
    assert len(protocols.standing_orders_added) == 4

    again = load_shipped_protocols()

    assert (again.added, len(again.unchanged), again.differs, again.standing_orders_added) == (
        [],
        6,
        [],
        [],
    )
    assert ProtocolVersion.objects.count() == 6


def test_the_command_reports_and_never_overwrites_a_revision(protocols, director, capsys):
    revised = data()
    revised["monitoring"]["minimum_observation_minutes"] = 90
    revise_protocol(Protocol.objects.get(slug=SLUG), revised, actor=director, note="Policy.")

    call_command("load_protocols")

    out = capsys.readouterr().out
    assert f"kept the clinic's version of {SLUG}" in out
    assert "0 added, 5 unchanged, 1 kept" in out
    assert version_of(SLUG).number == 2


def test_versions_are_never_changed(protocols):
    version = version_of(SLUG)
    version.note = "edited"

    with pytest.raises(ProtocolVersionImmutable):
        version.save()


def test_a_revision_is_a_new_version_with_its_note(protocols, director):
    revised = data()
    revised["name"] = "IV ketamine for depression (ELEKT-D), clinic edition"

    version = revise_protocol(
        Protocol.objects.get(slug=SLUG), revised, actor=director, note="Renamed."
    )

    assert (version.number, version.origin, version.created_by, version.note) == (
        2,
        "clinic",
        director,
        "Renamed.",
    )
    assert Protocol.objects.get(slug=SLUG).name.endswith("clinic edition")


def test_only_the_director_revises_or_adds(protocols, prescriber):
    with pytest.raises(TreatmentError, match="Only a medical director revises protocols"):
        revise_protocol(Protocol.objects.get(slug=SLUG), data(), actor=prescriber, note="x")
    with pytest.raises(TreatmentError, match="Only a medical director adds protocols"):
        add_protocol(data(), actor=prescriber, note="x")


def test_a_revision_without_maxima_is_refused(protocols, director):
    revised = data()
    del revised["dose"]["max_mg"]

    with pytest.raises(TreatmentError) as caught:
        revise_protocol(Protocol.objects.get(slug=SLUG), revised, actor=director, note="x")

    assert str(caught.value) == (
        "This protocol cannot be saved: dose → max_mg: missing. A protocol without its "
        "maxima cannot be saved."
    )
    assert caught.value.field == "definition"
    assert version_of(SLUG).number == 1


def test_an_unchanged_revision_or_a_new_slug_is_refused(protocols, director):
    protocol = Protocol.objects.get(slug=SLUG)
    with pytest.raises(TreatmentError, match="same as the current version"):
        revise_protocol(protocol, data(), actor=director, note="x")
    moved = {**data(), "slug": "something-else"}
    with pytest.raises(TreatmentError, match="The slug must stay"):
        revise_protocol(protocol, moved, actor=director, note="x")


def test_a_note_is_required(protocols, director):
    revised = {**data(), "name": "Another name"}

    with pytest.raises(TreatmentError, match="Say why") as caught:
        revise_protocol(Protocol.objects.get(slug=SLUG), revised, actor=director, note=" ")
    assert caught.value.field == "note"


def test_the_director_adds_a_protocol(protocols, director):
    new = {**data(), "slug": "iv-ketamine-depression-weekly", "name": "IV ketamine weekly"}

    version = add_protocol(new, actor=director, note="Maintenance clinic.")

    assert (version.protocol.slug, version.number, version.drug) == (
        "iv-ketamine-depression-weekly",
        1,
        "ketamine",
    )
    with pytest.raises(TreatmentError, match="exists already"):
        add_protocol(new, actor=director, note="Again.")
