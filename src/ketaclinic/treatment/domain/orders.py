"""Dose orders: ordered by a prescriber, prepared, second-checked, or cancelled.

``plan_order`` computes every number of an order through the pure
``treatment.dosing`` (nothing is typed but the prescriber's choices), from:

- the product, chosen from the clinic's list (its concentration is never typed);
- the protocol version of the course: dose, maxima, escalation, infusion time;
- the dosing weight: measured within ``TREATMENT_WEIGHT_MAX_AGE_DAYS`` of the session
  (CLINICAL.md §2: "taken on the day or within a clinic-set window"): of the date the
  session is booked for once it is booked, of the order's date until then; by the
  clinic's obesity rule (``TREATMENT_DOSING_WEIGHT_RULE``);
- for esketamine: the protocol's allowed doses, the first-session dose and the
  under-65 rule (56 or 84 mg only), checked here;
- what the course can lose after it started: current consent, and for esketamine
  the REMS enrolment and the location's certification.

``order_dose`` stores the numbers with their inputs. ``prepare_order``,
``second_check`` and ``cancel_order`` name the ``version`` they were made on (a stale
version is refused); the second check is by a different person than the preparer,
holding one of ``TREATMENT_SECOND_CHECK_ROLES`` (also a database constraint).
"""

from __future__ import annotations

from dataclasses import asdict
from datetime import date
from decimal import Decimal, InvalidOperation

from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils import timezone

from ketaclinic.patients.domain.parsing import age_on
from ketaclinic.screening.domain.consent import current_consent
from ketaclinic.treatment import dosing
from ketaclinic.treatment.domain.courses import (
    CLINICAL_ROLES,
    PRESCRIBING_ROLES,
    long_date,
    rems_problems,
)
from ketaclinic.treatment.domain.errors import StaleOrder, TreatmentError, require_role
from ketaclinic.treatment.domain.rescue import allergy_conflicts
from ketaclinic.treatment.models import (
    Course,
    CourseStatus,
    DoseBasis,
    Drug,
    OrderStatus,
    ProductForm,
    Route,
    SessionOrder,
)
from ketaclinic.treatment.protocols import UNDER_65_ESKETAMINE_MG

# What an allergy entry may say that stops a ketamine or esketamine order.
KETAMINE_ALLERGY_TERMS = ("ketamine", "esketamine", "ketalar", "spravato")
# The order form's field for each input the dosing module names.
FIELDS = {
    "weight_kg": "measured_weight_kg",
    "height_cm": "height_cm",
    "mg_per_kg": "mg_per_kg",
    "mg_per_kg_per_h": "mg_per_kg_per_h",
    "minutes": "minutes",
    "final_volume_ml": "final_volume_ml",
    "concentration_mg_per_ml": "product",
    "product": "product",
    "mg": "fixed_mg",
}


def _refuse(error: dosing.DoseError):
    return TreatmentError(str(error), field=FIELDS.get(error.field or ""))


def _decimal(value, what: str, field: str) -> Decimal | None:
    if value is None or value == "":
        return None
    try:
        number = Decimal(str(value))
    except InvalidOperation:
        raise TreatmentError(f"The {what} must be a number.", field=field) from None
    if not number.is_finite():
        raise TreatmentError(f"The {what} must be a number.", field=field)
    return number


