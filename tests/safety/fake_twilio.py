"""A stand-in for Twilio's REST API on loopback: a real HTTP server in a thread.

It records every request (method, path, headers, form fields, arrival time) and
answers from a script of replies; with no script left it accepts the message (201 and
a JSON body with a fresh ``sid``), like Twilio. Used by the channel tests and by
``scripts/measure_alert_latency.py``, so it is a module of its own.
"""

from __future__ import annotations

import contextlib
import itertools
import json
import threading
import time
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs


@dataclass
class Reply:
    status: int = 201
    body: dict | str | None = None  # None: a Twilio-like message resource
    delay: float = 0.0  # seconds before answering (a slow provider)
    headers: dict = field(default_factory=dict)
    hang_up: bool = False  # close the connection without answering


@dataclass
class Seen:
    method: str
    path: str
    headers: dict
    form: dict
    at: float  # time.time() on arrival


class FakeTwilio:
    def __init__(self):
        self.requests: list[Seen] = []
        self.replies: list[Reply] = []
        self._ids = itertools.count(1)
        self._lock = threading.Lock()
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), self._handler())
        self._server.daemon_threads = True
        self._thread = threading.Thread(
            target=self._server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
        )

    @property
    def base(self) -> str:
        host, port = self._server.server_address[:2]
        return f"http://{host}:{port}"

    def start(self) -> FakeTwilio:
        self._thread.start()
        return self

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()

    def reply(self, *replies: Reply) -> None:
        """Queue the next answers (then back to 201)."""
        with self._lock:
            self.replies.extend(replies)

    def for_key(self, key: str) -> list[Seen]:
        return [r for r in self.requests if r.headers.get("i-twilio-idempotency-token") == key]

    def _next(self, seen: Seen) -> Reply:
        with self._lock:
            self.requests.append(seen)
            return self.replies.pop(0) if self.replies else Reply()

    def _handler(self):
        fake = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, format, *args):  # keep test output quiet
                pass

            def do_POST(self):
                length = int(self.headers.get("Content-Length") or 0)
                raw = self.rfile.read(length).decode()
                seen = Seen(
                    method="POST",
                    path=self.path,
                    headers={k.lower(): v for k, v in self.headers.items()},
                    form={k: v[0] for k, v in parse_qs(raw, keep_blank_values=True).items()},
                    at=time.time(),
                )
                reply = fake._next(seen)
                if reply.delay:
                    time.sleep(reply.delay)
                if reply.hang_up:
                    self.close_connection = True
                    self.connection.shutdown(2)
                    return
                body = reply.body
                if body is None:
                    prefix = "CA" if self.path.endswith("/Calls.json") else "SM"
                    body = {"sid": f"{prefix}{next(fake._ids):032x}", "status": "queued"}
                payload = (body if isinstance(body, str) else json.dumps(body)).encode()
                self.send_response(reply.status)
                self.send_header(
                    "Content-Type",
                    "text/html" if isinstance(body, str) else "application/json",
                )
                self.send_header("Content-Length", str(len(payload)))
                for name, value in reply.headers.items():
                    self.send_header(name, value)
                self.end_headers()
                with contextlib.suppress(OSError):  # the client gave up (a time-out test)
                    self.wfile.write(payload)

            def do_GET(self):  # a followed redirect would arrive here (and be recorded)
                self.do_POST()

        return Handler
