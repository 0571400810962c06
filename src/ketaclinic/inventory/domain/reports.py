"""Reports of the ledger: the per-lot summary (``manage.py controlled_substances_report``
and the top of the ledger page) and the entry-by-entry ledger of each lot for a period
(the printable page and its CSV).

A period runs from the start of ``start`` to the end of ``end`` (local dates, either
may be open) by when each entry *happened* (``occurred_at``). For a period with a
start, ``received_mg`` begins with the balance brought forward, so that
``received_mg - administered_mg - wasted_mg == balance_mg`` still holds (see
``inventory.ledger``). ``discrepancy_mg`` sums (found − expected) of the count
discrepancies discovered in the period, resolved or not.
"""

from __future__ import annotations

import csv
import io
from collections import defaultdict
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from decimal import Decimal

from django.db.models import Sum
from django.utils import timezone

from ketaclinic.inventory import ledger
from ketaclinic.inventory.models import Discrepancy, LedgerEntry, Lot


def bounds(start: date | None, end: date | None) -> tuple[datetime | None, datetime | None]:
    """The period as aware datetimes: [start 00:00, the day after end 00:00)."""
    tz = timezone.get_current_timezone()
    low = datetime.combine(start, time.min, tzinfo=tz) if start else None
    high = datetime.combine(end + timedelta(days=1), time.min, tzinfo=tz) if end else None
    return low, high


def _lots(location=None, lot=None):
    lots = Lot.objects.select_related("location", "product")
    if location is not None:
        lots = lots.filter(location=location)
    if lot is not None:
        lots = lots.filter(pk=lot.pk)
    return lots.order_by("location__order", "location__name", "product__name", "lot_number", "pk")


def _entries(lot_ids, high, *, related: bool = False):
    rows = LedgerEntry.objects.filter(lot_id__in=lot_ids)
    if high is not None:
        rows = rows.filter(occurred_at__lt=high)
    if related:
        rows = rows.select_related(
            "by", "witness", "patient", "counterpart_location", "corrects", "draw"
        )
    return list(rows.order_by("occurred_at", "pk"))


def _discrepancies(lot_ids, low, high) -> dict[int, Decimal]:
    rows = Discrepancy.objects.filter(lot_id__in=lot_ids)
    if low is not None:
        rows = rows.filter(discovered_at__gte=low)
    if high is not None:
        rows = rows.filter(discovered_at__lt=high)
    return {
        row["lot_id"]: row["total"]
        for row in rows.values("lot_id").annotate(total=Sum("difference_mg"))
    }


def _split(rows: list[LedgerEntry], low) -> tuple[list[ledger.Entry], list[ledger.Entry]]:
    before, during = [], []
    for row in rows:
        (before if low is not None and row.occurred_at < low else during).append(
            row.as_ledger_entry()
        )
    return before, during


def report_rows(
    location=None, start: date | None = None, end: date | None = None
) -> list[ledger.ReportRow]:
    """One row per location and lot (every lot that has existed by the end)."""
    low, high = bounds(start, end)
    lots = list(_lots(location))
    lot_ids = [lot.pk for lot in lots]
    rows = _entries(lot_ids, high)
    before, during = _split(rows, low)
    lookup = {entry.id: entry for entry in before + during}
    opening = ledger.totals(before, lookup=lookup)
    period = ledger.totals(during, lookup=lookup)
    differences = _discrepancies(lot_ids, low, high)
    return [
        ledger.report_row(
            location=lot.location.name,
            product=lot.product.name,
            lot=lot.lot_number,
            opening=opening.get(lot.pk, ledger.LotTotals()) if low is not None else None,
            period=period.get(lot.pk, ledger.LotTotals()),
            discrepancy_mg=differences.get(lot.pk, ledger.ZERO),
        )
        for lot in lots
    ]


# --- the ledger of each lot ---------------------------------------------------------------


@dataclass(frozen=True)
class LedgerLine:
    entry: LedgerEntry
    stock_mg: Decimal
    outstanding_mg: Decimal

    @property
    def balance_mg(self) -> Decimal:
        return self.stock_mg + self.outstanding_mg


@dataclass(frozen=True)
class LotLedger:
    lot: Lot
    opening: ledger.LotTotals
    lines: list[LedgerLine]
    row: ledger.ReportRow


