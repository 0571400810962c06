"""Controlled-substance screens: a location's stock (lots, balances, expiry, count due,
draws awaiting accounting), receiving stock, drawing for a dose order and accounting
for the draw (given, wasted with a witness), returns, transfers and disposals (with a
witness), corrections, counts, discrepancies and their resolution, the DEA Form 106
draft, and the ledger (printable, and CSV).

Every view passes ``staff_view`` (rule check, access log, no-store). Writes go
through ``inventory.domain``; its refusals are shown beside the field they name, with
everything typed kept (passwords excepted)."""

from __future__ import annotations

from django.conf import settings
from django.contrib import messages
from django.http import HttpRequest, HttpResponse, StreamingHttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from ketaclinic.audit.models import Action
from ketaclinic.backoffice.access import staff_view
from ketaclinic.backoffice.forms_util import add_domain_error
from ketaclinic.clinic.models import Location
from ketaclinic.inventory import forms as inventory_forms
from ketaclinic.inventory.domain import counts, entries, queries, reports
from ketaclinic.inventory.domain.errors import InventoryError
from ketaclinic.inventory.models import (
    WITNESSED_KINDS,
    Count,
    Discrepancy,
    Kind,
    LedgerEntry,
    Lot,
    Registration,
)

TEMPLATES = "backoffice/inventory/"


# --- objects ------------------------------------------------------------------------------


def _location(request: HttpRequest, pk: int, **_kwargs) -> Location:
    return get_object_or_404(Location, pk=pk)


def _lot(request: HttpRequest, pk: int, **_kwargs) -> Lot:
    return get_object_or_404(Lot.objects.select_related("product", "location"), pk=pk)


def _draw(request: HttpRequest, pk: int, **_kwargs) -> LedgerEntry:
    return get_object_or_404(
        LedgerEntry.objects.select_related(
            "lot__product", "lot__location", "patient", "order__course", "by"
        ),
        pk=pk,
        kind=Kind.DRAW,
    )


def _entry(request: HttpRequest, pk: int, **_kwargs) -> LedgerEntry:
    return get_object_or_404(
        LedgerEntry.objects.select_related(
            "lot__product", "lot__location", "patient", "by", "witness", "corrects"
        ),
        pk=pk,
    )


def _count(request: HttpRequest, pk: int, **_kwargs) -> Count:
    return get_object_or_404(Count.objects.select_related("location", "counted_by"), pk=pk)


def _discrepancy(request: HttpRequest, pk: int, **_kwargs) -> Discrepancy:
    return get_object_or_404(
        Discrepancy.objects.select_related(
            "lot__product",
            "location",
            "line__count__counted_by",
            "resolved_by",
            "details_by",
            "adjustment",
        ),
        pk=pk,
    )


def _visible_locations(user):
    locations = Location.objects.filter(is_active=True).order_by("order", "name")
    if user.has_role("medical_director"):
        return locations
    return locations.filter(pk__in=user.location_ids)


# --- a location's stock -------------------------------------------------------------------


@require_GET
@staff_view("inventory.view_inventory", audit_object_type="clinic.location")
def inventory_index(request: HttpRequest) -> HttpResponse:
    locations = list(_visible_locations(request.user))
    if len(locations) == 1:
        return redirect("backoffice:inventory-location", pk=locations[0].pk)
    return render(request, TEMPLATES + "index.html", {"locations": locations})


@require_GET
@staff_view("inventory.view_inventory", get_object=_location)
def location_home(request: HttpRequest, pk: int, obj: Location) -> HttpResponse:
    user = request.user
    now = timezone.now()
    context = {
        "location": obj,
        "rows": queries.lot_rows(obj, timezone.localdate(now)),
        "open_draws": queries.unaccounted_draws(location=obj),
        "status": counts.count_status(obj, now),
        "open_discrepancies": counts.open_discrepancies(obj).count(),
        "registration": Registration.objects.filter(location=obj).first(),
        "today": timezone.localdate(now),
        "warning_days": settings.INVENTORY_EXPIRY_WARNING_DAYS,
        "can_record": user.has_perm("inventory.record", obj),
        "can_resolve": user.has_perm("inventory.resolve_discrepancy", obj),
    }
    return render(request, TEMPLATES + "location.html", context)


