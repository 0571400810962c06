"""What the fault drills share: scratch databases, a throwaway PostgreSQL cluster, a
gunicorn serving the app, a Get In Touch client that retries with its submission key,
and the figures every drill prints.

Run the drills from the repository root (``drills/run-all.sh``). Each drill makes its own
database and deletes it at the end, whatever happens:

- ``ketaclinic_drill_*`` on the shared PostgreSQL named by ``DRILL_ADMIN_URL``
  (default ``postgres://postgres@127.0.0.1:5432/postgres``), or
- its own PostgreSQL cluster (initdb in a temporary directory, as the ``postgres`` user
  when run as root) for the drill that stops PostgreSQL.
"""

from __future__ import annotations

import contextlib
import hashlib
import http.client
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlencode, urlsplit, urlunsplit

ROOT = Path(__file__).resolve().parent.parent
ADMIN_URL = os.environ.get("DRILL_ADMIN_URL", "postgres://postgres@127.0.0.1:5432/postgres")


def _pg_bin() -> Path:
    """PostgreSQL's server programs: ``DRILL_PG_BIN``, else Debian's newest installed."""
    if os.environ.get("DRILL_PG_BIN"):
        return Path(os.environ["DRILL_PG_BIN"])
    found = sorted(
        Path("/usr/lib/postgresql").glob("*/bin"),
        key=lambda p: int(p.parent.name) if p.parent.name.isdigit() else 0,
    )
    return found[-1] if found else Path("/usr/lib/postgresql/15/bin")


PG_BIN = _pg_bin()


def log(message: str) -> None:
    print(f"[{time.strftime('%H:%M:%S', time.gmtime())}] {message}", flush=True)


# --- figures (pure) ---------------------------------------------------------------------------


@dataclass
class Attempted:
    """One submission as its client saw it: how many tries, and whether one was confirmed."""

    key: str
    attempts: int = 0
    confirmed: bool = False
    confirmed_at: float | None = None
    last_try_at: float | None = None  # wall clock, to compare with the record's created_at


@dataclass(frozen=True)
class Figures:
    sent: int
    attempts: int
    retried: int
    confirmed: int
    unconfirmed: int
    found: int
    lost: int
    duplicated: int
    incomplete: int = 0
    extra: dict = field(default_factory=dict)

    @property
    def ok(self) -> bool:
        return not (self.lost or self.duplicated or self.unconfirmed or self.incomplete)

    def lines(self, name: str) -> list[str]:
        parts = [
            f"sent={self.sent}",
            f"attempts={self.attempts}",
            f"retried={self.retried}",
            f"confirmed={self.confirmed}",
            f"unconfirmed={self.unconfirmed}",
            f"found={self.found}",
            f"lost={self.lost}",
            f"duplicated={self.duplicated}",
            f"incomplete={self.incomplete}",
            *(f"{k}={v}" for k, v in self.extra.items()),
        ]
        return [f"{name}: {' '.join(parts)}", f"{name}: {'PASS' if self.ok else 'FAIL'}"]

    def verdict(self, name: str, checks: Iterable[tuple[bool, str]] = ()) -> int:
        """Print the figures, then the first of the drill's own ``(passed, problem)``
        checks that failed; the exit status: 0 when every check and the figures hold."""
        for line in self.lines(name):
            print(line, flush=True)
        for passed, problem in checks:
            if not passed:
                print(f"{name}: FAIL: {problem}")
                return 1
        return 0 if self.ok else 1


def count_figures(
    attempted: Iterable[Attempted],
    rows: Mapping[str, int],
    *,
    incomplete: Iterable[str] = (),
    extra: dict | None = None,
) -> Figures:
    """Compare what the clients were told with what the database holds.

    ``rows`` maps a submission's key to how many records carry it (absent: none).
    Lost: confirmed but absent. Duplicated: any key held more than once (confirmed or
    not). Incomplete: keys whose record lacks a part written in the same transaction.
    """
    attempted = list(attempted)
    confirmed = [a for a in attempted if a.confirmed]
    return Figures(
        sent=len(attempted),
        attempts=sum(a.attempts for a in attempted),
        retried=sum(1 for a in attempted if a.attempts > 1),
        confirmed=len(confirmed),
        unconfirmed=len(attempted) - len(confirmed),
        found=sum(1 for a in confirmed if rows.get(a.key, 0) >= 1),
        lost=sum(1 for a in confirmed if rows.get(a.key, 0) == 0),
        duplicated=sum(1 for a in attempted if rows.get(a.key, 0) > 1),
        incomplete=len(set(incomplete)),
        extra=dict(extra or {}),
    )


