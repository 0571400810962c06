"""Session screens, made for a tablet at the chair: a course's sessions, check-in with
the readiness check, the live session page (vital signs due and late, the thresholds in
force, open alerts with their response form, the dose drawn from a chosen lot of the
controlled-substance ledger, the administration record, rescue doses under standing
orders, the paper chart's scan for downtime, scales, events, the vitals chart),
discharge with each criterion and prescriber overrides, the note (signed by a
prescriber, then amendments only) and the Spravato REMS form (printable page and CSV).
Check-in shows the drug-interaction rules that fire on the current medications. Every
write is a domain function; a refusal shows its reasons beside the form and keeps what
was typed."""

from __future__ import annotations

import csv
import hashlib
import secrets
from dataclasses import dataclass

from django.conf import settings
from django.contrib import messages
from django.core.cache import cache
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse
from django.middleware.csrf import get_token
from django.shortcuts import get_object_or_404, redirect, render
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone
from django.utils.safestring import mark_safe
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from ketaclinic.backoffice.access import staff_view
from ketaclinic.backoffice.forms_util import add_domain_error
from ketaclinic.clinic.models import Location
from ketaclinic.patients.domain import record_cache
from ketaclinic.sessions import charts, rems
from ketaclinic.sessions.domain import (
    charting,
    controlled,
    downtime,
    interactions,
    notes,
    policy,
    queries,
    rems_export,
    sessions,
)
from ketaclinic.sessions.domain import discharge as discharging
from ketaclinic.sessions.domain import rescue as rescuing
from ketaclinic.sessions.domain.errors import FieldErrors, Refused, SessionError
from ketaclinic.sessions.domain.rems_form import esketamine_sessions, fill
from ketaclinic.sessions.entry_forms import (
    CRITERION_LABELS,
    AdministrationForm,
    AmendForm,
    CancelForm,
    CheckInForm,
    DecisionForm,
    DischargeForm,
    DrawForm,
    EventForm,
    NoteForm,
    PaperChartForm,
    PlanForm,
    ReadinessForm,
    ResponseForm,
    ScaleForm,
    SignForm,
    VitalsForm,
    rescue_form,
)
from ketaclinic.sessions.models import Session, SessionAlert, Status
from ketaclinic.treatment.dosing import ESKETAMINE_MG_PER_DEVICE
from ketaclinic.treatment.models import Course

TEMPLATES = "backoffice/sessions/"
# Criteria the person ticks on the discharge page (the others come from the chart).
# Decisions a prescriber records before check-in (shown on the check-in page).
CHECK_IN_DECISIONS = ("suicidal_ideation", "interaction")
CONFIRMED_AT_DISCHARGE = ("alert_and_oriented", "escort_present", "suicidal_ideation_rechecked")


def _session(request: HttpRequest, pk: int, **_kwargs) -> Session:
    return get_object_or_404(queries.session_queryset(), pk=pk)


def _session_to_chart(request: HttpRequest, pk: int, **_kwargs) -> Session:
    """A charting POST's session: only what the permission rule (the session's location)
    and the access log (the course's patient) read. The domain locks and reads the row
    again itself; an entry refused is shown on the whole page (``_refused``). The page's
    loader joins 14 tables, which PostgreSQL and Django both take time to plan and build."""
    return get_object_or_404(Session.objects.select_related("course"), pk=pk)


def _course(request: HttpRequest, pk: int, **_kwargs) -> Course:
    return get_object_or_404(
        Course.objects.select_related("patient__location", "protocol_version__protocol"), pk=pk
    )


def _error(form, error: SessionError) -> None:
    if isinstance(error, FieldErrors):
        for name, sentence in error.errors.items():
            form.add_error(name if name in form.fields else None, sentence)
        return
    if isinstance(error, Refused):
        for reason in error.reasons:
            form.add_error(None, reason)
        return
    add_domain_error(form, error, field={"occurred_at": "occurred_time"}.get(error.field))


