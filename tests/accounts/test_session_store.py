"""The session store reads a session row with SQL written once (accounts/session_store.py)."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.contrib.sessions.models import Session
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from ketaclinic.accounts.session_store import SessionStore

pytestmark = pytest.mark.django_db


def saved(**data) -> str:
    store = SessionStore()
    store.update(data)
    store.save()
    return store.session_key


def test_a_saved_session_is_read_back_in_one_query():
    key = saved(colour="teal", count=3)

    store = SessionStore(key)
    with CaptureQueriesContext(connection) as queries:
        data = dict(store.items())

    assert data == {"colour": "teal", "count": 3}
    assert len(queries) == 1
    assert store.session_key == key


def test_an_expired_session_is_empty_and_gets_a_new_key_when_saved():
    key = saved(colour="teal")
    Session.objects.filter(session_key=key).update(
        expire_date=timezone.now() - timedelta(seconds=1)
    )

    store = SessionStore(key)
    assert dict(store.items()) == {}
    store["colour"] = "red"
    store.save()

    assert store.session_key != key


def test_an_unknown_key_is_an_empty_session():
    store = SessionStore("k" * 32)

    assert dict(store.items()) == {}
    assert store.session_key is None


def test_a_session_expiring_later_is_still_read():
    key = saved(colour="teal")
    Session.objects.filter(session_key=key).update(
        expire_date=timezone.now() + timedelta(seconds=5)
    )

    assert SessionStore(key)["colour"] == "teal"
