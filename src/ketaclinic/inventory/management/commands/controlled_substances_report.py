"""Print the controlled-substances report as CSV: one row per location and lot.

    manage.py controlled_substances_report [--location SLUG] [--from YYYY-MM-DD] [--to YYYY-MM-DD]

Header: location,product,lot,received_mg,administered_mg,wasted_mg,balance_mg,discrepancy_mg
and on every row received_mg - administered_mg - wasted_mg == balance_mg: received
folds in transfers (in +, out −), returns to the supplier (−), disposals of expired
stock (−), count adjustments (±) and, with --from, the balance brought forward.
balance_mg is what the clinic holds: in the safe plus drawn and not yet accounted
for. discrepancy_mg sums count differences (found − expected) discovered in the
period. The run is written to the access log as an export.
"""

from __future__ import annotations

from datetime import date

from django.core.management.base import BaseCommand, CommandError

from ketaclinic.audit.domain.log import record
from ketaclinic.audit.models import Action
from ketaclinic.clinic.models import Location
from ketaclinic.inventory.domain.reports import report_rows, summary_csv
from ketaclinic.inventory.forms import FIRST_DAY, LAST_DAY


def _date(value: str, option: str) -> date:
    try:
        day = date.fromisoformat(value)
    except ValueError:
        raise CommandError(f"{option} must be a date like 2026-01-31, not {value!r}") from None
    if not FIRST_DAY <= day <= LAST_DAY:
        raise CommandError(f"{option} must be between {FIRST_DAY} and {LAST_DAY}.")
    return day


class Command(BaseCommand):
    help = "Print the controlled-substances report (CSV, one row per location and lot)."

    def add_arguments(self, parser):
        parser.add_argument("--location", help="Location slug (default: every location).")
        parser.add_argument("--from", dest="start", help="First day (YYYY-MM-DD), inclusive.")
        parser.add_argument("--to", dest="end", help="Last day (YYYY-MM-DD), inclusive.")

    def handle(self, *args, location=None, start=None, end=None, **options):
        where = None
        if location:
            where = Location.objects.filter(slug=location).first()
            if where is None:
                known = ", ".join(Location.objects.values_list("slug", flat=True)) or "none"
                raise CommandError(f"No location {location!r} (known: {known}).")
        first = _date(start, "--from") if start else None
        last = _date(end, "--to") if end else None
        if first and last and first > last:
            raise CommandError("--from must not be after --to.")
        record(
            Action.EXPORT,
            object_type="inventory.ledgerentry",
            detail={
                "command": "controlled_substances_report",
                "location": location or "",
                "from": start or "",
                "to": end or "",
            },
        )
        for chunk in summary_csv(report_rows(where, first, last)):
            self.stdout.write(chunk, ending="")
