"""Outcomes: a patient's outcome page (figures, summary table, suicidal ideation,
suggestions with the prescriber's decisions, FHIR export) and the clinic dashboard.

Every view passes ``staff_view`` (permission, access log, no-store). Pages read the
stored summaries only (``outcomes.domain``); figures are separate SVG images (the CSP
forbids inline ones), cached per data version.
"""

from __future__ import annotations

import hashlib

from django.conf import settings
from django.contrib import messages
from django.core.cache import cache
from django.http import Http404, HttpRequest, HttpResponse
from django.middleware.csrf import get_token
from django.shortcuts import get_object_or_404, redirect, render
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils.safestring import mark_safe
from django.views.decorators.http import require_GET, require_POST

from ketaclinic.backoffice.access import staff_view
from ketaclinic.measures.instruments.loader import shipped_definition
from ketaclinic.outcomes import plots
from ketaclinic.outcomes.cohort import CAVEAT
from ketaclinic.outcomes.domain import dashboard as dashboards
from ketaclinic.outcomes.domain.adjustments import DecisionRefused, decide, policy
from ketaclinic.outcomes.domain.exports import patient_fhir_bundle, research_csv_text
from ketaclinic.outcomes.domain.queries import (
    instrument_name,
    patient_outcomes,
    trajectory_figure,
)
from ketaclinic.outcomes.domain.reports import progress_report_pdf
from ketaclinic.outcomes.forms import DashboardFilter, DecisionForm
from ketaclinic.outcomes.suggestions import policy_as_dict
from ketaclinic.patients.domain import record_cache
from ketaclinic.patients.domain.coding import GROUP_LABELS
from ketaclinic.patients.models import Patient

SVG = "image/svg+xml"
FIGURE_SECONDS = 24 * 3600
PATIENT_BODY = "backoffice/outcomes/_patient_body.html"


def _patient(request: HttpRequest, pk: int, **_kwargs) -> Patient:
    return get_object_or_404(Patient.objects.select_related("location"), pk=pk)


def _svg(content: bytes) -> HttpResponse:
    return HttpResponse(content, content_type=SVG)


def _patient_with_stamps(request: HttpRequest, pk: int, **_kwargs) -> Patient:
    return record_cache.subject(pk)


def _page(request, patient, *, form: DecisionForm | None = None, status: int = 200):
    """The outcome page: from the record cache on a plain view (``patient_page``, the
    patient loaded with its stamps), built with the refused form otherwise."""
    can_decide = request.user.has_perm("outcomes.decide_adjustment", patient)
    if form is None:
        record = record_cache.rendered(
            request,
            "outcomes",
            patient,
            (can_decide,),
            lambda placeholder: record_cache.Part(_body(patient, can_decide, None, placeholder)),
        )
    else:
        record = _body(patient, can_decide, form, get_token(request))
    return render(
        request,
        "backoffice/outcomes/patient.html",
        {
            "patient": patient,
            "record": mark_safe(record),  # escaped when it was rendered (a Django template)
        },
        status=status,
    )


def _body(patient, can_decide: bool, form: DecisionForm | None, csrf_token: str) -> str:
    outcomes = patient_outcomes(patient)
    fingerprint = form.data.get("fingerprint") if form is not None else ""
    context = {
        "patient": patient,
        "outcomes": outcomes,
        "form": form,
        "form_fingerprint": fingerprint,
        # an error about a suggestion no longer shown goes above the list
        "form_orphan": form is not None
        and fingerprint not in {item.fingerprint for item in outcomes.suggestions},
        "can_decide": can_decide,
        "policy_values": policy_as_dict(policy()),
        "csrf_token": csrf_token,
    }
    return render_to_string(PATIENT_BODY, context)


@require_GET
@staff_view("outcomes.view_outcomes", get_object=_patient_with_stamps)
def patient_page(request: HttpRequest, pk: int, obj: Patient) -> HttpResponse:
    return _page(request, obj)


@require_GET
@staff_view("outcomes.view_outcomes", get_object=_patient)
def patient_figure(request: HttpRequest, pk: int, instrument_id: str, obj: Patient):
    """One instrument's trajectory, cached per summary data version."""
    content = trajectory_figure(obj, instrument_id)
    if content is None:
        raise Http404("no outcome summary for this questionnaire")
    return _svg(content)


@require_POST
@staff_view("outcomes.decide_adjustment", get_object=_patient)
def patient_decide(request: HttpRequest, pk: int, obj: Patient) -> HttpResponse:
    form = DecisionForm(request.POST)
    if form.is_valid():
        shown = patient_outcomes(obj).suggestions
        try:
            decide(
                obj,
                shown,
                fingerprint_value=form.cleaned_data["fingerprint"],
                decision=form.cleaned_data["decision"],
                reason=form.cleaned_data["reason"],
                actor=request.user,
            )
        except DecisionRefused as refused:
            form.add_error(refused.field, refused.message)
        else:
            messages.success(request, "Decision recorded. Nothing has been changed automatically.")
            return redirect(reverse("backoffice:outcomes-patient", args=[obj.pk]) + "#suggestions")
    return _page(request, obj, form=form, status=400)


