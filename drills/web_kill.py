#!/usr/bin/env python
"""Fault drill: kill -9 web workers while many people send the Get In Touch form.

DRILL_SUBMISSIONS (default 200) submissions start at once against gunicorn (sync
workers, ``DRILL_WORKERS``, default 3) on a scratch PostgreSQL database
``ketaclinic_drill_web_kill``. While they run, a worker is killed with SIGKILL every
``DRILL_KILL_INTERVAL`` seconds (default 0.4), ``DRILL_KILLS`` times (default 5);
gunicorn starts new ones. A client that gets no confirmation (the redirect to the
thank-you page for its submission key) sends the same form again with the same key.

Afterwards every submission must be confirmed, every confirmed one must be in the
database exactly once with its "received" event and both outbox emails (the one
transaction), and no key may be held twice. Prints the figures; exits 1 on any loss.

    .venv/bin/python drills/web_kill.py
"""

from __future__ import annotations

import contextlib
import os
import random
import shutil
import sys
import tempfile
import threading
import time
from pathlib import Path

import _web

BUDGET_SECONDS = 75  # the whole load, retries included (the drill must end within 2 min)


def main() -> int:
    submissions = int(os.environ.get("DRILL_SUBMISSIONS", "200"))
    kills_wanted = int(os.environ.get("DRILL_KILLS", "5"))
    interval = float(os.environ.get("DRILL_KILL_INTERVAL", "0.4"))
    workers = int(os.environ.get("DRILL_WORKERS", "3"))
    _web.on_sigterm_exit()
    tmp = Path(tempfile.mkdtemp(prefix="ketaclinic-drill-web-"))
    server = None
    try:
        with contextlib.ExitStack() as stack:  # unwound in reverse: gunicorn, then the database
            url = stack.enter_context(
                _web.scratch_database("web_kill", lambda u: _web.app_env(u, tmp))
            )
            env = _web.app_env(url, tmp)
            _web.use_app_env(env)
            import django

            django.setup()
            from django.db import connections

            _web.make_location()
            connections.close_all()

            server = _web.Gunicorn(env, tmp, workers=workers)
            stack.callback(server.stop)
            server.wait_ready()
            _web.log(f"gunicorn on {server.url}, workers {server.workers()}")

            attempted = [_web.new_attempt() for _ in range(submissions)]
            client = _web.InquiryClient(server.port, deadline=time.monotonic() + BUDGET_SECONDS)
            gate = threading.Barrier(submissions + 1)

            def person(index: int) -> None:
                gate.wait()
                client.send(attempted[index], index)

            threads = [
                threading.Thread(target=person, args=(i,), daemon=True) for i in range(submissions)
            ]
            for thread in threads:
                thread.start()
            gate.wait()
            load_started = time.monotonic()
            killed: list[int] = []
            # the first kill once confirmations flow, so it lands in the middle of POSTs
            while sum(a.confirmed for a in attempted) < submissions // 20 and any(
                t.is_alive() for t in threads
            ):
                time.sleep(0.05)
            while len(killed) < kills_wanted and any(t.is_alive() for t in threads):
                time.sleep(interval)
                pids = server.workers()
                if pids:
                    pid = random.choice(pids)  # noqa: S311 (not cryptography)
                    server.kill_worker(pid)
                    killed.append(pid)
                    done = sum(a.confirmed for a in attempted)
                    _web.log(f"kill -9 worker {pid} ({done}/{submissions} confirmed so far)")
            for thread in threads:
                thread.join(BUDGET_SECONDS + 30)
            elapsed = time.monotonic() - load_started
            serving = server.alive()

            rows, incomplete = _web.inquiry_rows(a.key for a in attempted)
            resent = _web.resent_after_commit(attempted)
            connections.close_all()
            figures = _web.count_figures(
                attempted,
                rows,
                incomplete=incomplete,
                extra={
                    "workers_killed": len(killed),
                    "load_seconds": f"{elapsed:.1f}",
                    "resent_after_commit": resent,
                    "responses": client.responses(),
                },
            )
            return figures.verdict(
                "web_kill",
                [
                    (bool(killed), "no worker was killed (the load ended first)"),
                    (serving, "gunicorn's master died"),
                ],
            )
    finally:
        if server is not None:
            server.stop()
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
