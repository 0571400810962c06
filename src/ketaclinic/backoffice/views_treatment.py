"""Treatment screens: a patient's courses and REMS enrolment, starting a course, the
course page (proposed dates, orders, rescue doses), the dose order form (every input
and every computed number shown), preparation and the second check, and the
protocol library (the medical director adds and revises protocols)."""

from __future__ import annotations

import json

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from ketaclinic.backoffice.access import staff_view
from ketaclinic.backoffice.forms_util import add_domain_error
from ketaclinic.booking.models import Status as BookingStatus
from ketaclinic.patients.models import Patient
from ketaclinic.screening.domain.readiness import readiness_problems
from ketaclinic.treatment.domain import courses, orders, protocols, rescue
from ketaclinic.treatment.domain.errors import CourseRefused, TreatmentError
from ketaclinic.treatment.forms import (
    CancelOrderForm,
    OrderForm,
    ProtocolForm,
    RemsEnrolmentForm,
    RescueDoseForm,
    StartCourseForm,
    VersionForm,
)
from ketaclinic.treatment.models import (
    Course,
    CourseStatus,
    Drug,
    OrderStatus,
    Protocol,
    ProtocolVersion,
    RemsCertification,
    RemsEnrolment,
    SessionOrder,
)
from ketaclinic.treatment.protocols import definition_json, vital_sign_minutes

TEMPLATES = "backoffice/treatment/"


# --- objects --------------------------------------------------------------------------


def _patient(request: HttpRequest, pk: int, **_kwargs) -> Patient:
    return get_object_or_404(Patient.objects.select_related("location", "medical_history"), pk=pk)


def _course(request: HttpRequest, pk: int, **_kwargs) -> Course:
    return get_object_or_404(
        Course.objects.select_related(
            "patient__location", "protocol_version__protocol", "prescriber"
        ),
        pk=pk,
    )


def _order(request: HttpRequest, pk: int, **_kwargs) -> SessionOrder:
    return get_object_or_404(
        SessionOrder.objects.select_related(
            "course__patient__location",
            "course__protocol_version__protocol",
            "product",
            "ordered_by",
            "prepared_by",
            "checked_by",
            "cancelled_by",
        ),
        pk=pk,
    )


def _protocol(request: HttpRequest, pk: int, **_kwargs) -> Protocol:
    return get_object_or_404(Protocol, pk=pk)


# --- a patient's treatment --------------------------------------------------------------


def _patient_context(request, patient, **overrides) -> dict:
    user = request.user
    enrolment = RemsEnrolment.objects.filter(patient=patient).first()
    context = {
        "patient": patient,
        "courses": patient.courses.select_related(
            "protocol_version__protocol", "prescriber"
        ).order_by("-started_at"),
        "readiness": readiness_problems(patient),
        "enrolment": enrolment,
        "certification": RemsCertification.objects.filter(
            location_id=patient.location_id, active=True
        ).first(),
        "can_start": user.has_perm("treatment.start_course", patient),
        "can_enrol": user.has_perm("treatment.record_rems_enrolment", patient),
        "rems_form": RemsEnrolmentForm(
            initial={
                "enrolment_id": enrolment.enrolment_id if enrolment else "",
                "enrolled_on": enrolment.enrolled_on if enrolment else timezone.localdate(),
            }
        ),
    }
    context.update(overrides)
    return context


@require_GET
@staff_view("treatment.view_treatment", get_object=_patient)
def patient_treatment(request: HttpRequest, pk: int, obj: Patient) -> HttpResponse:
    return render(request, TEMPLATES + "patient.html", _patient_context(request, obj))


@require_POST
@staff_view("treatment.record_rems_enrolment", get_object=_patient)
def rems_enrolment(request: HttpRequest, pk: int, obj: Patient) -> HttpResponse:
    form = RemsEnrolmentForm(request.POST)
    if form.is_valid():
        try:
            courses.record_rems_enrolment(obj, actor=request.user, **form.cleaned_data)
        except TreatmentError as exc:
            add_domain_error(form, exc)
        else:
            messages.success(request, "REMS enrolment recorded.")
            return redirect("backoffice:treatment-patient", pk=obj.pk)
    return render(
        request,
        TEMPLATES + "patient.html",
        _patient_context(request, obj, rems_form=form),
        status=400,
    )


