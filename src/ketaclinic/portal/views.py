"""The questionnaire a patient opens from their link (or staff open on a clinic tablet).

The link is the patient's identity: one patient, one questionnaire, one response. The
pages show nothing of the patient, are never cached (no-store) and log nothing about
the answers. Expired or used links answer 410, unknown or tampered ones 404: always a
calm page, never an error. Every page shows the crisis resources and says plainly that
answers are not watched in real time; after answers with suicidal ideation — sent, or
only saved to finish later — the crisis resources come first on the same page.

The same link mechanism carries the intake health-history form (``purpose``
"intake_history"): the same URL, closed pages and no-store, with the patient's
history questions (yes / no / not sure, weight and height optional) instead of an
instrument. What the patient sends waits for staff review (``patients.domain.self_report``).

A patient with a portal account (signed in by a one-time code sent to their email)
also has ``/q/me/``: their questionnaires (each "answer now" makes a fresh link and
opens it) and the results received (scores only when the clinic's
``MEASURES_PATIENTS_SEE_SCORES`` policy is on). Only the signed-in patient's own data.
"""

from __future__ import annotations

from functools import wraps

from django.conf import settings
from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.cache import add_never_cache_headers, patch_cache_control
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from ketaclinic.clinic.models import ClinicProfile
from ketaclinic.measures.domain import history_links, links
from ketaclinic.measures.domain.errors import Incomplete, LinkClosed
from ketaclinic.measures.domain.responses import save_draft, submit
from ketaclinic.measures.forms import InstrumentForm
from ketaclinic.measures.instruments import AnswerError, UnknownInstrument, load
from ketaclinic.measures.models import Assignment, Channel, LinkStatus, Response, ResponseLink
from ketaclinic.patients.domain import portal_access, self_report
from ketaclinic.patients.domain.errors import PatientError
from ketaclinic.patients.forms import PatientHistoryForm

CLOSED_STATUS = {links.EXPIRED: 410, links.USED: 410, links.UNKNOWN: 404, links.TAMPERED: 404}


def _private(response: HttpResponse) -> HttpResponse:
    add_never_cache_headers(response)
    patch_cache_control(response, no_store=True, private=True)
    response["X-Robots-Tag"] = "noindex, nofollow"
    return response


def _closed(request: HttpRequest, reason: str) -> HttpResponse:
    return _private(
        render(request, "portal/closed.html", {"reason": reason}, status=CLOSED_STATUS[reason])
    )


@require_http_methods(["GET", "POST"])
def questionnaire(request: HttpRequest, token: str) -> HttpResponse:
    opened = links.open_link(token)
    if not opened.ok:
        return _closed(request, opened.reason)
    link = opened.link
    if link.is_intake_history:
        return _history(request, link)
    instrument = load(link.instrument_id)
    saved = False
    crisis_first = False
    status = 200
    if request.method == "POST":
        form = InstrumentForm(request.POST, instrument=instrument)
        if not form.is_valid():
            status = 400
        else:
            answers = form.answers()
            try:
                if request.POST.get("action") == "save":
                    crisis_first = save_draft(link, answers).shows_crisis
                    saved = True
                else:
                    outcome = submit(link, answers)
                    return _private(
                        render(
                            request,
                            "portal/thanks.html",
                            {"crisis_first": outcome.shows_crisis, "instrument": instrument},
                        )
                    )
            except LinkClosed as closed:
                return _closed(request, closed.reason)
            except Incomplete as incomplete:
                crisis_first = save_draft(link, answers).shows_crisis
                saved = True
                form.add_item_errors(incomplete.errors)
                status = 400
            except AnswerError:
                form.add_error(None, "Some answers could not be read. Please check them.")
                status = 400
    else:
        draft = Response.objects.filter(link=link, submitted_at__isnull=True).first()
        form = InstrumentForm(
            instrument=instrument,
            initial=InstrumentForm.initial_from(draft.answers if draft else {}),
        )
    return _private(
        render(
            request,
            "portal/questionnaire.html",
            {
                "form": form,
                "instrument": instrument,
                "link": link,
                "saved": saved,
                "crisis_first": crisis_first,
            },
            status=status,
        )
    )