@require_http_methods(["GET", "POST"])
@staff_view("inventory.record", get_object=_location)
def receive(request: HttpRequest, pk: int, obj: Location) -> HttpResponse:
    form = inventory_forms.ReceiptForm(request.POST or None)
    status = 200
    if request.method == "POST":
        status = 400
        if form.is_valid():
            data = form.cleaned_data
            try:
                entry = entries.record_receipt(
                    obj,
                    product=data["product"],
                    lot_number=data["lot_number"],
                    ndc=data["ndc"] or None,
                    expires_on=data["expires_on"],
                    units=data["units"],
                    supplier=data["supplier"],
                    occurred_at=data["occurred_at"],
                    reason=data["reason"],
                    by=request.user,
                )
            except InventoryError as exc:
                add_domain_error(form, exc)
            else:
                messages.success(
                    request,
                    f"Received {entry.units} × {entry.lot.product.name}, lot "
                    f"{entry.lot.lot_number}: {entry.quantity_mg.normalize():f} mg.",
                )
                return redirect("backoffice:inventory-location", pk=obj.pk)
    return render(
        request, TEMPLATES + "receive.html", {"location": obj, "form": form}, status=status
    )


# --- draws --------------------------------------------------------------------------------


@require_http_methods(["GET", "POST"])
@staff_view("inventory.record", get_object=_location)
def draw_new(request: HttpRequest, pk: int, obj: Location) -> HttpResponse:
    form = inventory_forms.DrawForm(request.POST or None, location=obj)
    status = 200
    if request.method == "POST":
        status = 400
        if form.is_valid():
            data = form.cleaned_data
            try:
                draw = entries.record_draw(
                    data["lot"],
                    mg=data["mg"],
                    units=data["units"],
                    order=data["order"],
                    occurred_at=data["occurred_at"],
                    by=request.user,
                )
            except InventoryError as exc:
                add_domain_error(form, exc)
            else:
                messages.success(
                    request,
                    f"Drawn: {draw.quantity_mg.normalize():f} mg. Record what is given and "
                    "what is wasted.",
                )
                return redirect("backoffice:inventory-draw", pk=draw.pk)
    return render(
        request, TEMPLATES + "draw_new.html", {"location": obj, "form": form}, status=status
    )


def _draw_context(request, draw, **overrides) -> dict:
    state = queries.draw_state(draw)
    lot = draw.lot
    left = f"{state.outstanding_mg.normalize():f}" if state.outstanding_mg > 0 else None
    context = {
        "draw": draw,
        "state": state,
        "lot": lot,
        "location": lot.location,
        "uses": draw.uses.select_related("by", "witness").order_by("occurred_at", "pk"),
        "corrections": draw.corrections.select_related("by").order_by("occurred_at", "pk"),
        "can_record": request.user.has_perm("inventory.record", draw),
        "administration_form": inventory_forms.AdministrationForm(initial={"mg": left}),
        "waste_form": inventory_forms.WasteForm(
            location_id=lot.location_id, user=request.user, initial={"mg": left}
        ),
    }
    context.update(overrides)
    return context


@require_GET
@staff_view("inventory.view_inventory", get_object=_draw)
def draw_detail(request: HttpRequest, pk: int, obj: LedgerEntry) -> HttpResponse:
    return render(request, TEMPLATES + "draw.html", _draw_context(request, obj))


@require_POST
@staff_view("inventory.record", get_object=_draw)
def administer(request: HttpRequest, pk: int, obj: LedgerEntry) -> HttpResponse:
    form = inventory_forms.AdministrationForm(request.POST)
    if form.is_valid():
        try:
            entries.record_administration(
                obj,
                mg=form.cleaned_data["mg"],
                occurred_at=form.cleaned_data["occurred_at"],
                by=request.user,
            )
        except InventoryError as exc:
            add_domain_error(form, exc)
        else:
            messages.success(request, "Administration recorded.")
            return redirect("backoffice:inventory-draw", pk=obj.pk)
    context = _draw_context(request, obj, administration_form=form)
    return render(request, TEMPLATES + "draw.html", context, status=400)


