"""Patient screens: list, new patient, inquiry → patient, overview, record editing,
attachments. Every view passes ``staff_view`` (permission check and access log)."""

from __future__ import annotations

import hashlib
import math
from collections.abc import Callable
from dataclasses import dataclass

from django import forms
from django.conf import settings
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.core.paginator import EmptyPage, Page, PageNotAnInteger, Paginator
from django.db.models import Prefetch
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone
from django.utils.functional import cached_property
from django.utils.http import content_disposition_header
from django.utils.safestring import mark_safe
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from ketaclinic.accounts.domain.emergency import active_grant
from ketaclinic.audit.domain.log import record
from ketaclinic.audit.models import Action
from ketaclinic.backoffice.access import staff_view
from ketaclinic.backoffice.forms_util import add_domain_error
from ketaclinic.backoffice.kept import PageNumbers, kept, scope_of
from ketaclinic.backoffice.rows import patient_rows
from ketaclinic.inquiries.domain.phone import display_phone
from ketaclinic.inquiries.models import Inquiry
from ketaclinic.measures.domain import links as measure_links
from ketaclinic.measures.domain.queries import (  # measures panel
    history_link_annotations,
    measures_counts,
    measures_panel_rows,
)
from ketaclinic.patients import forms as patient_forms
from ketaclinic.patients.domain import intake, record_cache, records, self_report
from ketaclinic.patients.domain.coding import GROUP_LABELS, coded_conditions, medication_names
from ketaclinic.patients.domain.errors import AlreadyAPatient, PatientError, StaleRecord
from ketaclinic.patients.domain.history import treatment_history
from ketaclinic.patients.domain.portal_access import PortalAccessRefused, grant_portal_access
from ketaclinic.patients.domain.queries import (
    in_order_after_matching,
    patients_for,
    search_patients,
)
from ketaclinic.patients.domain.sniffing import JPEG, PNG
from ketaclinic.patients.domain.status import timeline
from ketaclinic.patients.models import (
    HISTORY_QUESTIONS,
    Attachment,
    MedicalHistory,
    Patient,
    PatientAccount,
    PatientReportedHistory,
)
from ketaclinic.safety.domain.queries import safety_counts, safety_panel_rows  # safety panel
from ketaclinic.screening.domain import consent
from ketaclinic.screening.domain.decisions import current_decision
from ketaclinic.screening.engine import adequacy

PAGE_SIZE = 50
# The patient list counts at most this many matches (one more tells "more than"): an
# exact count reads every match, 100,000 rows for the unfiltered list of a network.
PATIENT_COUNT_BOUND = 500
MAX_PAGE = 1_000_000  # any further is no page (and no OFFSET beyond PostgreSQL's bigint)
INLINE_TYPES = frozenset({PNG, JPEG})  # PDFs are downloaded, never rendered in our origin


# --- object loaders (unscoped: out-of-scope records get 403 from the rule, not 404) -----


def _patient(request: HttpRequest, pk: int, **_kwargs) -> Patient:
    return get_object_or_404(Patient.objects.select_related("location"), pk=pk)


def _patient_overview(request: HttpRequest, pk: int, **_kwargs) -> Patient:
    return get_object_or_404(
        Patient.objects.select_related(
            "location", "primary_prescriber", "inquiry", "medical_history", "created_by"
        )
        .select_related("safety_plan__updated_by")  # safety panel
        .annotate(**safety_counts())  # safety panel: no extra query
        .annotate(**measures_counts())  # measures panel: no extra query
        .annotate(**self_report.report_annotations())  # patient's history report: no query
        .annotate(**history_link_annotations())  # the open history-form link: no query
        .prefetch_related(
            "conditions",
            "allergies",
            "medications",
            "antidepressant_trials",
            "other_treatments",
            Prefetch("attachments", queryset=Attachment.objects.select_related("uploaded_by")),
        ),
        pk=pk,
    )


def _inquiry(request: HttpRequest, inquiry_pk: int, **_kwargs) -> Inquiry:
    return get_object_or_404(Inquiry.objects.select_related("location"), pk=inquiry_pk)


def _attachment(request: HttpRequest, pk: int, attachment_pk: int, **_kwargs) -> Attachment:
    return get_object_or_404(
        Attachment.objects.select_related("patient"), pk=attachment_pk, patient_id=pk
    )


def _errors_to_form(form: forms.Form, error: Exception) -> None:
    """Put a domain or model validation error beside its field (or on the form)."""
    if isinstance(error, PatientError):
        add_domain_error(form, error)
        return
    for field, texts in intake.validation_messages(error).items():
        target = field if field in form.fields else None
        for text in texts:
            form.add_error(target, text if target else f"{field}: {text}")


def _emergency_grant(user, patient: Patient):
    if user.sees_all_locations or patient.location_id in user.location_ids:
        return None
    return active_grant(user, patient)


