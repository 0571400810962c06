"""Get In Touch: validation, success, duplicates, spam defences, database failure."""

from __future__ import annotations

import sqlite3
import uuid
from contextlib import contextmanager

import pytest
from django.db import connection
from django.test import override_settings
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from ketaclinic.inquiries.models import Inquiry
from ketaclinic.notifications.models import OutboxMessage
from tests.factories import login_with_mfa, make_inquiry

URL = reverse("website:get-in-touch")
REQUIRED = ["first_name", "last_name", "email", "phone", "message"]


def valid_data(**overrides):
    data = {
        "first_name": "Robin",
        "last_name": "Hart",
        "email": "robin.hart@example.com",
        "phone": "(217) 555-0199",
        "message": "I would like to ask about ketamine for depression.",
        "help_with": "depression",
        "preferred_contact_method": "phone",
        "preferred_contact_time": "morning",
        "submission_key": str(uuid.uuid4()),
        "website": "",
    }
    data.update(overrides)
    return data


@pytest.fixture
def clinic_location(riverside):
    return riverside


@pytest.mark.django_db
def test_get_shows_the_form_with_a_fresh_submission_key(client, clinic_location):
    response = client.get(URL)

    assert response.status_code == 200
    assert b'name="submission_key"' in response.content
    assert b"988" in response.content


@pytest.mark.django_db
def test_empty_submission_says_each_required_field_is_required(client, clinic_location):
    response = client.post(URL, {"submission_key": str(uuid.uuid4())})

    assert response.status_code == 400
    assert response.content.decode().count("This field is required.") == 5
    for name in REQUIRED:
        assert response.context["form"].errors[name] == ["This field is required."]
    assert Inquiry.objects.count() == 0


@pytest.mark.django_db
@pytest.mark.parametrize("missing", REQUIRED)
def test_each_missing_field_is_reported_beside_it_and_the_rest_is_kept(
    client, clinic_location, missing
):
    data = valid_data(**{missing: ""})

    response = client.post(URL, data)

    assert response.status_code == 400
    assert response.context["form"].errors == {missing: ["This field is required."]}
    content = response.content.decode()
    for name in REQUIRED:
        if name != missing and name != "message":
            assert f'value="{data[name]}"' in content
    if missing != "message":
        assert data["message"] in content


@pytest.mark.django_db
def test_whitespace_only_fields_count_as_empty(client, clinic_location):
    response = client.post(URL, valid_data(first_name="   ", message="\n\t "))

    assert response.context["form"].errors["first_name"] == ["This field is required."]
    assert response.context["form"].errors["message"] == ["This field is required."]


@pytest.mark.django_db
def test_invalid_email_has_its_own_message(client, clinic_location):
    response = client.post(URL, valid_data(email="robin@"))

    assert response.context["form"].errors == {
        "email": ["Enter a valid email address, like name@example.com."]
    }


@pytest.mark.django_db
def test_invalid_phone_has_its_own_message(client, clinic_location):
    response = client.post(URL, valid_data(phone="12345"))

    assert response.context["form"].errors == {
        "phone": ["Enter a valid phone number, e.g. (555) 010-0123."]
    }


@pytest.mark.django_db
def test_valid_submission_is_saved_with_e164_phone_and_redirects_to_thanks(client, clinic_location):
    data = valid_data()

    response = client.post(URL, data)

    inquiry = Inquiry.objects.get()
    assert response.status_code == 302
    assert response["Location"] == reverse(
        "website:get-in-touch-thanks", args=[inquiry.idempotency_key]
    )
    assert (inquiry.first_name, inquiry.last_name, inquiry.phone) == (
        "Robin",
        "Hart",
        "+12175550199",
    )
    assert inquiry.location == clinic_location
    assert inquiry.is_urgent is False
    assert inquiry.status == "new"
    assert inquiry.client_ip == "127.0.0.1"


@pytest.mark.django_db
def test_valid_submission_writes_two_outbox_emails_without_health_details(client, clinic_location):
    client.post(URL, valid_data(message="I have severe depression and take sertraline."))

    messages = {m.kind: m for m in OutboxMessage.objects.all()}
    assert set(messages) == {"inquiry_intake", "inquiry_ack"}
    assert messages["inquiry_ack"].to == "robin.hart@example.com"
    for message in messages.values():
        assert "sertraline" not in message.body
        assert "depression" not in message.body.lower()
    assert "/staff/inquiries/" in messages["inquiry_intake"].body


@pytest.mark.django_db
def test_thanks_page_is_calm_for_an_ordinary_message(client, clinic_location):
    response = client.post(URL, valid_data(), follow=True)

    assert response.status_code == 200
    assert b"we received your message" in response.content
    assert response.context["urgent"] is False


