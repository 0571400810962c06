"""Where one bench page's time goes, in one process: the CPU per request of Python and
of its PostgreSQL backend, and optionally of named functions.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/ketaclinic_bench_1000 \\
        uv run --locked python -m bench.profile questionnaire [--requests 150] \\
        [--functions ketaclinic.measures.domain.links:open_link,...]

It uses the bench's own plan (``bench.prepare.plan``: the same targets, staff session,
bodies and one-use links) and Django's test client, without a server or load: the
figures docs/performance.md gives as "Python per request" and "PostgreSQL CPU per
request" come from here. Medians of ``time.process_time`` per request; the backend's CPU
from /proc (utime + stime of its pid) over all requests, so run it on the machine that
runs PostgreSQL. A function named with ``--functions`` is wrapped where it is defined and
where the page's modules imported it (``module:name``; a class's method as
``module:Class.method``).
"""

from __future__ import annotations

import argparse
import importlib
import os
import statistics
import sys
import time
from collections import defaultdict

BENCH_ENV = {
    "DJANGO_SETTINGS_MODULE": "ketaclinic.settings",
    "KETACLINIC_ENV": "development",
    "DEBUG": "false",
    "KETACLINIC_BENCH": "true",
    "INQUIRY_RATE_LIMIT_ENABLED": "false",
    "ALLOWED_HOSTS": "127.0.0.1,localhost,testserver",
    "LOG_LEVEL": "WARNING",
}


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.profile")
    parser.add_argument("page", help="a page of bench.prepare's plan, e.g. questionnaire")
    parser.add_argument("--requests", type=int, default=150)
    parser.add_argument("--functions", default="", help="module:name,... to time as well")
    args = parser.parse_args(argv)
    for name, value in BENCH_ENV.items():
        os.environ.setdefault(name, value)
    os.environ.setdefault("SECRET_KEY", "bench-profile-" + "x" * 40)
    import django

    django.setup()
    from django.db import connection
    from django.test import Client

    from bench import prepare

    warm = 5
    plan = prepare.plan(1, args.requests + warm + 2)
    page = next((p for p in plan["pages"] if p["page"] == args.page), None)
    if page is None:
        raise SystemExit(f"no page {args.page!r}: {', '.join(p['page'] for p in plan['pages'])}")
    client = Client()
    if page.get("staff", True):
        client.cookies.load(plan["cookies"][0])
    client.cookies.load(f"csrftoken={plan['csrf']}")
    paths = list(page["paths"])
    first = time.time_ns() // 1000  # numbers no earlier run used (Get In Touch: new inquiries)

    def request(number: int) -> None:
        path = paths.pop(0) if page.get("once") else paths[number % len(paths)]
        if page["method"] == "POST":
            body = prepare.fill(page["body"], first + number)  # new words and email each time
            answer = client.post(
                path,
                body,
                content_type="application/x-www-form-urlencoded",
                HTTP_X_CSRFTOKEN=plan["csrf"],
            )
        else:
            answer = client.get(path)
        if answer.status_code >= 400:
            raise SystemExit(f"{path} answered {answer.status_code}")

    spent = _wrap([name for name in args.functions.split(",") if name])
    for number in range(warm):
        request(number)
    for values in spent.values():
        values.clear()
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_backend_pid()")
        (backend,) = cursor.fetchone()
    backend_before = _backend_cpu(backend)
    python = []
    for number in range(warm, warm + args.requests):
        started = time.process_time()
        request(number)
        python.append(time.process_time() - started)
    backend_ms = (_backend_cpu(backend) - backend_before) / args.requests * 1000
    print(f"{args.page} at {plan['patients']} patients, {args.requests} requests, one process")
    print(f"  Python CPU per request (median)  {statistics.median(python) * 1000:7.2f} ms")
    print(f"  PostgreSQL backend CPU (mean)    {backend_ms:7.2f} ms")
    for name, values in spent.items():
        per_request = len(values) / args.requests
        median = statistics.median(values) * 1000 if values else 0.0
        print(f"  {name}: {median:.2f} ms (median, {per_request:.1f} calls per request)")
    return 0


def _backend_cpu(pid: int) -> float:
    """Seconds of CPU the PostgreSQL backend ``pid`` has used (utime + stime)."""
    with open(f"/proc/{pid}/stat") as stat:
        fields = stat.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def _wrap(names: list[str]) -> dict[str, list[float]]:
    """Time each ``module:name`` (or ``module:Class.method``) wherever a loaded
    ``ketaclinic`` module holds it."""
    spent: dict[str, list[float]] = defaultdict(list)
    for name in names:
        module_name, _, attribute = name.partition(":")
        owner = importlib.import_module(module_name)
        *path, leaf = attribute.split(".")
        for part in path:
            owner = getattr(owner, part)
        original = getattr(owner, leaf)

        def timed(*args, __original=original, __name=name, **kwargs):
            started = time.process_time()
            try:
                return __original(*args, **kwargs)
            finally:
                spent[__name].append(time.process_time() - started)

        setattr(owner, leaf, timed)
        if not path:  # a function: also where other modules imported it by name
            for module in list(sys.modules.values()):
                if getattr(module, "__name__", "").startswith("ketaclinic") and (
                    getattr(module, leaf, None) is original
                ):
                    setattr(module, leaf, timed)
        spent[name]  # listed even when never called
    return spent


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
