"""Break the glass: request emergency access to one record; the director's review queue."""

from __future__ import annotations

from django import forms
from django.contrib import messages
from django.db import transaction
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.views.decorators.http import require_http_methods, require_POST

from ketaclinic.accounts.domain.emergency import (
    REASON_MAX_LENGTH,
    EmergencyAccessError,
    grant_emergency_access,
    review_emergency_access,
    review_queue,
)
from ketaclinic.audit.domain.log import record
from ketaclinic.audit.models import Action
from ketaclinic.backoffice.access import staff_view
from ketaclinic.backoffice.emergency import KINDS

QUEUE_SIZE = 100


class ReasonForm(forms.Form):
    reason = forms.CharField(
        label="Why do you need this record now?",
        widget=forms.Textarea(attrs={"rows": 4}),
        max_length=REASON_MAX_LENGTH,
        help_text="Your reason, your name and every page you open are recorded and reviewed "
        "by the medical director.",
    )


class ReviewForm(forms.Form):
    note = forms.CharField(label="Review note", max_length=2000, widget=forms.TextInput)


def _target(request: HttpRequest, kind: str, pk: int, **_kwargs):
    if kind not in KINDS:
        raise Http404("No such kind of record.")
    return get_object_or_404(KINDS[kind].model, pk=pk)


@require_http_methods(["GET", "POST"])
@staff_view("accounts.break_glass", get_object=_target)
def emergency_request(request: HttpRequest, kind: str, pk: int, obj) -> HttpResponse:
    spec = KINDS[kind]
    if request.user.has_perm(spec.view_permission, obj):
        return redirect(spec.url_name, pk=obj.pk)
    form = ReasonForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            with transaction.atomic():
                grant = grant_emergency_access(
                    request.user, obj, reason=form.cleaned_data["reason"]
                )
                if not request.user.has_perm(spec.view_permission, obj):
                    raise EmergencyAccessError(
                        f"Your role cannot open {spec.label} even in an emergency."
                    )
                record(
                    Action.EMERGENCY_ACCESS,
                    request=request,
                    obj=obj,
                    detail={"reason": grant.reason, "until": grant.expires_at.isoformat()},
                )
        except EmergencyAccessError as exc:
            form.add_error("reason", str(exc))
        else:
            messages.warning(
                request,
                f"Emergency access granted until {timezone.localtime(grant.expires_at):%H:%M}. "
                "Every page you open is recorded and will be reviewed.",
            )
            return redirect(spec.url_name, pk=obj.pk)
    status = 400 if form.errors else 200
    return render(
        request,
        "backoffice/emergency_request.html",
        {"form": form, "kind": spec, "obj": obj},
        status=status,
    )


@require_http_methods(["GET"])
@staff_view("accounts.review_emergency_access", audit_object_type="accounts.emergencyaccess")
def emergency_queue(request: HttpRequest) -> HttpResponse:
    grants = list(review_queue()[:QUEUE_SIZE])
    return render(
        request,
        "backoffice/emergency_queue.html",
        {
            "grants": grants,
            "form": ReviewForm(),
            "unreviewed": sum(1 for g in grants if not g.reviewed_at),
        },
    )


@require_POST
@staff_view("accounts.review_emergency_access", audit_object_type="accounts.emergencyaccess")
def emergency_review(request: HttpRequest, pk: int) -> HttpResponse:
    form = ReviewForm(request.POST)
    if not form.is_valid():
        messages.error(request, "Write a review note before marking it reviewed.")
        return redirect("backoffice:emergency-queue")
    try:
        review_emergency_access(pk, reviewer=request.user, note=form.cleaned_data["note"])
    except EmergencyAccessError as exc:
        messages.error(request, str(exc))
    else:
        messages.success(request, "Marked as reviewed.")
    return redirect("backoffice:emergency-queue")
