"""Print the Spravato REMS Patient Monitoring Form of esketamine sessions.

manage.py rems_form --all --csv        one CSV row per esketamine session
manage.py rems_form --session 12       one session's form, field by field
"""

from __future__ import annotations

import csv

from django.core.management.base import BaseCommand, CommandError

from ketaclinic.sessions.domain import rems_export
from ketaclinic.sessions.domain.rems_form import esketamine_sessions, fill


class Command(BaseCommand):
    help = "Print the Spravato REMS monitoring form of esketamine sessions (text or CSV)."

    def add_arguments(self, parser):
        which = parser.add_mutually_exclusive_group(required=True)
        which.add_argument("--all", action="store_true", help="every esketamine session")
        which.add_argument("--session", type=int, help="one session, by its id")
        parser.add_argument("--csv", action="store_true", help="CSV with a header row")

    def handle(self, *args, **options):
        chosen = esketamine_sessions()
        if options["session"] is not None:
            chosen = chosen.filter(pk=options["session"])
            if not chosen.exists():
                raise CommandError(
                    f"No esketamine session with id {options['session']} has been dosed."
                )
        if options["csv"]:
            writer = csv.writer(self.stdout, lineterminator="\n")
            writer.writerow(rems_export.header())
            for row in rems_export.rows(chosen):
                writer.writerow(row)
            return
        for session in chosen:
            filled = fill(session)
            self.stdout.write(f"Session {session.pk} ({filled.form.title}, v{filled.form.version})")
            for item in filled.form.fields:
                value = filled.values[item.name]
                shown = "" if value is None else value
                self.stdout.write(f"  {item.label}: {shown}")
            if filled.missing:
                self.stdout.write("  Missing: " + "; ".join(filled.missing_labels))
            for problem in filled.problems:
                self.stdout.write("  Problem: " + problem)