# --- processes and ports ----------------------------------------------------------------------


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def wait_for_port(port: int, timeout: float = 60.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        with contextlib.suppress(OSError), socket.create_connection(("127.0.0.1", port), 0.5):
            return
        time.sleep(0.2)
    raise TimeoutError(f"nothing listens on 127.0.0.1:{port} after {timeout:.0f} s")


def app_env(database_url: str, var_dir: Path, **extra: str) -> dict[str, str]:
    """The environment for the app under drill: development mode without DEBUG, the
    per-address rate limit off (every client is 127.0.0.1), email written to files."""
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("DJANGO_", "SECRET_KEY", "Q_REDIS"))
    }
    env.update(
        DATABASE_URL=database_url,
        KETACLINIC_ENV="development",
        DEBUG="false",
        ALLOWED_HOSTS="127.0.0.1,localhost",
        KETACLINIC_VAR_DIR=str(var_dir),
        INQUIRY_RATE_LIMIT_ENABLED="false",
        DJANGO_SETTINGS_MODULE="ketaclinic.settings",
        PYTHONPATH=str(ROOT / "src"),
        **extra,
    )
    return env


def use_app_env(env: Mapping[str, str]) -> None:
    """Configure Django in this process for the drill database (call once, before
    ``django.setup()``)."""
    for key in ("DATABASE_URL", "KETACLINIC_ENV", "DEBUG", "ALLOWED_HOSTS"):
        os.environ[key] = env[key]
    for key in ("KETACLINIC_VAR_DIR", "INQUIRY_RATE_LIMIT_ENABLED", "DJANGO_SETTINGS_MODULE"):
        os.environ[key] = env[key]
    if str(ROOT / "src") not in sys.path:
        sys.path.insert(0, str(ROOT / "src"))


def manage(env: Mapping[str, str], *args: str, timeout: float = 300) -> str:
    result = subprocess.run(  # noqa: S603 (our own interpreter and arguments)
        [sys.executable, str(ROOT / "manage.py"), *args],
        cwd=ROOT,
        env=dict(env),
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )
    if result.returncode:
        raise RuntimeError(f"manage.py {' '.join(args)} failed:\n{result.stderr[-3000:]}")
    return result.stdout


class Gunicorn:
    """The app served by gunicorn (sync workers) on a free loopback port."""

    def __init__(self, env: Mapping[str, str], log_dir: Path, *, workers: int = 3):
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.log_path = log_dir / "gunicorn.log"
        self._log = self.log_path.open("ab")
        self.process = subprocess.Popen(  # noqa: S603 (our own interpreter and arguments)
            [
                sys.executable,
                "-m",
                "gunicorn",
                "ketaclinic.wsgi:application",
                "--bind",
                f"127.0.0.1:{self.port}",
                "--workers",
                str(workers),
                "--timeout",
                "30",
                "--graceful-timeout",
                "5",
                "--chdir",
                str(ROOT),
                # workers fork from a master that has imported the app: a killed worker
                # is replaced in well under a second
                "--preload",
            ],
            cwd=ROOT,
            env=dict(env),
            stdout=self._log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )

    def wait_ready(self, path: str = "/get-in-touch/", timeout: float = 90) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"gunicorn exited: see {self.log_path}\n{self.tail()}")
            with contextlib.suppress(OSError, http.client.HTTPException):
                if request(self.port, "GET", path, timeout=10)[0] == 200:
                    self._warm(path)
                    return
            time.sleep(0.3)
        raise TimeoutError(f"gunicorn did not answer {path} in {timeout:.0f} s\n{self.tail()}")

    def _warm(self, path: str) -> None:
        """A few requests at once, so each worker has loaded its templates."""

        def get() -> None:
            with contextlib.suppress(OSError, http.client.HTTPException):
                request(self.port, "GET", path, timeout=60)

        threads = [
            threading.Thread(target=get, daemon=True) for _ in range(3 * len(self.workers()))
        ]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(30)

    def workers(self) -> list[int]:
        children = Path(f"/proc/{self.process.pid}/task/{self.process.pid}/children")
        try:
            return [int(pid) for pid in children.read_text().split()]
        except OSError:
            return []

    def kill_worker(self, pid: int) -> None:
        with contextlib.suppress(ProcessLookupError):
            os.kill(pid, signal.SIGKILL)

    def alive(self) -> bool:
        return self.process.poll() is None

    def tail(self, lines: int = 30) -> str:
        try:
            return "\n".join(self.log_path.read_text(errors="replace").splitlines()[-lines:])
        except OSError:
            return ""

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGINT)  # quick shutdown; TERM waits for workers
            try:
                self.process.wait(15)
            except subprocess.TimeoutExpired:
                os.killpg(self.process.pid, signal.SIGKILL)
                self.process.wait(5)
        self._log.close()


