from __future__ import annotations

import logging
import uuid

from django.db import DatabaseError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_http_methods
from django.views.generic import TemplateView

from ketaclinic.clientaddr import client_ip
from ketaclinic.clinic.context_processors import facts_for
from ketaclinic.inquiries.domain.submission import InquiryData, is_rate_limited, submit_inquiry
from ketaclinic.inquiries.models import Inquiry
from ketaclinic.website.forms import GetInTouchForm
from ketaclinic.website.pages import Page

log = logging.getLogger(__name__)


class PageView(TemplateView):
    page: Page | None = None

    def get_template_names(self) -> list[str]:
        return [f"website/pages/{self.page.template}"]

    def get_context_data(self, **kwargs):
        return super().get_context_data(page=self.page, **kwargs)


def locations(request: HttpRequest) -> HttpResponse:
    return render(request, "website/locations.html")


def _form(request: HttpRequest, data=None) -> GetInTouchForm:
    facts = facts_for(request)
    return GetInTouchForm(data, phone_region=facts.profile.phone_region, locations=facts.locations)


def _render_form(
    request: HttpRequest, form: GetInTouchForm, *, status: int = 200, problem: str = ""
):
    return render(
        request, "website/get_in_touch.html", {"form": form, "problem": problem}, status=status
    )


@require_http_methods(["GET", "POST"])
def get_in_touch(request: HttpRequest) -> HttpResponse:
    if request.method == "GET":
        return _render_form(request, _form(request))

    form = _form(request, request.POST)
    if form.is_spam:
        # Say nothing to the bot that it could learn from; save nothing.
        log.info("get-in-touch honeypot filled; submission dropped")
        return redirect("website:get-in-touch-thanks", key=uuid.uuid4())
    if not form.is_valid():
        return _render_form(request, form, status=400)
    if not form.cleaned_data.get("location"):
        return _render_form(
            request,
            form,
            status=503,
            problem="We could not load our clinic details just now. Your message is still here: "
            "please try sending it again in a few minutes, or call us.",
        )
    ip = client_ip(request)
    data = InquiryData(
        location=form.cleaned_data["location"],
        **{
            name: form.cleaned_data[name]
            for name in (
                "first_name",
                "last_name",
                "email",
                "phone",
                "message",
                "help_with",
                "preferred_contact_method",
                "preferred_contact_time",
            )
        },
    )
    try:
        if (
            is_rate_limited(ip)
            and not Inquiry.objects.filter(
                idempotency_key=form.cleaned_data["submission_key"]
            ).exists()
        ):
            return _render_form(
                request,
                form,
                status=429,
                problem="We have received several messages from your connection in a short time, "
                "so we paused new ones for a while. Your message is still here. Please try again "
                "later, or call us: the numbers are at the bottom of this page.",
            )
        facts = facts_for(request)  # read for the form: the emails need the profile too
        submission = submit_inquiry(
            data,
            idempotency_key=form.cleaned_data["submission_key"],
            client_ip=ip,
            profile=facts.profile if facts.available else None,
            crisis_resources=facts.stored_crisis_resources if facts.available else None,
        )
    except DatabaseError:
        log.exception("get-in-touch: database unavailable")
        return _render_form(
            request,
            form,
            status=503,
            problem="Sorry, we could not save your message just now because of a problem on our "
            "side. Nothing was sent. Your message is still here: please try again in a few "
            "minutes, or call us.",
        )
    return redirect("website:get-in-touch-thanks", key=submission.inquiry.idempotency_key)


def get_in_touch_thanks(request: HttpRequest, key: uuid.UUID) -> HttpResponse:
    # The key is unguessable and shows nothing personal: only whether to lead with
    # crisis resources. Unknown keys (honeypot) see the ordinary thank-you.
    try:
        urgent = Inquiry.objects.filter(idempotency_key=key, is_urgent=True).exists()
    except DatabaseError as exc:
        raise Http404 from exc
    return render(request, "website/get_in_touch_thanks.html", {"urgent": urgent})