def _back(session: Session, anchor: str = "") -> HttpResponse:
    url = reverse("backoffice:sessions-session", args=[session.pk])
    return redirect(url + (f"#{anchor}" if anchor else ""))


# --- a course's sessions ----------------------------------------------------------------------


def _course_context(request, course, form=None) -> dict:
    return {
        "course": course,
        "patient": course.patient,
        "sessions": list(
            course.sessions.select_related("location").order_by("session_number", "id")
        ),
        "can_chart": request.user.has_perm("sessions.chart", course),
        "form": form
        or PlanForm(
            initial={"session_number": course.sessions.exclude(status="cancelled").count() + 1}
        ),
    }


@require_GET
@staff_view("sessions.view_session", get_object=_course)
def course_sessions(request: HttpRequest, pk: int, obj: Course) -> HttpResponse:
    return render(request, TEMPLATES + "course.html", _course_context(request, obj))


@require_POST
@staff_view("sessions.chart", get_object=_course)
def plan(request: HttpRequest, pk: int, obj: Course) -> HttpResponse:
    form = PlanForm(request.POST)
    if form.is_valid():
        try:
            made = sessions.plan_session(
                obj,
                session_number=form.cleaned_data["session_number"],
                reason=form.cleaned_data["reason"],
                actor=request.user,
            )
        except SessionError as exc:
            _error(form, exc)
        else:
            return redirect("backoffice:sessions-check-in", pk=made.pk)
    context = _course_context(request, obj, form)
    return render(request, TEMPLATES + "course.html", context, status=400)


# --- the live session page ----------------------------------------------------------------------


SESSION_BODY = TEMPLATES + "_session_body.html"


def _viewer(user, session: Session) -> dict:
    """What this viewer may do on the page: the only thing of theirs a cached page
    depends on (part of its key)."""
    return {
        "may_chart": user.has_perm("sessions.chart", session),
        "can_decide": user.has_perm("sessions.decide", session),
        "can_sign": user.has_perm("sessions.sign_note", session),
        "may_draw": user.has_perm("inventory.record", Location(pk=session.location_id)),
    }


def _page_context(session: Session, viewer: dict, slots: dict, now, **forms) -> dict:
    """The body's context: the session as ``queries.session_queryset`` loads it, the
    viewer's flags, the forms (blank, or as refused) and ``slots``, the markers of what
    is filled in for each view (``_fill``)."""
    chart = queries.chart(session, now=now)
    thresholds = policy.thresholds()
    draws = controlled.session_draws(session)
    lot_numbers = sorted({state.entry.lot.lot_number for state in draws})
    may_chart = viewer["may_chart"]
    return {
        **viewer,
        "session": session,
        "patient": session.course.patient,
        "course": session.course,
        "order": session.order,
        "chart": chart,
        "slots": slots,
        "rule": policy.monitoring_rule(session),
        "alert_lines": thresholds.alert_lines(),
        "predose_lines": thresholds.predose_lines(),
        "can_chart": may_chart and session.is_open,
        "can_edit_note": may_chart,
        "late_minutes": policy.late_after().seconds // 60,
        "vitals_form": forms.get("vitals_form") or VitalsForm(),
        "paper_scans": list(session.paper_scans.select_related("attachment", "by")),
        "paper_form": forms.get("paper_form") or PaperChartForm(),
        "rescue_doses": list(rescuing.session_rescue_doses(session)),
        "rescue_form": forms.get("rescue_form") or rescue_form(),
        "draws": draws,
        "admin_form": forms.get("admin_form")
        or AdministrationForm(
            lots=lot_numbers,
            initial={
                "kind": "bolus" if session.is_esketamine else "start",
                "amount_mg": str(ESKETAMINE_MG_PER_DEVICE) if session.is_esketamine else "",
                "rate_mg_per_h": (
                    session.order.rate_mg_per_h
                    if session.order and session.order.rate_mg_per_h
                    else ""
                ),
            },
        ),
        "scale_form": forms.get("scale_form") or ScaleForm(),
        "cancel_form": forms.get("cancel_form") or CancelForm(),
        "can_cancel": may_chart
        and session.dose_started_at is None
        and session.status not in (Status.DISCHARGED, Status.CANCELLED),
        "event_form": forms.get("event_form") or EventForm(),
        "response_form": forms.get("response_form"),
        "response_alert": forms.get("response_alert"),
        "decision_form": forms.get("decision_form")
        or DecisionForm(initial={"about": "vitals_hold"}),
        "note_form": forms.get("note_form")
        or NoteForm(initial={"note": session.note, "version": session.version}),
        "sign_form": SignForm(initial={"version": session.version}),
        "amend_form": forms.get("amend_form") or AmendForm(),
        "chart_url": reverse("backoffice:sessions-chart", args=[session.pk])
        + f"?v={session.data_version}",
        "latest_predose": chart.latest_predose,
    }


