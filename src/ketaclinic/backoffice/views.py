from __future__ import annotations

from datetime import timedelta

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import get_user_model
from django.core.paginator import Paginator
from django.db.models import Q
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.views.decorators.http import require_GET, require_POST

from ketaclinic.accounts.domain import drafts
from ketaclinic.accounts.domain.emergency import active_grant
from ketaclinic.accounts.roles import Role
from ketaclinic.backoffice.access import staff_view
from ketaclinic.backoffice.forms import AssignForm, InboxFilterForm, MoveForm, NoteForm
from ketaclinic.inquiries.domain import pipeline
from ketaclinic.inquiries.domain.phone import display_phone
from ketaclinic.inquiries.domain.queries.inbox import filter_inbox, inquiries_for
from ketaclinic.inquiries.models import Inquiry, Status
from ketaclinic.notifications.domain.outbox import failed_messages, retry_failed
from ketaclinic.notifications.models import OutboxMessage

PAGE_SIZE = 50


def _inquiry(request: HttpRequest, pk: int, **_kwargs) -> Inquiry:
    # Fetched unscoped so that out-of-scope records get 403 (rules), not a 404 that
    # could be mistaken for "does not exist"; the rule is what refuses.
    return get_object_or_404(Inquiry.objects.select_related("location", "assigned_to"), pk=pk)


@require_GET
def home(request: HttpRequest) -> HttpResponse:
    if request.user.is_authenticated and request.user.has_perm("inquiries.view_inbox"):
        return redirect("backoffice:inbox")
    if request.user.is_authenticated and request.user.has_perm("patients.view_patient_list"):
        return redirect("backoffice:patient-list")  # nurses start from their patients
    if request.user.is_authenticated:
        return render(request, "backoffice/home.html")
    return redirect("account_login")


@require_GET
@staff_view("inquiries.view_inbox", audit_object_type="inquiries.inquiry")
def inbox(request: HttpRequest) -> HttpResponse:
    form = InboxFilterForm(request.GET or {"status": "open"})
    filters = form.cleaned_data if form.is_valid() else {"status": "open"}
    queryset = filter_inbox(
        inquiries_for(request.user),
        status=filters.get("status", ""),
        help_with=filters.get("help_with", ""),
        search=filters.get("q", ""),
    )
    page = Paginator(queryset, PAGE_SIZE).get_page(request.GET.get("page"))
    now = timezone.now()
    overdue_after = timedelta(days=settings.INQUIRY_NEW_OVERDUE_DAYS)
    rows = [
        (inquiry, inquiry.status == Status.NEW and now - inquiry.created_at >= overdue_after)
        for inquiry in page.object_list
    ]
    template = "backoffice/_inbox_rows.html" if request.htmx else "backoffice/inbox.html"
    return render(
        request,
        template,
        {
            "form": form,
            "page": page,
            "rows": rows,
            "query_string": _query_without_page(request),
            "failed_count": _failed_count(request),
        },
    )


def _query_without_page(request: HttpRequest) -> str:
    params = request.GET.copy()
    params.pop("page", None)
    return params.urlencode()


def _failed_count(request: HttpRequest) -> int | None:
    if not request.user.has_perm("notifications.view_delivery_problems"):
        return None
    return OutboxMessage.objects.filter(status=OutboxMessage.Status.FAILED).count()


def _staff_for(inquiry: Inquiry):
    return (
        get_user_model()
        .objects.filter(
            is_active=True,
            groups__name__in=[Role.FRONT_DESK, Role.PRESCRIBER, Role.MEDICAL_DIRECTOR],
        )
        .filter(Q(locations=inquiry.location_id) | Q(groups__name=Role.MEDICAL_DIRECTOR))
        .distinct()
        .order_by("first_name", "last_name")
    )


def _note_draft_key(inquiry: Inquiry) -> str:
    return drafts.draft_key("inquiry-note", inquiry.pk)


