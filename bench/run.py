"""`make bench`: the app under gunicorn on PostgreSQL, driven by wrk over loopback.

For each cohort size (BENCH_SIZES, default 1000,10000,100000 patients):

1. the database ``ketaclinic_bench_<N>`` is made with ``manage.py synth --patients N
   --seed S`` when missing (and marked with a one-row table ``bench_cohort``); an
   existing one is migrated and reused only when its marker (or, for one built by synth
   by hand, its patient count) says the same N and seed; then VACUUM (ANALYZE), as
   autovacuum would have done;
2. ``python -m bench.prepare`` picks the targets, signs the staff persona in, makes the
   questionnaire links and counts each page's queries with Django's test client;
3. gunicorn serves the app (sync workers, 2 x cores + 1) with DEBUG off and
   KETACLINIC_BENCH on (the bare endpoint; Get In Touch's rate limit lifted);
4. each page gets a warm-up run, then a measured run of wrk (bench/wrk/bench.lua);
5. the rows are written to bench/results/latest.json (after every size) and printed.

Durations and sizes come from the environment: BENCH_SECONDS (15), BENCH_WARMUP (10),
BENCH_THREADS (2), BENCH_CONNECTIONS (the number of workers), BENCH_SIZES, BENCH_SEED
(1), BENCH_PAGES (a comma list, all by default), BENCH_OUTPUT, BENCH_DATABASE_SERVER
(postgres://postgres@127.0.0.1:5432), BENCH_MERGE=1 (keep the output's rows of the other
sizes, e.g. to add a cohort built later).
"""

from __future__ import annotations

import json
import os
import platform
import secrets
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from datetime import UTC, datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench import report  # noqa: E402 (the repository root is added just above)

LUA = ROOT / "bench" / "wrk" / "bench.lua"
DEFAULT_OUTPUT = ROOT / "bench" / "results" / "latest.json"
MARKER_TABLE = "bench_cohort"


def envint(name: str, default: int) -> int:
    raw = os.environ.get(name, "").strip()
    if not raw:
        return default
    value = int(raw)
    if value < 1:
        raise SystemExit(f"{name} must be a positive whole number")
    return value


def workers() -> int:
    """gunicorn's own advice for sync workers: 2 x cores + 1."""
    return 2 * (os.cpu_count() or 1) + 1


def log(message: str) -> None:
    print(f"[bench {datetime.now(UTC):%H:%M:%S}] {message}", flush=True)


# --- databases ---------------------------------------------------------------------------


def database_url(server: str, name: str) -> str:
    return f"{server.rstrip('/')}/{name}"


def _psql(url: str, sql: str) -> str:
    import psycopg

    with psycopg.connect(url, autocommit=True) as connection:
        cursor = connection.execute(sql)
        if cursor.description is None:
            return ""
        rows = cursor.fetchall()
    return "\n".join("|".join(str(v) for v in row) for row in rows)


def _manage(env: dict, *args: str) -> None:
    subprocess.run([sys.executable, "manage.py", *args], cwd=ROOT, env=env, check=True)  # noqa: S603