@require_http_methods(["GET", "POST"])
@staff_view("treatment.start_course", get_object=_patient)
def start_course(request: HttpRequest, pk: int, obj: Patient) -> HttpResponse:
    initial = {"prescriber": request.user.pk if request.user.has_role("prescriber") else None}
    form = StartCourseForm(request.POST or None, patient=obj, initial=initial)
    refusals: list[str] = []
    status = 200
    if request.method == "POST":
        status = 400
        if form.is_valid():
            data = form.cleaned_data
            try:
                course = courses.start_course(
                    obj,
                    data["protocol_version"],
                    data["prescriber"],
                    first_session_on=data["first_session_on"],
                    started_by=request.user,
                    note=data["note"],
                )
            except CourseRefused as exc:
                refusals = exc.reasons
            except TreatmentError as exc:
                add_domain_error(form, exc)
            else:
                messages.success(request, "Course started.")
                return redirect("backoffice:treatment-course", pk=course.pk)
    context = {
        "patient": obj,
        "form": form,
        "refusals": refusals,
        "readiness": readiness_problems(obj),
    }
    return render(request, TEMPLATES + "start.html", context, status=status)


# --- a course -----------------------------------------------------------------------------


def _course_context(request, course, **overrides) -> dict:
    user = request.user
    definition = course.definition
    live = {}
    cancelled = []
    for order in course.orders.select_related("product", "prepared_by", "checked_by").order_by(
        "session_number", "-ordered_at"
    ):
        if order.status == OrderStatus.CANCELLED:
            cancelled.append(order)
        else:
            live[order.session_number] = order
    booked = {
        booking.session_number: booking
        for booking in course.bookings.exclude(status=BookingStatus.CANCELLED).select_related(
            "chair"
        )
    }
    proposed = courses.proposed_session_dates(course)
    sessions = [
        {
            "number": number,
            "date": day,
            "order": live.pop(number, None),
            "booking": booked.get(number),
        }
        for number, day in enumerate(proposed, start=1)
    ]
    sessions += [
        {"number": number, "date": None, "order": order, "booking": None}
        for number, order in sorted(live.items())
    ]
    next_session = next((row["number"] for row in sessions if row["order"] is None), None)
    context = {
        "course": course,
        "patient": course.patient,
        "definition": definition,
        "vital_minutes": vital_sign_minutes(definition),
        "sessions": sessions,
        "next_session": next_session or len(sessions) + 1,
        "cancelled": cancelled,
        "rescue_doses": course.rescue_doses.select_related("standing_order", "given_by"),
        "can_order": course.status == CourseStatus.ACTIVE
        and user.has_perm("treatment.order_dose", course),
        "can_rescue": course.status == CourseStatus.ACTIVE
        and user.has_perm("treatment.give_rescue_dose", course),
        "rescue_form": RescueDoseForm(initial={"session_number": next_session or 1}),
        "booked_count": len(booked),
        "planned": len(proposed),
        "can_book": course.status == CourseStatus.ACTIVE and user.has_perm("booking.book", course),
    }
    context.update(overrides)
    return context


@require_GET
@staff_view("treatment.view_treatment", get_object=_course)
def course_detail(request: HttpRequest, pk: int, obj: Course) -> HttpResponse:
    return render(request, TEMPLATES + "course.html", _course_context(request, obj))


@require_POST
@staff_view("treatment.give_rescue_dose", get_object=_course)
def rescue_dose(request: HttpRequest, pk: int, obj: Course) -> HttpResponse:
    form = RescueDoseForm(request.POST)
    if form.is_valid():
        try:
            rescue.give_rescue_dose(
                obj,
                form.cleaned_data["standing_order"],
                session_number=form.cleaned_data["session_number"],
                dose_mg=form.cleaned_data["dose_mg"],
                reason=form.cleaned_data["reason"],
                given_by=request.user,
            )
        except TreatmentError as exc:
            add_domain_error(form, exc)
        else:
            messages.success(request, "Rescue dose recorded.")
            return redirect("backoffice:treatment-course", pk=obj.pk)
    return render(
        request,
        TEMPLATES + "course.html",
        _course_context(request, obj, rescue_form=form),
        status=400,
    )


