"""The protocol library in the database: loading the shipped protocols and standing
orders (idempotent), and the medical director's additions and revisions.

A version is never changed. A revision is a new version; courses keep theirs.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path

from django.db import transaction

from ketaclinic.accounts.roles import Role
from ketaclinic.treatment.domain.errors import TreatmentError, require_role
from ketaclinic.treatment.models import (
    Protocol,
    ProtocolOrigin,
    ProtocolVersion,
    StandingOrder,
)
from ketaclinic.treatment.protocols import (
    ProtocolDefinition,
    ProtocolInvalid,
    definition_json,
    parse_definition,
    shipped_definitions,
)

STANDING_ORDERS_FILE = Path(__file__).resolve().parent.parent / "standing_orders.json"
NOTE_MAX = 2000


@dataclass
class LoadReport:
    added: list[str] = field(default_factory=list)
    unchanged: list[str] = field(default_factory=list)
    differs: list[str] = field(default_factory=list)  # the clinic's version differs: kept
    standing_orders_added: list[str] = field(default_factory=list)


def latest_version(protocol: Protocol) -> ProtocolVersion | None:
    return protocol.versions.order_by("-number").first()


def _create_version(
    protocol: Protocol, definition: ProtocolDefinition, *, origin: str, actor, note: str
) -> ProtocolVersion:
    last = protocol.versions.select_for_update().order_by("-number").first()
    return ProtocolVersion.objects.create(
        protocol=protocol,
        number=(last.number + 1) if last else 1,
        definition=definition_json(definition),
        drug=definition.drug,
        route=definition.route,
        origin=origin,
        note=note,
        created_by=actor,
    )


def load_shipped_protocols() -> LoadReport:
    """Add each shipped protocol that the clinic does not have yet, and the shipped
    standing orders likewise. Never overwrites: a protocol the clinic has revised, or
    whose shipped text changed, is reported in ``differs`` and left as it is (the
    medical director revises it on the protocols screen). Safe to run again."""
    report = LoadReport()
    for definition in shipped_definitions():
        with transaction.atomic():
            protocol, created = Protocol.objects.get_or_create(
                slug=definition.slug, defaults={"name": definition.name}
            )
            latest = None if created else latest_version(protocol)
            if latest is None:
                _create_version(
                    protocol,
                    definition,
                    origin=ProtocolOrigin.SHIPPED,
                    actor=None,
                    note="Shipped with Ketaclinic (CLINICAL.md §2–3).",
                )
                report.added.append(definition.slug)
            elif latest.definition == definition_json(definition):
                report.unchanged.append(definition.slug)
            else:
                report.differs.append(definition.slug)
    for data in json.loads(STANDING_ORDERS_FILE.read_text(encoding="utf-8")):
        values = {
            **data,
            "max_single_mg": Decimal(data["max_single_mg"]),
            "max_total_mg": Decimal(data["max_total_mg"]),
        }
        slug = values.pop("slug")
        standing, created = StandingOrder.objects.get_or_create(slug=slug, defaults=values)
        if created:
            standing.full_clean()
            report.standing_orders_added.append(slug)
    return report


def _parse(definition) -> ProtocolDefinition:
    try:
        return parse_definition(definition)
    except ProtocolInvalid as exc:
        raise TreatmentError(
            "This protocol cannot be saved: " + " ".join(exc.problems), field="definition"
        ) from None


def _note(note: str) -> str:
    text = (note or "").strip()
    if not text:
        raise TreatmentError("Say why (a note is kept with the version).", field="note")
    if len(text) > NOTE_MAX:
        raise TreatmentError(f"Keep the note under {NOTE_MAX} characters.", field="note")
    return text


def add_protocol(definition, *, actor, note: str) -> ProtocolVersion:
    """A new protocol (version 1), by the medical director."""
    require_role(actor, [Role.MEDICAL_DIRECTOR], "adds protocols")
    parsed = _parse(definition)
    text = _note(note)
    with transaction.atomic():
        if Protocol.objects.filter(slug=parsed.slug).exists():
            raise TreatmentError(
                f"A protocol “{parsed.slug}” exists already: revise it instead.",
                field="definition",
            )
        protocol = Protocol.objects.create(slug=parsed.slug, name=parsed.name)
        return _create_version(
            protocol, parsed, origin=ProtocolOrigin.CLINIC, actor=actor, note=text
        )


def revise_protocol(protocol: Protocol, definition, *, actor, note: str) -> ProtocolVersion:
    """A new version of ``protocol``, by the medical director. Running courses keep the
    version they started on; new courses start on the newest."""
    require_role(actor, [Role.MEDICAL_DIRECTOR], "revises protocols")
    parsed = _parse(definition)
    text = _note(note)
    if parsed.slug != protocol.slug:
        raise TreatmentError(
            f"The slug must stay “{protocol.slug}” (a different slug is a new protocol).",
            field="definition",
        )
    with transaction.atomic():
        locked = Protocol.objects.select_for_update().get(pk=protocol.pk)
        latest = latest_version(locked)
        if latest is not None and latest.definition == definition_json(parsed):
            raise TreatmentError(
                "This is the same as the current version: nothing to save.", field="definition"
            )
        version = _create_version(
            locked, parsed, origin=ProtocolOrigin.CLINIC, actor=actor, note=text
        )
        if locked.name != parsed.name:
            Protocol.objects.filter(pk=locked.pk).update(name=parsed.name)
    return version


def set_protocol_active(protocol: Protocol, active: bool, *, actor) -> Protocol:
    """Offer or withdraw a protocol for new courses (running courses are not touched)."""
    require_role(actor, [Role.MEDICAL_DIRECTOR], "retires or restores protocols")
    Protocol.objects.filter(pk=protocol.pk).update(active=bool(active))
    protocol.active = bool(active)
    return protocol
