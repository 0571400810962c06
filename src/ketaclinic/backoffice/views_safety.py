"""Safety alerts (CLINICAL.md §7): inbox, alert detail (acknowledge, close, follow-up),
the on-call rota and a patient's safety plan. Every view passes ``staff_view``
(permission check and access log); state changes are POST only, with CSRF."""

from __future__ import annotations

from dataclasses import dataclass

from django import forms
from django.conf import settings
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.db.models import Exists, OuterRef
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from ketaclinic import formfields
from ketaclinic.backoffice.access import staff_view
from ketaclinic.backoffice.forms_util import add_domain_error
from ketaclinic.backoffice.kept import PageNumbers, kept, scope_of
from ketaclinic.backoffice.rows import ALERT_FIELDS, alert_row_parts, join_alert_rows
from ketaclinic.clinic.models import ClinicProfile, Location
from ketaclinic.inquiries.domain.phone import InvalidPhoneNumber, display_phone, normalise_phone
from ketaclinic.notifications.models import OutboxMessage
from ketaclinic.patients.models import Patient
from ketaclinic.safety.domain import alerts as alert_domain
from ketaclinic.safety.domain import oncall, plans
from ketaclinic.safety.domain.errors import AlertClosed, SafetyError, StaleRecord
from ketaclinic.safety.domain.queries import describe_cause
from ketaclinic.safety.models import Action, Alert, AlertNotification, OnCallShift, SafetyPlan, Tier

PAGE_SIZE = 50
MAX_VERSION = 2**31 - 1


def alerts_for(user):
    """Alerts the user may see: their locations' patients; the director sees all."""
    queryset = Alert.objects.all()
    if not user.sees_all_locations:
        queryset = queryset.filter(patient__location_id__in=user.location_ids)
    return queryset


def _alert(request: HttpRequest, pk: int, **_kwargs) -> Alert:
    return get_object_or_404(
        Alert.objects.select_related(
            "patient__location",
            "patient__primary_prescriber",
            "patient__safety_plan__updated_by",
            "responsible",
            "acknowledged_by",
            "closed_by",
        ),
        pk=pk,
    )


def _patient(request: HttpRequest, pk: int, **_kwargs) -> Patient:
    return get_object_or_404(
        Patient.objects.select_related("location", "safety_plan__updated_by"), pk=pk
    )


# --- forms ---------------------------------------------------------------------------------


class InboxFilterForm(forms.Form):
    state = forms.ChoiceField(
        choices=[("open", "Open"), ("closed", "Closed"), ("all", "All")], required=False
    )
    patient = forms.IntegerField(
        required=False, min_value=1, max_value=MAX_VERSION, widget=forms.HiddenInput
    )


class CloseForm(forms.Form):
    action = forms.ChoiceField(
        label="Action taken", choices=Action.choices, widget=forms.RadioSelect
    )
    note = forms.CharField(
        label="Note",
        required=False,
        max_length=alert_domain.NOTE_MAX,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text="What was done and agreed. Required for “Other”.",
    )
    version = forms.IntegerField(widget=forms.HiddenInput, min_value=1, max_value=MAX_VERSION)


class FollowUpForm(forms.Form):
    note = forms.CharField(required=False, max_length=alert_domain.NOTE_MAX)


