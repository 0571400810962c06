"""Read helpers for staff screens: a patient's measures page and the overview panel."""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache

from django.db.models import Count, IntegerField, Max, OuterRef, Subquery
from django.db.models.functions import Coalesce
from django.utils import timezone

from ketaclinic.measures.instruments import UnknownInstrument, load
from ketaclinic.measures.models import Assignment, LinkPurpose, Response, ResponseLink

RESPONSE_LIMIT = 500


@dataclass(frozen=True)
class ItemAnswer:
    item_id: str
    text: str
    value: object
    label: str  # the answer's wording ("Several days"), "" when unknown
    flagged: bool  # this answer alone sets one of the instrument's flags (e.g. item 9)


@dataclass
class ResultRow:
    response: Response
    name: str
    baseline: Response | None
    change: float | None
    items: list[ItemAnswer]

    @property
    def is_baseline(self) -> bool:
        return self.baseline is not None and self.baseline.pk == self.response.pk


def _name(instrument_id: str) -> str:
    try:
        return load(instrument_id).name
    except UnknownInstrument:
        return instrument_id


def result_rows(responses: list[Response]) -> list[ResultRow]:
    """Submitted responses (any order) with the change from baseline (interim rule:
    the first submitted valid response of the instrument) — no queries."""
    baselines: dict[str, Response] = {}
    for response in sorted(responses, key=lambda r: (r.submitted_at, r.pk)):
        if response.valid and response.total is not None:
            baselines.setdefault(response.instrument_id, response)
    rows = []
    for response in responses:
        baseline = baselines.get(response.instrument_id)
        change = None
        if baseline is not None and response.total is not None and baseline.pk != response.pk:
            change = round(response.total - baseline.total, 1)
        items = item_answers(response.instrument_id, response.answers)
        rows.append(ResultRow(response, _name(response.instrument_id), baseline, change, items))
    return rows


def item_answers(instrument_id: str, answers: dict) -> list[ItemAnswer]:
    """Each answer with its item's text, the answer's wording, and whether it alone sets
    a flag of the instrument (PHQ-9 item 9 > 0): what a clinician reads first."""
    try:
        instrument = load(instrument_id)
    except UnknownInstrument:  # a definition removed since: show item numbers
        return [ItemAnswer(key, key, value, "", False) for key, value in answers.items()]
    items = {item.id: item for item in instrument.items}
    item_flags = [flag for flag in instrument.definition.flags if flag.on == "any_item"]
    rows = []
    for key, value in answers.items():
        item = items.get(key)
        flagged = isinstance(value, int | float) and any(
            key in flag.items and flag.fires_at(value) for flag in item_flags
        )
        text = item.text if item else key
        rows.append(ItemAnswer(key, text, value, item.label(value) if item else "", flagged))
    return rows


def patient_measures(patient) -> dict:
    """Everything the patient's measures page lists: four queries, whatever the size."""
    now = timezone.now()
    assignments = list(Assignment.objects.filter(patient=patient).select_related("created_by"))
    links = list(
        ResponseLink.objects.filter(patient=patient)
        .select_related("created_by", "response")
        .order_by("-created_at", "-id")[:100]
    )
    for link in links:
        link.status_now = link.status_at(now)
    submitted = list(
        Response.objects.filter(patient=patient, submitted_at__isnull=False)
        .select_related("entered_by")
        .order_by("-submitted_at", "-id")[:RESPONSE_LIMIT]
    )
    for assignment in assignments:
        assignment.name = _name(assignment.instrument_id)
    for link in links:
        link.name = (
            LinkPurpose(link.purpose).label if link.is_intake_history else _name(link.instrument_id)
        )
    return {"assignments": assignments, "links": links, "results": result_rows(submitted)}


def _count(model, **filters):
    rows = (
        model.objects.filter(patient=OuterRef("pk"), **filters)
        .order_by()
        .values("patient")
        .annotate(n=Count("pk"))
        .values("n")
    )
    return Coalesce(Subquery(rows, output_field=IntegerField()), 0)


def measures_counts() -> dict:
    """Annotations for a Patient queryset (the overview's Questionnaires panel). Built
    once, like ``safety.domain.queries.safety_counts``: nothing in them depends on the
    request or the time, and Django copies expressions when a queryset uses them."""
    return dict(_measures_counts())


@cache
def _measures_counts() -> dict:
    last = (
        Response.objects.filter(patient=OuterRef("pk"), submitted_at__isnull=False)
        .order_by()
        .values("patient")
        .annotate(last=Max("submitted_at"))
        .values("last")
    )
    return {
        "measures_active_assignments": _count(Assignment, active=True),
        "measures_open_links": _count(
            ResponseLink,
            purpose=LinkPurpose.INSTRUMENT,
            used_at__isnull=True,
            expired_at__isnull=True,
        ),
        "measures_last_response_at": Subquery(last),
    }


def history_link_annotations() -> dict:
    """Annotation for a Patient queryset: when the patient's open health-history link
    expires (None: no such link waiting), for the overview's medical-history panel."""
    open_links = ResponseLink.objects.filter(
        patient=OuterRef("pk"),
        purpose=LinkPurpose.INTAKE_HISTORY,
        used_at__isnull=True,
        expired_at__isnull=True,
        expires_at__gt=timezone.now(),
    ).order_by("-expires_at")
    return {"history_link_open_until": Subquery(open_links.values("expires_at")[:1])}


def measures_panel_rows(patient) -> dict:
    """Context for the overview's Questionnaires panel, for a viewer the view has found
    may see it (no queries with ``measures_counts``)."""
    return {
        "measures_active_assignments": getattr(patient, "measures_active_assignments", None),
        "measures_open_links": getattr(patient, "measures_open_links", None),
        "measures_last_response_at": getattr(patient, "measures_last_response_at", None),
    }
