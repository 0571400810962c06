"""The second channel for urgent alerts (CLINICAL.md §7: SMS or phone; email alone is
not enough), behind one interface.

``get_channel()`` returns an instance of the class named by ``SAFETY_SECOND_CHANNEL``
(a dotted path). Every channel has one method::

    send(to_phone: str, text: str, *, key: str = "") -> str

``to_phone`` is E.164 ("+12175550100"); ``text`` is the whole message (it carries no
health details, only a link). ``send`` returns a provider message id (or "") and
raises on failure, so the caller retries; it may be called more than once for one
notification (at-least-once delivery), so an adapter that can should pass the
notification's ``dedup_key`` on as the provider's idempotency key (``send`` receives
it as the keyword argument ``key``). An adapter raises ``ChannelError`` for a failure
worth retrying (timeout, provider down, rate limit, bad credentials an operator can
fix) and ``PermanentChannelError`` for a message that can never go out as it stands
(the provider says the number is not a phone number): delivery then marks the row
failed at once instead of retrying it for an hour.

Shipped:

- ``TwilioSMSChannel`` (production): a text message through Twilio's Messages REST
  API; ``TwilioVoiceChannel``: a phone call that reads a fixed sentence (no details,
  no link: the link comes by email). Both speak HTTPS with the standard library
  only, and read ``SAFETY_SMS_ACCOUNT_SID``, ``SAFETY_SMS_AUTH_TOKEN`` (or ``_FILE``),
  ``SAFETY_SMS_FROM``, ``SAFETY_SMS_API_BASE`` and ``SAFETY_SMS_TIMEOUT_SECONDS``.
- ``FileChannel`` (development: one JSON line per message appended to
  ``SAFETY_MESSAGES_FILE``), ``ConsoleChannel`` (logs), ``MemoryChannel`` (tests).
"""

from __future__ import annotations

import base64
import http.client
import json
import logging
from pathlib import Path
from urllib.error import HTTPError, URLError
from urllib.parse import quote, urlencode, urlsplit
from urllib.request import HTTPRedirectHandler, Request, build_opener
from xml.sax.saxutils import escape

from django.conf import settings
from django.utils import timezone
from django.utils.module_loading import import_string

log = logging.getLogger(__name__)


class ChannelError(Exception):
    """A send failed; delivery retries it with back-off. The text is shown to staff
    on the alert page, so it never carries a secret or the message itself."""


class PermanentChannelError(ChannelError):
    """The provider refused this message for good (e.g. not a phone number):
    retrying the same request can never succeed."""


class SecondChannel:
    """Base class for SMS / phone adapters."""

    name = "second-channel"

    def send(self, to_phone: str, text: str, *, key: str = "") -> str:
        raise NotImplementedError


class FileChannel(SecondChannel):
    name = "file"

    def __init__(self, path: str | Path | None = None):
        self.path = Path(path or settings.SAFETY_MESSAGES_FILE)

    def send(self, to_phone: str, text: str, *, key: str = "") -> str:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        line = json.dumps(
            {"at": timezone.now().isoformat(), "to": to_phone, "text": text, "key": key},
            ensure_ascii=False,
        )
        with self.path.open("a", encoding="utf-8") as handle:
            handle.write(line + "\n")
        return key


class ConsoleChannel(SecondChannel):
    name = "console"

    def send(self, to_phone: str, text: str, *, key: str = "") -> str:
        log.warning("SAFETY SECOND CHANNEL to %s: %s", to_phone, text)
        return key


class MemoryChannel(SecondChannel):
    """Keeps messages in ``MemoryChannel.outbox`` (like Django's locmem email backend)."""

    name = "memory"
    outbox: list[dict] = []

    def send(self, to_phone: str, text: str, *, key: str = "") -> str:
        MemoryChannel.outbox.append({"to": to_phone, "text": text, "key": key})
        return key


# --- Twilio ------------------------------------------------------------------------------

# Answers that mean "this request is wrong and will stay wrong": a malformed or refused
# number (Twilio answers 400 with an error code such as 21211), an unknown resource, a
# body too large. Everything else (401/403 credentials an operator can fix, 408, 409,
# 429 rate limit, 5xx, redirects, timeouts, broken connections) is retried.
PERMANENT_STATUSES = frozenset({400, 404, 410, 413, 422})
MAX_RESPONSE_BYTES = 64 * 1024


class _NoRedirects(HTTPRedirectHandler):
    """Never follow a redirect: urllib would resend the credentials to the new host
    and turn the POST into a GET. A redirect is a misconfigured API base."""

    def redirect_request(self, req, fp, code, msg, headers, newurl):
        return None


