"""Every URL of the project, requested as every persona, with the expected outcome.

One table (``ACCESS``) says, per URL name, what each persona gets. A URL pattern
without a row fails the suite, so a new screen cannot ship without deciding who
may open it. Outcomes: an HTTP status, or ``LOGIN`` for a redirect to sign-in.
Requests are GET unless the row says POST (views that only accept POST).
"""

from __future__ import annotations

import pytest
from django.urls import NoReverseMatch, URLPattern, URLResolver, get_resolver, reverse

from tests.factories import login_with_mfa

LOGIN = "login"
PERSONAS = [
    "anonymous",
    "frontdesk",
    "nurse",
    "prescriber",
    "director",
    "admin",
    "other_frontdesk",
    "other_prescriber",
    "patient",
    "other_patient",
]
STAFF_PERSONAS = PERSONAS[1:8]
PATIENT_PERSONAS = ["patient", "other_patient"]


def every(outcome):
    return dict.fromkeys(PERSONAS, outcome)


# Password and authenticator pages are closed to portal accounts (code sign-in only).
PORTAL_CLOSED = dict.fromkeys(PATIENT_PERSONAS, 403)


def staff(default, *, patients=403, **overrides):
    """A staff page: anonymous → sign-in, each staff persona ``default`` unless
    overridden, patients (portal accounts) ``patients`` — 403: the staff area is not
    theirs (accounts.middleware)."""
    table = {
        "anonymous": LOGIN,
        **dict.fromkeys(STAFF_PERSONAS, default),
        **dict.fromkeys(PATIENT_PERSONAS, patients),
    }
    table.update(overrides)
    return table


def portal(default):
    """A signed-in patient's own page: anonymous → sign-in, staff 403."""
    return {
        "anonymous": LOGIN,
        **dict.fromkeys(STAFF_PERSONAS, 403),
        **dict.fromkeys(PATIENT_PERSONAS, default),
    }


INBOX_ROLES = {
    "frontdesk": 200,
    "prescriber": 200,
    "director": 200,
    "admin": 200,
    "other_frontdesk": 200,
    "other_prescriber": 200,
}
RIVERSIDE_READERS = {"frontdesk": 200, "prescriber": 200, "director": 200, "admin": 200}
PATIENT_READERS = {**RIVERSIDE_READERS, "nurse": 200}
CLINICAL = {"nurse": 200, "prescriber": 200, "director": 200}
BOOKERS = {"frontdesk": 200, "nurse": 200, "prescriber": 200, "director": 200}

