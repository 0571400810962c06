"""Answering: partial saves, submission with scoring, and the safety alerts.

``submit`` / ``submit_clinician`` score with the instrument library and, in ONE
transaction, store the response, mark the link used and raise the alerts
(``safety.domain.alerts.raise_alert``): a failure anywhere leaves nothing behind.

Safety rules (CLINICAL.md §7), as data with their sources: ``SUICIDAL_IDEATION_ITEMS``
for item-based ideation, the C-SSRS screener by its risk, mania by the ASRM flag and
the YMRS rise rule. Tiers come from ``safety.domain.tiers``; the "previous answer" is
the same item in the patient's previous submitted response of the same instrument.

Partial answers (CLINICAL.md §7: crisis resources "at once"): ``save_draft`` (and
``save_partial``) also checks the item-level suicidal-ideation rules on the answers
given so far — ``SUICIDAL_IDEATION_ITEMS`` and any C-SSRS yes, never the rules that
need a complete score (ASRM total, YMRS rise) — and raises the same alert, with the
same tier rules, in the draft's transaction. Every alert of a response has one
de-duplication key per kind (``measures.response:<id>:<kind>``), so a second save
and the final submit find it instead of raising another. A later, worse tier (a
same-day answer saved part-way, an urgent one sent) raises the existing alert's
tier in place (``safety.domain.alerts.raise_tier``) while nobody has it in hand;
once acknowledged or closed, the worse answer gets its own alert
(``...:<kind>:<tier>``). A better answer later never lowers an alert.

Baseline (interim rule, until sessions exist): the patient's FIRST submitted valid
response of the instrument. CLINICAL.md §6 defines it as the last score within 14 days
before the first dose; the sessions issue replaces ``baseline_for``.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime

from django.conf import settings
from django.db import connection, transaction
from django.utils import timezone

from ketaclinic.measures.domain import links
from ketaclinic.measures.domain.answers import AnswerHistory
from ketaclinic.measures.domain.errors import Incomplete, LinkClosed, MeasuresError
from ketaclinic.measures.instruments import AnswerError, ScoreResult, load, ymrs_rise
from ketaclinic.measures.instruments.cssrs import cssrs_screener
from ketaclinic.measures.models import LinkPurpose, Response, ResponseLink
from ketaclinic.outcomes.domain.summaries import record_score, score_history
from ketaclinic.safety.domain.alerts import raise_alert, raise_tier
from ketaclinic.safety.domain.tiers import tier_for_mania, tier_for_suicidal_ideation
from ketaclinic.safety.models import TIER_ORDER, Alert, Kind, Tier

# instrument id → (item, lowest positive answer, source)
SUICIDAL_IDEATION_ITEMS: dict[str, tuple[str, int, str]] = {
    "phq-9": ("9", 1, "CLINICAL.md §7: PHQ-9 item 9 > 0"),
    "qids-sr16": ("12", 1, "CLINICAL.md §7: QIDS-SR16 item 12 > 0"),
    "madrs": ("10", 2, "CLINICAL.md §7: MADRS item 10 ≥ 2 (clinic policy)"),
}


def ideation_rule(instrument_id: str) -> tuple[str, int, str]:
    """(item, lowest positive answer, source) for item-based suicidal ideation; the
    MADRS item-10 level is clinic policy (``MEASURES_MADRS_IDEATION_MIN``, default 2)."""
    item, threshold, source = SUICIDAL_IDEATION_ITEMS[instrument_id]
    if instrument_id == "madrs":
        threshold = settings.MEASURES_MADRS_IDEATION_MIN
        source = f"CLINICAL.md §7: MADRS item 10 ≥ {threshold} (clinic policy)"
    return item, threshold, source


CSSRS = "cssrs-screener"  # CLINICAL.md §7: any C-SSRS yes; tier by risk
ASRM_FLAG = "mania"  # CLINICAL.md §6/§7: ASRM ≥ 6 (flag in the definition)
YMRS = "ymrs"  # CLINICAL.md §6: rise ≥ 12 or +50 % from baseline (instruments.ymrs_rise)
IDEATION_FLAGS = frozenset({"suicidal_ideation", "suicidal_behaviour"})
CSSRS_YES_ITEMS = frozenset({"1", "2", "3", "4", "5", "6"})  # "6_recent" qualifies 6
PARTLY = "partly: saved before the questionnaire was sent"
FULLY = "in full: the questionnaire was sent"


@dataclass
class Outcome:
    response: Response
    result: ScoreResult
    alerts: list = field(default_factory=list)

    @property
    def shows_crisis(self) -> bool:
        return bool(IDEATION_FLAGS & self.result.flags)


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


@dataclass
class Draft:
    """A partial save: the draft, and what its answers so far call for."""

    response: Response
    ideation: bool = False  # an item-level suicidal-ideation answer among those given
    alerts: list = field(default_factory=list)

    @property
    def shows_crisis(self) -> bool:
        return self.ideation


def save_draft(link: ResponseLink, answers: Mapping[str, object], *, now=None) -> Draft:
    """Keep the answers given so far as a draft (replacing the previous draft) and, in
    the same transaction, raise the alert an item-level suicidal-ideation answer
    among them calls for (see the module docstring)."""
    now = now or timezone.now()
    instrument = load(_instrument_id(link))
    cleaned = clean_answers(instrument, answers)
    with transaction.atomic():
        current = _lock_open(link, now)
        response = _draft_for(current, instrument, now)
        response.answers = cleaned
        response.updated_at = now
        response.save(update_fields=["answers", "updated_at"])
        finding = partial_ideation(instrument, response, cleaned, now=now)
        alerts = []
        if finding is not None:
            tier, cause = finding
            alerts.append(_raise(response, Kind.SUICIDAL_IDEATION, tier, cause, now=now))
    return Draft(response, ideation=finding is not None, alerts=alerts)


def save_partial(link: ResponseLink, answers: Mapping[str, object], *, now=None) -> Response:
    """``save_draft``, returning only the draft."""
    return save_draft(link, answers, now=now).response


def partial_ideation(
    instrument, response: Response, answers: Mapping[str, int], *, now: datetime
) -> tuple[str, dict] | None:
    """(tier, cause) for an item-level suicidal-ideation answer among partial answers.

    Only rules that one answer decides: the ideation item of ``SUICIDAL_IDEATION_ITEMS``
    and any C-SSRS yes (its risk from the yes answers given, skip logic ignored: a yes
    is never dropped, and an unanswered "within 3 months?" counts as recent, as in
    ``cssrs_screener``). Totals-based rules (ASRM, YMRS) wait for the complete form."""
    instrument_id = instrument.id
    base_cause = {"instrument": instrument_id, "response": response.pk, "answered": PARTLY}
    if instrument_id == CSSRS:
        yes = sorted(k for k, v in answers.items() if v == 1 and k in CSSRS_YES_ITEMS)
        if not yes:
            return None
        risk = cssrs_screener(instrument.definition, answers).risk
        tier = tier_for_suicidal_ideation(None, None, cssrs_risk=risk) or Tier.URGENT
        return tier, {**base_cause, "risk": risk, "yes": yes}
    if instrument_id not in SUICIDAL_IDEATION_ITEMS:
        return None
    item, threshold, source = ideation_rule(instrument_id)
    current = answers.get(item)
    previous = _previous_submitted(response, before=now)
    before = previous.answers.get(item) if previous else None
    tier = tier_for_suicidal_ideation(current, before, threshold=threshold)
    if tier is None:
        return None
    return tier, {**base_cause, "item": item, "answer": current, "previous": before, "rule": source}


def submit(link: ResponseLink, answers: Mapping[str, object], *, now=None) -> Outcome:
    """Score and store the patient's answers, close the link, raise alerts: one
    transaction. Raises ``LinkClosed``, ``Incomplete`` or ``AnswerError``."""
    now = now or timezone.now()
    instrument = load(_instrument_id(link))
    with transaction.atomic():
        _claim(link, now)  # first: a draft save or submit of this link now waits for us
        result = _score(instrument, answers)
        response = _store_for_link(link, instrument, result, now)
        history = score_history(response)
        alerts = raise_alerts(response, result, now=now, history=history)
        record_score(response, history=history)  # outcome summaries, same transaction
    link.used_at = now
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
        history = score_history(response)
        alerts = raise_alerts(response, result, now=now, history=history)
        record_score(response, history=history)  # outcome summaries, same transaction
    return Outcome(response, result, alerts)


def _instrument_id(link: ResponseLink) -> str:
    if link.purpose != LinkPurpose.INSTRUMENT:
        raise MeasuresError("This link is not for a questionnaire.")
    return link.instrument_id


def _lock_open(link: ResponseLink, now: datetime) -> ResponseLink:
    current = ResponseLink.objects.select_for_update().select_related("patient").get(pk=link.pk)
    if current.status_at(now) != "open":
        raise _closed(current, now)
    return current


def _claim(link: ResponseLink, now: datetime) -> None:
    """Mark the link used if it is still open, in one UPDATE that takes the link's row
    lock: a draft save (``_lock_open``) or another submit of the same link waits for
    this transaction and then finds the link used. At READ COMMITTED PostgreSQL checks
    the conditions again on the row a concurrent transaction committed, so only one
    submission claims a link. Raises ``LinkClosed`` with the reason otherwise."""
    claimed = ResponseLink.objects.filter(
        pk=link.pk, used_at__isnull=True, expired_at__isnull=True, expires_at__gt=now
    ).update(used_at=now)
    if not claimed:
        raise _closed(ResponseLink.objects.filter(pk=link.pk).first(), now)


def _closed(link: ResponseLink | None, now: datetime) -> LinkClosed:
    """Why a link that cannot be answered is closed (None: it no longer exists)."""
    if link is None:
        return LinkClosed(links.UNKNOWN)
    return LinkClosed(links.USED if link.status_at(now) == "used" else links.EXPIRED)


def _response_for(link: ResponseLink, instrument, now: datetime) -> Response:
    """The link's draft, or a new response not saved yet."""
    return Response.objects.filter(link=link).first() or Response(
        patient=link.patient,
        link=link,
        instrument_id=instrument.id,
        instrument_version=instrument.version,
        created_at=now,
        updated_at=now,
    )