@dataclass(frozen=True)
class _Live:
    """What the body needs filled in for each view, kept with the cached body: the
    markers, the title, the clock's inputs and what the draw form is built from."""

    slots: dict
    title: str
    clock: queries.Clock
    draw: dict | None  # location_id, product_id, product_name; None: no draw form


def _body(session: Session, viewer: dict, csrf: str, now, **forms) -> record_cache.Part:
    nonce = secrets.token_hex(8)
    slots = {name: f"slot-{name}-{nonce}" for name in ("checks", "total", "draw")}
    context = _page_context(session, viewer, slots, now, **forms)
    context["csrf_token"] = csrf
    draw = None
    refused_draw = forms.get("draw_form")
    if session.order_id and (
        refused_draw is not None or (context["can_chart"] and viewer["may_draw"])
    ):
        draw = {
            "location_id": session.location_id,
            "product_id": session.order.product_id,
            "product_name": session.order.product.name,
            "form": refused_draw,
        }
    live = _Live(
        slots=slots,
        title=f"Session {session.session_number} · {session.course.patient.display_name}",
        clock=context["chart"].clock,
        draw=draw,
    )
    return record_cache.Part(render_to_string(SESSION_BODY, context), extra=live)


def _fill(request, session: Session, html: str, live: _Live, now) -> str:
    """The body with what changes by the clock (checks due or late, the dose so far) and
    by other sessions (the lots in the safe) worked out for this view."""
    checks, total, problem = live.clock.at(now)
    parts = {
        "checks": render_to_string(
            TEMPLATES + "_checks.html",
            {"checks": checks, "due_now": queries.due_now(checks)},
        ),
        "total": render_to_string(
            TEMPLATES + "_total_dose.html", {"total": total, "dose_problem": problem}
        ),
        "draw": "",
    }
    if live.draw is not None:
        draw = live.draw
        form = draw["form"] or DrawForm(
            lots=controlled.lots_for(draw["location_id"], draw["product_id"])
        )
        parts["draw"] = render_to_string(
            TEMPLATES + "_draw_form.html",
            {"session": session, "draw_form": form, "product_name": draw["product_name"]},
            request=request,
        )
    for name, marker in live.slots.items():
        html = html.replace(marker, parts[name], 1)
    return html


def _page(request, session: Session, *, status: int = 200, **forms) -> HttpResponse:
    """The page with refused forms (or blank ones): built for this request only."""
    now = timezone.now()
    viewer = _viewer(request.user, session)
    part = _body(session, viewer, get_token(request), now, **forms)
    return _framed(request, session, part.html, part.extra, now, status=status)


def _framed(request, session, html: str, live: _Live, now, *, status: int = 200) -> HttpResponse:
    body = _fill(request, session, html, live, now)
    context = {"title": live.title, "body": mark_safe(body)}  # escaped when rendered
    return render(request, TEMPLATES + "session.html", context, status=status)


def _refused(request, session: Session, **forms) -> HttpResponse:
    """The page again, with the refused form, for a POST that loaded the session with
    ``_session_to_chart``."""
    return _page(
        request, get_object_or_404(queries.session_queryset(), pk=session.pk), status=400, **forms
    )


