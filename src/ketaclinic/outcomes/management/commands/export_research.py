"""``manage.py export_research [--output FILE] [--location ID ...]``: the de-identified
cohort as CSV (HIPAA Safe Harbor; see ``outcomes.domain.exports``), on standard output
unless a file is named. Logged as an export in the access log (the command is the
actor's context) before anything is written."""

from __future__ import annotations

from django.core.management.base import BaseCommand, CommandError

from ketaclinic.clinic.models import Location
from ketaclinic.outcomes.domain.exports import log_command_export, write_research_csv


class Command(BaseCommand):
    help = "Write the de-identified outcome cohort as CSV (no names, dates or contacts)."

    def add_arguments(self, parser):
        parser.add_argument("--output", help="write to this file instead of standard output")
        parser.add_argument(
            "--location", type=int, action="append", help="only this location (repeatable)"
        )

    def handle(self, *args, output: str | None, location: list[int] | None, **options):
        if location:
            known = set(Location.objects.filter(pk__in=location).values_list("pk", flat=True))
            unknown = sorted(set(location) - known)
            if unknown:
                raise CommandError(f"No location with id {', '.join(map(str, unknown))}.")
        log_command_export(
            "export_research", detail={"locations": sorted(location) if location else "all"}
        )
        if output:
            with open(output, "w", newline="", encoding="utf-8") as handle:
                count = write_research_csv(handle, location_ids=location)
            self.stderr.write(f"{count} rows written to {output}.")
        else:
            write_research_csv(self.stdout, location_ids=location)