def _created(request: HttpRequest, patient: Patient) -> HttpResponse:
    record(Action.CREATE, request=request, obj=patient)
    messages.success(request, f"Patient record made for {patient.display_name}.")
    return redirect("backoffice:patient", pk=patient.pk)


def _scope_ids(user):
    return None if user.sees_all_locations else user.location_ids


# --- list ---------------------------------------------------------------------------


class BoundedPage(Page):
    """A page of a list counted only up to its bound: whether a next page exists is
    known from one row read beyond the page, not from the number of pages."""

    def __init__(self, object_list, number, paginator, *, has_next: bool):
        super().__init__(object_list, number, paginator)
        self._has_next = has_next

    def has_next(self) -> bool:
        return self._has_next


class BoundedPaginator(Paginator):
    """``Paginator`` whose count reads at most ``bound + 1`` rows (a sub-query with a
    LIMIT), so the cost of counting does not grow with the number of matches.

    Up to ``bound`` matches it is Django's paginator (exact count, "page x of y"). Over
    the bound, ``over_bound`` is true, the number of pages is unknown (None), and each
    page reads one row more than it shows to know whether there is a next one: Previous
    and Next keep working past the bound. Same number of queries either way: the
    bounded count and the page (with its prefetches); only a page asked for past the
    end of an uncounted list costs one more (it reads nothing, then page 1 is shown)."""

    def __init__(self, object_list, per_page, bound: int):
        super().__init__(object_list, per_page)
        self.bound = bound

    @cached_property
    def count(self) -> int:
        """The number of rows, or ``bound + 1`` when there are more than ``bound``."""
        return self.object_list.order_by()[: self.bound + 1].count()

    @property
    def over_bound(self) -> bool:
        return self.count > self.bound

    @cached_property
    def num_pages(self) -> int | None:  # type: ignore[override]
        if self.over_bound:
            return None
        return math.ceil(max(1, self.count) / self.per_page)

    def validate_number(self, number):
        if not self.over_bound:
            return super().validate_number(number)
        try:
            if isinstance(number, float) and not number.is_integer():
                raise ValueError
            number = int(number)
        except (TypeError, ValueError):
            raise PageNotAnInteger(self.error_messages["invalid_page"]) from None
        if number < 1:
            raise EmptyPage(self.error_messages["min_page"])
        if number > MAX_PAGE:
            raise EmptyPage(self.error_messages["no_results"])
        return number

    def page(self, number):
        number = self.validate_number(number)
        if not self.over_bound:
            return super().page(number)
        bottom = (number - 1) * self.per_page
        rows = list(self.object_list[bottom : bottom + self.per_page + 1])
        if not rows and number > 1:
            raise EmptyPage(self.error_messages["no_results"])
        return BoundedPage(rows[: self.per_page], number, self, has_next=len(rows) > self.per_page)

    def get_page(self, number):
        """A valid page whatever ``number`` is: page 1 for a non-number, and for a page
        past the end the last page when the count is exact, else page 1 (the last page
        of an uncounted list is not known without reading up to it)."""
        try:
            return self.page(number)
        except PageNotAnInteger:
            return self.page(1)
        except EmptyPage:
            return self.page(1 if self.over_bound else self.num_pages)


@dataclass
class PatientListPage(PageNumbers):
    """A page of the patient list as it is kept in the cache: the rows' markup, the
    patients' ids and what the pagination shows (the ``Page`` and ``Paginator`` names
    the template uses; ``paginator`` is the page itself)."""

    count: int
    bound: int
    over_bound: bool
    number: int
    num_pages: int | None
    next_exists: bool
    rows: str
    patient_ids: list[int]

    @property
    def paginator(self) -> PatientListPage:
        return self

    def has_next(self) -> bool:
        return self.next_exists


@require_GET
@staff_view("patients.view_patient_list", audit_object_type="patients.patient")
def patient_list(request: HttpRequest) -> HttpResponse:
    """The list, from the cache while nothing it finds or shows has changed (the list's
    generation, patients migration 0008) for the same locations, filters and page; at
    most ``PATIENT_LIST_CACHE_SECONDS``. ``patients`` (the instances) is in the context
    only when they were read at this request."""
    form = patient_forms.PatientFilterForm(request.GET or None)
    filters = form.cleaned_data if form.is_valid() else {}
    number = request.GET.get("page")
    read = []

    def build() -> PatientListPage:
        listing, patients = _patient_list_page(request.user, filters, number)
        read.append(patients)
        return listing

    asked = tuple(filters.get(name, "") for name in ("q", "status", "condition"))
    listing = kept(
        "patients_list",
        settings.PATIENT_LIST_CACHE_SECONDS,
        (scope_of(request.user), *asked, number),
        build,
    )
    params = request.GET.copy()
    params.pop("page", None)
    template = (
        "backoffice/patient_list_rows.html" if request.htmx else "backoffice/patient_list.html"
    )
    return render(
        request,
        template,
        {
            "form": form if form.is_bound else patient_forms.PatientFilterForm(),
            "page": listing,
            "patients": read[0] if read else None,
            "rows": mark_safe(listing.rows),  # escaped by rows.patient_rows
            "query_string": params.urlencode(),
            "can_create": request.user.has_perm("patients.create_patient"),
        },
    )


