"""Seal pending access-log entries now (the "audit-seal" schedule does it every minute)."""

from __future__ import annotations

from django.core.management.base import BaseCommand

from ketaclinic.audit.domain.sealer import current_head, seal_pending


class Command(BaseCommand):
    help = "Seal the access-log entries written since the last run and export the head."

    def handle(self, *args, **options):
        sealed = seal_pending()
        head = current_head()
        where = f"head is seal {head.seq} ({head.hash})" if head else "nothing is sealed yet"
        self.stdout.write(f"Sealed {sealed} entr{'y' if sealed == 1 else 'ies'}; {where}.")