def _session_subject(request: HttpRequest, pk: int, **_kwargs) -> Session:
    """The session for the permission check, with its patient's stamps (one query): the
    page itself comes from the cache or ``queries.session_queryset``."""
    return queries.session_subject(pk)


@require_GET
@staff_view("sessions.view_session", get_object=_session_subject)
def session_page(request: HttpRequest, pk: int, obj: Session) -> HttpResponse:
    now = timezone.now()
    viewer = _viewer(request.user, obj)

    def build(csrf_placeholder: str) -> record_cache.Part:
        session = get_object_or_404(queries.session_queryset(), pk=pk)
        return _body(session, viewer, csrf_placeholder, now)

    html, live = record_cache.rendered_part(request, "session", obj, viewer.values(), build)
    return _framed(request, obj, html, live, now)


def _chart_key(session: Session) -> str:
    thresholds = policy.thresholds()
    digest = hashlib.sha256(repr(thresholds).encode()).hexdigest()[:12]
    return f"sessions:chart:{session.pk}:{session.data_version}:{session.status}:{digest}"


@require_GET
@staff_view("sessions.view_session", get_object=_session)
def chart_svg(request: HttpRequest, pk: int, obj: Session) -> HttpResponse:
    """The vitals timeline as SVG, cached per session data version (and thresholds)."""
    key = _chart_key(obj)
    body = cache.get(key)
    if body is None:
        points = [
            charts.ChartPoint(
                occurred_at=item.occurred_at, vitals=item.vitals, entered_at=item.entered_at
            )
            for item in obj.vitals.order_by("occurred_at", "id")
        ]
        body = charts.render_vitals_svg(
            points,
            policy.thresholds(),
            dose_started_at=obj.dose_started_at,
            infusion_ended_at=obj.infusion_ended_at,
            late_after=policy.late_after(),
        )
        cache.set(key, body, 60 * 60)
    return HttpResponse(body, content_type="image/svg+xml")


# --- charting (POST, back to the page) ----------------------------------------------------------


@require_POST
@staff_view("sessions.chart", get_object=_session_to_chart)
def vitals(request: HttpRequest, pk: int, obj: Session) -> HttpResponse:
    form = VitalsForm(request.POST)
    if form.is_valid():
        try:
            record = charting.record_vitals(
                obj,
                actor=request.user,
                values=form.values(),
                occurred_at=form.occurred_at(),
                from_paper=form.cleaned_data["from_paper"],
            )
        except SessionError as exc:
            _error(form, exc)
        else:
            alerted = record.alerted
            if record.predose_level == "hold":
                messages.warning(
                    request, "Pre-dose vital signs at the hold level: a prescriber decides."
                )
            elif alerted:
                messages.error(request, "Alert: a value is beyond the thresholds in force.")
            else:
                messages.success(request, "Vital signs charted.")
            return _back(obj, "alerts" if alerted else "vitals")
    return _refused(request, obj, vitals_form=form)


@require_POST
@staff_view("sessions.chart", get_object=_session)
def administration(request: HttpRequest, pk: int, obj: Session) -> HttpResponse:
    form = AdministrationForm(request.POST, lots=controlled.drawn_lot_numbers(obj))
    if form.is_valid():
        data = form.cleaned_data
        try:
            charting.record_administration(
                obj,
                actor=request.user,
                kind=data["kind"],
                rate_mg_per_h=data["rate_mg_per_h"],
                amount_mg=data["amount_mg"],
                lot=data["lot"],
                occurred_at=form.occurred_at(),
            )
        except SessionError as exc:
            _error(form, exc)
        else:
            messages.success(request, "Administration recorded.")
            return _back(obj, "administration")
    return _page(request, obj, status=400, admin_form=form)