def _patient_list_page(user, filters: dict, number) -> tuple[PatientListPage, list[Patient]]:
    queryset = search_patients(
        patients_for(user),
        q=filters.get("q", ""),
        status=filters.get("status", ""),
        condition_group=filters.get("condition", ""),
    )
    paginator = BoundedPaginator(queryset, PAGE_SIZE, PATIENT_COUNT_BOUND)
    if not paginator.over_bound:  # few matches, whatever the search: find, then sort
        paginator.object_list = in_order_after_matching(queryset)
    page = paginator.get_page(number)
    patients = list(page.object_list)
    listing = PatientListPage(
        count=paginator.count,
        bound=paginator.bound,
        over_bound=paginator.over_bound,
        number=page.number,
        num_pages=paginator.num_pages,
        next_exists=page.has_next(),
        rows=str(patient_rows(patients, timezone.localdate())),
        patient_ids=[patient.pk for patient in patients],
    )
    return listing, patients


# --- new patient, inquiry → patient -------------------------------------------------------


def _duplicates_to_confirm(form, request, *, first, last, dob, email, phone) -> list[Patient]:
    """Possible duplicates the person has not yet seen and chosen to ignore."""
    found = intake.possible_duplicates(
        first, last, dob, email, phone, location_ids=_scope_ids(request.user)
    )
    if {p.pk for p in found} <= form.acknowledged_ids() and found:
        return []
    return found


@require_http_methods(["GET", "POST"])
@staff_view("patients.create_patient", audit_object_type="patients.patient")
def patient_new(request: HttpRequest) -> HttpResponse:
    user = request.user
    initial = {}
    locations = list(patient_forms.locations_for(user)[:2])
    if len(locations) == 1:
        initial["location"] = locations[0].pk
    form = patient_forms.PatientForm(request.POST or None, user=user, initial=initial)
    duplicates: list[Patient] = []
    status = 200
    if request.method == "POST":
        if form.is_valid():
            data = form.cleaned_data
            duplicates = _duplicates_to_confirm(
                form,
                request,
                first=data["legal_first_name"],
                last=data["legal_last_name"],
                dob=data["date_of_birth"],
                email=data["email"],
                phone=data["phone"],
            )
            if not duplicates:
                try:
                    patient = intake.create_patient(form.patient_values(), actor=user)
                except (PatientError, ValidationError) as exc:
                    _errors_to_form(form, exc)
                else:
                    return _created(request, patient)
        status = 400 if form.errors else 200
    return render(
        request,
        "backoffice/patient_new.html",
        {"form": form, "duplicates": duplicates, "acknowledge": _acknowledge(form, duplicates)},
        status=status,
    )


def _ids(patients) -> str:
    return ",".join(str(p.pk) for p in patients)


def _acknowledge(form, duplicates) -> str:
    """Duplicates shown now, or those already acknowledged (kept across a re-display)."""
    if duplicates:
        return _ids(duplicates)
    if form.is_bound and hasattr(form, "cleaned_data"):
        return ",".join(str(pk) for pk in sorted(form.acknowledged_ids()))
    return ""


@require_POST
@staff_view("patients.convert_inquiry", get_object=_inquiry)
def patient_convert(request: HttpRequest, inquiry_pk: int, obj: Inquiry) -> HttpResponse:
    inquiry = obj
    existing = Patient.objects.filter(inquiry=inquiry).first()
    if existing is not None:
        messages.info(request, "This inquiry already has a patient record.")
        return redirect("backoffice:patient", pk=existing.pk)
    # The "Make patient" button posts no details: show the form (nothing changes yet).
    form = patient_forms.ConvertForm(request.POST if "step" in request.POST else None)
    duplicates: list[Patient] = []
    status = 200
    if form.is_bound:
        if form.is_valid():
            data = form.cleaned_data
            duplicates = _duplicates_to_confirm(
                form,
                request,
                first=inquiry.first_name,
                last=inquiry.last_name,
                dob=data["date_of_birth"],
                email=inquiry.email,
                phone=inquiry.phone,
            )
            if not duplicates:
                try:
                    patient = intake.create_patient_from_inquiry(
                        inquiry,
                        actor=request.user,
                        date_of_birth=data["date_of_birth"],
                        sex=data["sex"],
                    )
                except AlreadyAPatient as exc:
                    messages.info(request, str(exc))
                    return redirect("backoffice:patient", pk=exc.patient.pk)
                except (PatientError, ValidationError) as exc:
                    _errors_to_form(form, exc)
                else:
                    return _created(request, patient)
        status = 400 if form.errors else 200
    return render(
        request,
        "backoffice/patient_convert.html",
        {
            "form": form,
            "inquiry": inquiry,
            "phone_display": display_phone(inquiry.phone),
            "duplicates": duplicates,
            "acknowledge": _acknowledge(form, duplicates),
        },
        status=status,
    )