# --- databases --------------------------------------------------------------------------------


def _with_db(url: str, name: str) -> str:
    return urlunsplit(urlsplit(url)._replace(path="/" + name))


TEMPLATE = "ketaclinic_drill_template"


def migrations_digest() -> str:
    """A hash of every migration file: the template is rebuilt when it changes."""
    digest = hashlib.sha256()
    for path in sorted((ROOT / "src").glob("ketaclinic/*/migrations/*.py")):
        digest.update(path.relative_to(ROOT).as_posix().encode())
        digest.update(path.read_bytes())
    return digest.hexdigest()[:32]


def template_url() -> str:
    return _with_db(ADMIN_URL, TEMPLATE)


def _build_template(conn, env_for) -> None:
    digest = migrations_digest()
    row = conn.execute(
        "SELECT shobj_description(oid, 'pg_database') FROM pg_database WHERE datname = %s",
        [TEMPLATE],
    ).fetchone()
    if row and row[0] == digest:
        return
    conn.execute(f'DROP DATABASE IF EXISTS "{TEMPLATE}" WITH (FORCE)')
    conn.execute(f'CREATE DATABASE "{TEMPLATE}"')
    started = time.monotonic()
    manage(env_for(template_url()), "migrate", "--no-input", "-v", "0")
    conn.execute(f"COMMENT ON DATABASE \"{TEMPLATE}\" IS '{digest}'")
    log(f"template database migrated in {time.monotonic() - started:.1f} s")


@contextlib.contextmanager
def _template_lock() -> Iterator:
    import psycopg

    with psycopg.connect(ADMIN_URL, autocommit=True) as conn:
        conn.execute("SELECT pg_advisory_lock(hashtext(%s))", [TEMPLATE])
        try:
            yield conn
        finally:
            conn.execute("SELECT pg_advisory_unlock(hashtext(%s))", [TEMPLATE])


def ensure_template(env_for) -> None:
    """``ketaclinic_drill_template``: migrated once (rebuilt when a migration file
    changes), then copied for each drill: a copy takes a second, migrating half a
    minute. ``env_for(url)`` gives the app's environment for a database URL."""
    with _template_lock() as conn:
        _build_template(conn, env_for)


def drop_template() -> None:
    with _template_lock() as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{TEMPLATE}" WITH (FORCE)')