@require_GET
@staff_view("outcomes.view_outcomes", get_object=_patient, audit_action="export")
def patient_fhir(request: HttpRequest, pk: int, obj: Patient) -> HttpResponse:
    bundle = patient_fhir_bundle(obj)
    response = HttpResponse(
        bundle.model_dump_json(), content_type="application/fhir+json; fhirVersion=4.3"
    )
    response["Content-Disposition"] = f'attachment; filename="patient-{obj.pk}.fhir.json"'
    return response


@require_GET
@staff_view("outcomes.view_outcomes", get_object=_patient, audit_action="print")
def patient_report(request: HttpRequest, pk: int, obj: Patient) -> HttpResponse:
    """The progress report as PDF, for the patient to take to their own doctor."""
    response = HttpResponse(progress_report_pdf(obj), content_type="application/pdf")
    response["Content-Disposition"] = f'attachment; filename="progress-report-{obj.pk}.pdf"'
    return response


# -- the clinic dashboard ---------------------------------------------------------------


def _filters(request: HttpRequest):
    from ketaclinic.treatment.models import Protocol

    locations = dashboards.visible_locations(request.user)
    protocols = list(Protocol.objects.order_by("name").values_list("pk", "name"))
    form = DashboardFilter(
        request.GET or None,
        instruments=[(i, instrument_name(i)) for i in dashboards.MAIN_INSTRUMENTS],
        locations=[(location.pk, location.name) for location in locations],
        protocols=protocols,
        conditions=list(GROUP_LABELS.items()),
    )
    filters = form.cleaned_data if form.is_bound and form.is_valid() else {}
    return form, filters, locations


@require_GET
@staff_view("outcomes.view_dashboard", audit_object_type="outcomes.dashboard")
def dashboard(request: HttpRequest) -> HttpResponse:
    form, filters, locations = _filters(request)
    status = 400 if form.is_bound and not form.is_valid() else 200
    query = request.GET.urlencode() if status != 400 else ""
    context = {
        "form": form,
        "locations": locations,
        "can_export_research": request.user.has_perm("outcomes.export_research"),
        "board_html": _board_html(request, filters, locations, query),
    }
    return render(request, "backoffice/outcomes/dashboard.html", context, status=status)


def _board_html(request: HttpRequest, filters: dict, locations, query: str) -> str:
    """The board's part of the page (everything below the filters), rendered once per
    board and query string: the same for everyone who sees the same scope and filters,
    so it is cached under the board's own key (the generation), and a page whose board
    has not changed renders only its frame (one cache read, no template work that grows
    with the number of locations). An earlier board shown while the current one is
    built (``board.stale``) is rendered with its time and never cached."""
    keyed = dashboards.board_key(filters, locations)
    html_key = None
    if keyed is not None:
        html_key = f"{keyed.key}:html:{hashlib.sha256(query.encode()).hexdigest()[:16]}"
        html = cache.get(html_key)
        if html is not None:
            return html
    board = dashboards.board_for(request.user, filters, locations, keyed, stale_ok=True)
    html = render_to_string(
        "backoffice/outcomes/_board.html",
        {
            "board": board,
            "caveat": CAVEAT,
            "query": query,
            "safety_groups": [
                ("Location", board.safety.by_location),
                ("Period of the session", board.safety.by_period),
            ],
            # the thresholds named in the page, from the instruments' definitions
            "who5_meaningful": shipped_definition(dashboards.WHO5).outcomes.meaningful_change,
            "peg_response": shipped_definition(dashboards.PEG).outcomes.response,
        },
    )
    if html_key is not None and not board.stale and keyed.current():
        cache.set(html_key, html, settings.OUTCOMES_DASHBOARD_CACHE_SECONDS)
    return html


def _dashboard_figure(request: HttpRequest, kind: str) -> HttpResponse:
    _form, filters, locations = _filters(request)
    scope = ",".join(str(location.pk) for location in locations)
    # The board's generation key when the dashboard cache is on (one small query);
    # otherwise the versions of every summary in scope (a query as large as the cohort).
    keyed = dashboards.board_key(filters, locations)
    if keyed is not None:
        version = keyed.key
    else:
        version = dashboards.version_key(request.user, filters, locations)
    key = f"outcomes:{kind}:{scope}:{request.GET.urlencode()}:{version}"
    content = cache.get(key)
    if content is None:
        board = dashboards.build(request.user, filters, locations)
        if kind == "km":
            content = plots.km_svg(board.stats.durability if board.stats else None)
        else:
            content = plots.waterfall_svg(board.waterfall, response_pct=board.response_pct)
        if keyed is None or keyed.current():
            cache.set(key, content, FIGURE_SECONDS)
    return _svg(content)


@require_GET
@staff_view("outcomes.view_dashboard", audit_object_type="outcomes.dashboard")
def dashboard_km(request: HttpRequest) -> HttpResponse:
    return _dashboard_figure(request, "km")


@require_GET
@staff_view("outcomes.view_dashboard", audit_object_type="outcomes.dashboard")
def dashboard_waterfall(request: HttpRequest) -> HttpResponse:
    return _dashboard_figure(request, "waterfall")


@require_GET
@staff_view(
    "outcomes.export_research",
    audit_object_type="outcomes.research_export",
    audit_action="export",
)
def research_export(request: HttpRequest) -> HttpResponse:
    """The de-identified cohort (every location) as CSV: the medical director only."""
    text, _count = research_csv_text()
    response = HttpResponse(text, content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = 'attachment; filename="outcomes-research.csv"'
    return response