# --- orders -------------------------------------------------------------------------------


def _order_initial(course: Course, session: int) -> dict:
    definition = course.definition
    history = getattr(course.patient, "medical_history", None)
    initial = {"session_number": session}
    dose = definition.dose
    if dose.kind == "esketamine_devices":
        initial["fixed_mg"] = dose.first_dose_mg if session == 1 else dose.default_mg
        return initial
    if dose.kind == "mg_per_kg":
        initial["mg_per_kg"] = dose.mg_per_kg
    else:
        initial["mg_per_kg_per_h"] = dose.mg_per_kg_per_h
    initial["minutes"] = definition.infusion_minutes
    # the weight from the record, but never a date for it: the record does not say
    # when it was measured, and the order refuses a weight older than the clinic allows
    if history is not None:
        initial["measured_weight_kg"] = history.weight_kg
        initial["height_cm"] = history.height_cm
    return initial


@require_http_methods(["GET", "POST"])
@staff_view("treatment.order_dose", get_object=_course)
def order_new(request: HttpRequest, pk: int, obj: Course) -> HttpResponse:
    try:
        session = max(1, min(500, int(request.GET.get("session", "1"))))
    except ValueError:
        session = 1
    form = OrderForm(request.POST or None, course=obj, initial=_order_initial(obj, session))
    plan = None
    status = 200
    if request.method == "POST":
        status = 400
        if form.is_valid():
            try:
                if request.POST.get("action") == "order":
                    order = orders.order_dose(obj, prescriber=request.user, **form.choices())
                    messages.success(
                        request,
                        f"Session {order.session_number} ordered: {order.dose_mg.normalize():f} "
                        "mg. It is prepared and second-checked before it is given.",
                    )
                    return redirect("backoffice:treatment-order", pk=order.pk)
                plan = orders.plan_order(obj, **form.choices())
                status = 200
            except TreatmentError as exc:
                add_domain_error(form, exc)
    context = {
        "course": obj,
        "patient": obj.patient,
        "definition": obj.definition,
        "form": form,
        "plan": plan,
    }
    return render(request, TEMPLATES + "order_form.html", context, status=status)


def _order_context(request, order, **overrides) -> dict:
    user = request.user
    context = {
        "order": order,
        "course": order.course,
        "patient": order.course.patient,
        "definition": order.course.definition,
        "can_prepare": order.status == OrderStatus.ORDERED
        and user.has_perm("treatment.prepare_dose", order),
        "can_check": order.status == OrderStatus.PREPARED
        and user.has_perm("treatment.second_check", order),
        "is_preparer": order.prepared_by_id == user.pk,
        "can_cancel": order.status != OrderStatus.CANCELLED
        and user.has_perm("treatment.order_dose", order),
        "cancel_form": CancelOrderForm(initial={"version": order.version}),
        "action_error": None,
        "is_esketamine": order.product.drug == Drug.ESKETAMINE,
        "booking": order.course.bookings.filter(session_number=order.session_number)
        .exclude(status=BookingStatus.CANCELLED)
        .select_related("chair")
        .first(),
    }
    context.update(overrides)
    return context


@require_GET
@staff_view("treatment.view_treatment", get_object=_order)
def order_detail(request: HttpRequest, pk: int, obj: SessionOrder) -> HttpResponse:
    return render(request, TEMPLATES + "order.html", _order_context(request, obj))


def _act(request, order, action, success: str) -> HttpResponse:
    form = VersionForm(request.POST)
    if not form.is_valid():
        error = "Reload the page and try again."
    else:
        try:
            action(order, version=form.cleaned_data["version"], actor=request.user)
        except TreatmentError as exc:
            error = exc.message
        else:
            messages.success(request, success)
            return redirect("backoffice:treatment-order", pk=order.pk)
    return render(
        request,
        TEMPLATES + "order.html",
        _order_context(request, _order(request, order.pk), action_error=error),
        status=400,
    )


@require_POST
@staff_view("treatment.prepare_dose", get_object=_order)
def order_prepare(request: HttpRequest, pk: int, obj: SessionOrder) -> HttpResponse:
    return _act(
        request, obj, orders.prepare_order, "Marked as prepared. Ask a colleague to check it."
    )