@require_POST
@staff_view("sessions.chart", get_object=_session)
def draw(request: HttpRequest, pk: int, obj: Session) -> HttpResponse:
    """Draw the dose from a lot of the ordered product (the controlled-substance ledger:
    only those who may record in it, i.e. not the medical director, who reviews)."""
    if not request.user.has_perm("inventory.record", obj.location):
        raise PermissionDenied
    form = DrawForm(request.POST, lots=controlled.drawable_lots(obj))
    if form.is_valid():
        try:
            entry = controlled.draw_for_session(
                obj,
                lot_id=form.cleaned_data["lot"].pk,
                mg=form.cleaned_data["mg"],
                actor=request.user,
                occurred_at=form.occurred_at(),
            )
        except SessionError as exc:
            _error(form, exc)
        else:
            messages.success(
                request,
                f"Drawn {entry.quantity_mg.normalize():f} mg from lot {entry.lot.lot_number}. "
                "After the dose, record what was given and what was wasted.",
            )
            return _back(obj, "draws")
    return _page(request, obj, status=400, draw_form=form)


@require_POST
@staff_view("sessions.chart", get_object=_session)
def paper_chart(request: HttpRequest, pk: int, obj: Session) -> HttpResponse:
    """Downtime: attach the scan of the paper chart (its values are charted later)."""
    form = PaperChartForm(request.POST, request.FILES)
    if form.is_valid():
        try:
            scan = downtime.attach_paper_chart(
                obj,
                actor=request.user,
                uploaded=form.cleaned_data["file"],
                note=form.cleaned_data["note"],
            )
        except SessionError as exc:
            _error(form, exc)
        else:
            messages.success(
                request,
                f"{scan.attachment.original_name} attached. Chart its values as late entries.",
            )
            return _back(obj, "paper")
    return _page(request, obj, status=400, paper_form=form)


@require_POST
@staff_view("sessions.chart", get_object=_session)
def rescue(request: HttpRequest, pk: int, obj: Session) -> HttpResponse:
    """A rescue medication given under a standing order during this session."""
    form = rescue_form(request.POST)
    if form.is_valid():
        try:
            rescuing.give_rescue(
                obj,
                standing_order=form.cleaned_data["standing_order"],
                dose_mg=form.cleaned_data["dose_mg"],
                reason=form.cleaned_data["reason"],
                actor=request.user,
                occurred_at=form.occurred_at(),
            )
        except SessionError as exc:
            _error(form, exc)
        else:
            messages.success(request, "Rescue dose recorded.")
            return _back(obj, "rescue")
    return _page(request, obj, status=400, rescue_form=form)


@require_POST
@staff_view("sessions.chart", get_object=_session)
def cancel(request: HttpRequest, pk: int, obj: Session) -> HttpResponse:
    """Cancel a session before any dose (the patient did not come, or it was deferred)."""
    form = CancelForm(request.POST)
    if form.is_valid():
        try:
            sessions.cancel_session(obj, actor=request.user, reason=form.cleaned_data["reason"])
        except SessionError as exc:
            _error(form, exc)
        else:
            messages.success(request, "Session cancelled.")
            return _back(obj)
    return _page(request, obj, status=400, cancel_form=form)


@require_POST
@staff_view("sessions.chart", get_object=_session_to_chart)
def scale(request: HttpRequest, pk: int, obj: Session) -> HttpResponse:
    form = ScaleForm(request.POST)
    if form.is_valid():
        try:
            charting.record_scale(
                obj,
                actor=request.user,
                scale=form.cleaned_data["scale"],
                score=form.cleaned_data["score"],
                occurred_at=form.occurred_at(),
            )
        except SessionError as exc:
            _error(form, exc)
        else:
            messages.success(request, "Score charted.")
            return _back(obj, "scales")
    return _refused(request, obj, scale_form=form)