@pytest.mark.django_db
def test_crisis_message_is_urgent_and_thanks_page_leads_with_crisis_resources(
    client, clinic_location
):
    response = client.post(
        URL, valid_data(message="I don't want to be alive anymore."), follow=True
    )

    inquiry = Inquiry.objects.get()
    assert inquiry.is_urgent is True
    assert inquiry.crisis_matches == ["don't want to be alive"]
    content = response.content.decode()
    assert response.context["urgent"] is True
    assert content.index("If you are in crisis") < content.index("We received your message")


@pytest.mark.django_db
def test_resubmitting_the_same_form_creates_one_inquiry(client, clinic_location):
    data = valid_data()

    first = client.post(URL, data)
    second = client.post(URL, data)

    assert Inquiry.objects.count() == 1
    assert OutboxMessage.objects.count() == 2
    assert first["Location"] == second["Location"]


@pytest.mark.django_db
def test_honeypot_submission_looks_successful_but_saves_nothing(client, clinic_location):
    response = client.post(URL, valid_data(website="http://spam.example"))

    assert response.status_code == 302
    assert Inquiry.objects.count() == 0
    assert OutboxMessage.objects.count() == 0


@pytest.mark.django_db
@override_settings(INQUIRY_RATE_LIMIT_COUNT=2, INQUIRY_RATE_LIMIT_WINDOW_SECONDS=3600)
def test_rate_limit_answers_429_with_a_human_sentence_and_keeps_the_text(client, clinic_location):
    client.post(URL, valid_data(message="First"))
    client.post(URL, valid_data(message="Second"))

    response = client.post(URL, valid_data(message="Third message from the same place."))

    assert response.status_code == 429
    assert "Your message is still here" in response.content.decode()
    assert "Third message from the same place." in response.content.decode()
    assert Inquiry.objects.count() == 2


@pytest.mark.django_db
@override_settings(INQUIRY_RATE_LIMIT_COUNT=2)
def test_rate_limit_counts_per_address(client, clinic_location):
    client.post(URL, valid_data(message="One"), REMOTE_ADDR="198.51.100.1")
    client.post(URL, valid_data(message="Two"), REMOTE_ADDR="198.51.100.1")

    response = client.post(URL, valid_data(message="Three"), REMOTE_ADDR="198.51.100.2")

    assert response.status_code == 302
    assert Inquiry.objects.count() == 3


@pytest.mark.django_db
@override_settings(INQUIRY_RATE_LIMIT_COUNT=1)
def test_rate_limit_never_blocks_a_resubmit_of_an_already_saved_form(client, clinic_location):
    data = valid_data()
    client.post(URL, data)

    response = client.post(URL, data)

    assert response.status_code == 302


@pytest.mark.django_db
def test_with_two_locations_the_person_chooses_one(client, riverside, hillcrest):
    response = client.post(URL, valid_data(location=str(hillcrest.pk)))

    assert response.status_code == 302
    assert Inquiry.objects.get().location == hillcrest


@pytest.mark.django_db
def test_unknown_location_is_a_field_error_not_a_500(client, riverside, hillcrest):
    response = client.post(URL, valid_data(location="999999"))

    assert response.status_code == 400
    assert "location" in response.context["form"].errors


@pytest.mark.django_db
def test_bad_submission_key_is_a_400_not_a_500(client, clinic_location):
    response = client.post(URL, valid_data(submission_key="not-a-uuid"))

    assert response.status_code == 400


@pytest.mark.django_db
def test_message_longer_than_the_limit_is_refused_with_a_message(client, clinic_location):
    response = client.post(URL, valid_data(message="x" * 5001))

    assert response.status_code == 400
    assert "at most 5000 characters" in response.context["form"].errors["message"][0]


@pytest.mark.django_db
def test_stored_text_is_shown_escaped_to_staff(client, clinic_location, frontdesk):
    client.post(URL, valid_data(first_name="<script>alert(1)</script>", message="<b>hi</b>"))
    inquiry = Inquiry.objects.get()
    login_with_mfa(client, frontdesk)

    response = client.get(reverse("backoffice:inquiry", args=[inquiry.pk]))

    assert b"<script>alert(1)</script>" not in response.content
    assert b"&lt;script&gt;alert(1)&lt;/script&gt;" in response.content