def ensure_database(server: str, name: str, patients: int, seed: int, env: dict) -> None:
    """Build the cohort's database when missing; otherwise migrate it and make sure it
    holds the cohort asked for."""
    maintenance = database_url(server, "postgres")
    url = database_url(server, name)
    exists = _psql(maintenance, f"SELECT 1 FROM pg_database WHERE datname = '{name}'")  # noqa: S608 (our own name)
    if not exists:
        log(f"{name}: missing, building it with synth ({patients} patients, seed {seed})")
        _psql(maintenance, f'CREATE DATABASE "{name}"')
        _manage(env, "migrate", "--no-input", "-v", "0")
        _manage(env, "synth", "--patients", str(patients), "--seed", str(seed))
        _mark(url, patients, seed, "built by make bench")
    else:
        log(f"{name}: exists, migrating")
        _manage(env, "migrate", "--no-input", "-v", "0")
        marker = _marker(url)
        if marker is None:
            count = int(_psql(url, "SELECT count(*) FROM patients_patient") or 0)
            if count != patients:
                raise SystemExit(
                    f"{name} holds {count} patients, not {patients}, and no bench marker: "
                    f"drop it (dropdb {name}) and make bench builds it again"
                )
            _mark(url, patients, seed, f"adopted: {count} patients built by synth")
        elif marker != (patients, seed):
            raise SystemExit(
                f"{name} was built for {marker[0]} patients with seed {marker[1]}, not "
                f"{patients}/{seed}: drop it (dropdb {name}) and make bench builds it again"
            )
    # What autovacuum does on a production server (it is off on some machines, this one
    # included): without it the visibility map of a freshly built or freshly benched
    # database is empty, index-only scans visit the heap and first reads set hint bits
    # (writes). At 100,000 patients that alone moved the alert inbox's p95 130 -> 82 ms.
    _psql(url, "VACUUM (ANALYZE)")
    # The vacuum dirties most of the database's pages (hint bits, the visibility map):
    # written out by the next checkpoint, they would land in the middle of the measured
    # runs (this machine's WAL fsyncs then took hundreds of ms: a questionnaire p95 of
    # 260-290 ms in one run, 56-59 ms in the next). A bench artifact, flushed first.
    try:
        _psql(url, "CHECKPOINT")
    except Exception as exc:  # a role without pg_checkpoint: measure anyway
        log(f"{url.rsplit('/', 1)[-1]}: no CHECKPOINT before measuring ({exc})")


def _marker(url: str) -> tuple[int, int] | None:
    found = _psql(url, f"SELECT to_regclass('{MARKER_TABLE}') IS NOT NULL")
    if found != "True":
        return None
    row = _psql(url, f"SELECT patients, seed FROM {MARKER_TABLE} LIMIT 1")  # noqa: S608
    if not row:
        return None
    patients, seed = row.split("|")
    return int(patients), int(seed)


def _mark(url: str, patients: int, seed: int, note: str) -> None:
    _psql(
        url,
        f"CREATE TABLE IF NOT EXISTS {MARKER_TABLE} "
        "(patients integer NOT NULL, seed integer NOT NULL, note text, "
        "marked_at timestamptz NOT NULL DEFAULT now())",
    )
    _psql(url, f"DELETE FROM {MARKER_TABLE}")  # noqa: S608
    _psql(
        url,
        f"INSERT INTO {MARKER_TABLE} (patients, seed, note) "  # noqa: S608
        f"VALUES ({int(patients)}, {int(seed)}, '{note.replace(chr(39), '')}')",
    )


# --- the server ----------------------------------------------------------------------------


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def start_server(env: dict, port: int, count: int, logfile: Path) -> subprocess.Popen:
    command = [
        sys.executable,
        "-m",
        "gunicorn",
        "ketaclinic.wsgi:application",
        "--config",
        str(ROOT / "bench" / "gunicorn_conf.py"),
        "--bind",
        f"127.0.0.1:{port}",
        "--workers",
        str(count),
        "--log-level",
        "warning",
    ]
    handle = logfile.open("ab")
    server = subprocess.Popen(command, cwd=ROOT, env=env, stdout=handle, stderr=handle)  # noqa: S603
    deadline = time.monotonic() + 90
    while time.monotonic() < deadline:
        if server.poll() is not None:
            raise SystemExit(f"gunicorn stopped at start; see {logfile}")
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/bench/bare/", timeout=2) as r:
                if r.status == 200:
                    return server
        except (urllib.error.URLError, OSError):
            time.sleep(0.3)
    stop_server(server)
    raise SystemExit(f"gunicorn did not answer within 90 s; see {logfile}")


def stop_server(server: subprocess.Popen) -> None:
    if server.poll() is None:
        server.terminate()
        try:
            server.wait(timeout=30)
        except subprocess.TimeoutExpired:
            server.kill()
            server.wait()


# --- wrk -----------------------------------------------------------------------------------