@require_POST
@staff_view("sessions.chart", get_object=_session_to_chart)
def event(request: HttpRequest, pk: int, obj: Session) -> HttpResponse:
    form = EventForm(request.POST)
    if form.is_valid():
        data = form.cleaned_data
        try:
            charting.record_adverse_event(
                obj,
                actor=request.user,
                type=data["type"],
                severity=data["severity"],
                description=data["description"],
                intervention=data["intervention"],
                outcome=data["outcome"],
                occurred_at=form.occurred_at(),
            )
        except SessionError as exc:
            _error(form, exc)
        else:
            messages.success(request, "Adverse event recorded.")
            return _back(obj, "events")
    return _refused(request, obj, event_form=form)


@require_POST
@staff_view("sessions.chart", get_object=_session)
def respond(request: HttpRequest, pk: int, alert: int, obj: Session) -> HttpResponse:
    found = SessionAlert.objects.filter(session=obj, pk=alert).select_related("session").first()
    if found is None:
        raise Http404
    form = ResponseForm(request.POST)
    if form.is_valid():
        try:
            charting.respond_to_alert(
                found, actor=request.user, response=form.cleaned_data["response"]
            )
        except SessionError as exc:
            _error(form, exc)
        else:
            messages.success(request, "Response recorded.")
            return _back(obj, "alerts")
    return _page(request, obj, status=400, response_form=form, response_alert=found.pk)


@require_POST
@staff_view("sessions.decide", get_object=_session)
def decide(request: HttpRequest, pk: int, obj: Session) -> HttpResponse:
    form = DecisionForm(request.POST)
    if form.is_valid():
        data = form.cleaned_data
        try:
            sessions.decide(
                obj,
                actor=request.user,
                about=data["about"],
                decision=data["decision"],
                reason=data["reason"],
            )
        except SessionError as exc:
            _error(form, exc)
        else:
            messages.success(request, "Decision recorded.")
            if data["about"] in CHECK_IN_DECISIONS:
                return redirect("backoffice:sessions-check-in", pk=obj.pk)
            return _back(obj)
    if form.data.get("about") in CHECK_IN_DECISIONS:
        return _check_in_page(request, obj, status=400, decision_form=form)
    return _page(request, obj, status=400, decision_form=form)


# --- the note -----------------------------------------------------------------------------------


@require_POST
@staff_view("sessions.chart", get_object=_session)
def note(request: HttpRequest, pk: int, obj: Session) -> HttpResponse:
    form = NoteForm(request.POST)
    if form.is_valid():
        try:
            notes.save_note(
                obj,
                actor=request.user,
                text=form.cleaned_data["note"],
                version=form.cleaned_data["version"],
            )
        except SessionError as exc:
            _error(form, exc)
        else:
            messages.success(request, "Note saved.")
            return _back(obj, "note")
    return _page(request, obj, status=409 if form.errors.get("__all__") else 400, note_form=form)


@require_POST
@staff_view("sessions.sign_note", get_object=_session)
def sign(request: HttpRequest, pk: int, obj: Session) -> HttpResponse:
    form = SignForm(request.POST)
    note_form = NoteForm(initial={"note": obj.note, "version": obj.version})
    if form.is_valid():
        try:
            notes.sign_note(obj, actor=request.user, version=form.cleaned_data["version"])
        except SessionError as exc:
            note_form = NoteForm(data={"note": obj.note, "version": obj.version})
            note_form.is_valid()
            note_form.add_error(None, exc.message)
        else:
            messages.success(request, "Note signed.")
            return _back(obj, "note")
    else:
        note_form = NoteForm(data={"note": obj.note, "version": obj.version})
        note_form.is_valid()
        note_form.add_error(None, "Reload the page and sign again.")
    return _page(request, obj, status=400, note_form=note_form)


@require_POST
@staff_view("sessions.chart", get_object=_session)
def amend(request: HttpRequest, pk: int, obj: Session) -> HttpResponse:
    form = AmendForm(request.POST)
    if form.is_valid():
        try:
            notes.amend_note(obj, actor=request.user, text=form.cleaned_data["amendment"])
        except SessionError as exc:
            _error(form, exc)
        else:
            messages.success(request, "Amendment added.")
            return _back(obj, "note")
    return _page(request, obj, status=400, amend_form=form)


