"""The Django half of the benchmark: run by bench/run.py once per cohort database.

``python -m bench.prepare`` (with DATABASE_URL, SECRET_KEY and KETACLINIC_BENCH set as
for the server) picks every page's target deterministically from the data, signs the
staff persona in (password + TOTP session records, as allauth writes them), makes
the one-use questionnaire links the submission page consumes, counts each page's
queries with Django's test client, and prints the plan as one JSON document.
"""

from __future__ import annotations

import json
import os
import sys
import time
from datetime import timedelta
from urllib.parse import urlencode

import django

POOL_ENV = "BENCH_LINKS"
INSTRUMENT = "phq-9"
VITALS_SESSIONS = 4  # the vitals POSTs go round this many open sessions
# allauth binds its record of sign-in steps to the user under this session key
AUTHENTICATION_METHODS_USER_SESSION_KEY = "account_authentication_methods_user"


def _setup() -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "ketaclinic.settings")
    django.setup()


def persona():
    """The medical director with the lowest id (sees every location, may chart); made
    once (bench.director@bench.invalid) when the data has none."""
    from allauth.mfa.models import Authenticator
    from allauth.mfa.totp.internal.auth import TOTP, generate_totp_secret
    from django.contrib.auth.models import Group

    from ketaclinic.accounts.models import User
    from ketaclinic.accounts.roles import Role

    user = (
        User.objects.filter(groups__name=Role.MEDICAL_DIRECTOR, is_active=True)
        .order_by("pk")
        .first()
    )
    if user is None:
        user = User.objects.create_user(
            email="bench.director@bench.invalid", password=None, first_name="Bench"
        )
        user.groups.add(Group.objects.get(name=Role.MEDICAL_DIRECTOR))
    if not Authenticator.objects.filter(user=user, type=Authenticator.Type.TOTP).exists():
        TOTP.activate(user, generate_totp_secret())
    return user


def signed_in_cookies(user, count: int, csrf: str) -> list[str]:
    """``count`` staff sessions of ``user``, each as it is after a password + TOTP
    sign-in, each opened once through the middleware; as Cookie header values."""
    from allauth.account.authentication import AUTHENTICATION_METHODS_SESSION_KEY
    from allauth.mfa.models import Authenticator
    from django.conf import settings
    from django.test import Client

    authenticator = Authenticator.objects.get(user=user, type=Authenticator.Type.TOTP)
    cookies = []
    for _ in range(count):
        client = Client()
        client.force_login(user)
        session = client.session
        now = time.time()
        session[AUTHENTICATION_METHODS_SESSION_KEY] = [
            {"method": "password", "at": now, "email": user.email},
            {"method": "mfa", "at": now, "id": authenticator.pk, "type": authenticator.type},
        ]
        session[AUTHENTICATION_METHODS_USER_SESSION_KEY] = str(user.pk)
        session.save()
        answer = client.get("/staff/alerts/")
        if answer.status_code != 200:
            raise SystemExit(f"the bench persona's session is refused ({answer.status_code})")
        key = client.cookies[settings.SESSION_COOKIE_NAME].value
        cookies.append(f"{settings.SESSION_COOKIE_NAME}={key}; {settings.CSRF_COOKIE_NAME}={csrf}")
    return cookies


def open_sessions(wanted: int, actor) -> list:
    """Open treatment sessions, oldest first: the live page's and the charted ones.

    Synthetic histories end with every session discharged, so missing ones are opened
    here through the domain, as a clinic day starts: the next session of an active
    course is ordered (the choices of the course's last order, today's date), prepared,
    second-checked, planned, the location's readiness recorded and the patient checked
    in. Courses whose next session cannot be ordered (a product or weight rule, the
    course's length) are passed over. Sessions opened by an earlier run are reused."""
    from ketaclinic.sessions.models import OPEN_STATUSES, Session

    def found():
        return list(
            Session.objects.filter(status__in=OPEN_STATUSES)
            .order_by("pk")
            .select_related("course")[:wanted]
        )

    sessions = found()
    if len(sessions) < wanted:
        _open_more(wanted - len(sessions), actor)
        sessions = found()
    return sessions