@require_POST
@staff_view("inventory.record", get_object=_draw)
def waste(request: HttpRequest, pk: int, obj: LedgerEntry) -> HttpResponse:
    form = inventory_forms.WasteForm(
        request.POST, location_id=obj.lot.location_id, user=request.user
    )
    if form.is_valid():
        data = form.cleaned_data
        try:
            entries.record_waste(
                obj,
                mg=data["mg"],
                witness=data["witness"],
                reason=data["reason"],
                occurred_at=data["occurred_at"],
                by=request.user,
            )
        except InventoryError as exc:
            add_domain_error(form, exc)
        else:
            messages.success(request, f"Waste recorded, witnessed by {data['witness']}.")
            return redirect("backoffice:inventory-draw", pk=obj.pk)
    context = _draw_context(request, obj, waste_form=form)
    return render(request, TEMPLATES + "draw.html", context, status=400)


# --- returns, transfers, disposals --------------------------------------------------------

MOVEMENTS = {
    "return": (
        inventory_forms.ReturnForm,
        "Return to the supplier",
        "Return recorded.",
    ),
    "transfer": (
        inventory_forms.TransferForm,
        "Transfer to another location",
        "Transfer recorded at both locations.",
    ),
    "dispose": (
        inventory_forms.DisposalForm,
        "Dispose of expired or damaged stock",
        "Disposal recorded.",
    ),
}


def _record_movement(kind: str, lot: Lot, data: dict, user) -> None:
    common = {
        "mg": data["mg"],
        "units": data["units"],
        "witness": data["witness"],
        "reason": data["reason"],
        "occurred_at": data["occurred_at"],
        "by": user,
    }
    if kind == "return":
        entries.record_return(lot, supplier=data["supplier"], **common)
    elif kind == "transfer":
        entries.transfer(lot, to_location=data["to_location"], **common)
    else:
        entries.record_disposal(lot, **common)


def _movement(request: HttpRequest, lot: Lot, kind: str) -> HttpResponse:
    form_class, title, done = MOVEMENTS[kind]
    form = form_class(request.POST or None, location_id=lot.location_id, user=request.user)
    status = 200
    if request.method == "POST":
        status = 400
        if form.is_valid():
            try:
                _record_movement(kind, lot, form.cleaned_data, request.user)
            except InventoryError as exc:
                add_domain_error(form, exc)
            else:
                messages.success(request, done)
                return redirect("backoffice:inventory-location", pk=lot.location_id)
    context = {
        "lot": lot,
        "location": lot.location,
        "form": form,
        "title": title,
        "kind": kind,
        "expired": lot.is_expired(),
    }
    return render(request, TEMPLATES + "movement.html", context, status=status)


@require_http_methods(["GET", "POST"])
@staff_view("inventory.record", get_object=_lot)
def lot_return(request: HttpRequest, pk: int, obj: Lot) -> HttpResponse:
    return _movement(request, obj, "return")


@require_http_methods(["GET", "POST"])
@staff_view("inventory.record", get_object=_lot)
def lot_transfer(request: HttpRequest, pk: int, obj: Lot) -> HttpResponse:
    return _movement(request, obj, "transfer")


@require_http_methods(["GET", "POST"])
@staff_view("inventory.record", get_object=_lot)
def lot_dispose(request: HttpRequest, pk: int, obj: Lot) -> HttpResponse:
    return _movement(request, obj, "dispose")


# --- corrections --------------------------------------------------------------------------


def _root_kind(entry: LedgerEntry) -> str:
    while entry.kind == Kind.CORRECTION:
        entry = entry.corrects
    return entry.kind


@require_http_methods(["GET", "POST"])
@staff_view("inventory.record", get_object=_entry)
def correct(request: HttpRequest, pk: int, obj: LedgerEntry) -> HttpResponse:
    witnessed = _root_kind(obj) in WITNESSED_KINDS
    form = inventory_forms.CorrectionForm(
        request.POST or None,
        location_id=obj.lot.location_id,
        user=request.user,
        witnessed=witnessed,
    )
    status = 200
    if request.method == "POST":
        status = 400
        if form.is_valid():
            data = form.cleaned_data
            try:
                entries.record_correction(
                    obj,
                    delta_mg=data["delta_mg"],
                    reason=data["reason"],
                    witness=data["witness"],
                    by=request.user,
                )
            except InventoryError as exc:
                add_domain_error(form, exc)
            else:
                messages.success(request, "Correction recorded; the entry itself is unchanged.")
                ledger_url = reverse("backoffice:inventory-ledger", args=[obj.lot.location_id])
                return redirect(f"{ledger_url}?lot={obj.lot_id}#entry-{obj.pk}")
    context = {
        "entry": obj,
        "lot": obj.lot,
        "location": obj.lot.location,
        "form": form,
        "witnessed": witnessed,
    }
    return render(request, TEMPLATES + "correct.html", context, status=status)