# --- readiness and check-in ----------------------------------------------------------------------


def _check_in_page(request, session: Session, *, status: int = 200, **forms) -> HttpResponse:
    readiness = sessions.readiness_in_force(session)
    si_decision = sessions.decision_on(session, "suicidal_ideation")
    hits = interactions.interaction_hits(session.course.patient)
    interaction_decision = sessions.decision_on(session, "interaction")
    posted = forms.get("decision_form")
    about = posted.data.get("about") if posted is not None else None
    context = {
        "session": session,
        "patient": session.course.patient,
        "course": session.course,
        "order": sessions.live_order(session),
        "readiness": readiness,
        "readiness_form": forms.get("readiness_form") or ReadinessForm(),
        "form": forms.get("form") or CheckInForm(),
        "decision_form": (posted if about == "suicidal_ideation" else None)
        or DecisionForm(initial={"about": "suicidal_ideation"}),
        "si_decision": si_decision,
        "interaction_hits": hits,
        "new_interactions": [hit for hit in hits if hit.new],
        "interaction_decision": interaction_decision,
        "interaction_form": (posted if about == "interaction" else None)
        or DecisionForm(initial={"about": "interaction"}, auto_id="interaction_%s"),
        "can_chart": request.user.has_perm("sessions.chart", session),
        "can_decide": request.user.has_perm("sessions.decide", session),
        "per_session": settings.SESSION_READINESS_PER == "session",
    }
    return render(request, TEMPLATES + "check_in.html", context, status=status)


@require_http_methods(["GET", "POST"])
@staff_view("sessions.chart", get_object=_session)
def check_in(request: HttpRequest, pk: int, obj: Session) -> HttpResponse:
    if request.method == "GET":
        if obj.status != Status.PLANNED:
            return _back(obj)
        return _check_in_page(request, obj)
    form = CheckInForm(request.POST)
    if form.is_valid():
        try:
            sessions.check_in(obj, actor=request.user, **form.cleaned_data)
        except SessionError as exc:
            _error(form, exc)
        else:
            messages.success(request, "Checked in. Chart the pre-dose vital signs.")
            return _back(obj, "vitals")
    return _check_in_page(request, obj, status=400, form=form)


@require_POST
@staff_view("sessions.chart", get_object=_session)
def readiness(request: HttpRequest, pk: int, obj: Session) -> HttpResponse:
    form = ReadinessForm(request.POST)
    if form.is_valid():
        try:
            sessions.record_readiness(obj, actor=request.user, **form.cleaned_data)
        except SessionError as exc:
            _error(form, exc)
        else:
            messages.success(request, "Readiness check recorded.")
            return redirect("backoffice:sessions-check-in", pk=obj.pk)
    return _check_in_page(request, obj, status=400, readiness_form=form)


# --- discharge ---------------------------------------------------------------------------------


def _discharge_context(request, session: Session, form: DischargeForm | None, *, now) -> dict:
    rule = policy.monitoring_rule(session)
    overridable = []
    may_override = request.user.has_perm("sessions.override_discharge", session)
    if may_override and session.status == Status.OBSERVING:
        overridable = [name for name in CRITERION_LABELS if name != "minimum_observation"]
        if rule.overridable:
            overridable.insert(0, "minimum_observation")
    if form is None:
        form = DischargeForm(overridable=overridable)
    answers = {}
    if form.is_bound and hasattr(form, "cleaned_data"):
        answers = {
            name: form.cleaned_data.get(name)
            for name in ("alert_and_oriented", "escort_present", "suicidal_ideation_rechecked")
        }
    evaluated = discharging.readiness(session, now=now, **answers)
    criteria = []
    if evaluated is not None:
        criteria = [
            {
                "name": item.name,
                "label": CRITERION_LABELS[item.name],
                "met": item.met,
                "sentence": item.sentence,
                "overridable": item.overridable and item.name in overridable,
                "confirm": item.name in CONFIRMED_AT_DISCHARGE,
                "field": (
                    form[f"override_{item.name}"]
                    if item.name in overridable and (not item.met or form.is_bound)
                    else None
                ),
            }
            for item in evaluated.criteria
        ]
    chart = queries.chart(session, now=now)
    return {
        "session": session,
        "patient": session.course.patient,
        "course": session.course,
        "form": form,
        "criteria": criteria,
        "chart": chart,
        "rule": rule,
        "record": getattr(session, "discharge", None),
        "can_chart": request.user.has_perm("sessions.chart", session),
        "may_override": may_override,
        "draws": discharging.unaccounted_draws(session) if session.is_open else [],
    }