@contextlib.contextmanager
def scratch_database(suffix: str, env_for) -> Iterator[str]:
    """A fresh, migrated ``ketaclinic_drill_<suffix>`` on the shared server (a copy of
    the template), dropped afterwards."""
    import psycopg

    name = f"ketaclinic_drill_{suffix}"
    if not re.fullmatch(r"ketaclinic_drill_[a-z0-9_]+", name) or name == TEMPLATE:
        raise ValueError(f"not a drill database name: {name}")
    with _template_lock() as conn:
        _build_template(conn, env_for)
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        conn.execute(f'CREATE DATABASE "{name}" TEMPLATE "{TEMPLATE}"')
    try:
        yield _with_db(ADMIN_URL, name)
    finally:
        with psycopg.connect(ADMIN_URL, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


class Cluster:
    """A throwaway PostgreSQL cluster in a temporary directory, on its own port, trust
    authentication. ``initdb`` refuses root, so as root it runs as ``postgres``."""

    def __init__(self, port: int | None = None):
        self.port = port or free_port()
        self.dir = Path(tempfile.mkdtemp(prefix="ketaclinic-drill-pg-"))
        self.data = self.dir / "data"
        self.logfile = self.dir / "postgres.log"
        self.url = f"postgres://postgres@127.0.0.1:{self.port}/ketaclinic_drill_pg"
        self._as = []
        if os.geteuid() == 0:
            shutil.chown(self.dir, "postgres", "postgres")
            self._as = ["runuser", "-u", "postgres", "--"]

    def _run(self, *args: str, timeout: float = 60) -> None:
        subprocess.run(  # noqa: S603 (PostgreSQL's own programs, our arguments)
            [*self._as, *args], check=True, timeout=timeout, capture_output=True
        )

    def init(self) -> None:
        self._run(
            str(PG_BIN / "initdb"), "-D", str(self.data), "-A", "trust", "-U", "postgres",
            "--no-instructions", timeout=120,
        )  # fmt: skip
        self.start()
        self._run(
            str(PG_BIN / "psql"), "-h", "127.0.0.1", "-p", str(self.port), "-U", "postgres",
            "-qc", "CREATE DATABASE ketaclinic_drill_pg", "postgres",
        )  # fmt: skip

    def start(self) -> None:
        options = f"-p {self.port} -c listen_addresses=127.0.0.1 -k {self.dir}"
        self._run(
            str(PG_BIN / "pg_ctl"), "-D", str(self.data), "-l", str(self.logfile),
            "-o", options, "-w", "-t", "60", "start",
        )  # fmt: skip

    def stop_immediate(self) -> None:
        self._run(str(PG_BIN / "pg_ctl"), "-D", str(self.data), "-m", "immediate", "stop")

    def destroy(self) -> None:
        if (self.data / "postmaster.pid").exists():
            with contextlib.suppress(subprocess.SubprocessError):
                self._run(str(PG_BIN / "pg_ctl"), "-D", str(self.data), "-m", "fast", "stop")
        shutil.rmtree(self.dir, ignore_errors=True)


# --- the Get In Touch client ------------------------------------------------------------------


def request(
    port: int,
    method: str,
    path: str,
    *,
    body: str | None = None,
    cookie: str = "",
    timeout: float = 60,
) -> tuple[int, dict[str, str], str]:
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=timeout)
    try:
        headers = {"Cookie": cookie} if cookie else {}
        if body is not None:
            headers["Content-Type"] = "application/x-www-form-urlencoded"
        conn.request(method, path, body=body, headers=headers)
        response = conn.getresponse()
        text = response.read().decode("utf-8", "replace")
        return response.status, {k.lower(): v for k, v in response.getheaders()}, text
    finally:
        conn.close()


CSRF_COOKIE = re.compile(r"csrftoken=([A-Za-z0-9]+)")
CSRF_FIELD = re.compile(r'name="csrfmiddlewaretoken" value="([A-Za-z0-9]+)"')


class InquiryClient:
    """A person sending the Get In Touch form: the form page, then the POST with the
    form's submission key. Confirmation is the redirect to the thank-you page for that
    key. Without one (a dropped connection, a 5xx, the form shown again) the same form
    is sent again, same key, until confirmed or the deadline passes."""

    def __init__(self, port: int, *, deadline: float, pause: float = 0.3):
        self.port = port
        self.deadline = deadline
        self.pause = pause
        self.lock = threading.Lock()
        self.outcomes: dict[str, int] = {}

    def responses(self) -> str:
        """What the server answered, counted: ``"post 302:200,RemoteDisconnected:4"``."""
        with self.lock:
            return ",".join(f"{k}:{v}" for k, v in sorted(self.outcomes.items()))

    def _note(self, outcome: str) -> None:
        with self.lock:
            self.outcomes[outcome] = self.outcomes.get(outcome, 0) + 1

    def send(self, attempted: Attempted, index: int) -> Attempted:
        fields = {
            "first_name": "Drill",
            "last_name": f"Person {index}",
            "email": f"drill-{attempted.key}@example.test",
            "phone": "(217) 555-0110",
            "message": f"Fault drill message {attempted.key}.",
            "submission_key": attempted.key,
            "website": "",
        }
        while time.monotonic() < self.deadline:
            attempted.attempts += 1
            attempted.last_try_at = time.time()
            try:
                status, headers, text = request(self.port, "GET", "/get-in-touch/")
                cookie = CSRF_COOKIE.search(headers.get("set-cookie", ""))
                token = CSRF_FIELD.search(text)
                if status != 200 or not cookie or not token:
                    self._note(f"form {status}")
                else:
                    status, headers, _text = request(
                        self.port,
                        "POST",
                        "/get-in-touch/",
                        body=urlencode({**fields, "csrfmiddlewaretoken": token.group(1)}),
                        cookie=f"csrftoken={cookie.group(1)}",
                    )
                    self._note(f"post {status}")
                    if status == 302 and attempted.key in headers.get("location", ""):
                        attempted.confirmed = True
                        attempted.confirmed_at = time.monotonic()
                        return attempted
            except (OSError, http.client.HTTPException) as exc:
                self._note(type(exc).__name__)
            time.sleep(self.pause)
        return attempted


