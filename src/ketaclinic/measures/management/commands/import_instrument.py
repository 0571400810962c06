"""Import a clinic-supplied instrument definition: the same schema as the shipped file,
with item text the clinic holds a licence for. The file is validated; it may change only
text fields (scoring, answer values, bands, flags and the rest must equal the shipped
definition), and is stored as ``<INSTRUMENTS_IMPORT_DIR>/<id>.json`` (default
``VAR_DIR/instruments``), where ``load()`` picks up its text.

    manage.py import_instrument --template madrs > madrs.json   # start from this
    manage.py import_instrument madrs.json                       # validate and store
    manage.py import_instrument --check madrs.json               # validate only
"""

from __future__ import annotations

from pathlib import Path

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from ketaclinic.measures.instruments import importing
from ketaclinic.measures.instruments.errors import (
    DefinitionError,
    ImportRejected,
    UnknownInstrument,
)


def resolve_import_dir() -> Path:
    """The import directory from settings, read when called (not at import time):
    ``INSTRUMENTS_IMPORT_DIR``, else ``VAR_DIR / "instruments"``. The measures app
    passes it to ``instruments.configure(import_dir=...)`` at start-up."""
    configured = getattr(settings, "INSTRUMENTS_IMPORT_DIR", None)
    if configured:
        return Path(configured)
    return Path(settings.VAR_DIR) / "instruments"


class Command(BaseCommand):
    help = "Validate a clinic-supplied instrument definition (text only) and store it for load()."

    def add_arguments(self, parser):
        parser.add_argument("file", nargs="?", type=Path, help="the definition file (JSON)")
        parser.add_argument(
            "--template",
            metavar="ID",
            help="print the shipped definition of ID as a starting point, and exit",
        )
        parser.add_argument("--check", action="store_true", help="validate only; store nothing")

    def handle(self, *args, **options):
        if options["template"]:
            try:
                self.stdout.write(importing.template(options["template"]), ending="")
            except UnknownInstrument as error:
                raise CommandError(str(error)) from None
            return
        path = options["file"]
        if path is None:
            raise CommandError("give a definition FILE to import, or --template ID")
        try:
            definition = importing.validate_import(path)
        except (DefinitionError, ImportRejected) as error:
            raise CommandError(str(error)) from None
        if options["check"]:
            self.stdout.write(f"{path.name}: valid text for {definition.id} (not stored: --check).")
            return
        target = importing.store_import(definition, resolve_import_dir())
        self.stdout.write(
            self.style.SUCCESS(
                f"Imported the text of {definition.id} (version {definition.version}) "
                f"into {target}. "
                "Scoring is unchanged (the shipped definition's)."
            )
        )