# --- overview ----------------------------------------------------------------------------


def _history_summary(history: MedicalHistory | None) -> dict:
    if history is None:
        return {"yes": [], "unanswered": len(HISTORY_QUESTIONS), "history": None}
    yes = [label for name, label in HISTORY_QUESTIONS if getattr(history, name) is True]
    unanswered = [label for name, label in HISTORY_QUESTIONS if getattr(history, name) is None]
    return {"yes": yes, "unanswered": len(unanswered), "history": history}


# What the viewer may see and do on the overview: part of the cached record's key.
OVERVIEW_PERMISSIONS = (
    ("can_edit_demographics", "patients.edit_demographics", True),
    ("can_edit_clinical", "patients.edit_clinical", True),
    ("can_send_history_link", "measures.send_history_link", True),
    ("can_view_screening", "screening.view_screening", True),
    ("can_view_safety", "safety.view_alerts", True),
    ("can_edit_safety_plan", "safety.edit_safety_plan", True),
    ("can_view_measures", "measures.view_measures", True),
    ("can_view_treatment", "treatment.view_treatment", False),
    ("can_open_inquiry", "inquiries.view_inbox", False),
)
OVERVIEW_BODY = "backoffice/_patient_overview_body.html"


def _overview_subject(request: HttpRequest, pk: int, **_kwargs) -> Patient:
    """The patient for the permission check, with the record's stamps (one query): the
    record itself comes from the cache or ``_patient_overview``."""
    return record_cache.subject(pk)


@require_GET
@staff_view("patients.view_patient", get_object=_overview_subject)
def patient_overview(request: HttpRequest, pk: int, obj: Patient) -> HttpResponse:
    user = request.user
    flags = {
        name: user.has_perm(permission, obj if on_record else None)
        for name, permission, on_record in OVERVIEW_PERMISSIONS
    }

    def build(csrf_placeholder: str) -> record_cache.Part:
        patient = _patient_overview(request, pk)
        context = _overview_context(patient, flags)
        context["csrf_token"] = csrf_placeholder
        return record_cache.Part(
            render_to_string(OVERVIEW_BODY, context),
            valid_until=patient.history_link_open_until,
        )

    record = record_cache.rendered(request, "overview", obj, flags.values(), build)
    return render(
        request,
        "backoffice/patient_overview.html",
        {
            "patient": obj,
            "record": mark_safe(record),  # escaped when it was rendered (a Django template)
            "emergency_grant": _emergency_grant(user, obj),
        },
    )


def _overview_context(patient: Patient, flags: dict) -> dict:
    """The record part's context: the patient as ``_patient_overview`` loads it and the
    viewer's flags; nothing of the request."""
    history = getattr(patient, "medical_history", None)
    conditions = list(patient.conditions.all())
    medications = list(patient.medications.all())
    context = {
        **flags,
        "patient": patient,
        "conditions": conditions,
        "active_conditions": [c for c in conditions if c.active],
        "allergies": list(patient.allergies.all()),
        "medications": medications,
        "rems_medications": [m for m in medications if m.active and m.rems_flag],
        "other_treatments": list(patient.other_treatments.all()),
        "attachments": list(patient.attachments.all()),
        "treatment": treatment_history(patient),
        "medical": _history_summary(history),
        "timeline": timeline(patient),
        "phone_display": display_phone(patient.phone) if patient.phone else "",
        "emergency_phone_display": display_phone(patient.emergency_contact_phone)
        if patient.emergency_contact_phone
        else "",
    }
    if flags["can_view_screening"]:
        text = consent.current_text()
        context["screening_state"] = current_decision(patient)
        context["current_consent"] = consent.current_consent(patient, text)
    if flags["can_view_safety"]:
        context.update(safety_panel_rows(patient))
    if flags["can_view_measures"]:
        context.update(measures_panel_rows(patient))
    return context


# --- demographics and medical history (versioned) -----------------------------------------


def _patient_initial(patient: Patient) -> dict:
    initial = {name: getattr(patient, name) for name in intake.DEMOGRAPHIC_FIELDS}
    initial["location"] = patient.location_id
    initial["primary_prescriber"] = patient.primary_prescriber_id
    initial["version"] = patient.version
    return initial


def _with_version(post, version: int):
    data = post.copy()
    data["version"] = str(version)
    return data


def _normal(value):
    if hasattr(value, "pk"):
        value = value.pk
    return None if value in (None, "") else value