@contextmanager
def database_unavailable():
    """A real database failure, not a mock.

    PostgreSQL: the connection is re-pointed at a closed port. SQLite (the test
    database lives in shared memory and cannot be re-opened): a second connection
    holds an exclusive lock, so every query of the app fails with "locked".
    """
    if connection.vendor == "sqlite":
        name = connection.settings_dict["NAME"]
        is_uri = name.startswith("file:")
        locker = sqlite3.connect(name, uri=is_uri, isolation_level=None, check_same_thread=False)
        locker.execute("BEGIN EXCLUSIVE")
        locker.execute("CREATE TABLE IF NOT EXISTS lock_holder (id integer)")
        try:
            yield
        finally:
            locker.execute("ROLLBACK")
            locker.close()
        return
    original = dict(connection.settings_dict)
    connection.close()
    connection.settings_dict.update({"PORT": "1", "HOST": "127.0.0.1"})
    try:
        yield
    finally:
        connection.close()
        connection.settings_dict.clear()
        connection.settings_dict.update(original)


@pytest.mark.django_db(transaction=True)
def test_database_down_keeps_the_text_and_saves_nothing(client, riverside):
    data = valid_data(message="Please keep this text if things break.")
    client.get(URL)  # the page works while the database is up

    with database_unavailable():
        response = client.post(URL, data)

    assert response.status_code == 503
    content = response.content.decode()
    assert "Please keep this text if things break." in content
    assert "robin.hart@example.com" in content
    assert "Your message is still here" in content
    assert "988" in content
    assert Inquiry.objects.count() == 0
    assert OutboxMessage.objects.count() == 0


@contextmanager
def table_locked(table):
    """Another session holds a lock on ``table``, so writes to it fail part-way.

    SQLite (shared-cache memory database): the other connection's read transaction
    holds a table read-lock and our INSERT fails with "database table is locked".
    PostgreSQL: the other session holds ACCESS EXCLUSIVE and our session gives up
    after a short lock_timeout.
    """
    if connection.vendor == "sqlite":
        name = connection.settings_dict["NAME"]
        locker = sqlite3.connect(
            name, uri=name.startswith("file:"), isolation_level=None, check_same_thread=False
        )
        locker.execute("BEGIN")
        locker.execute(f"SELECT count(*) FROM {table}").fetchall()  # noqa: S608 - test constant
        try:
            yield
        finally:
            locker.execute("ROLLBACK")
            locker.close()
        return
    import psycopg
    from django.db.backends.signals import connection_created

    def short_lock_timeout(sender, connection, **kwargs):
        with connection.cursor() as cursor:
            cursor.execute("SET lock_timeout = '300ms'")

    params = connection.get_connection_params()
    params.pop("cursor_factory", None)
    params.pop("context", None)
    locker = psycopg.connect(**params, autocommit=False)
    locker.execute(f"LOCK TABLE {table} IN ACCESS EXCLUSIVE MODE")
    connection_created.connect(short_lock_timeout)
    connection.ensure_connection()
    short_lock_timeout(None, connection)
    try:
        yield
    finally:
        connection_created.disconnect(short_lock_timeout)
        with connection.cursor() as cursor:
            cursor.execute("SET lock_timeout = 0")
        locker.rollback()
        locker.close()


@pytest.mark.django_db(transaction=True)
def test_failure_part_way_through_saving_leaves_nothing_half_saved(client, riverside):
    data = valid_data(message="Text that must survive a failed save.")

    with table_locked("notifications_outboxmessage"):
        response = client.post(URL, data)

    assert response.status_code == 503
    assert "Sorry, we could not save your message" in response.content.decode()
    assert "Text that must survive a failed save." in response.content.decode()
    assert Inquiry.objects.count() == 0
    assert OutboxMessage.objects.count() == 0
    # and once the database is healthy again, the same form goes through once
    assert client.post(URL, data).status_code == 302
    assert Inquiry.objects.count() == 1


def _queries_of_a_new_submission(client) -> list[str]:
    with CaptureQueriesContext(connection) as captured:
        response = client.post(URL, valid_data(message=f"Question {uuid.uuid4()}"))
    assert response.status_code == 302
    return [query["sql"] for query in captured.captured_queries]


@pytest.mark.django_db
def test_a_submission_costs_the_same_queries_however_many_came_before(client, clinic_location):
    first = _queries_of_a_new_submission(client)
    for n in range(15):
        make_inquiry(clinic_location, message=f"Earlier {n}", email=f"p{n}@example.com")

    later = _queries_of_a_new_submission(client)

    assert len(later) == len(first)
    # the form's profile read serves the emails too; one look for a repeat (same key or
    # same words), not two
    assert sum("clinic_clinicprofile" in sql for sql in later) == 1
    assert sum(sql.startswith('SELECT "inquiries_inquiry"."id"') for sql in later) == 1
    # both emails in one INSERT (their keys name the new inquiry: no savepoint for them)
    assert sum(sql.startswith('INSERT INTO "notifications_outboxmessage"') for sql in later) == 1
