"""``manage.py synth --patients N --seed S``: fill a migrated database with a synthetic
clinic network (docs/synthetic-network.md)."""

from __future__ import annotations

import shutil
import sys
import time
from datetime import date
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError
from django.db import connection
from django.utils import timezone

from ketaclinic.patients.models import Patient
from ketaclinic.synth.build import Options, build, bytes_per_patient


def free_bytes() -> tuple[int, str]:
    """Free bytes where the database keeps its data (PostgreSQL's data directory when
    it is on this machine, the SQLite file's folder, else the working directory)."""
    place = Path.cwd()
    if connection.vendor == "postgresql":
        try:
            with connection.cursor() as cursor:
                cursor.execute("SHOW data_directory")
                found = Path(cursor.fetchone()[0])
            if found.exists():
                place = found
        except Exception:  # not allowed to read it, or another machine
            place = Path.cwd()
    elif connection.vendor == "sqlite":
        name = str(connection.settings_dict.get("NAME") or "")
        if name and name != ":memory:" and "mode=memory" not in name:
            place = Path(name).resolve().parent
    return shutil.disk_usage(place).free, str(place)


class Command(BaseCommand):
    help = (
        "Fill this database with a synthetic clinic network: locations, staff, patients "
        "with histories, courses, charted sessions, the controlled-substance ledger, "
        "questionnaires and outcome summaries. Deterministic for a seed and an anchor day."
    )

    def add_arguments(self, parser):
        parser.add_argument("--patients", type=int, required=True, help="How many patients.")
        parser.add_argument("--seed", type=int, default=1, help="Random seed (default 1).")
        parser.add_argument(
            "--anchor",
            type=date.fromisoformat,
            default=None,
            help="The last day of the generated history, YYYY-MM-DD (default: today).",
        )
        parser.add_argument(
            "--append",
            action="store_true",
            help="Add to a database that already has patients (new locations and staff).",
        )
        parser.add_argument(
            "--workers",
            type=int,
            default=2,
            help="Processes building patients on PostgreSQL from 5,000 patients (default 2).",
        )
        parser.add_argument(
            "--digest",
            action="store_true",
            help="Print a SHA-256 digest of every row written (same seed + anchor: same digest).",
        )

    def handle(self, *args, patients, seed, anchor, append, digest, workers, **options):
        if patients < 1:
            raise CommandError("--patients must be at least 1.")
        if not append and Patient.objects.exists():
            raise CommandError(
                "This database already has patients: synth fills an empty clinic. "
                "Use --append to add a synthetic network beside them."
            )
        per_patient = bytes_per_patient()
        need = patients * per_patient
        free, place = free_bytes()
        if need > free:
            raise CommandError(
                f"Not enough disk: {patients:,} patients need about {need / 1e9:.1f} GB "
                f"(SYNTH_BYTES_PER_PATIENT = {per_patient:,}) and "
                f"{place} has {free / 1e9:.1f} GB free."
            )
        anchor = anchor or timezone.localdate()
        started = time.monotonic()
        report = build(
            Options(
                patients=patients,
                seed=seed,
                anchor=anchor,
                digest=digest,
                workers=workers,
                progress=self._progress(started),
            )
        )
        sys.stderr.write("\n")
        seconds = time.monotonic() - started
        rows = sum(report.counts.values())
        self.stdout.write(
            f"synth: {report.patients:,} patients at {report.locations} locations, "
            f"{rows:,} rows in {seconds:.0f} s (seed {seed}, anchor {anchor})."
        )
        if digest:
            self.stdout.write(f"digest {report.digest}")

    @staticmethod
    def _progress(started: float):
        def show(done: int, total: int) -> None:
            width = 30
            filled = int(width * done / total)
            elapsed = time.monotonic() - started
            left = elapsed / done * (total - done) if done else 0
            sys.stderr.write(
                f"\rsynth [{'#' * filled}{'.' * (width - filled)}] {done:,}/{total:,} patients "
                f"{elapsed:.0f} s, about {left:.0f} s left "
            )
            sys.stderr.flush()

        return show
