"""Work in progress on a form survives a time-out: drafts kept server-side."""

from __future__ import annotations

import pytest
from django.core.cache import cache
from django.template import Context, Template
from django.test import Client, override_settings
from django.urls import reverse

from ketaclinic.accounts.domain import drafts
from ketaclinic.accounts.models import FormDraft
from ketaclinic.backoffice.forms import NoteForm
from tests.accounts.signin import PASSWORD, age_session, sign_in
from tests.factories import login_with_mfa, make_inquiry

pytestmark = pytest.mark.django_db

NOTE = "Called back at 3pm, left a voicemail; will try again tomorrow."


@pytest.fixture
def inquiry(riverside):
    return make_inquiry(riverside)


def draft_url(key):
    return reverse("accounts:draft", args=[key])


def note_key(inquiry):
    return f"inquiry-note-{inquiry.pk}"


def test_draft_is_stored_without_the_csrf_token_or_passwords(client_for, frontdesk):
    client = client_for(frontdesk)

    response = client.post(
        draft_url("example-form"),
        {"body": NOTE, "csrfmiddlewaretoken": "x", "password": "secret", "new_password1": "s"},
    )

    assert response.status_code == 200
    assert FormDraft.objects.get(user=frontdesk, key="example-form").data == {"body": NOTE}


def test_saving_again_replaces_the_draft(client_for, frontdesk):
    client = client_for(frontdesk)
    client.post(draft_url("example-form"), {"body": "first"})

    client.post(draft_url("example-form"), {"body": "second", "tags": ["a", "b"]})

    assert FormDraft.objects.get().data == {"body": "second", "tags": ["a", "b"]}


@override_settings(FORM_DRAFT_MAX_BYTES=1000)
def test_draft_size_is_capped(client_for, frontdesk):
    response = client_for(frontdesk).post(draft_url("example-form"), {"body": "x" * 1001})

    assert response.status_code == 413
    assert FormDraft.objects.count() == 0


def test_draft_endpoint_refuses_get(client_for, frontdesk):
    assert client_for(frontdesk).get(draft_url("example-form")).status_code == 405


def test_draft_endpoint_needs_a_csrf_token(frontdesk):
    client = login_with_mfa(Client(enforce_csrf_checks=True), frontdesk)

    assert client.post(draft_url("example-form"), {"body": NOTE}).status_code == 403


def test_draft_endpoint_refuses_visitors(client):
    response = client.post(draft_url("example-form"), {"body": NOTE})

    assert response.status_code == 401
    assert FormDraft.objects.count() == 0


@pytest.mark.parametrize("key", ["-starts-with-dash", "has space", "a" * 101])
def test_draft_keys_are_checked(client_for, frontdesk, key):
    response = client_for(frontdesk).post(f"/staff/drafts/{key}/", {"body": NOTE})

    assert response.status_code == 404


def test_drafts_belong_to_one_person(client_for, frontdesk, director, inquiry):
    client_for(frontdesk).post(draft_url(note_key(inquiry)), {"body": NOTE})

    page = client_for(director).get(reverse("backoffice:inquiry", args=[inquiry.pk]))

    assert page.context["note_form"].initial == {}


def test_initial_for_takes_only_the_forms_own_fields(frontdesk):
    drafts.save_draft(frontdesk, "k", {"body": [NOTE], "status": ["closed"]})

    assert drafts.initial_for(frontdesk, "k", NoteForm) == {"body": NOTE}


def test_clear_draft_removes_it(frontdesk):
    drafts.save_draft(frontdesk, "k", {"body": [NOTE]})

    drafts.clear_draft(frontdesk, "k")

    assert drafts.load_draft(frontdesk, "k") == {}


def test_draft_key_template_tag():
    rendered = Template("{% load staff_session %}{% draft_key 'inquiry-note' 12 %}").render(
        Context()
    )

    assert rendered == "inquiry-note-12"


def test_note_form_carries_its_draft_key(client_for, frontdesk, inquiry):
    page = client_for(frontdesk).get(reverse("backoffice:inquiry", args=[inquiry.pk]))

    assert f'data-draft-key="inquiry-note-{inquiry.pk}"' in page.content.decode()


def test_draft_survives_an_idle_lock(client_for, frontdesk, inquiry):
    client = client_for(frontdesk)
    detail = reverse("backoffice:inquiry", args=[inquiry.pk])
    client.post(draft_url(note_key(inquiry)), {"body": NOTE})
    age_session(client, idle_minutes=16)

    locked = client.get(detail)
    client.post(locked["Location"].split("?")[0], {"password": PASSWORD, "next": detail})
    page = client.get(detail)

    assert locked["Location"].startswith(reverse("accounts:unlock"))
    assert page.context["note_form"]["body"].value() == NOTE
    assert NOTE in page.content.decode()


def test_draft_survives_a_full_sign_out_and_sign_in(client, frontdesk, inquiry):
    sign_in(client, frontdesk)
    detail = reverse("backoffice:inquiry", args=[inquiry.pk])
    client.post(draft_url(note_key(inquiry)), {"body": NOTE})
    age_session(client, signed_in_hours=12)
    assert client.get(detail)["Location"].startswith(reverse("account_login"))
    cache.clear()  # a TOTP code is accepted once: forget that the first one was used

    sign_in(client, frontdesk, next_url=detail)
    page = client.get(detail)

    assert f"{NOTE}</textarea>" in page.content.decode()


def test_saving_the_note_clears_the_draft(client_for, frontdesk, inquiry):
    client = client_for(frontdesk)
    client.post(draft_url(note_key(inquiry)), {"body": NOTE})

    client.post(reverse("backoffice:inquiry-note", args=[inquiry.pk]), {"body": NOTE})

    assert FormDraft.objects.filter(user=frontdesk).count() == 0
    assert inquiry.notes.get().body == NOTE