@require_http_methods(["GET", "POST"])
@staff_view("sessions.view_session", get_object=_session)
def discharge(request: HttpRequest, pk: int, obj: Session) -> HttpResponse:
    now = timezone.now()
    if request.method == "GET":
        return render(
            request, TEMPLATES + "discharge.html", _discharge_context(request, obj, None, now=now)
        )
    if not request.user.has_perm("sessions.chart", obj):
        raise PermissionDenied
    context = _discharge_context(request, obj, None, now=now)
    overridable = [item["name"] for item in context["criteria"] if item["overridable"]]
    form = DischargeForm(request.POST, overridable=overridable)
    if form.is_valid():
        try:
            discharging.discharge_session(
                obj,
                actor=request.user,
                alert_and_oriented=form.cleaned_data["alert_and_oriented"],
                escort_present=form.cleaned_data["escort_present"],
                suicidal_ideation_rechecked=form.cleaned_data["suicidal_ideation_rechecked"],
                overrides=form.overrides(),
                now=now,
            )
        except SessionError as exc:
            _error(form, exc)
        else:
            messages.success(request, "Discharged.")
            return _back(obj, "note")
    context = _discharge_context(request, obj, form, now=now)
    return render(request, TEMPLATES + "discharge.html", context, status=400)


# --- the REMS form -----------------------------------------------------------------------------


def _esketamine(session: Session) -> None:
    if not session.is_esketamine:
        raise Http404("The REMS form is for esketamine sessions.")


@require_GET
@staff_view("sessions.view_session", get_object=_session, audit_action="print")
def rems_page(request: HttpRequest, pk: int, obj: Session) -> HttpResponse:
    _esketamine(obj)
    filled = fill(obj) if obj.first_device_at else None
    sections: list[tuple[str, list]] = []
    if filled is not None:
        for item in filled.form.fields:
            value = filled.values[item.name]
            if not sections or sections[-1][0] != item.section:
                sections.append((item.section, []))
            sections[-1][1].append(
                {
                    "label": item.label,
                    "value": value,
                    "missing": item.name in filled.missing,
                    "type": item.type,
                }
            )
    return render(
        request,
        TEMPLATES + "rems.html",
        {
            "session": obj,
            "patient": obj.course.patient,
            "filled": filled,
            "sections": sections,
            "form": filled.form if filled else rems.load_form(),
        },
    )


def _csv(rows, filename: str) -> HttpResponse:
    response = HttpResponse(content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    writer = csv.writer(response)
    writer.writerow(rems_export.header())
    for row in rows:
        writer.writerow(row)
    return response


@require_GET
@staff_view("sessions.view_session", get_object=_session, audit_action="export")
def rems_csv(request: HttpRequest, pk: int, obj: Session) -> HttpResponse:
    _esketamine(obj)
    chosen = esketamine_sessions().filter(pk=obj.pk)
    return _csv(rems_export.rows(chosen), f"rems-session-{obj.pk}.csv")


@require_GET
@staff_view(
    "sessions.export_rems", audit_object_type="treatment_sessions.session", audit_action="export"
)
def rems_all_csv(request: HttpRequest) -> HttpResponse:
    chosen = esketamine_sessions()
    if not request.user.sees_all_locations:
        chosen = chosen.filter(location_id__in=request.user.location_ids)
    return _csv(rems_export.rows(chosen), "rems-monitoring-forms.csv")
