"""Answering: partial saves, submission with scoring, and the safety alerts.

``submit`` / ``submit_clinician`` score with the instrument library and, in ONE
transaction, store the response, mark the link used and raise the alerts
(``safety.domain.alerts.raise_alert``): a failure anywhere leaves nothing behind.

Safety rules (CLINICAL.md §7), as data with their sources: ``SUICIDAL_IDEATION_ITEMS``
for item-based ideation, the C-SSRS screener by its risk, mania by the ASRM flag and
the YMRS rise rule. Tiers come from ``safety.domain.tiers``; the "previous answer" is
the same item in the patient's previous submitted response of the same instrument.

Baseline (interim rule, until sessions exist): the patient's FIRST submitted valid
response of the instrument. CLINICAL.md §6 defines it as the last score within 14 days
before the first dose; the sessions issue replaces ``baseline_for``.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime

from django.db import transaction
from django.utils import timezone

from ketaclinic.measures.domain import links
from ketaclinic.measures.domain.errors import Incomplete, LinkClosed, MeasuresError
from ketaclinic.measures.instruments import AnswerError, ScoreResult, load, ymrs_rise
from ketaclinic.measures.models import Response, ResponseLink
from ketaclinic.safety.domain.alerts import raise_alert
from ketaclinic.safety.domain.tiers import tier_for_mania, tier_for_suicidal_ideation
from ketaclinic.safety.models import Kind

# instrument id → (item, lowest positive answer, source)
SUICIDAL_IDEATION_ITEMS: dict[str, tuple[str, int, str]] = {
    "phq-9": ("9", 1, "CLINICAL.md §7: PHQ-9 item 9 > 0"),
    "qids-sr16": ("12", 1, "CLINICAL.md §7: QIDS-SR16 item 12 > 0"),
    "madrs": ("10", 2, "CLINICAL.md §7: MADRS item 10 ≥ 2 (clinic policy)"),
}
CSSRS = "cssrs-screener"  # CLINICAL.md §7: any C-SSRS yes; tier by risk
ASRM_FLAG = "mania"  # CLINICAL.md §6/§7: ASRM ≥ 6 (flag in the definition)
YMRS = "ymrs"  # CLINICAL.md §6: rise ≥ 12 or +50 % from baseline (instruments.ymrs_rise)
IDEATION_FLAGS = frozenset({"suicidal_ideation", "suicidal_behaviour"})


@dataclass
class Outcome:
    response: Response
    result: ScoreResult
    alerts: list = field(default_factory=list)

    @property
    def shows_crisis(self) -> bool:
        return bool(IDEATION_FLAGS & self.result.flags)


def applicable_items(instrument, answers: Mapping[str, object]) -> list:
    items = []
    for item in instrument.items:
        rule = item.enable_when
        if rule is None or answers.get(rule.item) == rule.equals:
            items.append(item)
    return items


def clean_answers(instrument, answers: Mapping[str, object]) -> dict[str, int]:
    """Drop unanswered items; refuse unknown items and values outside the options."""
    options = {item.id: {o.value for o in item.options} for item in instrument.items}
    cleaned: dict[str, int] = {}
    for key, value in answers.items():
        if value is None or value == "":
            continue
        if key not in options:
            raise AnswerError(f"unknown item {key!r}")
        if isinstance(value, bool) or not isinstance(value, int) or value not in options[key]:
            raise AnswerError(f"item {key}: not one of the answers")
        cleaned[key] = value
    return cleaned


def save_partial(link: ResponseLink, answers: Mapping[str, object], *, now=None) -> Response:
    """Keep the answers given so far as a draft (replacing the previous draft)."""
    now = now or timezone.now()
    instrument = load(link.instrument_id)
    cleaned = clean_answers(instrument, answers)
    with transaction.atomic():
        current = _lock_open(link, now)
        response = _draft_for(current, instrument, now)
        response.answers = cleaned
        response.updated_at = now
        response.save(update_fields=["answers", "updated_at"])
    return response


def submit(link: ResponseLink, answers: Mapping[str, object], *, now=None) -> Outcome:
    """Score and store the patient's answers, close the link, raise alerts: one
    transaction. Raises ``LinkClosed``, ``Incomplete`` or ``AnswerError``."""
    now = now or timezone.now()
    instrument = load(link.instrument_id)
    with transaction.atomic():
        current = _lock_open(link, now)
        result = _score(instrument, answers)
        response = _draft_for(current, instrument, now)
        _store(response, result, now)
        current.used_at = now
        current.save(update_fields=["used_at"])
        link.used_at = now
        alerts = raise_alerts(response, result, now=now)
    return Outcome(response, result, alerts)


def submit_clinician(
    patient, instrument_id: str, answers: Mapping[str, object], *, entered_by, now=None
) -> Outcome:
    """A clinician-rated scale (MADRS, YMRS, CADSS, C-SSRS) entered by staff."""
    now = now or timezone.now()
    instrument = load(instrument_id)
    with transaction.atomic():
        result = _score(instrument, answers)
        response = Response(
            patient=patient,
            instrument_id=instrument.id,
            instrument_version=instrument.version,
            entered_by=entered_by,
            created_at=now,
        )
        _store(response, result, now)
        alerts = raise_alerts(response, result, now=now)
    return Outcome(response, result, alerts)


def _lock_open(link: ResponseLink, now: datetime) -> ResponseLink:
    current = ResponseLink.objects.select_for_update().select_related("patient").get(pk=link.pk)
    status = current.status_at(now)
    if status != "open":
        raise LinkClosed(links.USED if status == "used" else links.EXPIRED)
    return current


def _draft_for(link: ResponseLink, instrument, now: datetime) -> Response:
    response = Response.objects.filter(link=link).first()
    if response is None:
        response = Response.objects.create(
            patient=link.patient,
            link=link,
            instrument_id=instrument.id,
            instrument_version=instrument.version,
            created_at=now,
            updated_at=now,
        )
    return response


def _score(instrument, answers: Mapping[str, object]) -> ScoreResult:
    cleaned = clean_answers(instrument, answers)
    result = instrument.score(cleaned)  # AnswerError: e.g. an answer skip logic excludes
    if not result.valid:
        missing = dict.fromkeys(result.missing_items, "Please answer this question.")
        raise Incomplete("Some questions are not answered yet.", errors=missing)
    return result


def _store(response: Response, result: ScoreResult, now: datetime) -> None:
    response.instrument_version = result.instrument_version
    response.answers = dict(result.item_answers)
    response.total = None if result.total is None else float(result.total)
    response.band = result.band or ""
    response.flags = sorted(result.flags)
    response.risk = result.risk or ""
    response.valid = result.valid
    response.submitted_at = now
    response.updated_at = now
    response.save()


def previous_response(response: Response) -> Response | None:
    return (
        Response.objects.filter(
            patient_id=response.patient_id,
            instrument_id=response.instrument_id,
            submitted_at__isnull=False,
            submitted_at__lte=response.submitted_at,
        )
        .exclude(pk=response.pk)
        .order_by("-submitted_at", "-id")
        .first()
    )


def baseline_for(patient_id: int, instrument_id: str, *, exclude_pk=None) -> Response | None:
    """Interim rule: the first submitted valid response of the instrument."""
    rows = Response.objects.filter(
        patient_id=patient_id, instrument_id=instrument_id, submitted_at__isnull=False, valid=True
    )
    if exclude_pk is not None:
        rows = rows.exclude(pk=exclude_pk)
    return rows.order_by("submitted_at", "id").first()


def has_bipolar(patient) -> bool:
    """An active F31* (or listed bipolar) condition, or "bipolar disorder" in the history."""
    from ketaclinic.patients.models import MedicalHistory

    if any(c.bipolar for c in patient.conditions.filter(active=True)):
        return True
    return MedicalHistory.objects.filter(patient=patient, bipolar_disorder=True).exists()


def raise_alerts(response: Response, result: ScoreResult, *, now: datetime) -> list:
    """The safety alerts a submitted response calls for (inside its transaction)."""
    found: list[tuple[str, str, dict]] = []
    instrument_id = response.instrument_id
    base_cause = {"instrument": instrument_id, "response": response.pk}
    if instrument_id == CSSRS and IDEATION_FLAGS & result.flags:
        tier = tier_for_suicidal_ideation(None, None, cssrs_risk=result.risk) or "urgent"
        yes = sorted(k for k, v in result.item_answers.items() if v)
        found.append(
            (Kind.SUICIDAL_IDEATION, tier, {**base_cause, "risk": result.risk, "yes": yes})
        )
    elif instrument_id in SUICIDAL_IDEATION_ITEMS:
        item, threshold, source = SUICIDAL_IDEATION_ITEMS[instrument_id]
        current = result.item_answers.get(item)
        previous = previous_response(response)
        before = previous.answers.get(item) if previous else None
        tier = tier_for_suicidal_ideation(current, before, threshold=threshold)
        if tier is not None:
            cause = {**base_cause, "item": item, "answer": current, "previous": before}
            found.append((Kind.SUICIDAL_IDEATION, tier, {**cause, "rule": source}))
    mania_cause = None
    if ASRM_FLAG in result.flags:
        mania_cause = {**base_cause, "total": result.total, "rule": "ASRM ≥ 6"}
    elif instrument_id == YMRS and result.total is not None:
        baseline = baseline_for(response.patient_id, YMRS, exclude_pk=response.pk)
        if (
            baseline is not None
            and baseline.total is not None
            and ymrs_rise(baseline.total, result.total)
        ):
            mania_cause = {
                **base_cause,
                "total": result.total,
                "baseline": baseline.total,
                "rule": "YMRS rise ≥ 12 or +50 % from baseline (clinic policy)",
            }
    if mania_cause is not None:
        tier = tier_for_mania(has_bipolar(response.patient))
        found.append((Kind.MANIA, tier, mania_cause))
    return [
        raise_alert(
            response.patient,
            kind=kind,
            tier=tier,
            cause=cause,
            source_type="measures.response",
            source_id=response.pk,
            dedup_key=f"measures.response:{response.pk}:{kind}",
            now=now,
        )
        for kind, tier, cause in found
    ]


__all__ = [
    "AnswerError",
    "Incomplete",
    "LinkClosed",
    "MeasuresError",
    "Outcome",
    "baseline_for",
    "clean_answers",
    "raise_alerts",
    "save_partial",
    "submit",
    "submit_clinician",
]
