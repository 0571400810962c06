"""Load the shipped protocols and standing orders (idempotent; never overwrites)."""

from django.core.management.base import BaseCommand

from ketaclinic.treatment.domain.protocols import load_shipped_protocols


class Command(BaseCommand):
    help = (
        "Add the shipped treatment protocols (CLINICAL.md §2–3) and rescue standing orders "
        "that the clinic does not have yet. Safe to run again; a protocol the clinic has "
        "revised is left as it is."
    )

    def handle(self, *args, **options):
        report = load_shipped_protocols()
        for slug in report.added:
            self.stdout.write(f"added protocol {slug}")
        for slug in report.standing_orders_added:
            self.stdout.write(f"added standing order {slug}")
        for slug in report.differs:
            self.stdout.write(
                self.style.WARNING(
                    f"kept the clinic's version of {slug}: it differs from the shipped one "
                    "(revise it on the protocols screen to adopt the shipped text)"
                )
            )
        self.stdout.write(
            self.style.SUCCESS(
                f"Protocols: {len(report.added)} added, {len(report.unchanged)} unchanged, "
                f"{len(report.differs)} kept as the clinic revised them."
            )
        )