def lot_ledgers(
    location, *, lot=None, start: date | None = None, end: date | None = None
) -> list[LotLedger]:
    """Each lot's entries in the period with the running balance after each (three
    queries whatever the number of lots and entries)."""
    low, high = bounds(start, end)
    lots = list(_lots(location, lot))
    lot_ids = [item.pk for item in lots]
    rows = _entries(lot_ids, high, related=True)
    before, during = _split(rows, low)
    lookup = {entry.id: entry for entry in before + during}
    opening = ledger.totals(before, lookup=lookup)
    steps = ledger.replay(during, opening=opening, lookup=lookup)
    by_id = {row.pk: row for row in rows}
    lines: dict[int, list[LedgerLine]] = defaultdict(list)
    for step in steps:
        lines[step.entry.lot].append(
            LedgerLine(by_id[step.entry.id], step.stock_mg, step.outstanding_mg)
        )
    period = ledger.totals(during, lookup=lookup)
    differences = _discrepancies(lot_ids, low, high)
    result = []
    for item in lots:
        start_totals = opening.get(item.pk, ledger.LotTotals())
        if not lines.get(item.pk) and start_totals == ledger.LotTotals():
            continue  # nothing held and nothing happened in the period
        result.append(
            LotLedger(
                lot=item,
                opening=start_totals,
                lines=lines.get(item.pk, []),
                row=ledger.report_row(
                    location=item.location.name,
                    product=item.product.name,
                    lot=item.lot_number,
                    opening=start_totals if low is not None else None,
                    period=period.get(item.pk, ledger.LotTotals()),
                    discrepancy_mg=differences.get(item.pk, ledger.ZERO),
                ),
            )
        )
    return result


# --- CSV ----------------------------------------------------------------------------------


def safe_cell(value: object) -> object:
    """Neutralise spreadsheet formulas (CSV injection) in text typed by people; numbers
    pass as they are (a negative quantity is not a formula)."""
    if isinstance(value, str) and value[:1] in ("=", "+", "-", "@", "\t", "\r"):
        return "'" + value
    return value


def csv_text(header: Iterable[str], rows: Iterable[Iterable[object]]) -> Iterator[str]:
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(header)
    yield buffer.getvalue()
    for row in rows:
        buffer.seek(0)
        buffer.truncate()
        writer.writerow([safe_cell(value) for value in row])
        yield buffer.getvalue()


def summary_csv(rows: list[ledger.ReportRow]) -> Iterator[str]:
    return csv_text(ledger.ReportRow.HEADER, (row.values() for row in rows))


LEDGER_HEADER = (
    "location",
    "product",
    "ndc",
    "lot",
    "expires_on",
    "entry_id",
    "kind",
    "occurred_at",
    "entered_at",
    "quantity_mg",
    "units",
    "in_safe_after_mg",
    "drawn_unaccounted_after_mg",
    "balance_after_mg",
    "by",
    "witness",
    "patient_id",
    "patient",
    "order_id",
    "draw_id",
    "corrects_id",
    "other_location",
    "supplier",
    "reason",
)


def _iso(moment: datetime) -> str:
    return timezone.localtime(moment).isoformat(timespec="seconds")


def ledger_csv(ledgers: list[LotLedger]) -> Iterator[str]:
    def rows():
        for item in ledgers:
            lot = item.lot
            for line in item.lines:
                entry = line.entry
                yield (
                    lot.location.name,
                    lot.product.name,
                    lot.ndc,
                    lot.lot_number,
                    lot.expires_on.isoformat(),
                    entry.pk,
                    entry.kind,
                    _iso(entry.occurred_at),
                    _iso(entry.entered_at),
                    entry.quantity_mg,
                    entry.units if entry.units is not None else "",
                    line.stock_mg,
                    line.outstanding_mg,
                    line.balance_mg,
                    str(entry.by),
                    str(entry.witness) if entry.witness_id else "",
                    entry.patient_id or "",
                    entry.patient.legal_name if entry.patient_id else "",
                    entry.order_id or "",
                    entry.draw_id or "",
                    entry.corrects_id or "",
                    entry.counterpart_location.name if entry.counterpart_location_id else "",
                    entry.supplier,
                    entry.reason,
                )

    return csv_text(LEDGER_HEADER, rows())