def new_attempt() -> Attempted:
    return Attempted(key=str(uuid.uuid4()))


# --- what the database holds ------------------------------------------------------------------


def inquiry_rows(keys: Iterable[str]) -> tuple[dict[str, int], list[str]]:
    """Through the ORM (Django set up for the drill database): how many inquiries carry
    each drill submission's marker address, and which lack their "received" event or
    either of their two outbox emails (all written in the one transaction)."""
    from django.db.models import Count

    from ketaclinic.inquiries.models import Inquiry, InquiryEvent
    from ketaclinic.notifications.models import OutboxMessage

    keys = list(keys)
    emails = {f"drill-{key}@example.test": key for key in keys}
    rows: dict[str, int] = {}
    for item in (
        Inquiry.objects.filter(email__in=list(emails)).values("email").annotate(n=Count("id"))
    ):
        rows[emails[item["email"]]] = item["n"]
    inquiries = dict(
        Inquiry.objects.filter(email__in=list(emails)).values_list("pk", "idempotency_key")
    )
    received = set(
        InquiryEvent.objects.filter(
            inquiry_id__in=list(inquiries), kind=InquiryEvent.Kind.RECEIVED
        ).values_list("inquiry_id", flat=True)
    )
    outbox = set(
        OutboxMessage.objects.filter(dedup_key__startswith="inquiry:").values_list(
            "dedup_key", flat=True
        )
    )
    incomplete = [
        str(key)
        for pk, key in inquiries.items()
        if pk not in received
        or f"inquiry:{pk}:intake" not in outbox
        or f"inquiry:{pk}:ack" not in outbox
    ]
    return rows, incomplete


def resent_after_commit(attempted: Iterable[Attempted]) -> int:
    """Retried submissions whose record was committed before their last try began: the
    request that saved it died before answering, and the key absorbed the resend."""
    from ketaclinic.inquiries.models import Inquiry

    retried = {f"drill-{a.key}@example.test": a for a in attempted if a.attempts > 1}
    created = Inquiry.objects.filter(email__in=list(retried)).values_list("email", "created_at")
    return sum(
        1
        for email, at in created
        if retried[email].last_try_at and at.timestamp() < retried[email].last_try_at
    )


def make_location() -> None:
    """One active location, so the form needs no choice of location."""
    from ketaclinic.clinic.models import Location

    Location.objects.get_or_create(
        slug="drill",
        defaults={
            "name": "Drill Clinic",
            "address_line1": "1 Drill Street",
            "city": "Springfield",
            "phone": "(217) 555-0100",
            "hours": "Mon–Fri 8:00–18:00",
        },
    )


def on_sigterm_exit() -> None:
    """``timeout`` (drills/run-all.sh) sends SIGTERM: leave through ``finally`` blocks, so
    gunicorn, the throwaway cluster and the scratch database are cleaned up."""

    def leave(signum, _frame):
        # timeout signals the whole process group and uv passes it on: clean up once
        signal.signal(signal.SIGTERM, signal.SIG_IGN)
        raise SystemExit(128 + signum)

    signal.signal(signal.SIGTERM, leave)


if __name__ == "__main__":
    # drills/run-all.sh: ``_web.py build-template`` first, ``_web.py drop-template`` last
    if sys.argv[1:] == ["build-template"]:
        with tempfile.TemporaryDirectory(prefix="ketaclinic-drill-template-") as var:
            ensure_template(lambda url: app_env(url, Path(var)))
    elif sys.argv[1:] == ["drop-template"]:
        drop_template()
    else:
        sys.exit("usage: _web.py build-template | drop-template")
