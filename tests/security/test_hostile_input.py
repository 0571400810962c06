"""Hostile input posted to every form: never a 500, stored text always shown escaped."""

from __future__ import annotations

import uuid

import pytest
from django.urls import reverse
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from ketaclinic.inquiries.models import Inquiry, InquiryNote
from tests.factories import login_with_mfa, make_inquiry

NASTY = [
    "<script>alert(1)</script>",
    '"><img src=x onerror=alert(1)>',
    "'; DROP TABLE inquiries_inquiry; --",
    "\x00",
    "a\x00b",
    "%00",
    "../../etc/passwd",
    "{{ 7*7 }}",
    "{% debug %}",
    "\u202e\u0645\u0631\u062d\u0628\u0627",
    "Z\u0351\u0352\u0353",
    "\U0001f600" * 50,
    "\ufeff",
    "x" * 100_000,
    "",
    " ",
    "\r\n\r\n",
    "NaN",
    "-1",
    "9" * 400,
    "null",
    "true",
]
hostile_text = st.one_of(
    st.sampled_from(NASTY),
    st.text(alphabet=st.characters(exclude_categories=("Cs",)), max_size=300),
)
hostile_value = st.one_of(hostile_text, st.lists(hostile_text, max_size=3), st.integers().map(str))
HYPOTHESIS = settings(
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
    deadline=None,
)


def _post(client, url, data):
    response = client.post(url, data)
    assert response.status_code < 500, (url, data)
    return response


@pytest.mark.django_db
@HYPOTHESIS
@given(
    data=st.fixed_dictionaries(
        dict.fromkeys(
            [
                "first_name",
                "last_name",
                "email",
                "phone",
                "message",
                "help_with",
                "preferred_contact_method",
                "preferred_contact_time",
                "location",
                "submission_key",
                "website",
            ],
            hostile_value,
        )
    )
)
def test_get_in_touch_survives_hostile_input(client, riverside, data):
    _post(client, reverse("website:get-in-touch"), data)


@pytest.mark.django_db
@HYPOTHESIS
@given(first=hostile_text, message=hostile_text)
def test_hostile_text_that_is_accepted_is_shown_escaped(
    client, riverside, frontdesk, first, message
):
    data = {
        "first_name": f"A{first}<b>",
        "last_name": "Lee",
        "email": "a@example.com",
        "phone": "2175550100",
        "message": f"{message}<script>x</script>",
        "submission_key": str(uuid.uuid4()),
    }
    response = _post(client, reverse("website:get-in-touch"), data)
    if response.status_code != 302:
        return
    inquiry = Inquiry.objects.order_by("-id").first()
    login_with_mfa(client, frontdesk)
    page = client.get(reverse("backoffice:inquiry", args=[inquiry.pk])).content.decode()
    client.logout()
    assert "<script>x</script>" not in page
    assert "&lt;script&gt;x&lt;/script&gt;" in page
    assert "<b>" not in page.split("<h1>")[1].split("</h1>")[0]


@pytest.mark.django_db
@HYPOTHESIS
@given(body=hostile_value, status=hostile_value, version=hostile_value, assignee=hostile_value)
def test_staff_forms_survive_hostile_input(
    client, riverside, frontdesk, body, status, version, assignee
):
    inquiry = make_inquiry(riverside, message=str(uuid.uuid4()))
    login_with_mfa(client, frontdesk)
    _post(client, reverse("backoffice:inquiry-note", args=[inquiry.pk]), {"body": body})
    _post(
        client,
        reverse("backoffice:inquiry-move", args=[inquiry.pk]),
        {"to_status": status, "version": version},
    )
    _post(
        client,
        reverse("backoffice:inquiry-assign", args=[inquiry.pk]),
        {"assignee": assignee, "version": version},
    )
    page = client.get(reverse("backoffice:inquiry", args=[inquiry.pk]))
    assert page.status_code == 200
    for note in InquiryNote.objects.filter(inquiry=inquiry):
        assert "\x00" not in note.body  # Django's forms refuse NUL characters