class TwilioChannel(SecondChannel):
    """Shared plumbing of the Twilio adapters: one form-encoded POST to
    ``{base}/2010-04-01/Accounts/{sid}/{resource}.json`` with HTTP basic auth
    (account SID : auth token), the notification's dedup key as idempotency token,
    and a clear exception for every way it can fail."""

    name = "twilio"
    resource = ""
    idempotency_header = "I-Twilio-Idempotency-Token"
    # What the provider is called in messages staff read.
    provider = "Twilio"

    def __init__(
        self,
        *,
        account_sid: str | None = None,
        auth_token: str | None = None,
        from_number: str | None = None,
        api_base: str | None = None,
        timeout: float | None = None,
    ):
        self.account_sid = account_sid or settings.SAFETY_SMS_ACCOUNT_SID
        self.auth_token = auth_token or settings.SAFETY_SMS_AUTH_TOKEN
        self.from_number = from_number or settings.SAFETY_SMS_FROM
        self.api_base = (api_base or settings.SAFETY_SMS_API_BASE).rstrip("/")
        self.timeout = timeout or settings.SAFETY_SMS_TIMEOUT_SECONDS
        self._opener = build_opener(_NoRedirects)

    def __repr__(self) -> str:  # never show the token, even in a traceback's locals
        return f"<{type(self).__name__} account={self.account_sid!r} base={self.api_base!r}>"

    def fields(self, to_phone: str, text: str) -> dict[str, str]:
        raise NotImplementedError

    @property
    def url(self) -> str:
        sid = quote(self.account_sid, safe="")
        return f"{self.api_base}/2010-04-01/Accounts/{sid}/{self.resource}.json"

    def _check_configured(self) -> None:
        missing = [
            name
            for name, value in (
                ("SAFETY_SMS_ACCOUNT_SID", self.account_sid),
                ("SAFETY_SMS_AUTH_TOKEN", self.auth_token),
                ("SAFETY_SMS_FROM", self.from_number),
            )
            if not value
        ]
        if missing:
            # Retried: once an operator sets them, the waiting messages go out.
            raise ChannelError(f"{self.provider} is not configured: set {', '.join(missing)}")

    def send(self, to_phone: str, text: str, *, key: str = "") -> str:
        self._check_configured()
        credentials = base64.b64encode(f"{self.account_sid}:{self.auth_token}".encode()).decode()
        headers = {
            "Authorization": f"Basic {credentials}",
            "Content-Type": "application/x-www-form-urlencoded",
            "Accept": "application/json",
            "User-Agent": "ketaclinic-safety",
        }
        if key:
            headers[self.idempotency_header] = key
        request = Request(  # noqa: S310 - the scheme is checked in settings (https in production)
            self.url,
            data=urlencode(self.fields(to_phone, text)).encode(),
            headers=headers,
            method="POST",
        )
        host = urlsplit(self.api_base).netloc
        try:
            with self._opener.open(request, timeout=self.timeout) as response:
                status = response.status
                payload = response.read(MAX_RESPONSE_BYTES)
        except HTTPError as exc:
            raise self._refused(exc.code, _read_error_body(exc)) from None
        except TimeoutError:
            raise ChannelError(
                f"{self.provider} did not answer within {self.timeout:g} s"
            ) from None
        except URLError as exc:
            if isinstance(exc.reason, TimeoutError):
                raise ChannelError(
                    f"{self.provider} did not answer within {self.timeout:g} s"
                ) from None
            raise ChannelError(f"could not reach {self.provider} at {host}: {exc.reason}") from None
        except (http.client.HTTPException, OSError) as exc:
            raise ChannelError(
                f"the connection to {self.provider} at {host} broke: {type(exc).__name__}"
            ) from None
        message_id = _json(payload).get("sid")
        if not isinstance(message_id, str) or not message_id:
            raise ChannelError(
                f"{self.provider} answered HTTP {status} without a message id; "
                "is SAFETY_SMS_API_BASE right?"
            )
        log.info(
            "second channel: %s accepted %s %s (notification %s)",
            self.provider,
            self.resource.lower()[:-1],
            message_id,
            key,
        )
        return message_id

    def _refused(self, status: int, body: bytes) -> ChannelError:
        details = _json(body)
        code = details.get("code")
        reason = str(details.get("message") or "")[:300]
        said = f"HTTP {status}" + (f", {self.provider} error {code}" if code else "")
        if reason:
            said += f": {reason}"
        if status in PERMANENT_STATUSES:
            return PermanentChannelError(f"{self.provider} refused the message ({said})")
        if status in (401, 403):
            return ChannelError(
                f"{self.provider} refused the credentials ({said}); "
                "check SAFETY_SMS_ACCOUNT_SID and SAFETY_SMS_AUTH_TOKEN"
            )
        return ChannelError(f"{self.provider} could not take the message now ({said})")


def _read_error_body(exc: HTTPError) -> bytes:
    try:
        with exc:
            return exc.read(MAX_RESPONSE_BYTES) or b""
    except (OSError, http.client.HTTPException, ValueError, AttributeError):
        return b""


def _json(raw: bytes) -> dict:
    try:
        value = json.loads(raw.decode("utf-8"))
    except (UnicodeDecodeError, ValueError):
        return {}
    return value if isinstance(value, dict) else {}


class TwilioSMSChannel(TwilioChannel):
    """Urgent alerts by text message (Twilio Programmable Messaging)."""

    name = "twilio-sms"
    resource = "Messages"

    def fields(self, to_phone: str, text: str) -> dict[str, str]:
        return {"To": to_phone, "From": self.from_number, "Body": text}


# Read aloud twice. A link cannot be read out: the call says where to look.
VOICE_SENTENCE = (
    "This is Ketaclinic. An urgent alert is waiting for you. "
    "Please sign in to Ketaclinic, or check your email for the link."
)


class TwilioVoiceChannel(TwilioChannel):
    """Urgent alerts by phone call: Twilio rings the number and reads a fixed sentence
    (no health details, no link; the email carries the link). Same settings as SMS."""

    name = "twilio-voice"
    resource = "Calls"

    def fields(self, to_phone: str, text: str) -> dict[str, str]:
        say = f"<Say>{escape(VOICE_SENTENCE)}</Say>"
        return {
            "To": to_phone,
            "From": self.from_number,
            "Twiml": f'<Response>{say}<Pause length="1"/>{say}</Response>',
        }


def get_channel() -> SecondChannel:
    return import_string(settings.SAFETY_SECOND_CHANNEL)()
