"""Every public page: served, crisis resources present, nothing loaded from elsewhere."""

from __future__ import annotations

import re

import pytest
from django.urls import reverse

from ketaclinic.clinic.models import CrisisResource, FeeItem, Location
from ketaclinic.website.pages import PAGES

PUBLIC_URLS = [reverse(f"website:{page.name}") for page in PAGES] + [
    reverse("website:locations"),
    reverse("website:get-in-touch"),
]
pytestmark = pytest.mark.django_db


@pytest.mark.parametrize("url", PUBLIC_URLS)
def test_public_page_is_served_with_crisis_resources_and_a_way_to_get_in_touch(
    client, riverside, url
):
    response = client.get(url)

    content = response.content.decode()
    assert response.status_code == 200
    assert "Call or text 988" in content
    assert reverse("website:get-in-touch") in content
    assert content.count("<h1") == 1


@pytest.mark.parametrize("url", PUBLIC_URLS)
def test_public_page_loads_nothing_from_another_site_and_has_no_inline_style_or_script(
    client, riverside, url
):
    content = client.get(url).content.decode()

    assert not re.search(r'<(script|link|img|iframe)[^>]+(src|href)="(https?:)?//', content)
    assert " style=" not in content
    assert "<style" not in content
    assert not re.search(r"<script(?![^>]*\bsrc=)[^>]*>", content)
    assert not re.search(r"\son[a-z]+=", content)


@pytest.mark.parametrize("url", PUBLIC_URLS)
def test_public_page_sends_a_strict_content_security_policy(client, riverside, url):
    policy = client.get(url)["Content-Security-Policy"]

    for directive in (
        "default-src 'self'",
        "object-src 'none'",
        "base-uri 'none'",
        "frame-ancestors 'none'",
    ):
        assert directive in policy
    assert "unsafe-inline" not in policy


def test_regulatory_status_is_stated_plainly(client, riverside):
    content = client.get(reverse("website:home")).content.decode()

    assert "off-label" in content
    assert "FDA" in content


def test_clinic_facts_come_from_configuration(client, riverside):
    Location.objects.filter(pk=riverside.pk).update(phone="(217) 555-0999", hours="Mon 7:00–7:30")
    FeeItem.objects.create(name="Consultation", amount="$123", order=1)
    CrisisResource.objects.create(
        label="Local crisis team", action="Call 555-0000", href="tel:5550000"
    )

    content = client.get(reverse("website:locations")).content.decode()

    assert "(217) 555-0999" in content
    assert "Mon 7:00–7:30" in content
    assert "$123" in content
    assert "Local crisis team" in content


def test_staff_sign_in_page_renders(client):
    response = client.get(reverse("account_login"))

    assert response.status_code == 200
    assert b'name="password"' in response.content


def test_nobody_can_sign_themselves_up(client):
    response = client.post(
        reverse("account_signup"),
        {
            "email": "me@example.com",
            "password1": "a-long-enough-password",
            "password2": "a-long-enough-password",
        },
    )

    from ketaclinic.accounts.models import User

    assert not User.objects.filter(email="me@example.com").exists()
    assert response.status_code in {200, 302, 403}


@pytest.mark.parametrize("locations", [1, 3])
def test_public_page_query_count_does_not_grow_with_locations(client, locations):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from tests.factories import LocationFactory

    LocationFactory.create_batch(locations)

    with CaptureQueriesContext(connection) as queries:
        response = client.get(reverse("website:get-in-touch"))

    assert len(response.context["form"].locations) == locations
    # clinic profile, active locations, crisis lines
    assert len(queries) == 3
