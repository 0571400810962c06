"""gunicorn settings for `make bench` (bench/run.py passes the bind address and workers).

``preload_app``: Django and every view module are imported once in the master process
and shared by the forked workers, instead of each worker paying the imports (about 4 s
for the URLconf, matplotlib included, and more for lifelines) on its first requests.
The same two lines suit production.
"""

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