def _shown(field: forms.Field, value) -> object:
    if value in (None, ""):
        return "—"
    if isinstance(value, bool):
        return "Yes" if value else "No"
    if isinstance(field, forms.ModelChoiceField):
        return field.queryset.filter(pk=value).first() or value
    if isinstance(field, forms.ChoiceField):
        return dict(field.choices).get(value, value)
    return value


def _changed_meanwhile(form: forms.Form, saved: dict) -> list[tuple[str, object]]:
    """(label, saved value) for each field where the saved record differs from what
    was typed: what the other person changed meanwhile."""
    return [
        (field.label, _shown(field, saved[name]))
        for name, field in form.fields.items()
        if name in saved
        and name != "version"
        and _normal(form.cleaned_data.get(name)) != _normal(saved[name])
    ]


@require_http_methods(["GET", "POST"])
@staff_view("patients.edit_demographics", get_object=_patient)
def patient_demographics(request: HttpRequest, pk: int, obj: Patient) -> HttpResponse:
    patient = obj
    user = request.user
    form = patient_forms.PatientForm(
        request.POST or None, user=user, initial=_patient_initial(patient)
    )
    status = 200
    changed: list = []
    if request.method == "POST":
        if form.is_valid() and form.cleaned_data.get("version") is None:
            form.add_error(None, "The form is missing its version; reload the page.")
        if form.is_valid():
            try:
                records.update_demographics(
                    patient,
                    form.patient_values(),
                    actor=user,
                    expected_version=form.cleaned_data["version"],
                )
            except StaleRecord as exc:
                fresh = Patient.objects.get(pk=patient.pk)
                saved = _patient_initial(fresh)
                changed = _changed_meanwhile(form, saved)
                form = patient_forms.PatientForm(
                    _with_version(request.POST, fresh.version), user=user
                )
                form.is_valid()
                form.add_error(None, str(exc))
                patient = fresh
                status = 409
            except (PatientError, ValidationError) as exc:
                _errors_to_form(form, exc)
                status = 400
            else:
                messages.success(request, "Details saved.")
                return redirect("backoffice:patient", pk=patient.pk)
        else:
            status = 400
    return render(
        request,
        "backoffice/patient_demographics.html",
        {"patient": patient, "form": form, "changed": changed},
        status=status,
    )


@require_http_methods(["GET", "POST"])
@staff_view("patients.edit_clinical", get_object=_patient)
def patient_medical_history(request: HttpRequest, pk: int, obj: Patient) -> HttpResponse:
    patient = obj
    # never written on GET: a record without one gets it on its first save
    history = MedicalHistory.objects.filter(patient=patient).first() or MedicalHistory(
        patient=patient
    )
    form_class = patient_forms.MedicalHistoryForm
    form = form_class(request.POST or None, initial=form_class.initial_for(history))
    status = 200
    changed: list = []
    if request.method == "POST":
        if form.is_valid():
            try:
                records.update_medical_history(
                    patient,
                    form.history_values(),
                    actor=request.user,
                    expected_version=form.cleaned_data["version"],
                )
            except StaleRecord as exc:
                history = MedicalHistory.objects.get(patient=patient)
                saved = {name: getattr(history, name) for name in records.MEDICAL_HISTORY_FIELDS}
                changed = _changed_meanwhile(form, saved)
                form = form_class(_with_version(request.POST, history.version))
                form.is_valid()
                form.add_error(None, str(exc))
                status = 409
            except (PatientError, ValidationError) as exc:
                _errors_to_form(form, exc)
                status = 400
            else:
                messages.success(request, "Medical history saved.")
                return redirect(reverse("backoffice:patient", args=[patient.pk]) + "#medical")
        else:
            status = 400
    return render(
        request,
        "backoffice/patient_medical_history.html",
        {
            "patient": patient,
            "form": form,
            "changed": changed,
            "history": history,
            "pending_report": self_report.pending_reports(patient).first(),
        },
        status=status,
    )


# --- the history the patient reports by link, and its review --------------------------


@require_POST
@staff_view("measures.send_history_link", get_object=_patient)
def patient_history_send(request: HttpRequest, pk: int, obj: Patient) -> HttpResponse:
    """Email the patient a link to the intake health-history form (only the link)."""
    if not obj.email:
        messages.error(request, "This patient has no email address: add one first.")
    else:
        link, _token = measure_links.send_history_link(obj, created_by=request.user)
        until = timezone.localtime(link.expires_at)
        messages.success(
            request,
            f"Health history form sent to {obj.email}. The link works until "
            f"{until:%b} {until.day}; answers wait for a nurse or prescriber to review.",
        )
    return redirect(reverse("backoffice:patient", args=[obj.pk]) + "#medical")


def _report(request: HttpRequest, pk: int, report_pk: int, **_kwargs) -> PatientReportedHistory:
    return get_object_or_404(
        PatientReportedHistory.objects.select_related("patient__location", "reviewed_by"),
        pk=report_pk,
        patient_id=pk,
        submitted_at__isnull=False,
    )


