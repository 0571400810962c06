"""A patient's questionnaires: assignments, links, results with change from baseline,
sending links, opening one on a clinic tablet, and entering clinician-rated scales.
Every view passes ``staff_view`` (permission on the patient, access log, no-store)."""

from __future__ import annotations

from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from ketaclinic.backoffice.access import staff_view
from ketaclinic.measures.domain import assignments as assigning
from ketaclinic.measures.domain import links
from ketaclinic.measures.domain.errors import Incomplete, MeasuresError
from ketaclinic.measures.domain.queries import patient_measures
from ketaclinic.measures.domain.responses import submit_clinician
from ketaclinic.measures.forms import AssignForm, InstrumentForm, SendForm
from ketaclinic.measures.instruments import AnswerError, load
from ketaclinic.measures.models import Assignment, Channel
from ketaclinic.patients.models import Patient


def _patient(request: HttpRequest, pk: int, **_kwargs) -> Patient:
    return get_object_or_404(Patient.objects.select_related("location"), pk=pk)


def _page(request, patient, *, assign_form=None, send_form=None, status=200):
    user = request.user
    context = {
        "patient": patient,
        **patient_measures(patient),
        "assign_form": assign_form or AssignForm(),
        "send_form": send_form or SendForm(),
        "clinician_instruments": [(i, load(i).name) for i in assigning.clinician_ids()],
        "can_assign": user.has_perm("measures.assign_measure", patient),
        "can_enter": user.has_perm("measures.enter_clinician_rated", patient),
        "has_email": bool(patient.email),
    }
    return render(request, "backoffice/measures_patient.html", context, status=status)


@require_GET
@staff_view("measures.view_measures", get_object=_patient)
def measures(request: HttpRequest, pk: int, obj: Patient) -> HttpResponse:
    return _page(request, obj)


@require_POST
@staff_view("measures.assign_measure", get_object=_patient)
def assign(request: HttpRequest, pk: int, obj: Patient) -> HttpResponse:
    form = AssignForm(request.POST)
    if form.is_valid():
        try:
            assigning.assign(
                obj,
                form.cleaned_data["instrument_id"],
                form.cleaned_data["schedule"],
                created_by=request.user,
            )
        except MeasuresError as error:
            form.add_error(error.field, error.message)
        else:
            messages.success(request, "Questionnaire assigned.")
            return redirect("backoffice:measures", obj.pk)
    return _page(request, obj, assign_form=form, status=400)


@require_POST
@staff_view("measures.assign_measure", get_object=_patient)
def send_now(request: HttpRequest, pk: int, obj: Patient) -> HttpResponse:
    form = SendForm(request.POST)
    channel = form.cleaned_data.get("channel", Channel.EMAIL) if form.is_valid() else None
    if channel == Channel.EMAIL and not obj.email:
        form.add_error(
            None, "This patient has no email address: add one, or open the form in clinic."
        )
    elif channel == Channel.SMS and not obj.phone:
        form.add_error("channel", "This patient has no phone number: add one, or send by email.")
    if not form.is_valid():
        return _page(request, obj, send_form=form, status=400)
    links.create_link(
        obj, form.cleaned_data["instrument_id"], channel=channel, created_by=request.user
    )
    messages.success(
        request, "Link sent by text message." if channel == Channel.SMS else "Link sent by email."
    )
    return redirect("backoffice:measures", obj.pk)


@require_POST
@staff_view("measures.assign_measure", get_object=_patient)
def in_clinic(request: HttpRequest, pk: int, obj: Patient) -> HttpResponse:
    """Open a questionnaire on this tablet for the patient (a short-lived in-clinic link)."""
    form = SendForm(request.POST)
    if not form.is_valid():
        return _page(request, obj, send_form=form, status=400)
    _link, token = links.create_link(
        obj, form.cleaned_data["instrument_id"], channel=Channel.IN_CLINIC, created_by=request.user
    )
    return redirect(reverse("portal:questionnaire", args=[token]))


@require_POST
@staff_view("measures.assign_measure", get_object=_patient)
def stop_assignment(request: HttpRequest, pk: int, assignment_pk: int, obj: Patient):
    assignment = get_object_or_404(Assignment, pk=assignment_pk, patient=obj)
    if assigning.stop(assignment):
        messages.success(request, "Schedule stopped.")
    return redirect("backoffice:measures", obj.pk)


@require_http_methods(["GET", "POST"])
@staff_view("measures.enter_clinician_rated", get_object=_patient)
def enter(request: HttpRequest, pk: int, instrument_id: str, obj: Patient) -> HttpResponse:
    if instrument_id not in assigning.clinician_ids():
        raise Http404("not a clinician-rated scale")
    instrument = load(instrument_id)
    status = 200
    if request.method == "POST":
        form = InstrumentForm(request.POST, instrument=instrument)
        if form.is_valid():
            try:
                outcome = submit_clinician(
                    obj, instrument_id, form.answers(), entered_by=request.user
                )
            except Incomplete as incomplete:
                form.add_item_errors(incomplete.errors)
            except AnswerError as error:
                form.add_error(None, f"These answers do not fit the scale: {error}")
            else:
                note = " A safety alert was raised." if outcome.alerts else ""
                messages.success(request, f"{instrument.name} saved.{note}")
                return redirect("backoffice:measures", obj.pk)
        status = 400
    else:
        form = InstrumentForm(instrument=instrument)
    return render(
        request,
        "backoffice/measures_enter.html",
        {"patient": obj, "form": form, "instrument": instrument},
        status=status,
    )