def _draft_for(link: ResponseLink, instrument, now: datetime) -> Response:
    response = _response_for(link, instrument, now)
    if response.pk is None:
        response.save()
    return response


def _score(instrument, answers: Mapping[str, object]) -> ScoreResult:
    cleaned = clean_answers(instrument, answers)
    result = instrument.score(cleaned)  # AnswerError: e.g. an answer skip logic excludes
    if not result.valid:
        missing = dict.fromkeys(result.missing_items, "Please answer this question.")
        raise Incomplete("Some questions are not answered yet.", errors=missing)
    return result


#: What a submission writes over a draft.
SUBMITTED_FIELDS = (
    "instrument_version",
    "answers",
    "total",
    "band",
    "flags",
    "risk",
    "valid",
    "submitted_at",
    "updated_at",
)


def _store_for_link(link: ResponseLink, instrument, result: ScoreResult, now: datetime) -> Response:
    """The link's response, submitted: one INSERT that, when the link has a draft,
    fills the draft instead (ON CONFLICT on the link). The link is claimed first, so
    no draft is saved meanwhile. The draft keeps its ``created_at`` in the database;
    the returned response's ``created_at`` is ``now``.

    SQLite looks the draft up first: a statement its triggers run (the record stamps',
    patients migration 0006) takes the conflict policy of the statement that fired them,
    so an upsert there would fail on the stamp's row."""
    if connection.vendor == "sqlite":
        response = _response_for(link, instrument, now)
        _store(response, result, now)
        return response
    response = Response(
        patient=link.patient,
        link=link,
        instrument_id=instrument.id,
        created_at=now,
    )
    _fill(response, result, now)
    Response.objects.bulk_create(
        [response],
        update_conflicts=True,
        unique_fields=["link"],
        update_fields=SUBMITTED_FIELDS,
    )
    return response