@require_http_methods(["GET", "POST"])
@staff_view("patients.edit_clinical", get_object=_report)
def patient_history_report(
    request: HttpRequest, pk: int, report_pk: int, obj: PatientReportedHistory
) -> HttpResponse:
    """The patient's own report beside the recorded history; apply chosen answers."""
    report = obj
    patient = report.patient
    history = MedicalHistory.objects.filter(patient=patient).first()
    rows = self_report.review_rows(report, history)
    initial = {
        "apply": [row.name for row in rows if row.suggested],
        "report_version": report.version,
        "history_version": history.version if history else 1,
    }
    form = patient_forms.HistoryReviewForm(
        request.POST if request.method == "POST" else None, rows=rows, initial=initial
    )
    status = 200
    if request.method == "POST":
        if report.reviewed_at is not None:
            form.is_valid()
            form.add_error(None, "This report was already reviewed.")
            status = 409
        elif form.is_valid():
            try:
                self_report.review_report(
                    report,
                    actor=request.user,
                    apply=form.cleaned_data["apply"],
                    expected_version=form.cleaned_data["report_version"],
                    history_version=form.cleaned_data["history_version"],
                )
            except StaleRecord as exc:
                report.refresh_from_db()
                history = MedicalHistory.objects.filter(patient=patient).first()
                rows = self_report.review_rows(report, history)
                data = request.POST.copy()
                data["history_version"] = str(history.version if history else 1)
                data["report_version"] = str(report.version)
                form = patient_forms.HistoryReviewForm(data, rows=rows)
                form.is_valid()
                form.add_error(None, str(exc))
                status = 409
            except PatientError as exc:
                form.add_error(None, str(exc))
                status = 400
            else:
                applied = len(report.applied)
                messages.success(
                    request,
                    f"Patient's report reviewed: {applied} answer{'s' if applied != 1 else ''} "
                    "applied to the medical history.",
                )
                return redirect(reverse("backoffice:patient", args=[patient.pk]) + "#medical")
        else:
            status = 400
    return render(
        request,
        "backoffice/patient_history_report.html",
        {
            "patient": patient,
            "report": report,
            "rows": rows,
            "form": form,
            "chosen": set(form["apply"].value() or []),
            "more_pending": self_report.pending_reports(patient).exclude(pk=report.pk).count(),
        },
        status=status,
    )


# --- conditions, allergies, medications, trials, other treatments ---------------------------


@dataclass(frozen=True)
class RecordKind:
    slug: str
    title: str
    singular: str
    related_name: str
    form_class: type[forms.Form]
    add: Callable
    update: Callable
    remove: Callable
    columns: tuple[tuple[str, Callable], ...]
    datalist_id: str = ""
    datalist: Callable[[], list[tuple[str, str]]] | None = None
    values: Callable[[forms.Form], dict] = lambda form: dict(form.cleaned_data)
    initial: Callable[[object], dict] | None = None


def _date(value) -> str:
    return value.strftime("%b %-d, %Y") if value else ""


def _yes(value: bool) -> str:
    return "yes" if value else "no"


def _adequacy_drugs() -> list[tuple[str, str]]:
    table = adequacy.load_table()
    return sorted((drug.name, drug.drug_class) for drug in table.drugs)


def _medication_names() -> list[tuple[str, str]]:
    return [(name, "") for name in medication_names()]


def _medication_initial(medication) -> dict:
    initial = {name: getattr(medication, name) for name in records.MEDICATION_FIELDS}
    if not medication.class_set_by_staff:
        initial["interaction_class"] = patient_forms.AUTO
    return initial