def _history(request: HttpRequest, link) -> HttpResponse:
    """The intake health-history form (GET, save for later, send)."""
    units = self_report.default_units(ClinicProfile.current().phone_region)
    saved = False
    status = 200
    if request.method == "POST":
        form = PatientHistoryForm(request.POST, units=units)
        if not form.is_valid():
            status = 400
        else:
            values = form.report_values()
            try:
                if request.POST.get("action") == "save":
                    history_links.save_history_draft(link, values)
                    saved = True
                else:
                    history_links.submit_history(link, values)
                    return _private(render(request, "portal/thanks.html", {"crisis_first": False}))
            except LinkClosed as closed:
                return _closed(request, closed.reason)
            except self_report.IncompleteReport as incomplete:
                history_links.save_history_draft(link, values)
                saved = True
                form.add_missing_errors(incomplete.errors)
                status = 400
            except PatientError as error:
                form.add_error(error.field if error.field in form.fields else None, str(error))
                status = 400
    else:
        form = PatientHistoryForm(
            units=units, initial=PatientHistoryForm.initial_from(link.history_report)
        )
    return _private(
        render(
            request,
            "portal/history.html",
            {"form": form, "link": link, "saved": saved},
            status=status,
        )
    )


# --- a signed-in patient's own pages (sign-in by a one-time code) ------------------


def patient_only(view):
    """Signed-in patients only: anonymous → sign-in, anyone else (staff) → 403. The
    view gets the patient of the signed-in account; nothing else is ever looked up."""

    @wraps(view)
    def wrapped(request: HttpRequest, *args, **kwargs) -> HttpResponse:
        if not request.user.is_authenticated:
            return redirect_to_login(request.get_full_path())
        patient = portal_access.patient_of(request.user)
        if patient is None:
            raise PermissionDenied
        return _private(view(request, patient, *args, **kwargs))

    return wrapped


@require_GET
@patient_only
def home(request: HttpRequest, patient) -> HttpResponse:
    now = timezone.now()
    assignments = list(Assignment.objects.filter(patient=patient, active=True))
    for assignment in assignments:
        assignment.name = _instrument_name(assignment.instrument_id)
    open_links = [
        link
        for link in ResponseLink.objects.filter(patient=patient, used_at__isnull=True)
        if link.status_at(now) == LinkStatus.OPEN
    ]
    return render(
        request,
        "portal/home.html",
        {
            "patient": patient,
            "assignments": assignments,
            "open_count": len(open_links),
            "show_progress": settings.OUTCOMES_PATIENTS_SEE_PROGRESS,
        },
    )


@require_POST
@patient_only
def start(request: HttpRequest, patient, assignment_id: int) -> HttpResponse:
    assignment = get_object_or_404(Assignment, pk=assignment_id, patient=patient, active=True)
    _link, token = links.create_link(
        patient,
        assignment.instrument_id,
        channel=Channel.IN_CLINIC,
        assignment=assignment,
        created_by=request.user,
    )
    return redirect("portal:questionnaire", token=token)


@require_GET
@patient_only
def results(request: HttpRequest, patient) -> HttpResponse:
    responses = list(
        Response.objects.filter(patient=patient, submitted_at__isnull=False).order_by(
            "-submitted_at", "-id"
        )[:200]
    )
    for response in responses:
        response.name = _instrument_name(response.instrument_id)
    return render(
        request,
        "portal/results.html",
        {
            "patient": patient,
            "responses": responses,
            "show_scores": settings.MEASURES_PATIENTS_SEE_SCORES,
        },
    )


def _instrument_name(instrument_id: str) -> str:
    try:
        return load(instrument_id).name
    except UnknownInstrument:
        return instrument_id


# --- the patient's own progress (clinic policy OUTCOMES_PATIENTS_SEE_PROGRESS) ------


def _progress_allowed() -> None:
    if not settings.OUTCOMES_PATIENTS_SEE_PROGRESS:
        raise Http404("progress is not shown to patients at this clinic")


@require_GET
@patient_only
def progress(request: HttpRequest, patient) -> HttpResponse:
    """The stored outcome summaries of the signed-in patient, in plain words."""
    from ketaclinic.outcomes.domain.queries import patient_progress

    _progress_allowed()
    return render(request, "portal/progress.html", {"rows": patient_progress(patient)})


@require_GET
@patient_only
def progress_figure(request: HttpRequest, patient, instrument_id: str) -> HttpResponse:
    from ketaclinic.outcomes.domain.queries import trajectory_figure

    _progress_allowed()
    content = trajectory_figure(patient, instrument_id)
    if content is None:
        raise Http404("no progress for this questionnaire")
    return HttpResponse(content, content_type="image/svg+xml")