def _fill(response: Response, result: ScoreResult, now: datetime) -> None:
    response.instrument_version = result.instrument_version
    response.answers = dict(result.item_answers)
    response.total = None if result.total is None else float(result.total)
    response.band = result.band or ""
    response.flags = sorted(result.flags)
    response.risk = result.risk or ""
    response.valid = result.valid
    response.submitted_at = now
    response.updated_at = now


def _store(response: Response, result: ScoreResult, now: datetime) -> None:
    _fill(response, result, now)
    response.save()


def _previous_submitted(response: Response, *, before: datetime) -> Response | None:
    """The patient's last submitted response of the instrument before ``before``."""
    return (
        Response.objects.filter(
            patient_id=response.patient_id,
            instrument_id=response.instrument_id,
            submitted_at__isnull=False,
            submitted_at__lte=before,
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


def raise_alerts(
    response: Response, result: ScoreResult, *, now: datetime, history: AnswerHistory
) -> list:
    """The safety alerts a submitted response calls for (inside its transaction).
    ``history``: the patient's answers read once for the submission (``score_history``)."""
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
        item, threshold, source = ideation_rule(instrument_id)
        current = result.item_answers.get(item)
        previous = history.previous_answers(response)
        before = previous.get(item) if previous else None
        tier = tier_for_suicidal_ideation(current, before, threshold=threshold)
        if tier is not None:
            cause = {**base_cause, "item": item, "answer": current, "previous": before}
            found.append((Kind.SUICIDAL_IDEATION, tier, {**cause, "rule": source}))
    mania_cause = None
    if ASRM_FLAG in result.flags:
        mania_cause = {**base_cause, "total": result.total, "rule": "ASRM ≥ 6"}
    elif instrument_id == YMRS and result.total is not None:
        baseline = baseline_for(response.patient_id, YMRS, exclude_pk=response.pk)
        points = settings.MEASURES_YMRS_RISE_POINTS
        percent = settings.MEASURES_YMRS_RISE_PERCENT
        if (
            baseline is not None
            and baseline.total is not None
            and ymrs_rise(baseline.total, result.total, absolute=points, relative=percent / 100)
        ):
            mania_cause = {
                **base_cause,
                "total": result.total,
                "baseline": baseline.total,
                "rule": f"YMRS rise ≥ {points} or +{percent} % from baseline (clinic policy)",
            }
    if mania_cause is not None:
        tier = tier_for_mania(has_bipolar(response.patient))
        found.append((Kind.MANIA, tier, mania_cause))
    return [_raise(response, kind, tier, cause, now=now) for kind, tier, cause in found]


def alert_key(response: Response, kind: str) -> str:
    """One alert per response and kind, whether raised by a partial save or the submit."""
    return f"measures.response:{response.pk}:{kind}"


def _raise(response: Response, kind: str, tier: str, cause: dict, *, now: datetime) -> Alert:
    """Raise the alert of (response, kind) once; a worse tier later raises that
    alert's tier in place, or, when it is already in someone's hands, a new alert."""
    key = alert_key(response, kind)
    existing = Alert.objects.filter(dedup_key=key).first()
    if existing is not None:
        if TIER_ORDER[Tier(tier)] >= TIER_ORDER[Tier(existing.tier)]:
            return existing  # the same or a milder finding: already raised
        if raise_tier(existing, tier, cause={"answered": FULLY, **cause}, now=now):
            return existing
        key = f"{key}:{tier}"
        cause = {**cause, "follows_alert": existing.pk}
    return raise_alert(
        response.patient,
        kind=kind,
        tier=tier,
        cause=cause,
        source_type="measures.response",
        source_id=response.pk,
        dedup_key=key,
        now=now,
    )


__all__ = [
    "AnswerError",
    "Draft",
    "Incomplete",
    "LinkClosed",
    "MeasuresError",
    "Outcome",
    "alert_key",
    "baseline_for",
    "clean_answers",
    "partial_ideation",
    "raise_alerts",
    "save_draft",
    "save_partial",
    "submit",
    "submit_clinician",
]