# --- counts -------------------------------------------------------------------------------


@require_http_methods(["GET", "POST"])
@staff_view("inventory.record", get_object=_location)
def count_new(request: HttpRequest, pk: int, obj: Location) -> HttpResponse:
    lots = counts.lots_to_count(obj)
    status_now = counts.count_status(obj)
    initial_kind = "initial" if status_now.initial_missing else counts.default_kind()
    form = inventory_forms.CountForm(
        request.POST or None, lots=lots, initial={"kind": initial_kind}
    )
    status = 200
    if request.method == "POST":
        status = 400
        if form.is_valid():
            try:
                count = counts.record_count(
                    obj,
                    kind=form.cleaned_data["kind"],
                    counted_by=request.user,
                    found=form.found(),
                    note=form.cleaned_data["note"],
                )
            except InventoryError as exc:
                add_domain_error(form, exc)
            else:
                opened = Discrepancy.objects.filter(line__count=count).count()
                if opened:
                    messages.warning(
                        request,
                        f"Count recorded. {opened} lot{'s' if opened > 1 else ''} differ"
                        f"{'' if opened > 1 else 's'} from the ledger: a prescriber or the "
                        "medical director must resolve each discrepancy.",
                    )
                else:
                    messages.success(request, "Count recorded: everything matches the ledger.")
                return redirect("backoffice:inventory-count", pk=count.pk)
    context = {"location": obj, "form": form, "status": status_now}
    return render(request, TEMPLATES + "count_new.html", context, status=status)


@require_GET
@staff_view("inventory.view_inventory", get_object=_count)
def count_detail(request: HttpRequest, pk: int, obj: Count) -> HttpResponse:
    lines = obj.lines.select_related("lot__product", "discrepancy").order_by(
        "lot__product__name", "lot__lot_number"
    )
    return render(
        request,
        TEMPLATES + "count.html",
        {"count": obj, "location": obj.location, "lines": lines},
    )


# --- discrepancies ------------------------------------------------------------------------


@require_GET
@staff_view("inventory.view_inventory", get_object=_location)
def discrepancy_list(request: HttpRequest, pk: int, obj: Location) -> HttpResponse:
    items = (
        Discrepancy.objects.filter(location=obj)
        .select_related("lot__product", "resolved_by", "line__count")
        .order_by("resolved_at", "-discovered_at")
    )
    return render(
        request,
        TEMPLATES + "discrepancies.html",
        {
            "location": obj,
            "open": [item for item in items if item.is_open],
            "resolved": [item for item in items if not item.is_open],
        },
    )


def _discrepancy_context(request, discrepancy, **overrides) -> dict:
    unexplained = counts.unexplained_mg(discrepancy)
    context = {
        "discrepancy": discrepancy,
        "location": discrepancy.location,
        "lot": discrepancy.lot,
        "unexplained": unexplained,
        "loss": counts.loss_mg(discrepancy, unexplained),
        "needs_106": counts.needs_form_106(discrepancy, unexplained),
        "threshold": settings.INVENTORY_SIGNIFICANT_LOSS_MG,
        "can_resolve": discrepancy.is_open
        and request.user.has_perm("inventory.resolve_discrepancy", discrepancy),
        "loss_form": inventory_forms.LossDetailsForm(
            initial={
                "theft_suspected": discrepancy.theft_suspected,
                "loss_type": discrepancy.loss_type,
                "loss_details": discrepancy.loss_details,
                "police_notified": discrepancy.police_notified,
                "police_details": discrepancy.police_details,
            }
        ),
        "resolve_form": inventory_forms.ResolveForm(),
        "can_see_106": request.user.has_perm("inventory.resolve_discrepancy", discrepancy),
    }
    context.update(overrides)
    return context


