"""Racing writers for the concurrency tests (PostgreSQL): each call in its own thread,
with its own database connection and transaction, released together."""

from __future__ import annotations

import threading

from django.db import connections


def race(*calls):
    """Run each call in its own thread and connection, released together. Returns
    each call's result or the exception it raised."""
    barrier = threading.Barrier(len(calls), timeout=30)
    results: list = [None] * len(calls)

    def run(index, call):
        try:
            barrier.wait()
            results[index] = call()
        except Exception as exc:  # the outcome under test
            results[index] = exc
        finally:
            connections.close_all()

    threads = [threading.Thread(target=run, args=(i, c)) for i, c in enumerate(calls)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert not any(thread.is_alive() for thread in threads)
    return results
