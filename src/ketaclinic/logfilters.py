"""Logging that never writes a questionnaire link token (or another secret in a URL).

A request for ``/q/<token>/`` is logged by ``django.server`` (runserver's request
line), by ``django.request`` ("Not Found: /q/<token>/", "Gone: …" for 404/410 and every
other 4xx/5xx), by ``django.security.csrf`` and by gunicorn (``gunicorn.access``: the
request line and the referrer of every static file the page loads; ``gunicorn.error``:
"Error handling request /q/<token>/"). Whoever reads those logs could answer as the
patient; so every such record passes ``RedactSecrets`` before any handler formats it.

``RedactSecrets`` renders the record's message, hides the secret path segments and
bare questionnaire tokens (``ketaclinic.redaction.redact_paths``) and keeps the result
as the message (``args`` emptied), so every handler and formatter sees the redacted
text. Exception and stack text is rendered and redacted the same way, and a
``request`` attached by Django whose path holds a secret is dropped from the record
(an admin error email would otherwise print its path and headers).

``configure_logging`` is ``settings.LOGGING_CONFIG``: Django's ``dictConfig`` of
``settings.LOGGING`` (whose console handler has the filter), then ``install()``,
which adds the filter to the loggers above and to every handler configured by then
(Django's own defaults, and gunicorn's, which gunicorn sets up before it loads the
application in a worker). It is idempotent.
"""

from __future__ import annotations

import logging
import logging.config

from ketaclinic.redaction import redact_paths

REDACTED_LOGGERS = (
    "django.request",
    "django.server",
    "django.security.csrf",
    "gunicorn.access",
    "gunicorn.error",
)


class RedactSecrets(logging.Filter):
    """Hide link tokens in a record's message, exception text and stack text."""

    def filter(self, record: logging.LogRecord) -> bool:
        try:
            message = record.getMessage()
        except Exception:  # a bad format string: keep every piece, redacted
            message = f"{record.msg} {record.args!r}"
        redacted = redact_paths(message)
        if redacted != message:
            record.msg, record.args = redacted, ()
        if record.exc_info and not record.exc_text:
            text = logging.Formatter().formatException(record.exc_info)
            if redact_paths(text) != text:
                record.exc_text = text  # formatters use it as it is: redacted below
        if record.exc_text:
            record.exc_text = redact_paths(record.exc_text)
        if record.stack_info:
            record.stack_info = redact_paths(record.stack_info)
        request = getattr(record, "request", None)
        path = getattr(request, "path", None)
        if isinstance(path, str) and redact_paths(path) != path:
            record.request = None
        return True


def _has_filter(filterer: logging.Filterer) -> bool:
    return any(isinstance(f, RedactSecrets) for f in filterer.filters)


def install(names: tuple[str, ...] = REDACTED_LOGGERS) -> None:
    """Add ``RedactSecrets`` to the named loggers and to every handler there is now."""
    for name in names:
        logger = logging.getLogger(name)
        if not _has_filter(logger):
            logger.addFilter(RedactSecrets())
    loggers = [logging.getLogger()] + [
        logger
        for logger in logging.Logger.manager.loggerDict.values()
        if isinstance(logger, logging.Logger)
    ]
    for logger in loggers:
        for handler in logger.handlers:
            if not _has_filter(handler):
                handler.addFilter(RedactSecrets())


def configure_logging(config: dict) -> None:
    """``settings.LOGGING_CONFIG``: apply ``config`` (dictConfig), then ``install()``."""
    logging.config.dictConfig(config)
    install()