@require_POST
@staff_view("treatment.second_check", get_object=_order)
def order_check(request: HttpRequest, pk: int, obj: SessionOrder) -> HttpResponse:
    return _act(request, obj, orders.second_check, "Second check recorded: ready to give.")


@require_POST
@staff_view("treatment.order_dose", get_object=_order)
def order_cancel(request: HttpRequest, pk: int, obj: SessionOrder) -> HttpResponse:
    form = CancelOrderForm(request.POST)
    if form.is_valid():
        try:
            orders.cancel_order(
                obj,
                version=form.cleaned_data["version"],
                actor=request.user,
                reason=form.cleaned_data["reason"],
            )
        except TreatmentError as exc:
            add_domain_error(form, exc)
        else:
            messages.success(request, "Order cancelled.")
            return redirect("backoffice:treatment-course", pk=obj.course_id)
    return render(
        request,
        TEMPLATES + "order.html",
        _order_context(request, obj, cancel_form=form),
        status=400,
    )


# --- the protocol library --------------------------------------------------------------------


@require_GET
@staff_view("treatment.view_protocols", audit_object_type="treatment.protocol")
def protocol_list(request: HttpRequest) -> HttpResponse:
    rows = []
    newest: dict[int, ProtocolVersion] = {}
    for version in ProtocolVersion.objects.select_related("protocol").order_by(
        "protocol__name", "-number"
    ):
        newest.setdefault(version.protocol_id, version)
    for version in newest.values():
        rows.append({"protocol": version.protocol, "version": version})
    return render(
        request,
        TEMPLATES + "protocols.html",
        {"rows": rows, "can_manage": request.user.has_perm("treatment.manage_protocols")},
    )


@require_GET
@staff_view("treatment.view_protocols", get_object=_protocol)
def protocol_detail(request: HttpRequest, pk: int, obj: Protocol) -> HttpResponse:
    versions = list(obj.versions.select_related("created_by").order_by("-number"))
    current = versions[0] if versions else None
    context = {
        "protocol": obj,
        "versions": versions,
        "current": current,
        "definition": current.parsed if current else None,
        "vital_minutes": vital_sign_minutes(current.parsed) if current else [],
        "can_manage": request.user.has_perm("treatment.manage_protocols"),
    }
    return render(request, TEMPLATES + "protocol.html", context)


def _pretty(data: dict) -> str:
    return json.dumps(data, indent=2, ensure_ascii=False)


@require_http_methods(["GET", "POST"])
@staff_view("treatment.manage_protocols", get_object=_protocol)
def protocol_revise(request: HttpRequest, pk: int, obj: Protocol) -> HttpResponse:
    current = protocols.latest_version(obj)
    initial = {"definition": _pretty(definition_json(current.parsed)) if current else ""}
    form = ProtocolForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            version = protocols.revise_protocol(
                obj,
                form.cleaned_data["definition"],
                actor=request.user,
                note=form.cleaned_data["note"],
            )
        except TreatmentError as exc:
            add_domain_error(form, exc)
        else:
            messages.success(request, f"Version {version.number} saved.")
            return redirect("backoffice:treatment-protocol", pk=obj.pk)
    return render(
        request,
        TEMPLATES + "protocol_form.html",
        {"protocol": obj, "form": form},
        status=400 if request.method == "POST" else 200,
    )


@require_http_methods(["GET", "POST"])
@staff_view("treatment.manage_protocols", audit_object_type="treatment.protocol")
def protocol_new(request: HttpRequest) -> HttpResponse:
    form = ProtocolForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            version = protocols.add_protocol(
                form.cleaned_data["definition"],
                actor=request.user,
                note=form.cleaned_data["note"],
            )
        except TreatmentError as exc:
            add_domain_error(form, exc)
        else:
            messages.success(request, "Protocol added.")
            return redirect("backoffice:treatment-protocol", pk=version.protocol_id)
    return render(
        request,
        TEMPLATES + "protocol_form.html",
        {"protocol": None, "form": form},
        status=400 if request.method == "POST" else 200,
    )