def _json(value):
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, dict):
        return {key: _json(item) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [_json(item) for item in value]
    if isinstance(value, date):
        return value.isoformat()
    return value


def _check_product(course: Course, product) -> None:
    definition = course.definition
    if product is None:
        raise TreatmentError("Choose the product from the clinic's list.", field="product")
    if not product.active:
        raise TreatmentError(f"{product.name} is no longer stocked.", field="product")
    if product.drug != definition.drug:
        raise TreatmentError(
            f"{product.name} is {Drug(product.drug).label.lower()}; this course's protocol gives "
            f"{Drug(definition.drug).label.lower()}.",
            field="product",
        )
    form = ProductForm.VIAL if definition.route == Route.IV else ProductForm.NASAL_DEVICE
    if product.form != form:
        raise TreatmentError(
            f"This protocol needs a {ProductForm(form).label.lower()}.", field="product"
        )


def _check_allergies(patient) -> None:
    conflicts = allergy_conflicts(patient.allergies.all(), KETAMINE_ALLERGY_TERMS)
    if conflicts:
        allergy = conflicts[0]
        raise TreatmentError(
            f"The patient has a recorded allergy to “{allergy.substance}”: no ketamine or "
            "esketamine order can be made. Review the allergy with the patient first."
        )


def _check_still_allowed(course: Course, today: date) -> None:
    """What a course needed at its start and can lose later: consent (withdrawn), and
    for esketamine the patient's REMS enrolment and the location's certification."""
    if current_consent(course.patient) is None:
        raise TreatmentError(
            "No current informed consent is recorded: no dose can be ordered until it is "
            "given again."
        )
    if course.definition.drug == Drug.ESKETAMINE:
        problems = rems_problems(course.patient, on=today)
        if problems:
            raise TreatmentError(" ".join(problems))


def weight_reference(course: Course, session_number: int, today: date) -> tuple[date, bool]:
    """The day a dosing weight's age is counted to: the date the session is booked
    for (``True``), or ``today`` while it is not booked (``False``)."""
    from ketaclinic.booking.models import Status  # booking links to courses, not back

    booking = (
        course.bookings.filter(session_number=session_number)
        .exclude(status=Status.CANCELLED)
        .only("starts_at")
        .first()
    )
    if booking is None:
        return today, False
    return timezone.localtime(booking.starts_at).date(), True


def _dosing_weight(course: Course, measured, measured_on, height, today: date, reference):
    window = settings.TREATMENT_WEIGHT_MAX_AGE_DAYS
    session_day, booked = reference
    if measured is None:
        within = (
            f"within {window} days before the session on {long_date(session_day)}"
            if booked
            else f"within the last {window} days"
        )
        raise TreatmentError(
            f"Enter the patient's weight in kg, measured {within}.",
            field="measured_weight_kg",
        )
    if measured_on is None:
        raise TreatmentError("Enter the date the weight was measured.", field="weight_measured_on")
    if measured_on > today:
        raise TreatmentError(
            "The weight cannot have been measured in the future.", field="weight_measured_on"
        )
    age_days = (session_day - measured_on).days
    if age_days > window:
        if booked:
            message = (
                f"The weight was measured {age_days} days before the session booked for "
                f"{long_date(session_day)}; the clinic doses on a weight from within {window} "
                "days of the session. Weigh the patient again nearer the session."
            )
        else:
            message = (
                f"The weight was measured {age_days} days ago; the clinic doses on a weight "
                f"from the last {window} days. Weigh the patient again."
            )
        raise TreatmentError(message, field="weight_measured_on")
    try:
        return dosing.dosing_weight(
            measured,
            rule=settings.TREATMENT_DOSING_WEIGHT_RULE,
            height_cm=height,
            sex=course.patient.sex,
            obesity_bmi=settings.TREATMENT_OBESITY_BMI,
        )
    except dosing.DoseError as exc:
        raise _refuse(exc) from None


def _weight_values(weight, measured_on) -> dict:
    return {
        "measured_weight_kg": weight.actual_kg,
        "weight_measured_on": measured_on,
        "height_cm": weight.height_cm,
        "weight_rule": weight.rule,
        "dosing_weight_kg": weight.kg,
        "weight_explanation": weight.explanation,
    }


def _per_kg(course, session_number, mg_per_kg, minutes, weight, product, final_volume_ml):
    rule = course.definition.dose
    standard = Decimal(str(rule.mg_per_kg))
    per_kg = standard if mg_per_kg is None else mg_per_kg
    ceiling = standard
    escalation = rule.escalation
    if escalation is not None and session_number >= escalation.from_session:
        ceiling = Decimal(str(escalation.max_mg_per_kg))
    if per_kg > ceiling:
        if escalation is None:
            reason = "this protocol has no escalation."
        elif session_number < escalation.from_session:
            reason = (
                f"escalation up to {escalation.max_mg_per_kg:g} mg/kg may be ordered from "
                f"session {escalation.from_session} ({escalation.condition.rstrip('.')})."
            )
        else:
            reason = f"escalation goes up to {escalation.max_mg_per_kg:g} mg/kg."
        raise TreatmentError(
            f"{per_kg.normalize():f} mg/kg is above the protocol dose of {rule.mg_per_kg:g} "
            f"mg/kg; {reason}",
            field="mg_per_kg",
        )
    protocol_minutes = course.definition.infusion_minutes
    minutes = protocol_minutes if minutes is None else minutes
    if minutes < protocol_minutes:
        raise TreatmentError(
            f"This protocol gives the dose over at least {protocol_minutes} minutes.",
            field="minutes",
        )
    arguments = {
        "weight_kg": weight.kg,
        "mg_per_kg": per_kg,
        "minutes": minutes,
        "concentration_mg_per_ml": product.concentration_mg_per_ml,
        "final_volume_ml": final_volume_ml,
        "max_mg_per_kg": ceiling,
        "max_mg": Decimal(str(rule.max_mg)),
    }
    try:
        plan = dosing.weight_based_infusion(**arguments)
    except dosing.DoseError as exc:
        raise _refuse(exc) from None
    values = {
        "dose_basis": DoseBasis.MG_PER_KG,
        "mg_per_kg": plan.mg_per_kg,
        "minutes": int(plan.minutes),
        "max_mg_per_kg": plan.max_mg_per_kg,
        "max_mg": plan.max_mg,
    }
    return "weight_based_infusion", arguments, plan, values


def _per_kg_per_h(course, mg_per_kg_per_h, minutes, weight, product, final_volume_ml):
    rule = course.definition.dose
    per_kg_h = Decimal(str(rule.mg_per_kg_per_h)) if mg_per_kg_per_h is None else mg_per_kg_per_h
    protocol_minutes = course.definition.infusion_minutes
    minutes = protocol_minutes if minutes is None else minutes
    if minutes > protocol_minutes:
        raise TreatmentError(
            f"This protocol runs for at most {protocol_minutes} minutes.", field="minutes"
        )
    arguments = {
        "weight_kg": weight.kg,
        "mg_per_kg_per_h": per_kg_h,
        "minutes": minutes,
        "concentration_mg_per_ml": product.concentration_mg_per_ml,
        "final_volume_ml": final_volume_ml,
        "max_mg_per_kg_per_h": Decimal(str(rule.max_mg_per_kg_per_h)),
        "max_mg_per_h": Decimal(str(rule.max_mg_per_h)),
        "max_mg": Decimal(str(rule.max_mg)),
    }
    try:
        plan = dosing.hourly_rate_infusion(**arguments)
    except dosing.DoseError as exc:
        raise _refuse(exc) from None
    values = {
        "dose_basis": DoseBasis.MG_PER_KG_PER_H,
        "mg_per_kg_per_h": plan.mg_per_kg_per_h,
        "minutes": int(plan.minutes),
        "max_mg_per_h": plan.max_mg_per_h,
        "max_mg": plan.max_mg,
    }
    return "hourly_rate_infusion", arguments, plan, values


def _esketamine(course, session_number, fixed_mg, product, today):
    rule = course.definition.dose
    if fixed_mg is None:
        fixed_mg = Decimal(rule.first_dose_mg if session_number == 1 else rule.default_mg)
    try:
        devices = dosing.esketamine_devices(fixed_mg)
    except dosing.DoseError as exc:
        raise _refuse(exc) from None
    mg = int(fixed_mg)
    doses = [str(dose) for dose in sorted(rule.allowed_mg)]
    allowed = (", ".join(doses[:-1]) + " or " if len(doses) > 1 else "") + doses[-1] + " mg"
    if mg not in rule.allowed_mg:
        raise TreatmentError(f"This protocol allows {allowed}.", field="fixed_mg")
    age = age_on(course.patient.date_of_birth, today)
    if age < 65 and mg not in UNDER_65_ESKETAMINE_MG:
        raise TreatmentError(
            f"Under 65 the label allows esketamine 56 or 84 mg; the patient is {age}.",
            field="fixed_mg",
        )
    if session_number == 1 and mg > rule.first_dose_mg:
        raise TreatmentError(
            f"The first session is {rule.first_dose_mg} mg (label).", field="fixed_mg"
        )
    if product.mg_per_unit != dosing.ESKETAMINE_MG_PER_DEVICE:
        raise TreatmentError("Choose a 28 mg esketamine device.", field="product")
    arguments = {"mg": mg}
    values = {
        "dose_basis": DoseBasis.FIXED_MG,
        "dose_mg": Decimal(mg),
        "devices": devices,
        "units_needed": devices,
        "max_mg": Decimal(str(rule.max_mg)),
    }
    result = {"devices": devices, "minutes_between_devices": rule.minutes_between_devices}
    return "esketamine_devices", arguments, result, values


def plan_order(
    course: Course,
    *,
    session_number,
    product,
    mg_per_kg=None,
    mg_per_kg_per_h=None,
    fixed_mg=None,
    measured_weight_kg=None,
    weight_measured_on: date | None = None,
    height_cm=None,
    minutes=None,
    final_volume_ml=None,
    today: date | None = None,
) -> dict:
    """Every field of an order for these choices, computed; nothing is saved.
    Raises ``TreatmentError`` (with the form field) on anything impossible or unsafe."""
    today = today or timezone.localdate()
    if course.status != CourseStatus.ACTIVE:
        raise TreatmentError("This course has ended: no new orders can be made.")
    if not isinstance(session_number, int) or session_number < 1:
        raise TreatmentError("Choose the session number (1 or more).", field="session_number")
    _check_product(course, product)
    _check_allergies(course.patient)
    _check_still_allowed(course, today)
    definition = course.definition
    kind = definition.dose.kind
    values: dict = {
        "session_number": session_number,
        "product": product,
        "route": definition.route,
        "concentration_mg_per_ml": product.concentration_mg_per_ml,
    }
    inputs: dict = {}
    if kind == "esketamine_devices":
        calculation, arguments, result, extra = _esketamine(
            course, session_number, _decimal(fixed_mg, "dose in mg", "fixed_mg"), product, today
        )
        values.update(extra)
    else:
        reference = weight_reference(course, session_number, today)
        weight = _dosing_weight(
            course,
            _decimal(measured_weight_kg, "weight", "measured_weight_kg"),
            weight_measured_on,
            _decimal(height_cm, "height", "height_cm"),
            today,
            reference,
        )
        final = _decimal(final_volume_ml, "final volume", "final_volume_ml")
        if minutes is not None and not isinstance(minutes, int):
            raise TreatmentError("The infusion time is a whole number of minutes.", field="minutes")
        if kind == "mg_per_kg":
            calculation, arguments, plan, extra = _per_kg(
                course,
                session_number,
                _decimal(mg_per_kg, "dose in mg/kg", "mg_per_kg"),
                minutes,
                weight,
                product,
                final,
            )
        else:
            calculation, arguments, plan, extra = _per_kg_per_h(
                course,
                _decimal(mg_per_kg_per_h, "dose in mg/kg/h", "mg_per_kg_per_h"),
                minutes,
                weight,
                product,
                final,
            )
        values.update(extra)
        values.update(_weight_values(weight, weight_measured_on))
        values.update(
            {
                "final_volume_ml": plan.final_volume_ml,
                "dose_mg": plan.dose_mg,
                "volume_ml": plan.volume_ml,
                "infused_ml": plan.infused_ml,
                "rate_ml_per_h": plan.rate_ml_per_h,
                "rate_mg_per_h": plan.rate_mg_per_h,
                "units_needed": dosing.vials_needed(plan.volume_ml, product.unit_volume_ml),
            }
        )
        result = asdict(plan)
        inputs["dosing_weight"] = asdict(weight)
        inputs["weight_counted_to"] = {
            "date": reference[0],
            "basis": "booked session" if reference[1] else "order date",
            "days": (reference[0] - weight_measured_on).days,
        }
        inputs["settings"] = {
            "TREATMENT_DOSING_WEIGHT_RULE": settings.TREATMENT_DOSING_WEIGHT_RULE,
            "TREATMENT_OBESITY_BMI": settings.TREATMENT_OBESITY_BMI,
            "TREATMENT_WEIGHT_MAX_AGE_DAYS": settings.TREATMENT_WEIGHT_MAX_AGE_DAYS,
        }
    inputs.update(
        {
            "calculation": f"ketaclinic.treatment.dosing.{calculation}",
            "arguments": arguments,
            "result": result,
            "protocol": {
                "slug": definition.slug,
                "version": course.protocol_version.number,
                "name": definition.name,
            },
            "product": {
                "name": product.name,
                "ndc": product.ndc,
                "concentration_mg_per_ml": product.concentration_mg_per_ml,
                "unit_volume_ml": product.unit_volume_ml,
            },
            "ordered_on": today,
        }
    )
    values["inputs"] = _json(inputs)
    return values


def order_dose(course: Course, *, prescriber, today: date | None = None, **choices) -> SessionOrder:
    """A prescriber's order for one session, computed by ``plan_order`` and stored."""
    require_role(prescriber, PRESCRIBING_ROLES, "orders a dose")
    values = plan_order(course, today=today, **choices)
    taken = (
        f"Session {values['session_number']} already has an order: cancel it before ordering again."
    )
    try:
        with transaction.atomic():
            live = SessionOrder.objects.filter(
                course=course, session_number=values["session_number"]
            ).exclude(status=OrderStatus.CANCELLED)
            if live.exists():
                raise TreatmentError(taken, field="session_number")
            order = SessionOrder(course=course, ordered_by=prescriber, **values)
            order._history_user = prescriber
            order.save()
    except IntegrityError:  # the same session ordered twice at once
        raise TreatmentError(taken, field="session_number") from None
    return order


def _transition(order: SessionOrder, version: int, actor, *, allowed: tuple, check=None, **changes):
    with transaction.atomic():
        current = SessionOrder.objects.select_for_update().get(pk=order.pk)
        if current.version != version:
            raise StaleOrder()
        if current.status not in allowed:
            raise TreatmentError(
                f"This order is now “{current.get_status_display()}”: it cannot be changed that "
                "way."
            )
        if check is not None:
            check(current)
        for name, value in changes.items():
            setattr(current, name, value)
        current.version = version + 1
        current._history_user = actor
        current.save()
    order.refresh_from_db()
    return order


def prepare_order(order: SessionOrder, *, version: int, actor) -> SessionOrder:
    """The dose was drawn up (or the devices set out) by ``actor``."""
    require_role(actor, CLINICAL_ROLES, "prepares a dose")
    return _transition(
        order,
        version,
        actor,
        allowed=(OrderStatus.ORDERED,),
        status=OrderStatus.PREPARED,
        prepared_by=actor,
        prepared_at=timezone.now(),
    )


def second_check(order: SessionOrder, *, version: int, actor) -> SessionOrder:
    """A second licensed person, not the preparer, confirms the prepared dose."""
    roles = settings.TREATMENT_SECOND_CHECK_ROLES
    require_role(actor, roles, "does the second check")

    def not_the_preparer(current):
        if current.prepared_by_id == actor.pk:
            raise TreatmentError(
                "You prepared this dose: a second person must check it.", field="version"
            )

    return _transition(
        order,
        version,
        actor,
        allowed=(OrderStatus.PREPARED,),
        check=not_the_preparer,
        status=OrderStatus.CHECKED,
        checked_by=actor,
        checked_at=timezone.now(),
    )


def cancel_order(order: SessionOrder, *, version: int, actor, reason: str) -> SessionOrder:
    require_role(actor, PRESCRIBING_ROLES, "cancels an order")
    text = " ".join((reason or "").split())
    if not text:
        raise TreatmentError("Say why the order is cancelled.", field="reason")
    return _transition(
        order,
        version,
        actor,
        allowed=(OrderStatus.ORDERED, OrderStatus.PREPARED, OrderStatus.CHECKED),
        status=OrderStatus.CANCELLED,
        cancelled_by=actor,
        cancelled_at=timezone.now(),
        cancel_reason=text[:500],
    )