def run_wrk(
    port: int, page: dict, paths: list[str], cookies: list[str], csrf: str, seconds: int, cfg
) -> report.WrkResult:
    with tempfile.TemporaryDirectory(prefix="bench-") as tmp:
        paths_file = Path(tmp) / "paths"
        paths_file.write_text("\n".join(paths) + "\n")
        cookies_file = Path(tmp) / "cookies"
        cookies_file.write_text("\n".join(cookies) + "\n")
        env = {
            **os.environ,
            "BENCH_METHOD": page["method"],
            "BENCH_PATHS_FILE": str(paths_file),
            "BENCH_COOKIES_FILE": str(cookies_file),
            "BENCH_CSRF": csrf,
            "BENCH_BODY": page.get("body", ""),
            "BENCH_ONCE": "1" if page.get("once") else "0",
            "BENCH_THREADS": str(cfg["threads"]),
            "BENCH_NONCE": secrets.token_hex(6),
        }
        command = [
            "wrk",
            "-t",
            str(cfg["threads"]),
            "-c",
            str(cfg["connections"]),
            "-d",
            f"{seconds}s",
            "--timeout",
            "10s",
            "-s",
            str(LUA),
            f"http://127.0.0.1:{port}",
        ]
        done = subprocess.run(command, env=env, capture_output=True, text=True, check=False)  # noqa: S603
    if done.returncode != 0:
        raise SystemExit(f"wrk failed for {page['page']}: {done.stderr.strip()}")
    return report.parse_wrk_output(done.stdout)


def split_once(paths: list[str], warmup: int, seconds: int) -> tuple[list[str], list[str]]:
    """One-use paths: the warm-up takes its share of the pool, the measured run the rest."""
    cut = len(paths) * warmup // (warmup + seconds) if warmup else 0
    return paths[:cut], paths[cut:]


