"""``{% staff_nav %}`` writes what ``backoffice/_staff_nav.html`` writes, for every role;
``fixed_url`` answers what ``reverse`` answers, under the request's script prefix."""

from __future__ import annotations

import re

import pytest
from django.template import RequestContext
from django.template.loader import get_template
from django.test import RequestFactory, override_settings
from django.urls import reverse, set_script_prefix

from ketaclinic.backoffice.templatetags.staff_nav import LINKS
from ketaclinic.urlcache import fixed_url
from tests.factories import UserFactory

REFERENCE = "backoffice/_staff_nav.html"
NAV = "{% load staff_nav %}{% staff_nav %}"
STAFF = ("frontdesk", "nurse", "prescriber", "director", "admin", "other_prescriber")


def squeeze(html: str) -> str:
    """Without the whitespace between tags (the template's indentation) and with the
    CSRF token's value left out (masked afresh at each use)."""
    html = re.sub(r'(name="csrfmiddlewaretoken" value=")[^"]+"', r'\1TOKEN"', html)
    return re.sub(r">\s+<", "><", html.strip())


def both_ways(user) -> tuple[str, str]:
    request = RequestFactory().get("/staff/")
    request.user = user
    template = get_template(REFERENCE)
    reference = template.render({}, request)
    python = template.template.engine.from_string(NAV).render(RequestContext(request, {}))
    return squeeze(reference), squeeze(python)


@pytest.mark.django_db
@pytest.mark.parametrize("persona", STAFF)
def test_every_role_sees_the_reference_navigation(personas, persona):
    reference, python = both_ways(personas[persona])

    assert python == reference
    assert 'name="csrfmiddlewaretoken" value="TOKEN"' in python


@pytest.mark.django_db
def test_links_follow_the_permissions_of_the_role(personas):
    for persona in STAFF:
        user = personas[persona]
        _reference, python = both_ways(user)
        for permission, name, label in LINKS:
            assert (f'href="{reverse(name)}"' in python) == user.has_perm(permission), (
                persona,
                label,
            )


@pytest.mark.django_db
def test_names_and_roles_are_escaped_and_a_user_without_roles_has_none(riverside):
    user = UserFactory(email="x@clinic.test", first_name="<b>Ann</b> & co", locations=[riverside])

    reference, python = both_ways(user)

    assert python == reference
    assert "&lt;b&gt;Ann&lt;/b&gt; &amp; co" in python
    assert "<a href" not in python  # no role: no link
    assert 'muted-inverse">&lt;b&gt;Ann&lt;/b&gt; &amp; co ' in python  # no "(roles)"


@override_settings(ROOT_URLCONF="ketaclinic.urls")
def test_fixed_url_is_reverse_under_each_script_prefix():
    try:
        for prefix in ("/", "/clinic/"):
            set_script_prefix(prefix)
            for _permission, name, _label in LINKS:
                assert fixed_url(name) == reverse(name)
                assert fixed_url(name).startswith(prefix)
            assert fixed_url("accounts:draft", "KEY") == reverse("accounts:draft", args=["KEY"])
    finally:
        set_script_prefix("/")
