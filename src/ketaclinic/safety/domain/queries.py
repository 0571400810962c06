"""Read helpers for other screens (the patient overview's safety panel)."""

from __future__ import annotations

from functools import cache

from django.db.models import Count, IntegerField, OuterRef, Subquery
from django.db.models.functions import Coalesce

from ketaclinic.safety.models import Alert, Tier


def _count(**filters):
    rows = (
        Alert.objects.filter(patient=OuterRef("pk"), closed_at__isnull=True, **filters)
        .order_by()
        .values("patient")
        .annotate(n=Count("pk"))
        .values("n")
    )
    return Coalesce(Subquery(rows, output_field=IntegerField()), 0)


def safety_counts() -> dict:
    """Annotations for a Patient queryset: open alerts and open urgent alerts. The
    expressions depend on nothing of the request and Django copies them when a queryset
    uses them, so they are built once (a quarter of a millisecond each time)."""
    return dict(_safety_counts())


@cache
def _safety_counts() -> dict:
    return {"safety_open_alerts": _count(), "safety_open_urgent": _count(tier=Tier.URGENT)}


def safety_panel_rows(patient) -> dict:
    """Context for the overview's "Safety plan and open alerts" panel, for a viewer the
    view has found may see it (no queries when the patient was loaded with
    ``safety_counts()`` and ``select_related("safety_plan")``)."""
    return {
        "safety_plan": getattr(patient, "safety_plan", None),
        "safety_open_alerts": getattr(patient, "safety_open_alerts", None),
        "safety_open_urgent": getattr(patient, "safety_open_urgent", None),
    }


# What raised an alert, in words: (label, value) rows for the alert page. The cause is
# stored as data (instrument id, item, answer, previous answer, rule ...); staff read
# sentences. Keys nobody described are still shown, under their own name.
CAUSE_LABELS = {
    "answered": "Answered",
    "risk": "C-SSRS risk",
    "yes": "Questions answered yes",
    "total": "Total score",
    "baseline": "Baseline total",
    "rule": "Rule",
}
_SHOWN_ELSEWHERE = {"instrument", "item", "answer", "previous", "previous_answer", "response"}


def _item(instrument, item_id: str):
    """The instrument's item ``item_id``, None when the instrument or item is unknown."""
    try:
        return instrument.definition.item(item_id) if instrument else None
    except KeyError:
        return None


def _answer_words(item, value) -> str:
    if value is None:
        return "none on record"
    label = item.label(value) if item else ""
    return f"{value} · {label}" if label else str(value)


def describe_cause(alert: Alert) -> list[tuple[str, str]]:
    """The alert's cause as labelled sentences, questionnaire first (no queries)."""
    from ketaclinic.measures.instruments import UnknownInstrument, load

    cause = dict(alert.cause or {})
    rows: list[tuple[str, str]] = []
    instrument = None
    instrument_id = cause.get("instrument")
    if instrument_id:
        try:
            instrument = load(str(instrument_id))
        except UnknownInstrument:
            instrument = None
        rows.append(("Questionnaire", instrument.name if instrument else str(instrument_id)))
    if "item" in cause:
        item_id = str(cause["item"])
        item = _item(instrument, item_id)
        text = f"Question {item_id}" + (f": {item.text}" if item and item.text else "")
        rows.append(("Question", text))
        rows.append(("Answer", _answer_words(item, cause.get("answer"))))
        previous = cause.get("previous", cause.get("previous_answer"))
        rows.append(("Previous answer", _answer_words(item, previous)))
    for key, value in cause.items():
        if key in _SHOWN_ELSEWHERE:
            continue
        if isinstance(value, list | tuple):
            value = ", ".join(str(v) for v in value) or "none"
        rows.append((CAUSE_LABELS.get(key, key.replace("_", " ").capitalize()), str(value)))
    return rows
