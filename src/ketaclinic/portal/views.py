"""The questionnaire a patient opens from their link (or staff open on a clinic tablet).

The link is the patient's identity: one patient, one questionnaire, one response. The
pages show nothing of the patient, are never cached (no-store) and log nothing about
the answers. Expired or used links answer 410, unknown or tampered ones 404: always a
calm page, never an error. Every page shows the crisis resources and says plainly that
answers are not watched in real time; after answers with suicidal ideation, the
crisis resources come first on the same page.
"""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils.cache import add_never_cache_headers, patch_cache_control
from django.views.decorators.http import require_http_methods

from ketaclinic.measures.domain import links
from ketaclinic.measures.domain.errors import Incomplete, LinkClosed
from ketaclinic.measures.domain.responses import save_partial, submit
from ketaclinic.measures.forms import InstrumentForm
from ketaclinic.measures.instruments import AnswerError, load
from ketaclinic.measures.models import Response

CLOSED_STATUS = {links.EXPIRED: 410, links.USED: 410, links.UNKNOWN: 404, links.TAMPERED: 404}


def _private(response: HttpResponse) -> HttpResponse:
    add_never_cache_headers(response)
    patch_cache_control(response, no_store=True, private=True)
    response["X-Robots-Tag"] = "noindex, nofollow"
    return response


def _closed(request: HttpRequest, reason: str) -> HttpResponse:
    return _private(
        render(request, "portal/closed.html", {"reason": reason}, status=CLOSED_STATUS[reason])
    )


@require_http_methods(["GET", "POST"])
def questionnaire(request: HttpRequest, token: str) -> HttpResponse:
    opened = links.open_link(token)
    if not opened.ok:
        return _closed(request, opened.reason)
    link = opened.link
    instrument = load(link.instrument_id)
    saved = False
    status = 200
    if request.method == "POST":
        form = InstrumentForm(request.POST, instrument=instrument)
        if not form.is_valid():
            status = 400
        else:
            answers = form.answers()
            try:
                if request.POST.get("action") == "save":
                    save_partial(link, answers)
                    saved = True
                else:
                    outcome = submit(link, answers)
                    return _private(
                        render(
                            request,
                            "portal/thanks.html",
                            {"crisis_first": outcome.shows_crisis, "instrument": instrument},
                        )
                    )
            except LinkClosed as closed:
                return _closed(request, closed.reason)
            except Incomplete as incomplete:
                save_partial(link, answers)
                saved = True
                form.add_item_errors(incomplete.errors)
                status = 400
            except AnswerError:
                form.add_error(None, "Some answers could not be read. Please check them.")
                status = 400
    else:
        draft = Response.objects.filter(link=link, submitted_at__isnull=True).first()
        form = InstrumentForm(
            instrument=instrument,
            initial=InstrumentForm.initial_from(draft.answers if draft else {}),
        )
    return _private(
        render(
            request,
            "portal/questionnaire.html",
            {"form": form, "instrument": instrument, "link": link, "saved": saved},
            status=status,
        )
    )