def _open_more(count: int, actor) -> None:
    from django.db import transaction
    from django.utils import timezone

    from ketaclinic.sessions.demo import CHECK_IN, READY
    from ketaclinic.sessions.domain import sessions as session_domain
    from ketaclinic.sessions.domain.errors import SessionError
    from ketaclinic.sessions.models import Session
    from ketaclinic.treatment.domain import orders
    from ketaclinic.treatment.domain.errors import TreatmentError
    from ketaclinic.treatment.models import Course, CourseStatus, OrderStatus, SessionOrder

    today = timezone.localdate()
    opened = 0
    for course in Course.objects.filter(status=CourseStatus.ACTIVE).order_by("pk")[:500]:
        if opened >= count:
            break
        last = (
            SessionOrder.objects.filter(course=course)
            .exclude(status=OrderStatus.CANCELLED)
            .order_by("-session_number")
            .first()
        )
        if (
            last is None
            or Session.objects.filter(
                course=course, session_number=last.session_number + 1
            ).exists()
        ):
            continue
        choices = {
            "product": last.product,
            "session_number": last.session_number + 1,
            "measured_weight_kg": last.measured_weight_kg,
            "weight_measured_on": today,
            "height_cm": last.height_cm,
        }
        try:
            with transaction.atomic():
                order = orders.order_dose(course, prescriber=actor, today=today, **choices)
                orders.prepare_order(order, version=order.version, actor=actor)
                order.refresh_from_db()
                orders.second_check(order, version=order.version, actor=_second(actor, course))
                session = session_domain.plan_session(
                    course, session_number=order.session_number, reason="induction", actor=actor
                )
                session_domain.record_readiness(session, actor=actor, **READY)
                session_domain.check_in(session, actor=actor, **CHECK_IN)
        except (TreatmentError, SessionError, ValueError) as exc:
            print(f"course {course.pk} passed over: {exc}", file=sys.stderr)
            continue
        opened += 1


def _second(actor, course):
    """A licensed colleague of the course's location for the second check (never the
    preparer)."""
    from ketaclinic.accounts.models import User
    from ketaclinic.accounts.roles import Role

    return (
        User.objects.filter(groups__name__in=[Role.NURSE, Role.PRESCRIBER], is_active=True)
        .exclude(pk=actor.pk)
        .filter(locations=course.patient.location_id)
        .order_by("pk")
        .first()
    )


def target_patient(session):
    """The patient of the live session: a patient in treatment, with a history."""
    return session.course.patient


def search_term(patient) -> str:
    """What a receptionist types to find the patient: first and last name."""
    return f"{patient.legal_first_name} {patient.legal_last_name}"


def questionnaire_links(count: int, exclude: set[int]) -> list[str]:
    """``count`` one-use in-clinic PHQ-9 links for patients taken in turn by id (not the
    target patient, whose pages are measured). The rows are those ``create_link`` makes
    for the in-clinic channel (nothing is sent), written in one statement."""
    from datetime import timedelta

    from django.conf import settings
    from django.utils import timezone

    from ketaclinic.measures.domain.links import new_token, token_hash
    from ketaclinic.measures.instruments import load
    from ketaclinic.measures.models import Channel, LinkPurpose, ResponseLink
    from ketaclinic.patients.models import Patient

    load(INSTRUMENT)
    ids = list(
        Patient.objects.exclude(pk__in=exclude)
        .order_by("pk")
        .values_list("pk", flat=True)[: max(count, 1)]
    )
    now = timezone.now()
    expires = now + timedelta(minutes=settings.MEASURES_IN_CLINIC_MINUTES)
    tokens = [new_token() for _ in range(count)]
    ResponseLink.objects.bulk_create(
        [
            ResponseLink(
                patient_id=ids[index % len(ids)],
                purpose=LinkPurpose.INSTRUMENT,
                instrument_id=INSTRUMENT,
                token_hash=token_hash(token),
                channel=Channel.IN_CLINIC,
                created_at=now,
                expires_at=expires,
            )
            for index, token in enumerate(tokens)
        ],
        batch_size=1000,
    )
    return [f"/q/{token}/" for token in tokens]


def phq9_body() -> str:
    """Every PHQ-9 item answered "several days" (1), item 9 "not at all" (0): an
    ordinary answer that raises no alert."""
    from ketaclinic.measures.forms import field_name
    from ketaclinic.measures.instruments import load

    instrument = load(INSTRUMENT)
    answers = {}
    for item in instrument.items:
        values = [option.value for option in item.options]
        answers[field_name(item.id)] = values[0] if item.id.endswith("9") else values[1]
    return urlencode({**answers, "action": "submit"})


def inquiry_body() -> str:
    from ketaclinic.clinic.models import Location

    location = Location.objects.filter(is_active=True).order_by("pk").first()
    return urlencode(
        {
            "first_name": "Bench",
            "last_name": "Visitor",
            "email": "bench.@N@@example.com",
            "phone": "(217) 555-0142",
            "message": "Benchmark inquiry @N@: I would like to know about ketamine therapy.",
            "help_with": "",
            "preferred_contact_method": "",
            "preferred_contact_time": "",
            "location": location.pk if location else "",
            "submission_key": "@UUID@",
            "website": "",
        },
        safe="@",
    )


def vitals_body() -> str:
    return urlencode(
        {"systolic": 122, "diastolic": 78, "heart_rate": 72, "spo2": 98, "resp_rate": 14}
    )


def fill(template: str, n: int) -> str:
    import uuid

    return (
        template.replace("@N@", str(n)).replace("@S@", "bench").replace("@UUID@", str(uuid.uuid4()))
    )