RECORD_KINDS: dict[str, RecordKind] = {
    kind.slug: kind
    for kind in (
        RecordKind(
            slug="conditions",
            title="Conditions",
            singular="condition",
            related_name="conditions",
            form_class=patient_forms.ConditionForm,
            add=lambda patient, actor, values: records.add_condition(
                patient, actor=actor, **values
            ),
            update=lambda item, actor, values: records.update_condition(item, values, actor=actor),
            remove=lambda item, actor: records.remove_condition(item, actor=actor),
            columns=(
                ("Code", lambda c: c.code),
                ("Description", lambda c: c.description),
                ("Group", lambda c: GROUP_LABELS.get(c.group, "")),
                ("Primary", lambda c: _yes(c.is_primary)),
                ("Active", lambda c: _yes(c.active)),
                ("Episode since", lambda c: _date(c.episode_started_on)),
                ("Severity", lambda c: c.get_episode_severity_display()),
            ),
            datalist_id="icd10-codes",
            datalist=lambda: [(c.code, c.description) for c in coded_conditions()],
            initial=lambda c: {name: getattr(c, name) for name in records.CONDITION_FIELDS},
        ),
        RecordKind(
            slug="allergies",
            title="Allergies",
            singular="allergy",
            related_name="allergies",
            form_class=patient_forms.AllergyForm,
            add=lambda patient, actor, values: records.add_allergy(patient, actor=actor, **values),
            update=lambda item, actor, values: records.update_allergy(item, values, actor=actor),
            remove=lambda item, actor: records.remove_allergy(item, actor=actor),
            columns=(
                ("Substance", lambda a: a.substance),
                ("Reaction", lambda a: a.reaction),
                ("Severity", lambda a: a.get_severity_display()),
            ),
            initial=lambda a: {name: getattr(a, name) for name in records.ALLERGY_FIELDS},
        ),
        RecordKind(
            slug="medications",
            title="Medications",
            singular="medication",
            related_name="medications",
            form_class=patient_forms.MedicationForm,
            add=lambda patient, actor, values: records.add_medication(
                patient, actor=actor, **values
            ),
            update=lambda item, actor, values: records.update_medication(item, values, actor=actor),
            remove=lambda item, actor: records.remove_medication(item, actor=actor),
            columns=(
                ("Medication", lambda m: m.name),
                ("Dose", lambda m: m.dose_text),
                (
                    "Class",
                    lambda m: (
                        (m.get_interaction_class_display() if m.interaction_class else "")
                        + (" (set by staff)" if m.class_set_by_staff else "")
                    ),
                ),
                ("REMS", lambda m: "flag" if m.rems_flag else ""),
                ("Taking", lambda m: _yes(m.active)),
                ("Started", lambda m: _date(m.started_on)),
                ("Stopped", lambda m: _date(m.stopped_on)),
            ),
            datalist_id="medication-names",
            datalist=_medication_names,
            values=lambda form: form.domain_values(),
            initial=_medication_initial,
        ),
        RecordKind(
            slug="trials",
            title="Antidepressant trials",
            singular="antidepressant trial",
            related_name="antidepressant_trials",
            form_class=patient_forms.TrialForm,
            add=lambda patient, actor, values: records.add_trial(patient, actor=actor, **values),
            update=lambda item, actor, values: records.update_trial(item, values, actor=actor),
            remove=lambda item, actor: records.remove_trial(item, actor=actor),
            columns=(
                ("Drug", lambda t: t.drug),
                ("Dose (mg/day)", lambda t: f"{t.dose_mg.normalize():f}"),
                ("Weeks", lambda t: f"{t.weeks.normalize():f}"),
                ("Adherence", lambda t: t.get_adherence_display()),
                ("Outcome", lambda t: t.get_outcome_display()),
                ("Current episode", lambda t: _yes(t.current_episode)),
                ("Started", lambda t: _date(t.started_on)),
            ),
            datalist_id="antidepressant-names",
            datalist=_adequacy_drugs,
            initial=lambda t: {name: getattr(t, name) for name in records.TRIAL_FIELDS},
        ),
        RecordKind(
            slug="treatments",
            title="Other treatments",
            singular="treatment",
            related_name="other_treatments",
            form_class=patient_forms.OtherTreatmentForm,
            add=lambda patient, actor, values: records.add_other_treatment(
                patient, actor=actor, **values
            ),
            update=lambda item, actor, values: records.update_other_treatment(
                item, values, actor=actor
            ),
            remove=lambda item, actor: records.remove_other_treatment(item, actor=actor),
            columns=(
                ("Kind", lambda t: t.get_kind_display()),
                ("Description", lambda t: t.description),
                ("Current episode", lambda t: _yes(t.current_episode)),
                ("Outcome", lambda t: t.outcome),
            ),
            initial=lambda t: {name: getattr(t, name) for name in records.OTHER_TREATMENT_FIELDS},
        ),
    )
}


def _kind(kind: str) -> RecordKind:
    if kind not in RECORD_KINDS:
        raise Http404("No such kind of record.")
    return RECORD_KINDS[kind]


def _records_context(patient: Patient, spec: RecordKind, form) -> dict:
    items = list(getattr(patient, spec.related_name).all())
    return {
        "patient": patient,
        "spec": spec,
        "form": form,
        "headers": [label for label, _ in spec.columns],
        "rows": [(item, [get(item) for _, get in spec.columns]) for item in items],
        "datalist": spec.datalist() if spec.datalist else [],
        "record_kinds": list(RECORD_KINDS.values()),
    }


@require_http_methods(["GET", "POST"])
@staff_view("patients.edit_clinical", get_object=_patient)
def patient_records(request: HttpRequest, pk: int, kind: str, obj: Patient) -> HttpResponse:
    spec = _kind(kind)
    form = spec.form_class(request.POST or None)
    status = 200
    if request.method == "POST":
        if form.is_valid():
            try:
                spec.add(obj, request.user, spec.values(form))
            except (PatientError, ValidationError) as exc:
                _errors_to_form(form, exc)
            else:
                messages.success(request, f"The {spec.singular} was added.")
                return redirect("backoffice:patient-records", pk=obj.pk, kind=spec.slug)
        status = 400
    return render(
        request, "backoffice/patient_records.html", _records_context(obj, spec, form), status=status
    )