class ShiftForm(forms.Form):
    location = formfields.ModelChoiceField(queryset=Location.objects.filter(is_active=True))
    prescriber = formfields.ModelChoiceField(queryset=None, label="On call")
    starts_at = forms.DateTimeField(
        label="Starts", widget=forms.DateTimeInput(attrs={"type": "datetime-local"})
    )
    ends_at = forms.DateTimeField(
        label="Ends", widget=forms.DateTimeInput(attrs={"type": "datetime-local"})
    )
    phone = forms.CharField(
        label="Phone during the shift",
        max_length=40,
        help_text="Urgent alerts are sent to this number (no health details, only a link).",
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["prescriber"].queryset = oncall.on_call_candidates()

    def clean_phone(self):
        try:
            return normalise_phone(self.cleaned_data["phone"], ClinicProfile.current().phone_region)
        except InvalidPhoneNumber as exc:
            raise ValidationError(str(exc)) from exc


def _plan_field(label: str, help_text: str) -> forms.CharField:
    return forms.CharField(
        label=label,
        required=False,
        max_length=plans.FIELD_MAX,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=help_text,
    )


class SafetyPlanForm(forms.Form):
    warning_signs = _plan_field(
        "Warning signs", "Thoughts, moods or situations that come before a crisis."
    )
    coping_steps = _plan_field(
        "Coping steps",
        "Things the patient can do on their own, and people or places that help.",
    )
    contacts = _plan_field("Contacts", "People to ask for help, the clinic, crisis lines (988).")
    means_safety = _plan_field(
        "Means safety",
        "How the environment is made safer (medications, firearms, other means).",
    )
    version = forms.IntegerField(widget=forms.HiddenInput, min_value=0, max_value=MAX_VERSION)


# --- inbox ---------------------------------------------------------------------------------


@dataclass
class InboxPage(PageNumbers):
    """What the inbox shows for one viewer, filters and page number, as kept in the
    cache: plain values, the rows' markup around their "raised ... ago" texts
    (``rows.alert_row_parts``) and the pagination facts the template asks for."""

    state: str
    alerts: list[dict]
    count: int
    number: int
    num_pages: int
    parts: list[str]
    moments: list

    def has_next(self) -> bool:
        return self.number < self.num_pages


@require_GET
@staff_view("safety.view_alerts", audit_object_type="safety.alert")
def alert_inbox(request: HttpRequest) -> HttpResponse:
    form = InboxFilterForm(request.GET or None)
    filters = form.cleaned_data if form.is_valid() else {}
    inbox = _cached_inbox(request, filters)
    params = request.GET.copy()
    params.pop("page", None)
    return render(
        request,
        "backoffice/safety_inbox.html",
        {
            "form": form if form.is_bound else InboxFilterForm(),
            "state": inbox.state,
            "page": inbox,
            "alerts": inbox.alerts,
            "rows": join_alert_rows(inbox.parts, inbox.moments),
            "query_string": params.urlencode(),
            "can_manage_oncall": request.user.has_perm("safety.manage_oncall"),
        },
    )


def _cached_inbox(request: HttpRequest, filters: dict) -> InboxPage:
    """The page from the cache while nothing it shows has changed (the inbox's
    generation, safety migration 0004), else read and kept; per viewer ("for you";
    their locations, read at each request), filters and page asked for. At most
    ``SAFETY_INBOX_CACHE_SECONDS``."""
    user, number = request.user, request.GET.get("page")
    asked = (user.pk, scope_of(user), filters.get("state") or "open", filters.get("patient"))
    return kept(
        "safety_inbox",
        settings.SAFETY_INBOX_CACHE_SECONDS,
        (*asked, number),
        lambda: _inbox(user, filters, number),
    )


def _inbox(user, filters: dict, number) -> InboxPage:
    state = filters.get("state") or "open"
    queryset = alerts_for(user)
    if state == "open":
        queryset = queryset.filter(closed_at__isnull=True)
    elif state == "closed":
        queryset = queryset.filter(closed_at__isnull=False)
    if filters.get("patient"):
        queryset = queryset.filter(patient_id=filters["patient"])
    ordering = ("-closed_at", "-id") if state == "closed" else ("tier_rank", "-created_at", "-id")
    # The page's ids from the alerts alone, then those rows with their people: joining
    # every open alert to its patient before the LIMIT reads the whole patient table.
    # For the open alerts both the count and the ordered LIMIT read the partial index
    # alert_open_inbox_idx (open alerts only, in this order): neither sorts nor visits
    # the rows of every open alert (safety migration 0003).
    page = Paginator(queryset.order_by(*ordering).values_list("pk", flat=True), PAGE_SIZE).get_page(
        number
    )
    ids = list(page.object_list)
    rows = _inbox_rows(ids, user)
    alerts = [rows[pk] for pk in ids if pk in rows]
    parts, moments = alert_row_parts(alerts)
    return InboxPage(
        state=state,
        alerts=alerts,
        count=page.paginator.count,
        number=page.number,
        num_pages=page.paginator.num_pages,
        parts=parts,
        moments=moments,
    )


def _inbox_rows(ids: list[int], user) -> dict[int, dict]:
    """The page's alerts by id as plain values (``rows.ALERT_FIELDS``: what a row
    shows, and nothing else), with whether ``user`` was told of them ("for you"): one
    query, no ORDER BY (the ids carry the page's order). Plain values, not model
    instances: six instances per row (alert, patient, location, three people) were a
    third of the page's time."""
    found = INBOX_ROWS.filter(pk__in=ids).annotate(
        for_me=Exists(AlertNotification.objects.filter(alert=OuterRef("pk"), recipient=user))
    )
    return {row["pk"]: row for row in found}


#: The rows' columns and joins, resolved once per process (a queryset is never run
#: here, only copied): resolving ``ALERT_FIELDS`` was 0.65 ms of each inbox request.
INBOX_ROWS = Alert.objects.order_by().values(*ALERT_FIELDS)


@require_GET
@staff_view("safety.view_alerts")
def alert_badge(request: HttpRequest) -> HttpResponse:
    """The nav's count of open urgent alerts (one COUNT; polled with X-Staff-Passive)."""
    count = alerts_for(request.user).filter(tier=Tier.URGENT, closed_at__isnull=True).count()
    return render(request, "backoffice/safety_badge.html", {"count": count})


# --- one alert -----------------------------------------------------------------------------


def _detail(request, alert: Alert, *, close_form=None, status=200) -> HttpResponse:
    user = request.user
    notifications = list(
        alert.notifications.select_related("recipient").order_by("level", "created_at", "id")
    )
    emails = list(
        OutboxMessage.objects.filter(dedup_key__startswith=f"alert:{alert.pk}:")
        .order_by("created_at", "id")
        .values("to", "status", "created_at", "sent_at")
    )
    follow_up = alert.follow_up if hasattr(alert, "follow_up") else None
    plan = getattr(alert.patient, "safety_plan", None)
    return render(
        request,
        "backoffice/safety_alert.html",
        {
            "alert": alert,
            "cause_rows": describe_cause(alert),
            "patient": alert.patient,
            "plan": plan,
            "notifications": notifications,
            "emails": emails,
            "levels": sorted({n.level for n in notifications}),
            "follow_up": follow_up,
            "close_form": close_form or CloseForm(initial={"version": alert.version}),
            "can_acknowledge": alert.is_open
            and alert.acknowledged_at is None
            and user.has_perm("safety.acknowledge_alert", alert),
            "can_close": alert.is_open and user.has_perm("safety.close_alert", alert),
            "can_edit_plan": user.has_perm("safety.edit_safety_plan", alert.patient),
            "now": timezone.now(),
        },
        status=status,
    )


def _alert_with_follow_up(request, pk, **kwargs) -> Alert:
    return get_object_or_404(
        Alert.objects.select_related(
            "patient__location",
            "patient__primary_prescriber",
            "patient__safety_plan__updated_by",
            "responsible",
            "acknowledged_by",
            "closed_by",
            "follow_up__assigned_to",
        ),
        pk=pk,
    )


@require_GET
@staff_view("safety.view_alerts", get_object=_alert_with_follow_up)
def alert_detail(request: HttpRequest, pk: int, obj: Alert) -> HttpResponse:
    return _detail(request, obj)


@require_POST
@staff_view("safety.acknowledge_alert", get_object=_alert)
def alert_acknowledge(request: HttpRequest, pk: int, obj: Alert) -> HttpResponse:
    try:
        done = alert_domain.acknowledge(obj, request.user)
    except AlertClosed as exc:
        messages.error(request, str(exc))
    else:
        if done:
            messages.success(request, "Acknowledged: escalation has stopped.")
        else:
            messages.info(request, f"{obj.acknowledged_by} had already acknowledged this alert.")
    return redirect("backoffice:safety-alert", pk=obj.pk)


@require_POST
@staff_view("safety.close_alert", get_object=_alert_with_follow_up)
def alert_close(request: HttpRequest, pk: int, obj: Alert) -> HttpResponse:
    form = CloseForm(request.POST)
    if form.is_valid():
        data = form.cleaned_data
        try:
            alert_domain.close_alert(
                obj, request.user, data["action"], data["note"], data["version"]
            )
        except StaleRecord as exc:
            messages.error(request, str(exc))
            return redirect("backoffice:safety-alert", pk=obj.pk)
        except AlertClosed as exc:
            messages.info(request, str(exc))
            return redirect("backoffice:safety-alert", pk=obj.pk)
        except SafetyError as exc:
            add_domain_error(form, exc)
        else:
            messages.success(request, "Alert closed.")
            return redirect("backoffice:safety-inbox")
    return _detail(request, obj, close_form=form, status=400)


@require_POST
@staff_view("safety.close_alert", get_object=_alert_with_follow_up)
def follow_up_done(request: HttpRequest, pk: int, obj: Alert) -> HttpResponse:
    task = getattr(obj, "follow_up", None)
    if task is None:
        messages.error(request, "This alert has no follow-up call.")
        return redirect("backoffice:safety-alert", pk=obj.pk)
    form = FollowUpForm(request.POST)
    note = form.cleaned_data["note"] if form.is_valid() else ""
    if alert_domain.complete_follow_up(task, request.user, note):
        messages.success(request, "Follow-up call recorded.")
    else:
        messages.info(request, "The follow-up call was already recorded.")
    return redirect("backoffice:safety-alert", pk=obj.pk)


# --- on-call rota --------------------------------------------------------------------------


@require_http_methods(["GET", "POST"])
@staff_view("safety.manage_oncall", audit_object_type="safety.oncallshift")
def on_call_rota(request: HttpRequest) -> HttpResponse:
    form = ShiftForm(request.POST or None)
    status = 200
    if request.method == "POST":
        if form.is_valid():
            data = form.cleaned_data
            try:
                oncall.add_shift(
                    location=data["location"],
                    prescriber=data["prescriber"],
                    starts_at=data["starts_at"],
                    ends_at=data["ends_at"],
                    phone=data["phone"],
                    actor=request.user,
                )
            except SafetyError as exc:
                add_domain_error(form, exc)
            except ValidationError as exc:
                form.add_error(None, "; ".join(exc.messages))
            else:
                messages.success(request, "Shift added to the rota.")
                return redirect("backoffice:safety-oncall")
        status = 400
    now = timezone.now()
    shifts = list(
        OnCallShift.objects.filter(ends_at__gt=now)
        .select_related("location", "prescriber")
        .order_by("starts_at", "location__name", "id")[:500]
    )
    for shift in shifts:
        shift.phone_display = display_phone(shift.phone)
        shift.is_current = shift.starts_at <= now < shift.ends_at
    return render(
        request, "backoffice/safety_oncall.html", {"form": form, "shifts": shifts}, status=status
    )


@require_POST
@staff_view("safety.manage_oncall", audit_object_type="safety.oncallshift")
def on_call_remove(request: HttpRequest, pk: int) -> HttpResponse:
    shift = OnCallShift.objects.filter(pk=pk).first()
    if shift is None:
        messages.info(request, "That shift was already removed.")
    else:
        oncall.remove_shift(shift, actor=request.user)
        messages.success(request, "Shift removed from the rota.")
    return redirect("backoffice:safety-oncall")


# --- safety plan ---------------------------------------------------------------------------


@require_http_methods(["GET", "POST"])
@staff_view("safety.edit_safety_plan", get_object=_patient)
def safety_plan_edit(request: HttpRequest, pk: int, obj: Patient) -> HttpResponse:
    patient = obj
    plan: SafetyPlan | None = getattr(patient, "safety_plan", None)
    version = plan.version if plan else 0
    if request.method == "POST":
        form = SafetyPlanForm(request.POST)
        if form.is_valid():
            data = dict(form.cleaned_data)
            expected = data.pop("version")
            try:
                plans.save_safety_plan(
                    patient, actor=request.user, expected_version=expected, **data
                )
            except StaleRecord as exc:
                messages.error(request, str(exc))
                return redirect("backoffice:safety-plan", pk=patient.pk)
            except SafetyError as exc:
                add_domain_error(form, exc)
            else:
                messages.success(request, "Safety plan saved.")
                return redirect("backoffice:patient", pk=patient.pk)
        status = 400
    else:
        initial = {name: getattr(plan, name, "") for name in plans.PLAN_FIELDS}
        form = SafetyPlanForm(initial={**initial, "version": version})
        status = 200
    return render(
        request,
        "backoffice/safety_plan.html",
        {"patient": patient, "plan": plan, "form": form},
        status=status,
    )
