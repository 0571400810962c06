"""Questionnaire link tokens never reach a log: real requests, real configured loggers.

Each test makes a request (or a gunicorn access record) for a real token, captures
what the configured handlers write, and checks that the record was written (the
redacted path is there) without the token.
"""

from __future__ import annotations

import io
import logging
import socket
import sys
from contextlib import contextmanager
from datetime import timedelta

import pytest
from django.conf import settings
from django.core.servers.basehttp import WSGIRequestHandler, WSGIServer
from django.core.signals import request_finished, request_started
from django.core.wsgi import get_wsgi_application
from django.db import close_old_connections
from django.utils import timezone

from ketaclinic.logfilters import REDACTED_LOGGERS, RedactSecrets, install
from ketaclinic.measures.domain import links
from ketaclinic.measures.domain.responses import submit
from tests.patients.factories import make_patient

pytestmark = pytest.mark.django_db

PHQ9 = {str(i): 0 for i in range(1, 10)}


@pytest.fixture
def patient(riverside):
    return make_patient(riverside, email="dana@example.com")


@contextmanager
def _written_by(logger: logging.Logger):
    """What the handlers the settings configured on ``logger`` write (their formatters,
    their filters); pytest's own capture handlers are left alone."""
    handlers = [
        h
        for h in logger.handlers
        if type(h) is logging.StreamHandler and any(isinstance(f, RedactSecrets) for f in h.filters)
    ]
    assert handlers, f"no stream handler on {logger.name}"
    stream = io.StringIO()
    previous = [h.setStream(stream) for h in handlers]
    try:
        yield stream
    finally:
        for handler, old in zip(handlers, previous, strict=True):
            handler.setStream(old)


@pytest.fixture
def console():
    """What the console handler of settings.LOGGING writes (root: django.request…)."""
    with _written_by(logging.getLogger()) as stream:
        yield stream


def test_settings_install_the_filter():
    assert settings.LOGGING_CONFIG == "ketaclinic.logfilters.configure_logging"
    assert settings.LOGGING["handlers"]["console"]["filters"] == ["redact_secrets"]
    for name in REDACTED_LOGGERS:
        assert [f for f in logging.getLogger(name).filters if isinstance(f, RedactSecrets)]


def test_install_is_idempotent():
    install()
    install()

    assert len(logging.getLogger("django.request").filters) == 1


def test_used_link_410_is_logged_without_its_token(client, patient, console, caplog):
    link, token = links.create_link(patient, "phq-9")
    submit(link, PHQ9)

    with caplog.at_level(logging.INFO):
        response = client.get(f"/q/{token}/")

    assert response.status_code == 410
    assert "Gone: /q/[redacted]/" in console.getvalue()
    assert "Gone: /q/[redacted]/" in caplog.text
    assert token not in console.getvalue() + caplog.text
    assert [r.getMessage() for r in caplog.records if r.name == "django.request"] == [
        "Gone: /q/[redacted]/"
    ]


def test_expired_link_and_reminder_token_are_logged_without_tokens(client, patient, console):
    sent_at = timezone.now() - timedelta(days=settings.MEASURES_REMINDER_DAYS)
    link, token = links.create_link(patient, "phq-9", now=sent_at)
    links.send_reminders()
    reminder = _reminder_token(link)
    links.expire(timezone.now() + timedelta(days=30))

    assert client.get(f"/q/{token}/").status_code == 410
    assert client.get(f"/q/{reminder}/").status_code == 410
    assert client.post(f"/q/{reminder}/", {}).status_code == 410

    written = console.getvalue()
    assert written.count("Gone: /q/[redacted]/") == 3
    assert token not in written
    assert reminder not in written


def test_unknown_token_404_is_logged_without_it(client, console):
    token = links.new_token()  # well formed, signed, but no such link

    assert client.get(f"/q/{token}/").status_code == 404

    assert "Not Found: /q/[redacted]/" in console.getvalue()
    assert token not in console.getvalue()


