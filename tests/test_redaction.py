"""Secrets in URLs (questionnaire tokens, invitations, reset keys) are found and hidden."""

from __future__ import annotations

import pytest

from ketaclinic.measures.domain.links import TOKEN_RE, new_token
from ketaclinic.redaction import LINK_REMOVED, QUESTIONNAIRE_TOKEN, redact_paths, remove_links

TOKEN = "A" * 43 + "." + "0123456789abcdef" * 2


def test_the_token_shape_is_the_one_the_links_module_makes():
    token = new_token()

    assert TOKEN_RE.match(token)
    assert TOKEN_RE.pattern == f"^{QUESTIONNAIRE_TOKEN}$"
    assert token not in redact_paths(f"look: {token} !")


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (f'"GET /q/{TOKEN}/ HTTP/1.1" 410 1234', '"GET /q/[redacted]/ HTTP/1.1" 410 1234'),
        (f"Gone: /q/{TOKEN}/", "Gone: /q/[redacted]/"),
        ("Not Found: /q/not-a-real-token/", "Not Found: /q/[redacted]/"),
        (
            f'"GET /static/site.css HTTP/1.1" 200 "https://clinic.example/q/{TOKEN}/"',
            '"GET /static/site.css HTTP/1.1" 200 "https://clinic.example/q/[redacted]/"',
        ),
        (f"?next=%2Fq%2F{TOKEN}%2F", "?next=%2Fq%2F[redacted]%2F"),
        ("GET /accounts/invitation/abc_DEF-123/", "GET /accounts/invitation/[redacted]/"),
        (
            "/accounts/password/reset/key/1-set-password/",
            "/accounts/password/reset/key/[redacted]/",
        ),
        # the signed-in patient's own pages hold no secret
        ('"GET /q/me/results/ HTTP/1.1" 200', '"GET /q/me/results/ HTTP/1.1" 200'),
        ("/q/me/", "/q/me/"),
        ("/q/meadow/", "/q/[redacted]/"),
        ("nothing to hide", "nothing to hide"),
        ("", ""),
    ],
)
def test_redact_paths(text, expected):
    assert redact_paths(text) == expected


def test_redact_paths_is_idempotent():
    once = redact_paths(f"/q/{TOKEN}/ and {TOKEN}")

    assert redact_paths(once) == once == "/q/[redacted]/ and [redacted]"


def test_remove_links_replaces_the_whole_link():
    body = (
        "Your care team has sent you a short questionnaire.\n\n"
        f"Open it here: https://clinic.example/q/{TOKEN}/\n\n"
        "The link works until March 8. Call or text 988 in a crisis.\n"
    )

    cleaned = remove_links(body)

    assert cleaned == (
        "Your care team has sent you a short questionnaire.\n\n"
        f"Open it here: {LINK_REMOVED}\n\n"
        "The link works until March 8. Call or text 988 in a crisis.\n"
    )
    assert remove_links(cleaned) == cleaned


def test_remove_links_keeps_links_without_secrets():
    body = "Open the inquiry: https://clinic.example/staff/inquiries/4/ or /q/me/."

    assert remove_links(body) == body


def test_remove_links_handles_invitations_and_a_custom_marker():
    body = "Choose your password: http://127.0.0.1:8000/accounts/invitation/x-Y_z/ (once)."

    assert remove_links(body, "[gone]") == "Choose your password: [gone] (once)."