@require_GET
@staff_view("inventory.view_inventory", get_object=_discrepancy)
def discrepancy_detail(request: HttpRequest, pk: int, obj: Discrepancy) -> HttpResponse:
    return render(request, TEMPLATES + "discrepancy.html", _discrepancy_context(request, obj))


@require_POST
@staff_view("inventory.resolve_discrepancy", get_object=_discrepancy)
def discrepancy_loss(request: HttpRequest, pk: int, obj: Discrepancy) -> HttpResponse:
    form = inventory_forms.LossDetailsForm(request.POST)
    if form.is_valid():
        try:
            counts.record_loss_details(obj, by=request.user, **form.cleaned_data)
        except InventoryError as exc:
            add_domain_error(form, exc)
        else:
            messages.success(request, "Loss details saved.")
            return redirect("backoffice:inventory-discrepancy", pk=obj.pk)
    context = _discrepancy_context(request, obj, loss_form=form)
    return render(request, TEMPLATES + "discrepancy.html", context, status=400)


@require_POST
@staff_view("inventory.resolve_discrepancy", get_object=_discrepancy)
def discrepancy_resolve(request: HttpRequest, pk: int, obj: Discrepancy) -> HttpResponse:
    form = inventory_forms.ResolveForm(request.POST)
    if form.is_valid():
        try:
            counts.resolve_discrepancy(
                obj,
                by=request.user,
                outcome=form.cleaned_data["outcome"],
                explanation=form.cleaned_data["explanation"],
            )
        except InventoryError as exc:
            add_domain_error(form, exc)
        else:
            messages.success(request, "Discrepancy resolved.")
            return redirect("backoffice:inventory-discrepancy", pk=obj.pk)
    context = _discrepancy_context(request, obj, resolve_form=form)
    return render(request, TEMPLATES + "discrepancy.html", context, status=400)


@require_GET
@staff_view("inventory.resolve_discrepancy", get_object=_discrepancy)
def form_106(request: HttpRequest, pk: int, obj: Discrepancy) -> HttpResponse:
    draft = counts.form_106(obj)
    return render(
        request,
        TEMPLATES + "form_106.html",
        {"draft": draft, "discrepancy": obj, "location": obj.location},
    )


# --- the ledger ---------------------------------------------------------------------------


def _ledger_filter(request, location):
    form = inventory_forms.LedgerFilterForm(request.GET or None, location=location)
    if request.GET and form.is_valid():
        data = form.cleaned_data
        return form, data["lot"], data["start"], data["end"]
    return form, None, None, None


@require_GET
@staff_view("inventory.view_inventory", get_object=_location)
def ledger(request: HttpRequest, pk: int, obj: Location) -> HttpResponse:
    form, lot, start, end = _ledger_filter(request, obj)
    status = 400 if request.GET and not form.is_valid() else 200
    ledgers = reports.lot_ledgers(obj, lot=lot, start=start, end=end)
    context = {
        "location": obj,
        "form": form,
        "ledgers": ledgers,
        "start": start,
        "end": end,
        "lot": lot,
        "printed_at": timezone.now(),
        "query": request.GET.urlencode(),
        "registration": Registration.objects.filter(location=obj).first(),
        "can_record": request.user.has_perm("inventory.record", obj),
    }
    return render(request, TEMPLATES + "ledger.html", context, status=status)


@require_GET
@staff_view("inventory.view_inventory", get_object=_location, audit_action=Action.EXPORT)
def ledger_csv(request: HttpRequest, pk: int, obj: Location) -> HttpResponse:
    form, lot, start, end = _ledger_filter(request, obj)
    if request.GET and not form.is_valid():
        return HttpResponse(
            "The period or lot is not valid: go back to the ledger page and check the filter.",
            status=400,
            content_type="text/plain; charset=utf-8",
        )
    ledgers = reports.lot_ledgers(obj, lot=lot, start=start, end=end)
    response = StreamingHttpResponse(
        reports.ledger_csv(ledgers), content_type="text/csv; charset=utf-8"
    )
    stamp = timezone.localtime().strftime("%Y%m%d-%H%M%S")
    response["Content-Disposition"] = (
        f'attachment; filename="controlled-substances-{obj.slug}-{stamp}.csv"'
    )
    return response