@pytest.mark.django_db
@HYPOTHESIS
@given(
    params=st.fixed_dictionaries(
        {
            "q": hostile_value,
            "status": hostile_value,
            "help_with": hostile_value,
            "page": hostile_value,
        }
    )
)
def test_inbox_filters_survive_hostile_input(client, riverside, frontdesk, params):
    login_with_mfa(client, frontdesk)

    response = client.get(reverse("backoffice:inbox"), params)

    assert response.status_code == 200


STAFF_FORMS = [
    # (persona fixture, URL name, URL args, fields)
    (
        "admin_user",
        "backoffice:team-invite",
        [],
        ["email", "first_name", "last_name", "roles", "locations"],
    ),
    ("other_prescriber", "backoffice:emergency-request", ["inquiry", "INQUIRY"], ["reason"]),
    ("director", "backoffice:emergency-review", ["GRANT"], ["note"]),
    ("frontdesk", "accounts:unlock", [], ["password", "next"]),
    ("frontdesk", "accounts:draft", ["inquiry-note-1"], ["body", "csrfmiddlewaretoken", "x" * 50]),
]


@pytest.mark.django_db
@pytest.mark.parametrize(("persona", "name", "args", "fields"), STAFF_FORMS)
@HYPOTHESIS
@given(values=st.lists(hostile_value, min_size=5, max_size=5))
def test_every_staff_form_survives_hostile_input(
    client, request, riverside, persona, name, args, fields, values
):
    from django.utils import timezone

    from ketaclinic.accounts.models import EmergencyAccess

    user = request.getfixturevalue(persona)
    inquiry = make_inquiry(riverside, message=str(uuid.uuid4()))
    grant = EmergencyAccess.objects.create(
        user=user,
        object_type="inquiries.inquiry",
        object_id=str(inquiry.pk),
        location=riverside,
        reason="test",
        expires_at=timezone.now(),
    )
    real_args = [{"INQUIRY": inquiry.pk, "GRANT": grant.pk}.get(arg, arg) for arg in args]
    login_with_mfa(client, user)

    _post(client, reverse(name, args=real_args), dict(zip(fields, values, strict=False)))


@pytest.mark.django_db
@HYPOTHESIS
@given(token=hostile_text, password=hostile_value)
def test_invitation_page_survives_hostile_tokens_and_passwords(client, riverside, token, password):
    url = "/accounts/invitation/" + (token.replace("/", "") or "x") + "/"

    assert client.get(url).status_code < 500
    assert (
        client.post(url, {"new_password1": password, "new_password2": password}).status_code < 500
    )


@pytest.mark.django_db
@HYPOTHESIS
@given(
    params=st.fixed_dictionaries(
        dict.fromkeys(
            ["user", "patient", "action", "date_from", "date_to", "sort", "page"], hostile_value
        )
    )
)
def test_audit_report_filters_survive_hostile_input(client, director, params):
    login_with_mfa(client, director)

    assert client.get(reverse("backoffice:audit-report"), params).status_code == 200
    assert client.get(reverse("backoffice:audit-export"), params).status_code == 200


@pytest.mark.django_db
def test_ids_too_large_for_the_database_are_a_field_error_not_a_500(
    client, riverside, frontdesk, admin_user
):
    """Found by hypothesis: SQLite raised OverflowError for a 20-digit id."""
    inquiry = make_inquiry(riverside)
    huge = "9" * 20
    login_with_mfa(client, frontdesk)

    assign = client.post(
        reverse("backoffice:inquiry-assign", args=[inquiry.pk]), {"assignee": huge, "version": 1}
    )
    login_with_mfa(client, admin_user)
    invite = client.post(
        reverse("backoffice:team-invite"),
        {
            "email": "new@clinic.test",
            "first_name": "N",
            "last_name": "W",
            "roles": ["nurse"],
            "locations": [huge],
        },
    )

    assert assign.status_code == 302  # back to the page with "choose a staff member"
    assert invite.status_code == 400
