"""Find and hide secrets that travel in URLs (pure Python, no Django).

A questionnaire link (``/q/<token>/``) is the patient's identity: whoever holds the
token can answer as them until it is used or expires. The same goes for a staff
invitation (``/accounts/invitation/<token>/``) and a password reset key
(``/accounts/password/reset/key/<key>/``). Such a secret must not outlive its purpose
in logs (request lines, referrers, "Not Found: <path>") or in stored email bodies.

- ``redact_paths(text)``: the secret path segment replaced by ``[redacted]``; the rest
  of the line stays readable ("GET /q/[redacted]/ HTTP/1.1" 410). Used by the log
  filter (``ketaclinic.logfilters``).
- ``remove_links(text, marker)``: each whole link that carries a secret replaced by
  ``marker`` (default "[link removed after sending]"). Used on email bodies once they
  are sent (``notifications.domain.outbox``) and wherever staff might see one.

Questionnaire tokens have one shape (``measures.domain.links.TOKEN_RE``:
43 URL-safe base64 characters, a dot, 32 hex digits); a token of that shape is hidden
wherever it appears, even without its ``/q/`` prefix. Under ``/q/`` any segment but
``me`` (the signed-in patient's own pages) is hidden, so a mistyped or tampered token
is hidden too.
"""

from __future__ import annotations

import re

REDACTED = "[redacted]"
LINK_REMOVED = "[link removed after sending]"

# The shape of measures.domain.links.new_token() (tested against it), unanchored.
QUESTIONNAIRE_TOKEN = r"[A-Za-z0-9_-]{43}\.[0-9a-f]{32}"  # noqa: S105 (a shape, no secret)

_SEGMENT = r"[^/\s?#\"'<>]+"
_NOT_ME = r"(?!me(?:[/?#\s\"'<>]|$))"  # /q/me/… is the patient's own pages, no secret
_PREFIX = rf"(?:/q/{_NOT_ME}|/accounts/invitation/|/accounts/password/reset/key/)"
_PATH_RE = re.compile(rf"(?P<prefix>{_PREFIX}){_SEGMENT}")
_TOKEN_RE = re.compile(QUESTIONNAIRE_TOKEN)  # anywhere, even inside %2F…%2F
# A whole link: scheme and host (optional), a secret path and whatever follows up to
# white space, a quote or a closing bracket.
_LINK_RE = re.compile(rf"(?:https?://[^\s/\"'<>]+)?{_PREFIX}[^\s\"'<>)\]]+")


def redact_paths(text: str) -> str:
    """``text`` with every secret path segment and bare questionnaire token hidden."""
    if not text:
        return text
    text = _PATH_RE.sub(lambda m: m.group("prefix") + REDACTED, text)
    return _TOKEN_RE.sub(REDACTED, text)


def remove_links(text: str, marker: str = LINK_REMOVED) -> str:
    """``text`` with every link that carries a secret replaced by ``marker``."""
    if not text:
        return text
    text = _LINK_RE.sub(marker, text)
    return _TOKEN_RE.sub(REDACTED, text)
