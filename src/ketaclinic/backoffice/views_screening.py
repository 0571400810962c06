"""Eligibility screening of one patient: rule hits, missing information, clearances,
the prescriber's signed decision, and informed consent."""

from __future__ import annotations

from django import forms
from django.contrib import messages
from django.contrib.auth import get_user_model
from django.db.models import Q
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.views.decorators.http import require_GET, require_POST

from ketaclinic import formfields
from ketaclinic.accounts.roles import Role
from ketaclinic.backoffice.access import staff_view
from ketaclinic.patients.models import Patient
from ketaclinic.screening.domain import clearances, consent, decisions
from ketaclinic.screening.domain.clearances import EVIDENCE_KINDS
from ketaclinic.screening.models import Decision

FIELD_LABELS = {
    "age_years": "Age (date of birth)",
    "systolic": "Blood pressure at screening (systolic)",
    "diastolic": "Blood pressure at screening (diastolic)",
}


def _patient(request: HttpRequest, pk: int, **_kwargs) -> Patient:
    return get_object_or_404(
        Patient.objects.select_related("location", "medical_history").prefetch_related(
            "medications", "conditions", "medical_clearances"
        ),
        pk=pk,
    )


class DecisionForm(forms.Form):
    decision = forms.ChoiceField(choices=Decision.choices, widget=forms.RadioSelect)
    note = forms.CharField(widget=forms.Textarea(attrs={"rows": 3}), max_length=5000)


class ClearanceForm(forms.Form):
    rule_id = forms.ChoiceField(label="Rule met by this clearance")
    cleared_by = forms.CharField(label="Cleared by (clinician)", max_length=200)
    cleared_on = forms.DateField(
        label="Date of the clearance", widget=forms.DateInput(attrs={"type": "date"})
    )
    attachment = formfields.ModelChoiceField(label="Letter or ECG", queryset=None, empty_label=None)
    note = forms.CharField(required=False, max_length=2000, widget=forms.TextInput)

    def __init__(self, *args, patient, rule_ids=None, **kwargs):
        super().__init__(*args, **kwargs)
        rules = clearances.clearable_rules()
        wanted = rule_ids if rule_ids is not None else list(rules)
        self.fields["rule_id"].choices = [
            (rule_id, rules[rule_id]) for rule_id in wanted if rule_id in rules
        ]
        self.fields["attachment"].queryset = patient.attachments.filter(kind__in=EVIDENCE_KINDS)


class ConsentForm(forms.Form):
    signed_name = forms.CharField(label="Patient's name as signed", max_length=200)
    witness = formfields.ModelChoiceField(label="Witnessed by", queryset=None, empty_label=None)

    def __init__(self, *args, patient, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["witness"].queryset = (
            get_user_model()
            .objects.filter(
                is_active=True,
                groups__name__in=[Role.NURSE, Role.PRESCRIBER, Role.MEDICAL_DIRECTOR],
            )
            .filter(Q(locations=patient.location_id) | Q(groups__name=Role.MEDICAL_DIRECTOR))
            .distinct()
            .order_by("first_name", "last_name")
        )


def _context(request, patient, **overrides) -> dict:
    state = decisions.current_decision(patient)
    missing = [
        FIELD_LABELS.get(item, item.replace("_", " ").capitalize())
        for item in state.result.missing
        if not item.startswith("clearance:")
    ]
    user = request.user
    text = consent.current_text()
    # rules the record triggers that still wait for a clearance
    waiting = [
        hit.rule_id
        for hit in state.result.hits
        if hit.severity == "needs_clearance" and not hit.met_by_clearance
    ]
    clearance_form = ClearanceForm(
        patient=patient, rule_ids=waiting, initial={"cleared_on": timezone.localdate()}
    )
    context = {
        "patient": patient,
        "state": state,
        "missing": missing,
        "missing_clearances": [
            m.split(":", 1)[1] for m in state.result.missing if m.startswith("clearance:")
        ],
        "allowed": decisions.allowed_decisions(state.result.decision_hint),
        "history": patient.eligibility_decisions.select_related("signed_by")[:20],
        "clearance_list": patient.medical_clearances.all(),
        "consent_text": text,
        "consent": consent.current_consent(patient, text),
        "can_sign": user.has_perm("screening.sign_decision", patient),
        "can_clear": user.has_perm("screening.record_clearance", patient),
        "can_consent": user.has_perm("screening.record_consent", patient),
        "decision_form": DecisionForm(initial={"decision": None}),
        "clearance_form": clearance_form,
        "waiting_clearances": waiting,
        "consent_form": ConsentForm(patient=patient, initial={"witness": user.pk}),
    }
    context.update(overrides)
    return context


@require_GET
@staff_view("screening.view_screening", get_object=_patient)
def screening(request: HttpRequest, pk: int, obj: Patient) -> HttpResponse:
    return render(request, "backoffice/screening.html", _context(request, obj))


@require_POST
@staff_view("screening.sign_decision", get_object=_patient)
def sign_decision(request: HttpRequest, pk: int, obj: Patient) -> HttpResponse:
    form = DecisionForm(request.POST)
    if form.is_valid():
        try:
            decisions.record_decision(
                obj,
                decision=form.cleaned_data["decision"],
                note=form.cleaned_data["note"],
                signer=request.user,
            )
        except decisions.DecisionError as exc:
            form.add_error("decision", str(exc))
        else:
            messages.success(request, "Decision signed.")
            return redirect("backoffice:screening", pk=obj.pk)
    return render(
        request, "backoffice/screening.html", _context(request, obj, decision_form=form), status=400
    )


@require_POST
@staff_view("screening.record_clearance", get_object=_patient)
def record_clearance(request: HttpRequest, pk: int, obj: Patient) -> HttpResponse:
    form = ClearanceForm(request.POST, patient=obj)  # any clearable rule may be recorded
    if form.is_valid():
        try:
            clearances.record_clearance(obj, actor=request.user, **form.cleaned_data)
        except clearances.ClearanceError as exc:
            form.add_error(None, str(exc))
        else:
            messages.success(request, "Medical clearance recorded.")
            return redirect("backoffice:screening", pk=obj.pk)
    return render(
        request,
        "backoffice/screening.html",
        _context(request, obj, clearance_form=form),
        status=400,
    )


@require_POST
@staff_view("screening.record_consent", get_object=_patient)
def record_consent(request: HttpRequest, pk: int, obj: Patient) -> HttpResponse:
    form = ConsentForm(request.POST, patient=obj)
    if form.is_valid():
        try:
            consent.record_consent(
                obj,
                signed_name=form.cleaned_data["signed_name"],
                witness=form.cleaned_data["witness"],
                actor=request.user,
            )
        except consent.ConsentError as exc:
            form.add_error(None, str(exc))
        else:
            messages.success(request, "Consent recorded.")
            return redirect("backoffice:screening", pk=obj.pk)
    return render(
        request, "backoffice/screening.html", _context(request, obj, consent_form=form), status=400
    )


@require_POST
@staff_view("screening.record_consent", get_object=_patient)
def withdraw_consent(request: HttpRequest, pk: int, obj: Patient) -> HttpResponse:
    current = consent.current_consent(obj)
    if current is None:
        messages.warning(request, "There is no current consent to withdraw.")
    else:
        consent.withdraw_consent(current, note=str(request.POST.get("note", ""))[:2000])
        messages.success(
            request,
            "Consent marked as withdrawn. Treatment cannot be scheduled until it is given again.",
        )
    return redirect("backoffice:screening", pk=obj.pk)
