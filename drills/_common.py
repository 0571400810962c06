"""What the worker drills share: a scratch PostgreSQL database, real ``qcluster``
processes, bounded waits.

Drills run from the repository root with the development dependencies
(``uv run --locked python drills/<drill>.py``). They never touch the database named in
``DATABASE_URL``: they make a scratch database next to it on the same server and drop
it at the end.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

ROOT = Path(__file__).resolve().parent.parent
DEFAULT_SERVER = "postgres://postgres@127.0.0.1:5432/ketaclinic"


def ensure_paths() -> None:
    """Make ``ketaclinic`` (src/) and ``tests`` importable, as manage.py does."""
    for path in (str(ROOT / "src"), str(ROOT)):
        if path not in sys.path:
            sys.path.insert(0, path)


class DrillFailed(SystemExit):
    """A drill's check failed: printed, exit status 1."""

    def __init__(self, message: str):
        self.reason = message
        super().__init__(f"DRILL FAILED: {message}")


def wait_for(condition, timeout: float, what: str, step: float = 0.05):
    """``condition()``'s first true value, polling; DrillFailed after ``timeout`` s."""
    deadline = time.monotonic() + timeout
    while True:
        value = condition()
        if value:
            return value
        if time.monotonic() > deadline:
            raise DrillFailed(f"gave up waiting for {what} after {timeout:g} s")
        time.sleep(step)


# --- scratch PostgreSQL databases ------------------------------------------------------------


def server_url(database_url: str | None) -> str:
    url = database_url or os.environ.get("DATABASE_URL") or DEFAULT_SERVER
    if not url.startswith(("postgres://", "postgresql://")):
        raise DrillFailed(
            f"the drills run on PostgreSQL: {url!r} is not a postgres:// address "
            f"(default {DEFAULT_SERVER})"
        )
    return url


def with_database(url: str, name: str) -> str:
    return urlunsplit(urlsplit(url)._replace(path="/" + name))


def admin(url: str, sql: str) -> None:
    """Run one statement on the server's ``postgres`` database (CREATE/DROP DATABASE)."""
    import psycopg

    with psycopg.connect(with_database(url, "postgres"), autocommit=True) as conn:
        conn.execute(sql)


def create_database(url: str, name: str) -> str:
    admin(url, f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    admin(url, f'CREATE DATABASE "{name}"')
    return with_database(url, name)


def drop_database(url: str, name: str) -> None:
    admin(url, f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


# --- real task clusters ---------------------------------------------------------------------


class Cluster:
    """One ``manage.py qcluster`` (its sentinel, monitor, pusher and workers) in a
    process group of its own, so a drill can kill all of it at once, as a crash or
    the kernel's OOM killer would."""

    def __init__(self, env: dict, log_path: Path):
        self.env = env
        self.log_path = log_path
        self.process: subprocess.Popen | None = None

    def start(self) -> Cluster:
        self._offset = self.log_path.stat().st_size if self.log_path.exists() else 0
        with self.log_path.open("a") as log:
            self.process = subprocess.Popen(
                [sys.executable, "manage.py", "qcluster"],
                cwd=ROOT,
                env=self.env,
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        return self

    def log(self) -> str:
        return self.log_path.read_text(errors="replace") if self.log_path.exists() else ""

    def wait_running(self, timeout: float = 60) -> None:
        """Until this start of the cluster has logged that it is running."""

        def running():
            if self.process.poll() is not None:
                raise DrillFailed(f"qcluster exited:\n{self.log()[-3000:]}")
            return " running." in self.log()[self._offset :]

        wait_for(running, timeout, "the task cluster to start", step=0.1)

    def kill(self) -> None:
        """SIGKILL to every process of the cluster at once: nothing runs its clean-up."""
        if self.process is not None and self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGKILL)
            self.process.wait()

    def stop(self, timeout: float = 30) -> None:
        """A normal shutdown (SIGTERM, as systemd sends), a kill if it hangs."""
        if self.process is None or self.process.poll() is not None:
            return
        self.process.send_signal(signal.SIGTERM)
        try:
            self.process.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            self.kill()
