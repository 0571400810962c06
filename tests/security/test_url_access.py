"""Every URL of the project, requested as every persona, with the expected outcome.

One table (``ACCESS``) says, per URL name, what each persona gets. A URL pattern
without a row fails the suite, so a new screen cannot ship without deciding who
may open it. Outcomes: an HTTP status, or ``LOGIN`` for a redirect to sign-in.
Requests are GET unless the row says POST (views that only accept POST).
"""

from __future__ import annotations

import uuid

import pytest
from django.urls import URLPattern, URLResolver, get_resolver, reverse

from ketaclinic.notifications.models import OutboxMessage
from tests.factories import make_inquiry

LOGIN = "login"
PERSONAS = [
    "anonymous",
    "frontdesk",
    "nurse",
    "prescriber",
    "director",
    "admin",
    "other_frontdesk",
    "other_prescriber",
]


def every(outcome):
    return dict.fromkeys(PERSONAS, outcome)


def staff(default, **overrides):
    table = {"anonymous": LOGIN, **dict.fromkeys(PERSONAS[1:], default)}
    table.update(overrides)
    return table


INBOX_ROLES = {
    "frontdesk": 200,
    "prescriber": 200,
    "director": 200,
    "admin": 200,
    "other_frontdesk": 200,
    "other_prescriber": 200,
}
RIVERSIDE_READERS = {"frontdesk": 200, "prescriber": 200, "director": 200, "admin": 200}

# name: (method, {persona: outcome})
ACCESS: dict[str, tuple[str, dict]] = {
    **{
        name: ("GET", every(200))
        for name in [
            "website:home",
            "website:ketamine-therapy",
            "website:conditions",
            "website:condition-trd",
            "website:condition-ptsd",
            "website:condition-bipolar",
            "website:condition-chronic-pain",
            "website:benefits",
            "website:risks",
            "website:who-should-not",
            "website:what-to-expect",
            "website:faq",
            "website:privacy",
            "website:locations",
            "website:get-in-touch",
            "website:get-in-touch-thanks",
        ]
    },
    "backoffice:home": ("GET", staff(302, nurse=200)),
    "backoffice:inbox": ("GET", staff(403, **INBOX_ROLES)),
    "backoffice:inquiry": ("GET", staff(403, **RIVERSIDE_READERS)),
    "backoffice:inquiry-move": ("POST", staff(403, frontdesk=302, director=302, admin=302)),
    "backoffice:inquiry-assign": ("POST", staff(403, frontdesk=302, director=302, admin=302)),
    "backoffice:inquiry-note": ("POST", staff(403, **dict.fromkeys(RIVERSIDE_READERS, 400))),
    "backoffice:delivery-problems": ("GET", staff(403, director=200, admin=200)),
    "backoffice:delivery-retry": ("POST", staff(403, director=302, admin=302)),
}


def url_patterns(patterns=None, namespace=""):
    for pattern in patterns if patterns is not None else get_resolver().url_patterns:
        if isinstance(pattern, URLResolver):
            inner = namespace
            if pattern.namespace:
                inner = f"{namespace}:{pattern.namespace}" if namespace else pattern.namespace
            yield from url_patterns(pattern.url_patterns, inner)
        elif isinstance(pattern, URLPattern):
            yield f"{namespace}:{pattern.name}" if namespace else (pattern.name or "")


def our_urls():
    """Our own URL names; allauth's and the admin's are covered by their own tests."""
    return {name for name in url_patterns() if name.split(":")[0] in {"website", "backoffice"}}


def test_every_url_has_a_row_in_the_access_table():
    assert our_urls() - set(ACCESS) == set()


def test_no_row_names_a_url_that_does_not_exist():
    assert set(ACCESS) - our_urls() == set()


@pytest.fixture
def sample_args(riverside):
    inquiry = make_inquiry(riverside)
    message = OutboxMessage.objects.first()
    OutboxMessage.objects.filter(pk=message.pk).update(status="failed")
    return {
        "backoffice:inquiry": [inquiry.pk],
        "backoffice:inquiry-move": [inquiry.pk],
        "backoffice:inquiry-assign": [inquiry.pk],
        "backoffice:inquiry-note": [inquiry.pk],
        "backoffice:delivery-retry": [message.pk],
        "website:get-in-touch-thanks": [uuid.uuid4()],
    }


@pytest.mark.django_db
@pytest.mark.parametrize("name", sorted(ACCESS))
def test_url_answers_each_persona_as_the_table_says(client_for, personas, sample_args, name):
    method, expected = ACCESS[name]
    url = reverse(name, args=sample_args.get(name, []))
    for persona in PERSONAS:
        client = client_for(personas[persona])
        response = client.post(url, {}) if method == "POST" else client.get(url)
        outcome = response.status_code
        if outcome == 302 and reverse("account_login") in response["Location"]:
            outcome = LOGIN
        assert outcome == expected[persona], f"{method} {url} as {persona}"