# name: (method, {persona: outcome})
ACCESS: dict[str, tuple[str, dict]] = {
    **{
        name: ("GET", every(200))
        for name in [
            "website:home",
            "website:ketamine-therapy",
            "website:conditions",
            "website:condition-trd",
            "website:condition-ptsd",
            "website:condition-bipolar",
            "website:condition-chronic-pain",
            "website:benefits",
            "website:risks",
            "website:who-should-not",
            "website:what-to-expect",
            "website:faq",
            "website:privacy",
            "website:locations",
            "website:get-in-touch",
            "website:get-in-touch-thanks",
        ]
    },
    "backoffice:home": ("GET", staff(302)),  # each role to its first screen
    "backoffice:inbox": ("GET", staff(403, **INBOX_ROLES)),
    "backoffice:inquiry": ("GET", staff(403, **RIVERSIDE_READERS)),
    "backoffice:inquiry-move": ("POST", staff(403, frontdesk=302, director=302, admin=302)),
    "backoffice:inquiry-assign": ("POST", staff(403, frontdesk=302, director=302, admin=302)),
    "backoffice:inquiry-note": ("POST", staff(403, **dict.fromkeys(RIVERSIDE_READERS, 400))),
    "backoffice:delivery-problems": ("GET", staff(403, director=200, admin=200)),
    "backoffice:delivery-retry": ("POST", staff(403, director=302, admin=302)),
    "backoffice:audit-report": ("GET", staff(403, director=200, admin=200)),
    "backoffice:audit-export": ("GET", staff(403, director=200, admin=200)),
    "backoffice:emergency-request": (
        "GET",
        staff(403, nurse=200, prescriber=302, other_prescriber=200),  # own record: opens it
    ),
    "backoffice:emergency-queue": ("GET", staff(403, director=200, admin=200)),
    "backoffice:emergency-review": ("POST", staff(403, director=302, admin=302)),
    # patients (a Riverside patient, condition, attachment)
    "backoffice:patient-list": ("GET", staff(200)),
    "backoffice:patient-new": (
        "GET",
        staff(403, frontdesk=200, director=200, admin=200, other_frontdesk=200),
    ),
    "backoffice:patient-convert": ("POST", staff(403, frontdesk=200, director=200, admin=200)),
    "backoffice:patient": ("GET", staff(403, **PATIENT_READERS)),
    "backoffice:patient-portal-access": ("POST", staff(403, **dict.fromkeys(PATIENT_READERS, 302))),
    "backoffice:patient-demographics": ("GET", staff(403, **PATIENT_READERS)),
    "backoffice:patient-medical-history": ("GET", staff(403, **CLINICAL)),
    # the intake health-history form: sent by the location's staff, reviewed clinically
    "backoffice:patient-history-send": (
        "POST",
        staff(403, frontdesk=302, nurse=302, prescriber=302, director=302),
    ),
    "backoffice:patient-history-report": ("GET", staff(403, **CLINICAL)),
    "backoffice:patient-records": ("GET", staff(403, **CLINICAL)),
    "backoffice:patient-record-edit": ("GET", staff(403, **CLINICAL)),
    "backoffice:patient-record-remove": (
        "POST",
        staff(403, nurse=302, prescriber=302, director=302),
    ),
    "backoffice:patient-attachment-upload": ("GET", staff(403, **CLINICAL)),
    "backoffice:patient-attachment": ("GET", staff(403, **PATIENT_READERS)),
    # screening of one Riverside patient
    "backoffice:screening": ("GET", staff(403, nurse=200, prescriber=200, director=200, admin=200)),
    "backoffice:screening-sign": ("POST", staff(403, prescriber=400, director=400)),
    "backoffice:screening-clearance": ("POST", staff(403, nurse=400, prescriber=400, director=400)),
    "backoffice:screening-consent": ("POST", staff(403, nurse=400, prescriber=400, director=400)),
    "backoffice:screening-consent-withdraw": (
        "POST",
        staff(403, nurse=302, prescriber=302, director=302),
    ),
    # safety alerts (an urgent alert on a Riverside patient, a Riverside on-call shift)
    "backoffice:safety-inbox": (
        "GET",
        staff(403, nurse=200, prescriber=200, director=200, other_prescriber=200),
    ),
    "backoffice:safety-badge": (
        "GET",
        staff(403, nurse=200, prescriber=200, director=200, other_prescriber=200),
    ),
    "backoffice:safety-alert": ("GET", staff(403, nurse=200, prescriber=200, director=200)),
    "backoffice:safety-acknowledge": ("POST", staff(403, nurse=302, prescriber=302, director=302)),
    "backoffice:safety-close": ("POST", staff(403, nurse=400, prescriber=400, director=400)),
    "backoffice:safety-follow-up": ("POST", staff(403, nurse=302, prescriber=302, director=302)),
    "backoffice:safety-oncall": ("GET", staff(403, director=200)),
    "backoffice:safety-oncall-remove": ("POST", staff(403, director=302)),
    "backoffice:safety-plan": ("GET", staff(403, nurse=200, prescriber=200, director=200)),
    # calendar and bookings (Riverside's calendar, a Riverside booking)
    "backoffice:booking-home": (
        "GET",
        staff(403, **dict.fromkeys([*BOOKERS, "other_frontdesk", "other_prescriber"], 302)),
    ),
    "backoffice:booking-day": ("GET", staff(403, **BOOKERS)),
    "backoffice:booking-week": ("GET", staff(403, **BOOKERS)),
    "backoffice:booking-new": ("GET", staff(403, **BOOKERS)),
    "backoffice:booking-detail": ("GET", staff(403, **BOOKERS)),
    "backoffice:booking-cancel": ("POST", staff(403, **dict.fromkeys(BOOKERS, 400))),
    "backoffice:booking-reschedule": ("GET", staff(403, **BOOKERS)),
    "backoffice:booking-outcome": ("POST", staff(403, **dict.fromkeys(BOOKERS, 400))),
    "backoffice:booking-course": ("GET", staff(403, **BOOKERS)),  # a Riverside course
    # questionnaires: the patient's link (unknown token here) and the staff pages
    "portal:questionnaire": ("GET", every(404)),
    "portal:home": ("GET", portal(200)),
    "portal:results": ("GET", portal(200)),
    "portal:start": ("POST", portal(404)),  # another patient's assignment
    "backoffice:measures": ("GET", staff(403, nurse=200, prescriber=200, director=200)),
    "backoffice:measures-assign": ("POST", staff(403, nurse=400, prescriber=400, director=400)),
    "backoffice:measures-send": ("POST", staff(403, nurse=400, prescriber=400, director=400)),
    "backoffice:measures-in-clinic": (
        "POST",
        staff(403, nurse=400, prescriber=400, director=400),
    ),
    "backoffice:measures-stop": ("POST", staff(403, nurse=302, prescriber=302, director=302)),
    "backoffice:measures-enter": ("GET", staff(403, nurse=200, prescriber=200, director=200)),
    # treatment (a ready Riverside patient, an IV course, an order prepared by a nurse
    # who is none of the personas; POSTs without data answer 400 beside the fields)
    "backoffice:treatment-patient": ("GET", staff(403, **CLINICAL)),
    "backoffice:treatment-start": ("GET", staff(403, prescriber=200, director=200)),
    "backoffice:treatment-rems": ("POST", staff(403, **dict.fromkeys(CLINICAL, 400))),
    "backoffice:treatment-course": ("GET", staff(403, **CLINICAL)),
    "backoffice:treatment-order-new": ("GET", staff(403, prescriber=200, director=200)),
    "backoffice:treatment-rescue": ("POST", staff(403, **dict.fromkeys(CLINICAL, 400))),
    "backoffice:treatment-order": ("GET", staff(403, **CLINICAL)),
    "backoffice:treatment-order-prepare": ("POST", staff(403, **dict.fromkeys(CLINICAL, 400))),
    "backoffice:treatment-order-check": ("POST", staff(403, nurse=400, prescriber=400)),
    "backoffice:treatment-order-cancel": ("POST", staff(403, prescriber=400, director=400)),
    "backoffice:treatment-protocols": ("GET", staff(403, **CLINICAL, other_prescriber=200)),
    "backoffice:treatment-protocol": ("GET", staff(403, **CLINICAL, other_prescriber=200)),
    "backoffice:treatment-protocol-new": ("GET", staff(403, director=200)),
    "backoffice:treatment-protocol-revise": ("GET", staff(403, director=200)),
    # sessions (an esketamine session at Riverside being observed with an open alert; a
    # planned IV session for check-in; POSTs without data answer 400 beside the fields)
    "backoffice:sessions-course": ("GET", staff(403, **CLINICAL)),
    "backoffice:sessions-plan": ("POST", staff(403, **dict.fromkeys(CLINICAL, 400))),
    "backoffice:sessions-rems-all": (
        "GET",  # each prescriber's own locations; the director's every location
        staff(403, prescriber=200, director=200, other_prescriber=200),
    ),
    "backoffice:sessions-session": ("GET", staff(403, **CLINICAL)),
    "backoffice:sessions-chart": ("GET", staff(403, **CLINICAL)),
    "backoffice:sessions-check-in": ("GET", staff(403, **CLINICAL)),
    "backoffice:sessions-readiness": ("POST", staff(403, **dict.fromkeys(CLINICAL, 400))),
    "backoffice:sessions-decide": ("POST", staff(403, prescriber=400, director=400)),
    "backoffice:sessions-vitals": ("POST", staff(403, **dict.fromkeys(CLINICAL, 400))),
    "backoffice:sessions-administration": ("POST", staff(403, **dict.fromkeys(CLINICAL, 400))),
    "backoffice:sessions-draw": ("POST", staff(403, nurse=400, prescriber=400)),
    "backoffice:sessions-paper-chart": ("POST", staff(403, **dict.fromkeys(CLINICAL, 400))),
    "backoffice:sessions-rescue": ("POST", staff(403, **dict.fromkeys(CLINICAL, 400))),
    "backoffice:sessions-cancel": ("POST", staff(403, **dict.fromkeys(CLINICAL, 400))),
    "backoffice:sessions-scale": ("POST", staff(403, **dict.fromkeys(CLINICAL, 400))),
    "backoffice:sessions-event": ("POST", staff(403, **dict.fromkeys(CLINICAL, 400))),
    "backoffice:sessions-respond": ("POST", staff(403, **dict.fromkeys(CLINICAL, 400))),
    "backoffice:sessions-discharge": ("GET", staff(403, **CLINICAL)),
    "backoffice:sessions-note": ("POST", staff(403, **dict.fromkeys(CLINICAL, 400))),
    "backoffice:sessions-sign": ("POST", staff(403, prescriber=400, director=400)),
    "backoffice:sessions-amend": ("POST", staff(403, **dict.fromkeys(CLINICAL, 400))),
    "backoffice:sessions-rems": ("GET", staff(403, **CLINICAL)),
    "backoffice:sessions-rems-csv": ("GET", staff(403, **CLINICAL)),
    # controlled substances (a Riverside lot with a draw and a count 50 mg short, by a
    # nurse who is none of the personas; POSTs without data answer 400 beside the fields)
    "backoffice:inventory-index": (
        "GET",  # one location: straight to it; the director chooses
        staff(403, nurse=302, prescriber=302, director=200, other_prescriber=302),
    ),
    "backoffice:inventory-location": ("GET", staff(403, **CLINICAL)),
    "backoffice:inventory-receive": ("GET", staff(403, nurse=200, prescriber=200)),
    "backoffice:inventory-draw-new": ("GET", staff(403, nurse=200, prescriber=200)),
    "backoffice:inventory-count-new": ("GET", staff(403, nurse=200, prescriber=200)),
    "backoffice:inventory-discrepancies": ("GET", staff(403, **CLINICAL)),
    "backoffice:inventory-ledger": ("GET", staff(403, **CLINICAL)),
    "backoffice:inventory-ledger-csv": ("GET", staff(403, **CLINICAL)),
    "backoffice:inventory-draw": ("GET", staff(403, **CLINICAL)),
    "backoffice:inventory-administer": ("POST", staff(403, nurse=400, prescriber=400)),
    "backoffice:inventory-waste": ("POST", staff(403, nurse=400, prescriber=400)),
    "backoffice:inventory-return": ("GET", staff(403, nurse=200, prescriber=200)),
    "backoffice:inventory-transfer": ("GET", staff(403, nurse=200, prescriber=200)),
    "backoffice:inventory-dispose": ("GET", staff(403, nurse=200, prescriber=200)),
    "backoffice:inventory-correct": ("GET", staff(403, nurse=200, prescriber=200)),
    "backoffice:inventory-count": ("GET", staff(403, **CLINICAL)),
    "backoffice:inventory-discrepancy": ("GET", staff(403, **CLINICAL)),
    "backoffice:inventory-loss": ("POST", staff(403, prescriber=302, director=302)),  # "no theft"
    "backoffice:inventory-resolve": ("POST", staff(403, prescriber=400, director=400)),
    "backoffice:inventory-form-106": ("GET", staff(403, prescriber=200, director=200)),
    # FHIR exports: a questionnaire (no patient data), a Riverside patient's responses
    "backoffice:fhir-questionnaire": (
        "GET",
        staff(403, nurse=200, prescriber=200, director=200, other_prescriber=200),
    ),
    "backoffice:fhir-patient-responses": ("GET", staff(403, **CLINICAL)),
    "backoffice:fhir-response": ("GET", staff(403, **CLINICAL)),
    # outcomes: the dashboard (prescribers: own locations; director: all) and a
    # Riverside patient's outcome page, figure, decisions and FHIR export
    "backoffice:outcomes-dashboard": (
        "GET",
        staff(403, prescriber=200, director=200, other_prescriber=200),
    ),
    "backoffice:outcomes-km": (
        "GET",
        staff(403, prescriber=200, director=200, other_prescriber=200),
    ),
    "backoffice:outcomes-waterfall": (
        "GET",
        staff(403, prescriber=200, director=200, other_prescriber=200),
    ),
    "backoffice:outcomes-research": ("GET", staff(403, director=200)),
    "backoffice:outcomes-patient": ("GET", staff(403, **CLINICAL)),
    "backoffice:outcomes-figure": ("GET", staff(403, **CLINICAL)),
    "backoffice:outcomes-decide": ("POST", staff(403, prescriber=400, director=400)),
    "backoffice:outcomes-fhir": ("GET", staff(403, **CLINICAL)),
    "backoffice:outcomes-report": ("GET", staff(403, **CLINICAL)),
    # the patient's own progress: off by default (OUTCOMES_PATIENTS_SEE_PROGRESS) → 404
    "portal:progress": ("GET", portal(404)),
    "portal:progress-figure": ("GET", portal(404)),
    "backoffice:team": ("GET", staff(403, admin=200)),
    "backoffice:team-invite": ("GET", staff(403, admin=200)),
    "backoffice:team-resend": ("POST", staff(403, admin=302)),
    "backoffice:team-disable": ("POST", staff(403, admin=302)),
    "backoffice:team-enable": ("POST", staff(403, admin=302)),
    # accounts: session keep-alive, drafts, invitations, unlock
    "accounts:invitation": ("GET", every(404)),  # unknown token
    "accounts:unlock": (
        "GET",
        staff(302, patients=302),
    ),  # → /staff/, then 403  # not locked: back to the staff home
    "accounts:session-status": ("GET", staff(200, anonymous=401)),
    "accounts:keep-alive": ("POST", staff(200, anonymous=401)),
    "accounts:draft": ("POST", staff(200, anonymous=401)),
    # allauth (sign-in, password, MFA): staff-only pages need a signed-in person
    "account_login": ("GET", staff(302, anonymous=200, patients=302)),  # patients → /q/me/
    "account_logout": ("GET", staff(200, anonymous=302, patients=200)),  # GET shows a confirmation
    "account_inactive": ("GET", every(200)),
    "account_signup": ("GET", staff(302, anonymous=200, patients=302)),  # shows "sign-up is closed"
    "account_reauthenticate": ("GET", staff(200)),
    "account_request_reauthentication_code": ("GET", staff(302)),
    "account_confirm_reauthentication_code": ("GET", staff(302)),
    "account_email": ("GET", every(404)),  # shadowed by email-closed
    "email-closed": ("GET", every(404)),
    "account_email_verification_sent": ("GET", every(200)),
    "account_change_password": ("GET", staff(200)),  # patients: closed (code sign-in only)
    "account_set_password": ("GET", staff(302)),
    "account_reset_password": ("GET", every(200) | PORTAL_CLOSED),
    # sign-in by one-time email code (for patients; staff still need password + TOTP)
    "account_request_login_code": ("GET", staff(302, anonymous=200, patients=302)),
    "account_confirm_login_code": ("GET", staff(302, patients=302)),
    "account_confirm_email": ("GET", every(200)),  # unknown key: a page saying so
    "account_reset_password_from_key_done": ("GET", every(200) | PORTAL_CLOSED),
    "account_reset_password_from_key": (
        "GET",
        every(200) | PORTAL_CLOSED,
    ),  # bad key: a page saying so
    "account_reset_password_done": ("GET", every(200) | PORTAL_CLOSED),
    "mfa_index": ("GET", staff(200)),
    "mfa_authenticate": ("GET", staff(302)),
    "mfa_reauthenticate": ("GET", staff(200)),
    "mfa_activate_totp": ("GET", staff(302)),  # already active: back to the MFA page
    "mfa_deactivate_totp": ("GET", staff(302)),  # staff: asks to re-authenticate first
    "mfa_view_recovery_codes": ("GET", staff(404)),  # none generated for test users
    "mfa_generate_recovery_codes": ("GET", staff(302)),
    "mfa_download_recovery_codes": ("GET", staff(404)),
}


