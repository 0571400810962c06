"""Production refuses a Twilio second channel it cannot use; secrets may come from files."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent.parent
TWILIO = "ketaclinic.safety.channels.TwilioSMSChannel"


def run_check(tmp_path, **environ):
    clean = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith("SAFETY_")
        and k not in {"SECRET_KEY", "ALLOWED_HOSTS", "DATABASE_URL", "KETACLINIC_ENV", "DEBUG"}
    }
    clean.update(
        KETACLINIC_ENV="production",
        SECRET_KEY="x" * 60,
        ALLOWED_HOSTS="clinic.example",
        DATABASE_URL=f"sqlite:///{tmp_path}/db.sqlite3",
        DEBUG="false",
        DJANGO_SETTINGS_MODULE="ketaclinic.settings",
    )
    clean.update(environ)
    return subprocess.run(
        [sys.executable, "manage.py", "check"],
        cwd=ROOT,
        env=clean,
        capture_output=True,
        text=True,
        check=False,
        timeout=120,
    )


def test_production_refuses_twilio_without_its_account(tmp_path):
    result = run_check(tmp_path, SAFETY_SECOND_CHANNEL=TWILIO, SAFETY_SMS_FROM="+12175550199")

    assert result.returncode != 0
    assert (
        "The Twilio second channel needs these environment variables (or their *_FILE "
        "forms) in production: SAFETY_SMS_ACCOUNT_SID, SAFETY_SMS_AUTH_TOKEN"
    ) in result.stderr


def test_production_starts_with_twilio_secrets_from_files(tmp_path):
    sid = tmp_path / "sid"
    sid.write_text("AC0123\n")
    token = tmp_path / "token"
    token.write_text("secret-token\n")

    result = run_check(
        tmp_path,
        SAFETY_SECOND_CHANNEL=TWILIO,
        SAFETY_SMS_ACCOUNT_SID_FILE=str(sid),
        SAFETY_SMS_AUTH_TOKEN_FILE=str(token),
        SAFETY_SMS_FROM="+12175550199",
    )

    assert result.returncode == 0, result.stderr


def test_production_refuses_a_plain_http_api_base(tmp_path):
    result = run_check(
        tmp_path,
        SAFETY_SECOND_CHANNEL="ketaclinic.safety.channels.TwilioVoiceChannel",
        SAFETY_SMS_ACCOUNT_SID="AC0123",
        SAFETY_SMS_AUTH_TOKEN="secret-token",
        SAFETY_SMS_FROM="+12175550199",
        SAFETY_SMS_API_BASE="http://sms-gateway.internal",
    )

    assert result.returncode != 0
    assert "SAFETY_SMS_API_BASE must be https:// in production" in result.stderr
    assert "secret-token" not in result.stderr


def test_a_sending_number_that_is_not_e164_is_refused(tmp_path):
    result = run_check(
        tmp_path,
        KETACLINIC_ENV="development",
        DEBUG="true",
        SAFETY_SMS_FROM="217-555-0199",
    )

    assert result.returncode != 0
    assert "SAFETY_SMS_FROM must be a phone number in E.164 form" in result.stderr


def test_the_http_time_out_must_end_before_the_claim(tmp_path):
    result = run_check(
        tmp_path,
        SAFETY_SECOND_CHANNEL="ketaclinic.safety.channels.ConsoleChannel",
        SAFETY_SMS_TIMEOUT_SECONDS="120",
    )

    assert result.returncode != 0
    assert "SAFETY_SMS_TIMEOUT_SECONDS must be shorter than SAFETY_CLAIM_SECONDS" in result.stderr
