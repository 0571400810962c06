#!/usr/bin/env python
"""Fault drill: PostgreSQL stops (``pg_ctl stop -m immediate``) under load and starts again.

The drill never touches the shared server on port 5432: it makes its own cluster
(initdb into a temporary directory, as the ``postgres`` user when run as root, trust
authentication, a free port), copies the migrated template schema into it, and serves
the app from it with gunicorn. ``DRILL_THREADS`` people (default 8) send Get In Touch
forms one after another; after ``DRILL_BEFORE`` seconds (default 5) PostgreSQL is
stopped the crash way, stays down ``DRILL_DOWN`` seconds (default 5), is started again,
and the load goes on for ``DRILL_AFTER`` seconds (default 8). A person without a
confirmation sends the same form again, with the same submission key.

Passes when every submission was confirmed, every confirmed one is in the database
exactly once with its event and outbox emails, and the same gunicorn (master and
workers never restarted by the drill) confirmed submissions after the restart. The
cluster is stopped and deleted at the end whatever happens.

    .venv/bin/python drills/pg_restart.py
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

import _web

RETRY_SECONDS = 60  # after the load stops, how long unconfirmed people keep trying


def copy_schema(env_for, target_url: str) -> None:
    """The migrated template, dumped and loaded into the throwaway cluster."""
    _web.ensure_template(env_for)
    dump = subprocess.run(  # noqa: S603 (PostgreSQL's own program, our arguments)
        [str(_web.PG_BIN / "pg_dump"), "--no-owner", "-d", _web.template_url()],
        check=True,
        capture_output=True,
        timeout=120,
    )
    subprocess.run(  # noqa: S603 (PostgreSQL's own program, our arguments)
        [str(_web.PG_BIN / "psql"), "-q", "-v", "ON_ERROR_STOP=1", "-d", target_url],
        input=dump.stdout,
        check=True,
        capture_output=True,
        timeout=120,
    )


def main() -> int:
    threads_wanted = int(os.environ.get("DRILL_THREADS", "8"))
    before = float(os.environ.get("DRILL_BEFORE", "5"))
    down = float(os.environ.get("DRILL_DOWN", "5"))
    after = float(os.environ.get("DRILL_AFTER", "8"))
    _web.on_sigterm_exit()
    tmp = Path(tempfile.mkdtemp(prefix="ketaclinic-drill-pgr-"))
    cluster = _web.Cluster()
    server = None
    try:
        cluster.init()
        _web.log(f"throwaway PostgreSQL cluster on port {cluster.port} in {cluster.dir}")
        env = _web.app_env(cluster.url, tmp)
        copy_schema(lambda url: _web.app_env(url, tmp), cluster.url)
        _web.use_app_env(env)
        import django

        django.setup()
        from django.db import connections

        _web.make_location()
        connections.close_all()

        server = _web.Gunicorn(env, tmp, workers=3)
        server.wait_ready()
        master, workers_before = server.process.pid, sorted(server.workers())
        _web.log(f"gunicorn {master} on {server.url}, workers {workers_before}")

        attempted: list[_web.Attempted] = []
        lock = threading.Lock()
        no_new = threading.Event()
        client = _web.InquiryClient(server.port, deadline=float("inf"))

        def person() -> None:
            while not no_new.is_set():
                with lock:
                    attempt = _web.new_attempt()
                    attempted.append(attempt)
                    index = len(attempted)
                client.send(attempt, index)

        threads = [threading.Thread(target=person, daemon=True) for _ in range(threads_wanted)]
        for thread in threads:
            thread.start()
        time.sleep(before)
        confirmed_before = sum(a.confirmed for a in attempted)
        stopped_at = time.monotonic()
        cluster.stop_immediate()
        _web.log(f"pg_ctl stop -m immediate ({confirmed_before} confirmed before)")
        time.sleep(down)
        cluster.start()
        started_at = time.monotonic()
        _web.log("PostgreSQL started again (crash recovery done)")
        time.sleep(after)
        no_new.set()
        client.deadline = time.monotonic() + RETRY_SECONDS
        for thread in threads:
            thread.join(RETRY_SECONDS + 30)

        after_restart = sorted(
            a.confirmed_at - started_at
            for a in attempted
            if a.confirmed_at and a.confirmed_at > started_at
        )
        across = sum(
            1
            for a in attempted
            if a.attempts > 1 and a.confirmed_at and a.confirmed_at > stopped_at
        )
        same_gunicorn = server.alive() and server.process.pid == master
        rows, incomplete = _web.inquiry_rows(a.key for a in attempted)
        resent = _web.resent_after_commit(attempted)
        connections.close_all()
        figures = _web.count_figures(
            attempted,
            rows,
            incomplete=incomplete,
            extra={
                "confirmed_before_stop": confirmed_before,
                "confirmed_after_restart": len(after_restart),
                "retried_across_outage": across,
                "first_confirmation_after_restart_s": (
                    f"{after_restart[0]:.2f}" if after_restart else "none"
                ),
                "gunicorn_restarted": "no" if same_gunicorn else "yes",
                "worker_pids_unchanged": sorted(server.workers()) == workers_before,
                "resent_after_commit": resent,
                "responses": client.responses(),
            },
        )
        return figures.verdict(
            "pg_restart",
            [
                (bool(after_restart), "the app confirmed nothing after PostgreSQL came back"),
                (same_gunicorn, "gunicorn did not survive the outage"),
                (bool(confirmed_before), "nothing was confirmed before the stop (no load)"),
            ],
        )
    finally:
        if server is not None:
            server.stop()
        cluster.destroy()
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
