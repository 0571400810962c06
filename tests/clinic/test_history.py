"""Configuration edits keep their history: who changed what, before and after."""

import pytest
from django.urls import reverse

from ketaclinic.clinic.models import Location
from tests.factories import login_with_mfa

pytestmark = pytest.mark.django_db


@pytest.fixture
def superuser_client(client, django_user_model):
    """The configuration admin: a superuser (the admin role alone does not open /config/)."""
    user = django_user_model.objects.create_superuser(email="config@example.com", password="x" * 16)
    login_with_mfa(client, user)
    return client


def test_admin_edit_of_a_location_records_before_and_after_with_the_editor(
    superuser_client, riverside
):
    url = reverse("admin:clinic_location_change", args=[riverside.pk])
    data = {
        "name": riverside.name,
        "slug": riverside.slug,
        "address_line1": riverside.address_line1,
        "address_line2": "",
        "city": riverside.city,
        "region": riverside.region,
        "postal_code": riverside.postal_code,
        "phone": "(217) 555-0999",
        "email": "",
        "hours": riverside.hours,
        "is_active": "on",
        "order": 0,
    }

    response = superuser_client.post(url, data)

    assert response.status_code == 302
    latest, previous = Location.history.filter(id=riverside.pk).order_by("-history_id")[:2]
    changes = {
        change.field: (change.old, change.new) for change in latest.diff_against(previous).changes
    }
    assert changes == {"phone": ("(217) 555-0100", "(217) 555-0999")}
    assert latest.history_user.email == "config@example.com"


def test_admin_history_page_shows_the_change(superuser_client, riverside):
    riverside.phone = "(217) 555-0998"
    riverside.save()

    response = superuser_client.get(reverse("admin:clinic_location_history", args=[riverside.pk]))

    assert response.status_code == 200
