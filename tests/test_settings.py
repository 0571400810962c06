"""Settings read from the environment fail loudly on bad or missing values."""

import os
import subprocess
import sys
from pathlib import Path

import pytest

from ketaclinic import env

ROOT = Path(__file__).resolve().parent.parent


def run_check(**environ):
    clean = {
        k: v
        for k, v in os.environ.items()
        if k
        not in {
            "SECRET_KEY",
            "ALLOWED_HOSTS",
            "DATABASE_URL",
            "KETACLINIC_ENV",
            "DEBUG",
            "SAFETY_SECOND_CHANNEL",
        }
    }
    clean.update(environ)
    clean["DJANGO_SETTINGS_MODULE"] = "ketaclinic.settings"
    return subprocess.run(
        [sys.executable, "manage.py", "check"],
        cwd=ROOT,
        env=clean,
        capture_output=True,
        text=True,
        check=False,
        timeout=120,
    )


def test_production_refuses_to_start_without_its_secrets():
    result = run_check(KETACLINIC_ENV="production")

    assert result.returncode != 0
    assert "SECRET_KEY, ALLOWED_HOSTS, DATABASE_URL" in result.stderr


def test_production_refuses_to_start_without_a_safety_second_channel(tmp_path):
    result = run_check(
        KETACLINIC_ENV="production",
        SECRET_KEY="x" * 60,
        ALLOWED_HOSTS="clinic.example",
        DATABASE_URL=f"sqlite:///{tmp_path}/db.sqlite3",
        DEBUG="false",
    )

    assert result.returncode != 0
    assert "SAFETY_SECOND_CHANNEL" in result.stderr


def test_production_starts_with_its_settings(tmp_path):
    result = run_check(
        KETACLINIC_ENV="production",
        SECRET_KEY="x" * 60,
        ALLOWED_HOSTS="clinic.example",
        DATABASE_URL=f"sqlite:///{tmp_path}/db.sqlite3",
        DEBUG="false",
        SAFETY_SECOND_CHANNEL="ketaclinic.safety.channels.ConsoleChannel",
    )

    assert result.returncode == 0, result.stderr


@pytest.mark.parametrize(
    ("value", "expected"), [("1", True), ("yes", True), ("off", False), ("", False)]
)
def test_envbool_reads_common_spellings(monkeypatch, value, expected):
    monkeypatch.setenv("KC_FLAG", value)

    assert env.envbool("KC_FLAG", default=False) is expected


def test_envbool_rejects_anything_else(monkeypatch):
    monkeypatch.setenv("KC_FLAG", "maybe")

    with pytest.raises(env.ImproperlyConfiguredEnv, match="KC_FLAG must be true or false"):
        env.envbool("KC_FLAG", default=False)


def test_envint_rejects_words_and_small_numbers(monkeypatch):
    monkeypatch.setenv("KC_NUM", "ten")
    with pytest.raises(env.ImproperlyConfiguredEnv, match="whole number"):
        env.envint("KC_NUM", 1)
    monkeypatch.setenv("KC_NUM", "0")
    with pytest.raises(env.ImproperlyConfiguredEnv, match="at least 1"):
        env.envint("KC_NUM", 1, minimum=1)


def test_secret_can_come_from_a_file(monkeypatch, tmp_path):
    secret = tmp_path / "secret"
    secret.write_text("from-a-file\n")
    monkeypatch.setenv("KC_SECRET_FILE", str(secret))

    assert env.envstr("KC_SECRET") == "from-a-file"


@pytest.mark.django_db
def test_postgresql_plans_joins_in_groups_of_the_configured_size(settings):
    """DB_JOIN_COLLAPSE_LIMIT reaches every PostgreSQL connection (settings.py)."""
    from django.db import connection

    if connection.vendor != "postgresql":
        pytest.skip("a PostgreSQL planner setting")
    with connection.cursor() as cursor:
        cursor.execute("SHOW join_collapse_limit")
        join_limit = cursor.fetchone()[0]
        cursor.execute("SHOW from_collapse_limit")
        from_limit = cursor.fetchone()[0]
    assert join_limit == from_limit == str(settings.DB_JOIN_COLLAPSE_LIMIT) == "4"


def test_dates_and_numbers_keep_the_en_us_formats_without_translation():
    """USE_I18N is off (English only): what pages show stays as the en-us locale has it."""
    from datetime import UTC, datetime

    from django.conf.locale.en import formats as en
    from django.utils import formats

    moment = datetime(2026, 11, 27, 17, 5, tzinfo=UTC)
    for name in ("DATE_FORMAT", "DATETIME_FORMAT", "TIME_FORMAT", "SHORT_DATE_FORMAT"):
        assert formats.get_format(name) == getattr(en, name), name
    assert formats.date_format(moment, "DATETIME_FORMAT") == "Nov. 27, 2026, 5:05 p.m."
    assert formats.number_format(1234567, force_grouping=True) == "1,234,567"
