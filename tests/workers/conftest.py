"""Real django-q2 clusters (``manage.py qcluster`` subprocesses) for the worker tests.

The clusters run with the development settings against the test database, so it must
be one other processes can open: PostgreSQL (the SQLite test database is in memory).
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
import uuid
from pathlib import Path

import pytest
from django.db import connection

ROOT = Path(__file__).resolve().parent.parent.parent


def pytest_configure(config):
    config.addinivalue_line(
        "markers",
        "workers: starts real qcluster processes (PostgreSQL; Redis for the Redis broker)",
    )


def database_url() -> str:
    """The test database, as a DATABASE_URL other processes can use."""
    conf = connection.settings_dict
    user = conf["USER"] or "postgres"
    password = f":{conf['PASSWORD']}" if conf["PASSWORD"] else ""
    host = conf["HOST"] or "127.0.0.1"
    port = conf["PORT"] or "5432"
    return f"postgres://{user}{password}@{host}:{port}/{conf['NAME']}"


class Site:
    """The environment shared by a site's clusters and its web process (the enqueuer):
    one database, one broker, one site name (a fresh one per test, so runs never share
    a queue)."""

    def __init__(self, tmp_path: Path, *, redis_url: str | None):
        self.name = f"ketaclinic-test-{uuid.uuid4().hex[:12]}"
        self.tmp = tmp_path
        self.redis_url = redis_url
        self.env = {
            k: v
            for k, v in os.environ.items()
            if not k.startswith(("Q_", "PYTEST_", "DJANGO_")) and k != "DATABASE_URL"
        }
        self.env.update(
            {
                "DJANGO_SETTINGS_MODULE": "ketaclinic.settings",
                "KETACLINIC_ENV": "development",
                "DEBUG": "false",
                "KETACLINIC_VAR_DIR": str(tmp_path / "var"),
                "DATABASE_URL": database_url(),
                "Q_SITE_NAME": self.name,
                "Q_WORKERS": "2",
                "LOG_LEVEL": "INFO",
            }
        )
        if redis_url:
            self.env["Q_REDIS_URL"] = redis_url
        self.clusters: list[subprocess.Popen] = []

    def start_cluster(self, label: str) -> subprocess.Popen:
        log = (self.tmp / f"qcluster-{label}.log").open("w")
        process = subprocess.Popen(
            [sys.executable, "manage.py", "qcluster"],
            cwd=ROOT,
            env={**self.env, "KETACLINIC_TEST_CLUSTER": label},
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        process.label = label
        self.clusters.append(process)
        return process

    def log(self, label: str) -> str:
        return (self.tmp / f"qcluster-{label}.log").read_text(errors="replace")

    def wait_running(self, timeout: float = 90) -> None:
        """Until every cluster has logged that it is running."""
        deadline = time.monotonic() + timeout
        for process in self.clusters:
            while " running." not in self.log(process.label):
                if process.poll() is not None:
                    pytest.fail(f"qcluster {process.label} exited:\n{self.log(process.label)}")
                if time.monotonic() > deadline:
                    pytest.fail(f"qcluster {process.label} did not start in {timeout:g} s")
                time.sleep(0.2)

    def manage(self, *args: str, timeout: float = 120) -> str:
        result = subprocess.run(  # noqa: S603 - our own interpreter and manage.py
            [sys.executable, "manage.py", *args],
            cwd=ROOT,
            env=self.env,
            capture_output=True,
            text=True,
            timeout=timeout,
            check=False,
        )
        assert result.returncode == 0, result.stderr
        return result.stdout

    def stop(self) -> None:
        for process in self.clusters:
            if process.poll() is None:
                process.send_signal(signal.SIGTERM)
        for process in self.clusters:
            try:
                process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                os.killpg(process.pid, signal.SIGKILL)
                process.wait()
        if self.redis_url:
            import redis

            client = redis.from_url(self.redis_url)
            keys = list(client.scan_iter(match=f"django_q:{self.name}:*"))
            if keys:
                client.delete(*keys)


def redis_url_or_skip() -> str:
    url = os.environ.get("Q_REDIS_URL", "")
    if not url:
        pytest.skip("Q_REDIS_URL is unset: the Redis broker tests need a Redis server")
    import redis

    try:
        redis.from_url(url, socket_connect_timeout=2).ping()
    except redis.RedisError as exc:
        pytest.skip(f"Redis at Q_REDIS_URL is not reachable: {exc}")
    return url


@pytest.fixture
def postgres_only():
    if connection.vendor != "postgresql":
        pytest.skip("worker processes need a database they can share: run on PostgreSQL")
