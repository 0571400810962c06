"""Team screens for administrators: staff list, invite, re-send, disable, enable."""

from __future__ import annotations

from allauth.mfa.models import Authenticator
from django.conf import settings
from django.contrib import messages
from django.db.models import Exists, OuterRef, Subquery
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from ketaclinic.accounts.domain.invitations import (
    InvitationError,
    invite_staff,
    resend_invitation,
)
from ketaclinic.accounts.domain.staff import StaffError, disable_staff, enable_staff
from ketaclinic.accounts.forms import InviteForm
from ketaclinic.accounts.models import Invitation, User
from ketaclinic.accounts.roles import Role
from ketaclinic.backoffice.access import staff_view


def _team_queryset():
    open_invitations = Invitation.objects.filter(
        user=OuterRef("pk"), accepted_at__isnull=True, revoked_at__isnull=True
    ).order_by("-created_at")
    return (
        User.objects.annotate(
            has_totp=Exists(
                Authenticator.objects.filter(user=OuterRef("pk"), type=Authenticator.Type.TOTP)
            ),
            invitation_expires_at=Subquery(open_invitations.values("expires_at")[:1]),
        )
        .prefetch_related("groups", "locations")
        .order_by("-is_active", "first_name", "last_name", "email")
    )


def _role_labels(member: User) -> list[str]:
    names = sorted(group.name for group in member.groups.all())
    return [Role(name).label if name in Role.values else name for name in names]


def _status(user, now) -> tuple[str, str]:
    """(code, label) of an account for the list."""
    if user.is_active:
        return "active", "Active"
    if not user.has_usable_password():
        expires = user.invitation_expires_at
        if expires and expires > now:
            return "invited", "Invited"
        if expires:
            return "expired", "Invitation expired"
    return "disabled", "Disabled"


@require_GET
@staff_view("accounts.manage_staff", audit_object_type="accounts.user")
def team(request: HttpRequest) -> HttpResponse:
    now = timezone.now()
    rows = []
    for member in _team_queryset():
        code, label = _status(member, now)
        rows.append(
            {
                "user": member,
                "roles": _role_labels(member),
                "locations": [location.name for location in member.locations.all()],
                "status": code,
                "status_label": label,
                "can_resend": not member.has_usable_password(),
                "can_disable": code != "disabled" and member.pk != request.user.pk,
                "can_enable": code == "disabled" and member.has_usable_password(),
            }
        )
    return render(request, "backoffice/team.html", {"rows": rows})


@require_http_methods(["GET", "POST"])
@staff_view("accounts.manage_staff", audit_object_type="accounts.user")
def team_invite(request: HttpRequest) -> HttpResponse:
    form = InviteForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            invited = invite_staff(
                email=data["email"],
                first_name=data["first_name"],
                last_name=data["last_name"],
                roles=data["roles"],
                locations=data["locations"],
                actor=request.user,
                request=request,
            )
        except InvitationError as exc:
            form.add_error("email", str(exc))
        else:
            messages.success(
                request,
                f"Invitation sent to {invited.invitation.user.email}. "
                "The link works once and expires after "
                f"{_hours(invited.invitation)} hours.",
            )
            return redirect("backoffice:team")
    status = 400 if request.method == "POST" else 200
    context = {"form": form, "invitation_hours": settings.STAFF_INVITATION_HOURS}
    return render(request, "backoffice/team_invite.html", context, status=status)


def _hours(invitation: Invitation) -> int:
    return round((invitation.expires_at - invitation.created_at).total_seconds() / 3600)


def _member(pk: int) -> User:
    return get_object_or_404(User, pk=pk)


@require_POST
@staff_view("accounts.manage_staff", audit_object_type="accounts.user")
def team_resend(request: HttpRequest, pk: int) -> HttpResponse:
    member = _member(pk)
    try:
        resend_invitation(member, actor=request.user, request=request)
    except InvitationError as exc:
        messages.error(request, str(exc))
    else:
        messages.success(request, f"A new invitation was sent to {member.email}.")
    return redirect("backoffice:team")


@require_POST
@staff_view("accounts.manage_staff", audit_object_type="accounts.user")
def team_disable(request: HttpRequest, pk: int) -> HttpResponse:
    member = _member(pk)
    try:
        disable_staff(member, actor=request.user, request=request)
    except StaffError as exc:
        messages.error(request, str(exc))
    else:
        messages.success(request, f"{member} is disabled and signed out everywhere.")
    return redirect("backoffice:team")


@require_POST
@staff_view("accounts.manage_staff", audit_object_type="accounts.user")
def team_enable(request: HttpRequest, pk: int) -> HttpResponse:
    member = _member(pk)
    try:
        enable_staff(member, actor=request.user, request=request)
    except StaffError as exc:
        messages.error(request, str(exc))
    else:
        messages.success(request, f"{member} can sign in again.")
    return redirect("backoffice:team")
