"""gunicorn settings for `make bench` (bench/run.py passes the bind address and workers).

``preload_app``: Django and every view module are imported once in the master process
and shared by the forked workers, instead of each worker paying the imports (about 4 s
for the URLconf, matplotlib included, and more for lifelines) on its first requests.
The same settings suit production (README).

``gc.freeze()`` after those imports: the 270,000 objects they leave are moved out of
the garbage collector's reach. Otherwise every full collection in a worker walks them
all (about 150 ms on this machine, a pause that lands on whichever request triggers
it); frozen, a full collection walks only what the worker made itself. Also keeps the
shared pages shared (no reference-count writes to them by the collector).
"""

import gc

preload_app = True
worker_class = "sync"
timeout = 60
backlog = 2048


def when_ready(server) -> None:
    """In the master, before the workers are forked."""
    from django.db import connections
    from django.urls import get_resolver

    get_resolver().url_patterns  # noqa: B018 (imports every view module)
    import lifelines  # noqa: F401 (the dashboard's Kaplan-Meier fit imports it lazily)

    connections.close_all()  # never share a database socket with the children
    gc.collect()
    gc.freeze()  # what exists now is never collected: the workers inherit it frozen
