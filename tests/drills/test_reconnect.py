"""After PostgreSQL restarts, the next request reconnects (CONN_HEALTH_CHECKS) instead of
failing on the persistent connection the restart broke (drills/pg_restart.py shows it
under load)."""

import pytest
from django.conf import settings
from django.core.signals import request_started
from django.db import connection, connections

from ketaclinic.inquiries.models import Inquiry


def test_persistent_connections_are_checked_before_reuse():
    assert settings.DATABASES["default"]["CONN_HEALTH_CHECKS"] is True


@pytest.mark.django_db(transaction=True)
def test_a_request_after_the_server_dropped_the_connection_reconnects():
    if connection.vendor != "postgresql":
        pytest.skip("a server that drops connections: PostgreSQL")
    connection.ensure_connection()
    connection.close_at = None  # persistent, as with DB_CONN_MAX_AGE in production
    backend = connection.connection.info.backend_pid
    killer = connections.create_connection("default")
    with killer.cursor() as cursor:
        cursor.execute("SELECT pg_terminate_backend(%s)", [backend])
    killer.close()

    request_started.send(sender=None)  # what each request starts with
    count = Inquiry.objects.count()

    assert count == 0
    assert connection.connection.info.backend_pid != backend