def bench_size(patients: int, cfg: dict, base_env: dict) -> list[report.Row]:
    name = f"{cfg['prefix']}{patients}"
    url = database_url(cfg["server"], name)
    cache_dir = cfg["logdir"] / f"cache-{patients}"  # one per database: fresh each run
    shutil.rmtree(cache_dir, ignore_errors=True)
    env = {**base_env, "DATABASE_URL": url, "CACHE_DIR": str(cache_dir)}
    ensure_database(cfg["server"], name, patients, cfg["seed"], env)
    log(f"{name}: preparing targets, sessions, links and query counts")
    links = cfg["links"]
    plan_file = cfg["logdir"] / f"plan-{patients}.json"
    plan_file.unlink(missing_ok=True)
    done = subprocess.run(  # noqa: S603
        [
            sys.executable,
            "-m",
            "bench.prepare",
            str(cfg["connections"]),
            str(links),
            str(plan_file),
        ],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    if done.returncode != 0:
        raise SystemExit(f"bench.prepare failed:\n{done.stderr[-4000:]}{done.stdout[-2000:]}")
    plan = json.loads(plan_file.read_text())
    if plan["patients"] != patients:
        log(f"{name}: note: {plan['patients']} patients (cohort size {patients})")
    port = free_port()
    logfile = cfg["logdir"] / f"gunicorn-{patients}.log"
    server = start_server(env, port, cfg["workers"], logfile)
    cfg["first_request_ms"][patients] = {
        page["page"]: page.get("first_request_ms") for page in plan["pages"]
    }
    rows = []
    try:
        for page in plan["pages"]:
            if cfg["pages"] and page["page"] not in cfg["pages"] and page["page"] != "bare":
                continue
            staff = page.get("staff", True)
            cookies = plan["cookies"] if staff else [f"csrftoken={plan['csrf']}"]
            if page.get("once"):
                warm_paths, paths = split_once(page["paths"], cfg["warmup"], cfg["seconds"])
            else:
                warm_paths = paths = page["paths"]
            if cfg["warmup"]:
                run_wrk(port, page, warm_paths, cookies, plan["csrf"], cfg["warmup"], cfg)
            result = run_wrk(port, page, paths, cookies, plan["csrf"], cfg["seconds"], cfg)
            rows.append(report.row(page["page"], patients, result, page["queries"]))
            log(
                f"{page['page']:<17} {patients:>7}: p95 {result.p95_us / 1000:8.1f} ms, "
                f"{result.rps:7.1f} req/s, {result.errors} errors, {page['queries']} queries"
            )
    finally:
        stop_server(server)
    return rows


def config() -> dict:
    count = workers()
    seconds = envint("BENCH_SECONDS", 15)
    warmup = int(os.environ.get("BENCH_WARMUP", "10") or 0)
    return {
        "sizes": [
            int(s) for s in os.environ.get("BENCH_SIZES", "1000,10000,100000").split(",") if s
        ],
        "seed": envint("BENCH_SEED", 1),
        "seconds": seconds,
        "warmup": warmup,
        "threads": envint("BENCH_THREADS", 2),
        "workers": count,
        "connections": envint("BENCH_CONNECTIONS", count),
        # one-use questionnaire links: enough for 400 submissions a second (a pool that
        # runs out shows as errors: 410 answers)
        "links": envint("BENCH_LINKS", 400 * (seconds + warmup)),
        "pages": [p for p in os.environ.get("BENCH_PAGES", "").split(",") if p],
        "prefix": os.environ.get("BENCH_DATABASE_PREFIX", "ketaclinic_bench_"),
        "server": os.environ.get("BENCH_DATABASE_SERVER", "postgres://postgres@127.0.0.1:5432"),
        "output": Path(os.environ.get("BENCH_OUTPUT") or DEFAULT_OUTPUT),
        "logdir": Path(os.environ.get("BENCH_LOG_DIR") or ROOT / "var" / "bench"),
    }


def main() -> int:
    if shutil.which("wrk") is None:
        raise SystemExit("wrk is missing: apt-get install wrk (make bench does it)")
    cfg = config()
    cfg["logdir"].mkdir(parents=True, exist_ok=True)
    base_env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "ketaclinic.settings",
        "KETACLINIC_ENV": "development",
        "DEBUG": "false",
        "KETACLINIC_BENCH": "true",
        "INQUIRY_RATE_LIMIT_ENABLED": "false",
        "SECRET_KEY": os.environ.get("BENCH_SECRET_KEY") or "bench-" + secrets.token_urlsafe(48),
        "ALLOWED_HOSTS": "127.0.0.1,localhost,testserver",
        "LOG_LEVEL": "WARNING",
        "KETACLINIC_VAR_DIR": str(cfg["logdir"] / "var"),
    }
    meta = {
        "started_at": datetime.now(UTC).isoformat(timespec="seconds"),
        "cpu_count": os.cpu_count(),
        "machine": platform.platform(),
        "server": f"gunicorn sync, {cfg['workers']} workers (2 x cores + 1)",
        "wrk": f"-t{cfg['threads']} -c{cfg['connections']}, "
        f"{cfg['warmup']} s warm-up + {cfg['seconds']} s measured per page",
        "seed": cfg["seed"],
    }
    rows: list[report.Row] = []
    cfg["first_request_ms"] = meta["first_request_ms"] = {}
    if os.environ.get("BENCH_MERGE") == "1" and cfg["output"].exists():
        # keep the other cohort sizes of an earlier run (each size has its own bare row)
        earlier = json.loads(cfg["output"].read_text())
        rows = report.rows_from_json(cfg["output"].read_text())
        rows = [r for r in rows if r.patients not in cfg["sizes"]]
        meta["merged_from"] = earlier.get("meta", {}).get("started_at")
        cfg["first_request_ms"].update(earlier.get("meta", {}).get("first_request_ms", {}))
    for size in cfg["sizes"]:
        rows.extend(bench_size(size, cfg, base_env))
        report.add_ratios(rows)
        report.write_json(cfg["output"], rows, meta)
    print()
    print(report.table(rows))
    missed = report.check_targets(rows)
    print()
    if missed:
        print("Targets missed:")
        for line in missed:
            print(f"  - {line}")
    else:
        print("All targets met.")
    print(f"\nWritten: {cfg['output']}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
