"""factory_boy factories for the test suite. Inquiries are built through the domain."""

from __future__ import annotations

import re
import time
import uuid

import factory
from allauth.account.authentication import AUTHENTICATION_METHODS_SESSION_KEY
from allauth.mfa import app_settings as mfa_settings
from allauth.mfa.models import Authenticator
from allauth.mfa.totp.internal.auth import (
    TOTP,
    format_hotp_value,
    generate_totp_secret,
    hotp_value,
)
from allauth.mfa.utils import decrypt
from django.contrib.auth.models import Group
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from ketaclinic.accounts.models import User
from ketaclinic.clinic.models import Location
from ketaclinic.inquiries.domain.submission import InquiryData, submit_inquiry

# Bound to the user id by allauth (allauth.account.internal.flows.login).
AUTHENTICATION_METHODS_USER_SESSION_KEY = "account_authentication_methods_user"


class LocationFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Location
        django_get_or_create = ("slug",)

    name = factory.Sequence(lambda n: f"Location {n}")
    slug = factory.Sequence(lambda n: f"location-{n}")
    address_line1 = "1 Main Street"
    city = "Springfield"
    region = "IL"
    postal_code = "62701"
    phone = "(217) 555-0100"
    hours = "Mon–Fri 9:00–17:00"


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = User
        skip_postgeneration_save = True

    email = factory.Sequence(lambda n: f"staff{n}@clinic.test")
    first_name = factory.Faker("first_name")
    last_name = factory.Faker("last_name")
    password = factory.PostGenerationMethodCall("set_password", "correct-horse-battery")

    @factory.post_generation
    def role(self, create, extracted, **kwargs):
        if create and extracted:
            # get_or_create: transactional tests flush the groups the migration made
            self.groups.add(Group.objects.get_or_create(name=extracted)[0])

    @factory.post_generation
    def locations(self, create, extracted, **kwargs):
        if create and extracted:
            self.locations.set(extracted)
        if create:
            self.save()

    @factory.post_generation
    def mfa(self, create, extracted, **kwargs):
        """Every staff account has an authenticator app (TOTP), as in production.

        ``UserFactory(mfa=False)`` makes someone who has not set one up yet;
        ``UserFactory(mfa__secret="...")`` fixes the secret. The secret is kept on
        the instance as ``totp_secret``; :func:`totp_code` gives the current code.
        """
        if create and extracted is not False:
            give_totp(self, kwargs.get("secret"))


def give_totp(user, secret: str | None = None) -> Authenticator:
    """Activate an authenticator app (TOTP) for ``user``, as allauth does."""
    user.totp_secret = secret or generate_totp_secret()
    return TOTP.activate(user, user.totp_secret).instance


def totp_code(user) -> str:
    """The code ``user``'s authenticator app shows now (real TOTP, allauth's own maths).

    Waits for the next period when the current one is about to end, so the code is
    still valid when the server checks it. A code is accepted once per period:
    sign the same person in twice within 30 seconds only after ``cache.clear()``.
    """
    authenticator = Authenticator.objects.get(user=user, type=Authenticator.Type.TOTP)
    secret = decrypt(authenticator.data["secret"])
    period = mfa_settings.TOTP_PERIOD
    if period - time.time() % period < 3:
        time.sleep(period - time.time() % period + 0.1)
    return format_hotp_value(hotp_value(secret, int(time.time()) // period))


def login_with_mfa(client, user):
    """Sign ``client`` in as ``user`` with the session of a password + TOTP sign-in.

    ``client.force_login`` alone gives a session without the second factor, which
    the staff middleware refuses for /staff/ and /config/ (it signs the person out).
    This writes what allauth records in the session after a real MFA sign-in
    (``account_authentication_methods`` with a "password" and an "mfa" step, and
    ``account_authentication_methods_user``). A user without an authenticator app
    gets one first.
    """
    authenticator = Authenticator.objects.filter(
        user=user, type=Authenticator.Type.TOTP
    ).first() or give_totp(user)
    client.force_login(user)
    session = client.session
    now = time.time()
    session[AUTHENTICATION_METHODS_SESSION_KEY] = [
        {"method": "password", "at": now, "email": user.email},
        {"method": "mfa", "at": now, "id": authenticator.pk, "type": authenticator.type},
    ]
    session[AUTHENTICATION_METHODS_USER_SESSION_KEY] = str(user.pk)
    session.save()
    return client


def make_inquiry(location, **overrides):
    values = {
        "location": location,
        "first_name": "Alex",
        "last_name": "Morgan",
        "email": "alex@example.com",
        "phone": "+12175550110",
        "message": "I would like to know more about ketamine therapy.",
        "help_with": "depression",
    }
    values.update(overrides)
    key = values.pop("idempotency_key", None) or uuid.uuid4()
    client_ip = values.pop("client_ip", "203.0.113.9")
    return submit_inquiry(InquiryData(**values), idempotency_key=key, client_ip=client_ip).inquiry


def login_by_code(client, user):
    """Sign ``client`` in as ``user`` with the session of a sign-in by one-time email
    code (allauth's login by code): a "code" step, no password, no second factor."""
    client.force_login(user)
    session = client.session
    session[AUTHENTICATION_METHODS_SESSION_KEY] = [
        {"method": "code", "at": time.time(), "email": user.email}
    ]
    session[AUTHENTICATION_METHODS_USER_SESSION_KEY] = str(user.pk)
    session.save()


def signed_in_client(user) -> Client:
    """A new test client signed in as ``user`` (``login_with_mfa``): for tests that
    need several people's clients at once."""
    client = Client()
    login_with_mfa(client, user)
    return client


def page_and_queries(client, url: str, **params) -> tuple[str, int]:
    """A GET of ``url``'s body without its CSRF tokens (they differ per response) and its
    number of queries; the answer must be 200."""
    with CaptureQueriesContext(connection) as queries:
        response = client.get(url, params)
    assert response.status_code == 200
    body = re.sub(r'(csrfmiddlewaretoken" value|csrf-token)="[^"]+"', "", response.content.decode())
    return body, len(queries)
