"""Check that the sealed access log is intact. Exit 0 when it is, 1 naming the first
problem when an entry was edited, deleted, added or moved, or when the chain
disagrees with the exported heads (the heads file, or heads given with --head, e.g.
from the daily email)."""

from __future__ import annotations

import re
from datetime import UTC, datetime
from pathlib import Path

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from ketaclinic.audit.domain import chain
from ketaclinic.audit.domain.sealer import read_heads
from ketaclinic.audit.domain.verify import verify_chain

_HEAD_ARGUMENT = re.compile(r"^(\d+):([0-9a-f]{64})$")


class Command(BaseCommand):
    help = "Verify the access log's hash chain and the exported chain heads."

    def add_arguments(self, parser):
        parser.add_argument(
            "--heads-file",
            type=Path,
            help="the exported heads to compare (default: AUDIT_HEADS_FILE)",
        )
        parser.add_argument(
            "--no-heads-file",
            action="store_true",
            help="do not compare with a heads file (e.g. on a restored copy)",
        )
        parser.add_argument(
            "--head",
            action="append",
            default=[],
            metavar="SEQ:HASH",
            help="a head to compare, e.g. from the daily email (repeatable)",
        )

    def handle(self, *args, **options):
        expected = []
        for value in options["head"]:
            match = _HEAD_ARGUMENT.match(value.strip().lower())
            if not match:
                raise CommandError(f"--head must look like 42:<64 hex characters>, not {value!r}")
            seq, digest = int(match[1]), match[2]
            expected.append((f"--head {seq}", chain.Head(seq, None, digest, _EPOCH)))
        heads_path = None
        if not options["no_heads_file"]:
            heads_path = options["heads_file"] or Path(settings.AUDIT_HEADS_FILE)
            if heads_path.exists():
                try:
                    expected += [
                        (f"{heads_path} line {number}", head)
                        for number, head in read_heads(heads_path)
                    ]
                except ValueError as exc:
                    raise CommandError(f"Audit log NOT verified: {exc}", returncode=1) from exc

        result = verify_chain(expected)
        heads_missing = heads_path is not None and not heads_path.exists()
        if result.problem is None and heads_missing and result.sealed:
            raise CommandError(
                f"Audit log NOT verified: the heads file {heads_path} is missing but "
                f"{result.sealed} entries are sealed. Point --heads-file at a copy, "
                "or use --no-heads-file with --head values from the daily emails.",
                returncode=1,
            )
        if result.problem is not None:
            raise CommandError(f"Audit log TAMPERED: {result.problem.message}", returncode=1)
        compared = len(expected)
        self.stdout.write(
            f"Audit log intact: {result.sealed} entries sealed"
            + (
                f" up to entry {result.last_entry_id}, head {result.head_hash}"
                if result.sealed
                else ""
            )
            + f"; {compared} exported head{'s agree' if compared != 1 else ' agrees'}; "
            f"{result.unsealed} newer entr{'ies' if result.unsealed != 1 else 'y'} "
            "not sealed yet."
        )


_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)  # a --head carries no time; none is compared