def count_queries(client, method: str, path: str, body: str = "") -> tuple[int, int]:
    """Queries of one request (the third, so that caches are as under load) and its status."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    def send(n):
        if method == "GET":
            return client.get(path)
        return client.post(path, fill(body, n), content_type="application/x-www-form-urlencoded")

    first = int(time.time() * 1000)  # new words: not a duplicate of an earlier run's
    started = time.perf_counter()
    send(first)
    count_queries.first_ms = round((time.perf_counter() - started) * 1000, 1)
    # a second request takes the session's throttled activity write that a slow first
    # one makes due (under load it is one write in many requests); the third is counted
    send(first + 1)
    with CaptureQueriesContext(connection) as captured:
        answer = send(first + 2)
    return len(captured.captured_queries), answer.status_code


def plan(connections: int, links: int) -> dict:
    from django.conf import settings
    from django.middleware.csrf import _get_new_csrf_string
    from django.test import Client
    from django.utils import timezone

    from ketaclinic.patients.models import Patient

    csrf = _get_new_csrf_string()
    user = persona()
    cookies = signed_in_cookies(user, connections + 1, csrf)
    sessions = open_sessions(1 + VITALS_SESSIONS, user)
    if len(sessions) < 2:
        raise SystemExit("the bench data needs at least two open treatment sessions")
    live, charted = sessions[0], sessions[1:]
    patient = target_patient(live)
    today = timezone.localdate()
    dashboard = "/staff/outcomes/?" + urlencode(
        {"first_dose_from": (today - timedelta(days=365)).isoformat(), "first_dose_to": today}
    )
    pool = questionnaire_links(links + 2, {patient.pk, *(s.course.patient_id for s in sessions)})
    pages = [
        {"page": "bare", "method": "GET", "paths": ["/bench/bare/"], "staff": False},
        {
            "page": "get_in_touch",
            "method": "POST",
            "paths": ["/get-in-touch/"],
            "body": inquiry_body(),
            "staff": False,
        },
        {"page": "patient_overview", "method": "GET", "paths": [f"/staff/patients/{patient.pk}/"]},
        {
            "page": "outcomes_patient",
            "method": "GET",
            "paths": [f"/staff/outcomes/patients/{patient.pk}/"],
        },
        {"page": "session_live", "method": "GET", "paths": [f"/staff/sessions/{live.pk}/"]},
        {
            "page": "vitals_post",
            "method": "POST",
            "paths": [f"/staff/sessions/{s.pk}/vitals/" for s in charted],
            "body": vitals_body(),
        },
        {"page": "alert_inbox", "method": "GET", "paths": ["/staff/alerts/"]},
        {
            "page": "patient_search",
            "method": "GET",
            "paths": ["/staff/patients/?" + urlencode({"q": search_term(patient)})],
        },
        {"page": "dashboard", "method": "GET", "paths": [dashboard]},
        {
            "page": "questionnaire",
            "method": "POST",
            "paths": pool[2:],
            "once": True,
            "body": phq9_body(),
            "staff": False,
        },
    ]
    staff_client = Client()
    staff_client.cookies.load(cookies[-1])
    public_client = Client()
    # the dashboard last: the other pages' writes (a questionnaire moves the outcome
    # summaries) would make the board it has just cached out of date
    for page in sorted(pages, key=lambda page: page["page"] == "dashboard"):
        count_queries.first_ms = None
        client = staff_client if page.get("staff", True) else public_client
        if page["page"] == "questionnaire":
            queries, status = _count_questionnaire(public_client, pool[:2], page["body"])
        else:
            queries, status = count_queries(
                client, page["method"], page["paths"][0], page.get("body", "")
            )
        if status >= 400:
            raise SystemExit(f"{page['page']}: {page['paths'][0]} answers {status}")
        page["queries"] = queries
        page["status"] = status
        page["first_request_ms"] = getattr(count_queries, "first_ms", None)
    return {
        "patients": Patient.objects.count(),
        "csrf": csrf,
        "cookies": cookies[:-1],
        "session_cookie": settings.SESSION_COOKIE_NAME,
        "targets": {"patient": patient.pk, "session": live.pk},
        "pages": pages,
    }


def _count_questionnaire(client, paths: list[str], body: str) -> tuple[int, int]:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    client.post(paths[0], body, content_type="application/x-www-form-urlencoded")
    with CaptureQueriesContext(connection) as captured:
        answer = client.post(paths[1], body, content_type="application/x-www-form-urlencoded")
    return len(captured.captured_queries), answer.status_code


def main(argv: list[str]) -> int:
    _setup()
    connections = int(argv[0]) if argv else 8
    links = int(os.environ.get(POOL_ENV) or (argv[1] if len(argv) > 1 else 2000))
    document = json.dumps(plan(connections, links))
    if len(argv) > 2:  # a file: django-q2 prints "Enqueued ..." on standard output
        with open(argv[2], "w") as out:
            out.write(document)
    else:
        sys.stdout.write(document + "\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