def url_patterns(patterns=None, namespace=""):
    for pattern in patterns if patterns is not None else get_resolver().url_patterns:
        if isinstance(pattern, URLResolver):
            inner = namespace
            if pattern.namespace:
                inner = f"{namespace}:{pattern.namespace}" if namespace else pattern.namespace
            yield from url_patterns(pattern.url_patterns, inner)
        elif isinstance(pattern, URLPattern):
            yield f"{namespace}:{pattern.name}" if namespace else (pattern.name or "")


def our_urls():
    """Every URL name except the configuration admin's (see test_admin_urls below)."""
    return {name for name in url_patterns() if not name.startswith("admin:")}


def test_every_url_has_a_row_in_the_access_table():
    assert our_urls() - set(ACCESS) == set()


def test_no_row_names_a_url_that_does_not_exist():
    assert set(ACCESS) - our_urls() == set()


@pytest.mark.django_db
@pytest.mark.parametrize("name", sorted(ACCESS))
def test_url_answers_each_persona_as_the_table_says(client_for, personas, sample_args, name):
    method, expected = ACCESS[name]
    url = reverse(name, args=sample_args.get(name, []))
    for persona in PERSONAS:
        client = client_for(personas[persona])
        response = client.post(url, {}) if method == "POST" else client.get(url)
        outcome = response.status_code
        if outcome == 302 and reverse("account_login") in response["Location"]:
            outcome = LOGIN
        assert outcome == expected[persona], f"{method} {url} as {persona}"


