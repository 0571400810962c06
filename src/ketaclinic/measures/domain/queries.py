"""Read helpers for staff screens: a patient's measures page and the overview panel."""

from __future__ import annotations

from dataclasses import dataclass

from django.db.models import Count, IntegerField, Max, OuterRef, Subquery
from django.db.models.functions import Coalesce
from django.utils import timezone

from ketaclinic.measures.instruments import UnknownInstrument, load
from ketaclinic.measures.models import Assignment, Response, ResponseLink

RESPONSE_LIMIT = 500


@dataclass
class ResultRow:
    response: Response
    name: str
    baseline: Response | None
    change: float | None
    items: list[tuple[str, str, object]]  # (item id, text, answer)

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
        try:
            texts = {item.id: item.text for item in load(response.instrument_id).items}
        except UnknownInstrument:  # a definition removed since: show item numbers
            texts = {}
        items = [(key, texts.get(key, key), value) for key, value in response.answers.items()]
        rows.append(ResultRow(response, _name(response.instrument_id), baseline, change, items))
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
        link.name = _name(link.instrument_id)
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
    """Annotations for a Patient queryset (the overview's Questionnaires panel)."""
    last = (
        Response.objects.filter(patient=OuterRef("pk"), submitted_at__isnull=False)
        .order_by()
        .values("patient")
        .annotate(last=Max("submitted_at"))
        .values("last")
    )
    return {
        "measures_active_assignments": _count(Assignment, active=True),
        "measures_open_links": _count(ResponseLink, used_at__isnull=True, expired_at__isnull=True),
        "measures_last_response_at": Subquery(last),
    }


def measures_panel(user, patient) -> dict:
    """Context for the overview's Questionnaires panel (no queries with ``measures_counts``)."""
    if not user.has_perm("measures.view_measures", patient):
        return {"can_view_measures": False}
    return {
        "can_view_measures": True,
        "measures_active_assignments": getattr(patient, "measures_active_assignments", None),
        "measures_open_links": getattr(patient, "measures_open_links", None),
        "measures_last_response_at": getattr(patient, "measures_last_response_at", None),
    }
