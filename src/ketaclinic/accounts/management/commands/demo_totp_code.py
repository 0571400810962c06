"""Print the current authenticator code of the demo accounts (demo only)."""

from __future__ import annotations

import time

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from ketaclinic.accounts.demo import DEMO_TOTP_SECRET, demo_totp_code


class Command(BaseCommand):
    help = "Print the current TOTP code of the demo staff accounts (not in production)."

    def handle(self, *args, **options):
        if settings.PRODUCTION:
            raise CommandError("Demo accounts do not exist in production.")
        left = 30 - int(time.time()) % 30
        self.stdout.write(
            f"{demo_totp_code()}  (valid for {left} more seconds; secret {DEMO_TOTP_SECRET})"
        )
