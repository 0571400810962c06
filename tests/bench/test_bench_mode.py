"""Benchmark mode (KETACLINIC_BENCH) adds the bare endpoint and never runs in production."""

import subprocess
import sys
from pathlib import Path

import pytest
from django.test import Client
from django.urls import NoReverseMatch, reverse

from bench import run

ROOT = Path(__file__).resolve().parent.parent.parent


def test_production_refuses_bench_mode(tmp_path):
    environ = {
        "PATH": "/usr/bin:/bin",
        "DJANGO_SETTINGS_MODULE": "ketaclinic.settings",
        "KETACLINIC_ENV": "production",
        "SECRET_KEY": "x" * 60,
        "ALLOWED_HOSTS": "clinic.example",
        "DATABASE_URL": f"sqlite:///{tmp_path}/db.sqlite3",
        "DEBUG": "false",
        "SAFETY_SECOND_CHANNEL": "ketaclinic.safety.channels.ConsoleChannel",
        "KETACLINIC_VAR_DIR": str(tmp_path),
        "KETACLINIC_BENCH": "true",
    }

    result = subprocess.run(
        [sys.executable, "manage.py", "check"],
        cwd=ROOT,
        env=environ,
        capture_output=True,
        text=True,
        check=False,
        timeout=120,
    )

    assert result.returncode != 0
    assert "KETACLINIC_BENCH is for benchmarks only" in result.stderr


def test_the_bare_endpoint_does_not_exist_outside_bench_mode(db):
    client = Client()

    response = client.get("/bench/bare/")

    assert response.status_code == 404
    with pytest.raises(NoReverseMatch):  # not routed outside bench mode
        reverse("bench-bare")


def test_one_use_paths_are_split_between_warm_up_and_measurement():
    paths = [f"/q/{n}/" for n in range(100)]

    warm, measured = run.split_once(paths, warmup=10, seconds=15)

    assert (len(warm), len(measured), warm[-1], measured[0]) == (40, 60, "/q/39/", "/q/40/")


def test_workers_follow_the_documented_formula(monkeypatch):
    monkeypatch.setattr(run.os, "cpu_count", lambda: 2)

    assert run.workers() == 5