def test_runserver_request_line_is_logged_without_the_token(patient):
    """django.server: runserver's own request handler serves one real request."""
    _link, token = links.create_link(patient, "phq-9")
    # as Django's test client does: the request must not close the test's connection
    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    server = WSGIServer(("127.0.0.1", 0), WSGIRequestHandler)
    server.set_app(get_wsgi_application())
    ours, theirs = socket.socketpair()
    try:
        ours.sendall(
            f"GET /q/{token}/ HTTP/1.1\r\nHost: localhost\r\n"
            f"Referer: http://localhost/q/{token}/\r\nConnection: close\r\n\r\n".encode()
        )
        ours.shutdown(socket.SHUT_WR)
        with _written_by(logging.getLogger("django.server")) as stream:
            WSGIRequestHandler(theirs, ("127.0.0.1", 50000), server)
        reply = ours.makefile("rb").read().decode(errors="replace")
    finally:
        ours.close()
        theirs.close()
        server.server_close()
        request_started.connect(close_old_connections)
        request_finished.connect(close_old_connections)

    assert reply.startswith("HTTP/1.1 200")
    written = stream.getvalue()
    assert '"GET /q/[redacted]/ HTTP/1.1" 200' in written
    assert token not in written


def test_gunicorn_access_and_error_logs_without_the_token(tmp_path):
    """gunicorn's own Logger, set up as a worker has it, writes its access log file."""
    from gunicorn.config import Config
    from gunicorn.glogging import Logger

    token = links.new_token()
    config = Config()
    config.set("accesslog", str(tmp_path / "access.log"))
    config.set("errorlog", str(tmp_path / "error.log"))
    gunicorn_log = Logger(config)
    environ = {
        "REQUEST_METHOD": "GET",
        "RAW_URI": f"/q/{token}/",
        "PATH_INFO": f"/q/{token}/",
        "QUERY_STRING": "",
        "SERVER_PROTOCOL": "HTTP/1.1",
        "REMOTE_ADDR": "203.0.113.9",
        "HTTP_REFERER": f"https://clinic.example/q/{token}/",
        "HTTP_USER_AGENT": "test",
    }

    class Reply:
        status = "410 Gone"
        sent = 1234
        headers = []

    try:
        gunicorn_log.access(Reply(), [], environ, timedelta(milliseconds=5))
        gunicorn_log.error("Error handling request %s", f"/q/{token}/")
    finally:
        for handler in gunicorn_log.access_log.handlers + gunicorn_log.error_log.handlers:
            handler.flush()

    access = (tmp_path / "access.log").read_text()
    error = (tmp_path / "error.log").read_text()
    assert '"GET /q/[redacted]/ HTTP/1.1" 410 1234 "https://clinic.example/q/[redacted]/"' in access
    assert "Error handling request /q/[redacted]/" in error
    assert token not in access + error


def test_exception_text_and_attached_request_are_redacted(rf):
    token = links.new_token()
    request = rf.get(f"/q/{token}/")
    try:
        raise ValueError(f"cannot open /q/{token}/")
    except ValueError:
        record = logging.LogRecord(
            "django.request",
            logging.ERROR,
            __file__,
            1,
            "Internal Server Error: %s",
            (request.path,),
            exc_info=sys.exc_info(),
        )
    record.request = request

    RedactSecrets().filter(record)
    text = logging.Formatter().format(record)

    assert "Internal Server Error: /q/[redacted]/" in text
    assert "ValueError: cannot open /q/[redacted]/" in text
    assert token not in text
    assert record.request is None  # an admin error email would print its path


def _reminder_token(link):
    from ketaclinic.notifications.models import OutboxMessage

    body = OutboxMessage.objects.get(dedup_key=f"measures.link:{link.pk}:reminder").body
    return body.split("/q/")[1].split("/")[0]
