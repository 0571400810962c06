"""The demo clinic's authenticator-app secret (``manage.py load_demo``).

Every demo staff account shares this TOTP secret so that a person trying the demo
can add it once to an authenticator app (or type the code printed by
``manage.py demo_totp_code``). It is public: never use demo accounts with real data.
"""

from __future__ import annotations

import time
from urllib.parse import quote

from allauth.mfa.models import Authenticator
from allauth.mfa.totp.internal.auth import TOTP, format_hotp_value, hotp_value
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured

DEMO_TOTP_SECRET = "KETACLINICDEMOTOTPSECRET23456723"  # noqa: S105  (public on purpose)
DEMO_TOTP_ISSUER = "Ketaclinic demo"


def give_demo_totp(user) -> bool:
    """Activate the demo authenticator for ``user`` unless they have one. Idempotent.

    Refused in production: with the published demo password, a published second
    factor would leave nothing secret.
    """
    if settings.PRODUCTION:
        raise ImproperlyConfigured(
            "Demo accounts and their public TOTP secret are not for production."
        )
    if Authenticator.objects.filter(user=user, type=Authenticator.Type.TOTP).exists():
        return False
    TOTP.activate(user, DEMO_TOTP_SECRET)
    return True


def demo_totp_code(now: float | None = None) -> str:
    period = 30
    now = time.time() if now is None else now
    return format_hotp_value(hotp_value(DEMO_TOTP_SECRET, int(now) // period))


def demo_totp_uri() -> str:
    """What an authenticator app's QR scanner would read (one entry for all demo users)."""
    return (
        f"otpauth://totp/{quote(DEMO_TOTP_ISSUER)}?secret={DEMO_TOTP_SECRET}"
        f"&issuer={quote(DEMO_TOTP_ISSUER)}"
    )