def _item(patient: Patient, spec: RecordKind, item_pk: int):
    return get_object_or_404(getattr(patient, spec.related_name), pk=item_pk)


@require_http_methods(["GET", "POST"])
@staff_view("patients.edit_clinical", get_object=_patient)
def patient_record_edit(
    request: HttpRequest, pk: int, kind: str, item_pk: int, obj: Patient
) -> HttpResponse:
    spec = _kind(kind)
    item = _item(obj, spec, item_pk)
    form = spec.form_class(request.POST or None, initial=spec.initial(item) if spec.initial else {})
    status = 200
    if request.method == "POST":
        if form.is_valid():
            try:
                spec.update(item, request.user, spec.values(form))
            except (PatientError, ValidationError) as exc:
                _errors_to_form(form, exc)
                item.refresh_from_db()
            else:
                messages.success(request, f"The {spec.singular} was saved.")
                return redirect("backoffice:patient-records", pk=obj.pk, kind=spec.slug)
        status = 400
    context = _records_context(obj, spec, form)
    context["item"] = item
    return render(request, "backoffice/patient_record_edit.html", context, status=status)


@require_POST
@staff_view("patients.edit_clinical", get_object=_patient)
def patient_record_remove(
    request: HttpRequest, pk: int, kind: str, item_pk: int, obj: Patient
) -> HttpResponse:
    spec = _kind(kind)
    item = getattr(obj, spec.related_name).filter(pk=item_pk).first()
    if item is None:  # a second click, or someone else removed it first
        messages.info(request, f"That {spec.singular} was already removed.")
    else:
        spec.remove(item, request.user)
        messages.success(request, f"The {spec.singular} was removed.")
    return redirect("backoffice:patient-records", pk=obj.pk, kind=spec.slug)


# --- attachments ----------------------------------------------------------------------


@require_http_methods(["GET", "POST"])
@staff_view("patients.edit_clinical", get_object=_patient)
def patient_attachment_upload(request: HttpRequest, pk: int, obj: Patient) -> HttpResponse:
    form = patient_forms.AttachmentForm(request.POST or None, request.FILES or None)
    status = 200
    if request.method == "POST":
        if form.is_valid():
            try:
                attachment = records.add_attachment(
                    obj,
                    actor=request.user,
                    kind=form.cleaned_data["kind"],
                    uploaded=form.cleaned_data["file"],
                )
            except (PatientError, ValidationError) as exc:
                _errors_to_form(form, exc)
            else:
                record(Action.CREATE, request=request, obj=attachment)
                messages.success(request, f"{attachment.original_name} was attached.")
                return redirect(reverse("backoffice:patient", args=[obj.pk]) + "#attachments")
        status = 400
    return render(
        request,
        "backoffice/patient_attachment_upload.html",
        {"patient": obj, "form": form, "max_size": settings.ATTACHMENT_MAX_BYTES},
        status=status,
    )


@require_GET
@staff_view("patients.view_attachment", get_object=_attachment)
def patient_attachment(
    request: HttpRequest, pk: int, attachment_pk: int, obj: Attachment
) -> HttpResponse:
    try:
        with obj.file.open("rb") as handle:
            content = handle.read()
    except FileNotFoundError as exc:
        raise Http404("The stored file is missing.") from exc
    if hashlib.sha256(content).hexdigest() != obj.sha256:
        return HttpResponse(
            "The stored file does not match the checksum taken when it was attached, so it "
            "is not shown. Tell the administrator.",
            status=409,
            content_type="text/plain; charset=utf-8",
        )
    response = HttpResponse(content, content_type=obj.content_type)
    response["Content-Disposition"] = content_disposition_header(
        obj.content_type not in INLINE_TYPES, obj.original_name
    )
    response["X-Content-Type-Options"] = "nosniff"
    response["Content-Length"] = str(len(content))
    return response


@require_POST
@staff_view("patients.edit_demographics", get_object=_patient)
def patient_portal_access(request: HttpRequest, pk: int, obj: Patient) -> HttpResponse:
    """Let the patient sign in to the portal by a code sent to their email."""
    already = PatientAccount.objects.filter(patient=obj).exists()
    try:
        grant_portal_access(obj, actor=request.user)
    except PortalAccessRefused as exc:
        messages.error(request, str(exc))
    else:
        messages.success(
            request,
            f"{obj.display_name} already has portal access."
            if already
            else f"{obj.display_name} can now sign in to the patient portal with a code sent to "
            f"{obj.email}.",
        )
    return redirect("backoffice:patient", pk=obj.pk)