def _detail_context(request: HttpRequest, inquiry: Inquiry, **forms) -> dict:
    user = request.user
    return {
        "inquiry": inquiry,
        "phone_display": display_phone(inquiry.phone),
        "events": inquiry.events.select_related("actor", "assigned_to"),
        "notes": inquiry.notes.select_related("author"),
        "moves": [Status(value) for value in pipeline.allowed_moves(inquiry.status)],
        "can_move": user.has_perm("inquiries.move_inquiry", inquiry),
        "can_assign": user.has_perm("inquiries.assign_inquiry", inquiry),
        "can_note": user.has_perm("inquiries.add_note", inquiry),
        "assign_form": forms.get("assign_form")
        or AssignForm(
            staff_queryset=_staff_for(inquiry),
            initial={"assignee": inquiry.assigned_to_id, "version": inquiry.version},
        ),
        # work in progress autosaved by form-drafts.js (data-draft-key in the template)
        "note_form": forms.get("note_form")
        or NoteForm(initial=drafts.initial_for(user, _note_draft_key(inquiry), NoteForm)),
        "age": timezone.now() - inquiry.created_at,
        # opened through "break the glass": say so on the page
        "emergency_grant": None
        if user.sees_all_locations or inquiry.location_id in user.location_ids
        else active_grant(user, inquiry),
    }


@require_GET
@staff_view("inquiries.view_inquiry", get_object=_inquiry)
def inquiry_detail(request: HttpRequest, pk: int, obj: Inquiry) -> HttpResponse:
    return render(request, "backoffice/inquiry_detail.html", _detail_context(request, obj))


@require_POST
@staff_view("inquiries.move_inquiry", get_object=_inquiry)
def inquiry_move(request: HttpRequest, pk: int, obj: Inquiry) -> HttpResponse:
    form = MoveForm(request.POST)
    if not form.is_valid():
        messages.error(request, "Choose where to move the inquiry.")
        return redirect("backoffice:inquiry", pk=obj.pk)
    try:
        pipeline.move_inquiry(
            obj,
            to_status=form.cleaned_data["to_status"],
            actor=request.user,
            expected_version=form.cleaned_data["version"],
        )
    except pipeline.PipelineError as exc:
        messages.error(request, str(exc))
    else:
        messages.success(request, f"Moved to “{obj.get_status_display()}”.")
    return redirect("backoffice:inquiry", pk=obj.pk)


@require_POST
@staff_view("inquiries.assign_inquiry", get_object=_inquiry)
def inquiry_assign(request: HttpRequest, pk: int, obj: Inquiry) -> HttpResponse:
    form = AssignForm(request.POST, staff_queryset=_staff_for(obj))
    if not form.is_valid():
        messages.error(request, "Choose a staff member of this location.")
        return redirect("backoffice:inquiry", pk=obj.pk)
    try:
        pipeline.assign_inquiry(
            obj,
            assignee=form.cleaned_data["assignee"],
            actor=request.user,
            expected_version=form.cleaned_data["version"],
        )
    except pipeline.PipelineError as exc:
        messages.error(request, str(exc))
    else:
        who = form.cleaned_data["assignee"]
        messages.success(request, f"Assigned to {who}." if who else "Unassigned.")
    return redirect("backoffice:inquiry", pk=obj.pk)


@require_POST
@staff_view("inquiries.add_note", get_object=_inquiry)
def inquiry_note(request: HttpRequest, pk: int, obj: Inquiry) -> HttpResponse:
    form = NoteForm(request.POST)
    if form.is_valid():
        try:
            pipeline.add_note(obj, body=form.cleaned_data["body"], author=request.user)
        except pipeline.PipelineError as exc:
            form.add_error("body", str(exc))
        else:
            drafts.clear_draft(request.user, _note_draft_key(obj))
            messages.success(request, "Note saved.")
            return redirect("backoffice:inquiry", pk=obj.pk)
    # Keep what was typed and show the problem next to the field.
    return render(
        request,
        "backoffice/inquiry_detail.html",
        _detail_context(request, obj, note_form=form),
        status=400,
    )


@require_GET
@staff_view("notifications.view_delivery_problems", audit_object_type="notifications.outboxmessage")
def delivery_problems(request: HttpRequest) -> HttpResponse:
    failed = failed_messages(200)  # secret links (questionnaire tokens) masked
    return render(request, "backoffice/delivery_problems.html", {"failed": failed})


@require_POST
@staff_view("notifications.retry_message")
def delivery_retry(request: HttpRequest, pk: int) -> HttpResponse:
    if retry_failed(pk):
        messages.success(request, "The message is queued to be sent again.")
    else:
        messages.warning(request, "That message is no longer waiting for a retry.")
    return redirect("backoffice:delivery-problems")
