"""CSRF on every form, no state change through GET, security headers."""

from __future__ import annotations

import pytest
from django.apps import apps
from django.test import Client
from django.urls import reverse

from tests.factories import login_with_mfa, make_inquiry
from tests.security.test_url_access import ACCESS

# Rows that legitimately change on a GET: sessions (sign-in state) and, once the
# audit app lands, the access log that records the read itself.
EXEMPT_TABLES = {"django_session", "audit_accesslog", "audit_auditseal", "accounts_trackedsession"}


def row_counts():
    return {
        model._meta.db_table: model.objects.count()
        for model in apps.get_models()
        if model._meta.db_table not in EXEMPT_TABLES and not model._meta.proxy
    }


@pytest.mark.django_db
def test_no_get_request_changes_data(client_for, personas, riverside, sample_args):
    args = sample_args
    get_urls = [
        reverse(name, args=args.get(name, []))
        for name, (method, _) in ACCESS.items()
        if method == "GET"
    ]
    before = row_counts()

    for persona in ("anonymous", "frontdesk", "director"):
        client = client_for(personas[persona])
        for url in get_urls:
            client.get(url)

    assert row_counts() == before


@pytest.mark.django_db
def test_forms_refuse_a_post_without_csrf_token(riverside, frontdesk):
    client = Client(enforce_csrf_checks=True)
    inquiry = make_inquiry(riverside)

    public = client.post(reverse("website:get-in-touch"), {"first_name": "x"})
    login_with_mfa(client, frontdesk)
    staff = client.post(reverse("backoffice:inquiry-note", args=[inquiry.pk]), {"body": "x"})

    assert (public.status_code, staff.status_code) == (403, 403)
    assert inquiry.notes.count() == 0


@pytest.mark.django_db
def test_security_headers_are_sent(client, riverside):
    response = client.get(reverse("website:home"))

    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["Referrer-Policy"] == "same-origin"
    assert response["X-Frame-Options"] == "DENY"
    assert "frame-ancestors 'none'" in response["Content-Security-Policy"]