def admin_urls():
    """The configuration admin's URLs that need no object, plus one object page each."""
    names = []
    for name in url_patterns():
        if not name.startswith("admin:") or name == "admin:":
            continue
        try:
            names.append(reverse(name))
        except NoReverseMatch:  # needs arguments: try an object id
            try:
                names.append(reverse(name, args=["1"]))
            except NoReverseMatch:  # app_list and view_on_site need other arguments
                continue
    return sorted(set(names))


@pytest.mark.django_db
def test_admin_urls_refuse_every_persona(client_for, personas):
    """The admin is for configuration and superusers only; no role opens it."""
    for url in admin_urls():
        for persona in PERSONAS:
            response = client_for(personas[persona]).get(url)
            if persona in PATIENT_PERSONAS:  # the middleware refuses patients outright
                assert response.status_code == 403, (url, persona)
            elif url.endswith("/logout/"):
                assert response.status_code in {302, 405}, (url, persona)
            elif url.endswith("/login/"):
                assert response.status_code in {200, 302}, (url, persona)
            else:
                assert response.status_code == 302, (url, persona)
                assert "/config/login/" in response["Location"], (url, persona)


@pytest.mark.django_db
def test_admin_opens_for_a_superuser_with_mfa(client, django_user_model):
    superuser = django_user_model.objects.create_superuser(
        email="root@clinic.test", password="x" * 16
    )
    login_with_mfa(client, superuser)

    assert client.get(reverse("admin:index")).status_code == 200
    assert client.get(reverse("admin:clinic_location_changelist")).status_code == 200
