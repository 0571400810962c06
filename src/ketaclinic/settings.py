"""Ketaclinic settings, read from the environment through typed helpers.

Defaults give a working development clinic on SQLite under ``var/``. Production
(``KETACLINIC_ENV=production``) refuses to start without SECRET_KEY, ALLOWED_HOSTS
and DATABASE_URL. Every variable is listed in README.md.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import dj_database_url
from django.core.exceptions import ImproperlyConfigured

from ketaclinic.env import envbool, envint, envlist, envstr


def _licensed_roles(name: str) -> list[str]:
    """A clinic-policy list of licensed roles (default nurse and prescriber): who may do
    a second check or witness a waste. Never empty; nothing but licensed roles."""
    roles = envlist(name, ["nurse", "prescriber"])
    if not roles or not set(roles) <= {"nurse", "prescriber", "medical_director"}:
        raise ImproperlyConfigured(f"{name} may name nurse, prescriber and medical_director only")
    return roles


def _json_object(name: str) -> dict:
    """A JSON object from the environment (empty when unset); fails loudly otherwise."""
    raw = envstr(name, "") or ""
    if not raw.strip():
        return {}
    try:
        value = json.loads(raw)
    except ValueError as exc:
        raise ImproperlyConfigured(f"{name} must be a JSON object: {exc}") from exc
    if not isinstance(value, dict):
        raise ImproperlyConfigured(f'{name} must be a JSON object, e.g. {{"name": 1}}')
    return value


BASE_DIR = Path(__file__).resolve().parent.parent.parent
VAR_DIR = Path(envstr("KETACLINIC_VAR_DIR", str(BASE_DIR / "var")) or BASE_DIR / "var")

ENVIRONMENT = envstr("KETACLINIC_ENV", "development")
if ENVIRONMENT not in {"development", "test", "production"}:
    raise ImproperlyConfigured("KETACLINIC_ENV must be development, test or production")
PRODUCTION = ENVIRONMENT == "production"

DEBUG = envbool("DEBUG", default=not PRODUCTION)

if PRODUCTION:
    _missing = [
        name for name in ("SECRET_KEY", "ALLOWED_HOSTS", "DATABASE_URL") if not envstr(name)
    ]
    if _missing:
        raise ImproperlyConfigured(
            "Production mode needs these environment variables: " + ", ".join(_missing)
        )
    if DEBUG:
        raise ImproperlyConfigured("DEBUG must be off in production")

SECRET_KEY = envstr("SECRET_KEY") or "dev-only-insecure-key-never-use-in-production-0123456789"
ALLOWED_HOSTS = envlist("ALLOWED_HOSTS", ["127.0.0.1", "localhost", "testserver"])
CSRF_TRUSTED_ORIGINS = envlist("CSRF_TRUSTED_ORIGINS", [])

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "rules.apps.AutodiscoverRulesConfig",
    "django_htmx",
    "django_q",
    "simple_history",
    "csp",
    "allauth",
    "allauth.account",
    "allauth.mfa",
    # data apps
    "ketaclinic.accounts",
    "ketaclinic.clinic",
    "ketaclinic.notifications",
    "ketaclinic.inquiries",
    "ketaclinic.patients",
    "ketaclinic.screening",
    "ketaclinic.measures",
    "ketaclinic.safety",
    "ketaclinic.treatment",
    "ketaclinic.booking",
    "ketaclinic.inventory",
    "ketaclinic.sessions",
    "ketaclinic.audit",
    "ketaclinic.interop",
    "ketaclinic.outcomes",
    "ketaclinic.synth",  # no models: manage.py synth
    # audience apps
    "ketaclinic.website",
    "ketaclinic.backoffice",
    "ketaclinic.portal",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "ketaclinic.audit.middleware.AuditContextMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "csp.middleware.CSPMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    "allauth.account.middleware.AccountMiddleware",
    # idle lock, absolute lifetime, MFA required, no-store (after allauth's middleware)
    "ketaclinic.accounts.middleware.StaffSessionMiddleware",
    "simple_history.middleware.HistoryRequestMiddleware",
]

ROOT_URLCONF = "ketaclinic.urls"
WSGI_APPLICATION = "ketaclinic.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "ketaclinic.clinic.context_processors.clinic",
            ],
        },
    },
]
# Django's widget HTML written in Python instead of one template include per <input> and
# per <option> (a third of a form-heavy page's time); see ketaclinic/formrender.py.
FORM_RENDERER = "ketaclinic.formrender.FastRenderer"

# --- database ---------------------------------------------------------------
VAR_DIR.mkdir(parents=True, exist_ok=True)
DATABASE_URL = envstr("DATABASE_URL", f"sqlite:///{VAR_DIR / 'ketaclinic.sqlite3'}")
# Persistent connections are checked before a request reuses them, so after the
# database restarts the next request reconnects instead of failing (drills/pg_restart.py).
DATABASES = {
    "default": dj_database_url.parse(
        DATABASE_URL, conn_max_age=envint("DB_CONN_MAX_AGE", 60), conn_health_checks=True
    )
}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # WAL lets readers and the writer work side by side; IMMEDIATE takes the write
    # lock at BEGIN so concurrent writers wait (busy timeout) instead of failing.
    DATABASES["default"]["CONN_MAX_AGE"] = 0
    DATABASES["default"]["OPTIONS"] = {
        "transaction_mode": "IMMEDIATE",
        "timeout": 20,
        "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
    }
# PostgreSQL searches every order of a query's joins in groups of join_collapse_limit
# tables (8 by default): the live session page loads the session with 14 joined tables
# (course, patient, location, protocol, order, check-in, discharge, their people: each
# by primary key), and planning took 4 ms for 0.4 ms of execution. In groups of 4 it
# takes about 1 ms; the bench pages' execution times and the dashboard's cold build did
# not change (docs/performance.md); queries of up to 4 tables keep every join order.
# 8 is PostgreSQL's own default. Sent as connection options; a pooler that refuses or
# drops them (PgBouncer) needs ALTER DATABASE ... SET join_collapse_limit (and
# from_collapse_limit) instead (docs/operations.md).
DB_JOIN_COLLAPSE_LIMIT = envint("DB_JOIN_COLLAPSE_LIMIT", 4, minimum=1)
if DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql":
    _options = DATABASES["default"].setdefault("OPTIONS", {})
    _options["options"] = " ".join(  # after any options DATABASE_URL gives (?options=...)
        filter(
            None,
            [
                _options.get("options", ""),
                f"-c join_collapse_limit={DB_JOIN_COLLAPSE_LIMIT}",
                f"-c from_collapse_limit={DB_JOIN_COLLAPSE_LIMIT}",
            ],
        )
    )
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# --- cache --------------------------------------------------------------------
# One process: local memory. Several web processes on one machine (gunicorn workers):
# CACHE_DIR, a folder they share (Django's file cache), so that what one worker builds
# (the clinic dashboard, figures) the others read. Use one folder per database.
CACHE_DIR = envstr("CACHE_DIR", "") or ""
CACHES = {
    "default": (
        {"BACKEND": "django.core.cache.backends.filebased.FileBasedCache", "LOCATION": CACHE_DIR}
        if CACHE_DIR
        else {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}
    )
}

# --- auth -------------------------------------------------------------------
AUTH_USER_MODEL = "accounts.User"
AUTHENTICATION_BACKENDS = [
    "rules.permissions.ObjectPermissionBackend",
    "ketaclinic.accounts.backends.EmailBackend",  # sign-in only; permissions are rules
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {
        "NAME": "django.contrib.auth.password_validation.MinimumLengthValidator",
        "OPTIONS": {"min_length": 12},
    },
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
LOGIN_URL = "account_login"
LOGIN_REDIRECT_URL = "backoffice:home"  # sends each role to its own first screen
ACCOUNT_LOGIN_METHODS = {"email"}
# patients sign in to the portal by a one-time code; staff still need password + TOTP
# on /staff/ and /config/ (accounts.middleware refuses a code-only session there)
ACCOUNT_LOGIN_BY_CODE_ENABLED = True
ACCOUNT_SIGNUP_FIELDS = ["email*", "password1*", "password2*"]
ACCOUNT_USER_MODEL_USERNAME_FIELD = None
ACCOUNT_EMAIL_VERIFICATION = "none"
ACCOUNT_ADAPTER = "ketaclinic.accounts.adapter.StaffAccountAdapter"  # invitation only
ACCOUNT_LOGOUT_ON_GET = False
ACCOUNT_SESSION_REMEMBER = False
ACCOUNT_RATE_LIMITS = {"login_failed": "10/m/ip,5/5m/key"}
MFA_SUPPORTED_TYPES = ["totp", "recovery_codes"]
# Database sessions, read with one statement written once (accounts/session_store.py)
SESSION_ENGINE = "ketaclinic.accounts.session_store"
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
SESSION_COOKIE_AGE = envint("SESSION_COOKIE_AGE", 12 * 3600, minimum=60)

# --- i18n -------------------------------------------------------------------
LANGUAGE_CODE = "en-us"
TIME_ZONE = envstr("TIME_ZONE", "America/New_York")
# The site is written in English only, with no translation catalogue: without the
# translation machinery each "3 days ago" and each date shown is 1.5 to 4 times cheaper
# (50 rows of the alert inbox: 2.9 -> 1.3 ms). Dates and numbers keep the en-us formats,
# which are Django's defaults apart from the digit grouping, set here.
USE_I18N = False
NUMBER_GROUPING = 3
USE_TZ = True

# --- static files (vendored, never from a CDN) --------------------------------
STATIC_URL = "static/"
STATIC_ROOT = VAR_DIR / "static"
STATIC_ROOT.mkdir(parents=True, exist_ok=True)
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": (
            "whitenoise.storage.CompressedManifestStaticFilesStorage"
            if PRODUCTION
            else "django.contrib.staticfiles.storage.StaticFilesStorage"
        )
    },
}

# --- email ------------------------------------------------------------------
EMAIL_BACKEND = envstr(
    "EMAIL_BACKEND",
    "django.core.mail.backends.smtp.EmailBackend"
    if PRODUCTION
    else "django.core.mail.backends.filebased.EmailBackend",
)
EMAIL_FILE_PATH = str(VAR_DIR / "mail")
EMAIL_HOST = envstr("EMAIL_HOST", "localhost")
EMAIL_PORT = envint("EMAIL_PORT", 25)
EMAIL_HOST_USER = envstr("EMAIL_HOST_USER", "") or ""
EMAIL_HOST_PASSWORD = envstr("EMAIL_HOST_PASSWORD", "") or ""
EMAIL_USE_TLS = envbool("EMAIL_USE_TLS", default=False)
EMAIL_TIMEOUT = envint("EMAIL_TIMEOUT", 20)
DEFAULT_FROM_EMAIL = envstr("DEFAULT_FROM_EMAIL", "Ketaclinic <no-reply@ketaclinic.localhost>")
SERVER_EMAIL = DEFAULT_FROM_EMAIL
# Absolute address used in emails ("open the inquiry: <SITE_URL>/staff/...").
SITE_URL = (envstr("SITE_URL", "http://127.0.0.1:8000") or "").rstrip("/")
# FHIR exports name patients, responses and observations by identifiers in this
# clinic's own namespace ("<base>/patient", …): keep it when SITE_URL changes.
FHIR_IDENTIFIER_BASE = (
    envstr("FHIR_IDENTIFIER_BASE", f"{SITE_URL}/fhir/id") or f"{SITE_URL}/fhir/id"
).rstrip("/")

# --- background work (django-q2, ORM broker by default) -----------------------
Q_CLUSTER = {
    # The site's name: the Redis queue key (django_q:<name>:q) and the salt that signs
    # queued tasks, so every web and worker machine of one clinic uses the same name;
    # two sites (or staging) sharing one Redis use different names. (Not django-q2's
    # own Q_CLUSTER_NAME variable, which picks one of several queues of a site.)
    "name": envstr("Q_SITE_NAME", "ketaclinic") or "ketaclinic",
    "orm": "default",
    "workers": envint("Q_WORKERS", 2, minimum=1),
    "timeout": 60,
    "retry": 120,
    "max_attempts": 3,
    "catch_up": False,
    "ack_failures": True,
    "poll": 1,
    "sync": False,
}
if envstr("Q_REDIS_URL"):
    # Several web and worker machines: the queue lives in Redis (a job popped by a
    # worker that dies is gone from it; the outbox sweeps deliver what it carried).
    if not re.fullmatch(r"(rediss?|unix)://\S+", envstr("Q_REDIS_URL") or ""):
        raise ImproperlyConfigured(
            "Q_REDIS_URL must be a redis://, rediss:// or unix:// address, "
            "e.g. redis://127.0.0.1:6379/0"
        )
    Q_CLUSTER.pop("orm")
    Q_CLUSTER["redis"] = envstr("Q_REDIS_URL")

# --- outbox (notifications) ---------------------------------------------------
OUTBOX_MAX_ATTEMPTS = envint("OUTBOX_MAX_ATTEMPTS", 8, minimum=1)
OUTBOX_BACKOFF_SECONDS = envint("OUTBOX_BACKOFF_SECONDS", 30, minimum=1)
OUTBOX_CLAIM_SECONDS = envint("OUTBOX_CLAIM_SECONDS", 300, minimum=10)

# --- Get In Touch -------------------------------------------------------------
# Per client address: at most N inquiries in the window. Generous on purpose: a
# family sharing one connection must never be blocked.
INQUIRY_RATE_LIMIT_COUNT = envint("INQUIRY_RATE_LIMIT_COUNT", 5, minimum=1)
INQUIRY_RATE_LIMIT_WINDOW_SECONDS = envint("INQUIRY_RATE_LIMIT_WINDOW_SECONDS", 3600, minimum=1)
INQUIRY_RATE_LIMIT_ENABLED = envbool("INQUIRY_RATE_LIMIT_ENABLED", default=True)
if PRODUCTION and not INQUIRY_RATE_LIMIT_ENABLED:
    raise ImproperlyConfigured("INQUIRY_RATE_LIMIT_ENABLED may be switched off for benchmarks only")
# Benchmark mode (`make bench`, bench/run.py): adds the bare endpoint /bench/bare/ (the
# stack's ceiling: middleware only, no database). Never in production.
BENCH_MODE = envbool("KETACLINIC_BENCH", default=False)
if PRODUCTION and BENCH_MODE:
    raise ImproperlyConfigured("KETACLINIC_BENCH is for benchmarks only, never in production")
# A new inquiry still untouched after this many days is marked in the inbox (clinic policy).
INQUIRY_NEW_OVERDUE_DAYS = envint("INQUIRY_NEW_OVERDUE_DAYS", 2, minimum=1)
# The same message from the same person within this window is one inquiry
# (catches back-and-resubmit from a reloaded form).
INQUIRY_DUPLICATE_WINDOW_SECONDS = envint("INQUIRY_DUPLICATE_WINDOW_SECONDS", 86400, minimum=0)
# Number of proxies in front of the app whose X-Forwarded-For we trust (0 = none).
TRUSTED_PROXY_COUNT = envint("TRUSTED_PROXY_COUNT", 0, minimum=0)

# --- patients ---------------------------------------------------------------
# Attachments (ECGs, clearance letters, outside records) are stored here: outside
# STATIC_ROOT and any MEDIA_URL, so the web server never serves them. They are read
# only through the permission-checked, audited attachment view.
PRIVATE_MEDIA_ROOT = Path(
    envstr("PRIVATE_MEDIA_ROOT", str(VAR_DIR / "private")) or VAR_DIR / "private"
)
# Largest attachment accepted (bytes); PDF, PNG and JPEG only, checked by content.
ATTACHMENT_MAX_BYTES = envint("ATTACHMENT_MAX_BYTES", 10 * 1024 * 1024, minimum=1024)

# --- safety (alerts, on-call rota; CLINICAL.md §7 — clinic policy) ---------------
# Minutes before an unacknowledged urgent alert escalates (on-call → director → every
# prescriber of the location).
SAFETY_ESCALATE_MINUTES = envint("SAFETY_ESCALATE_MINUTES", 15, minimum=1)
# The second channel for urgent alerts (SMS/phone adapter; dotted path to a
# ketaclinic.safety.channels.SecondChannel). Development writes to a file.
SAFETY_SECOND_CHANNEL = (
    envstr("SAFETY_SECOND_CHANNEL", "ketaclinic.safety.channels.FileChannel")
    or "ketaclinic.safety.channels.FileChannel"
)
if PRODUCTION and not envstr("SAFETY_SECOND_CHANNEL"):
    # Urgent alerts need a channel a person notices (CLINICAL.md §7): make the choice
    # explicit instead of silently writing to a file nobody reads.
    raise ImproperlyConfigured(
        "Production needs SAFETY_SECOND_CHANNEL: the dotted path of the SMS or phone "
        "adapter for urgent safety alerts (the file channel is for development)."
    )
SAFETY_MESSAGES_FILE = Path(
    envstr("SAFETY_MESSAGES_FILE", str(VAR_DIR / "safety-messages.log"))
    or VAR_DIR / "safety-messages.log"
)
# Urgent alerts are also emailed through the outbox (in addition, never instead).
SAFETY_EMAIL_TOO = envbool("SAFETY_EMAIL_TOO", True)
# Days after an urgent alert that its follow-up call is due.
SAFETY_FOLLOW_UP_DAYS = envint("SAFETY_FOLLOW_UP_DAYS", 1, minimum=0)
# Second-channel delivery: attempts, back-off base (seconds, doubled, capped at 10
# minutes) and how long a worker's claim on a message lasts.
SAFETY_MAX_ATTEMPTS = envint("SAFETY_MAX_ATTEMPTS", 10, minimum=1)
SAFETY_BACKOFF_SECONDS = envint("SAFETY_BACKOFF_SECONDS", 20, minimum=1)
SAFETY_CLAIM_SECONDS = envint("SAFETY_CLAIM_SECONDS", 120, minimum=10)
# Twilio adapters (ketaclinic.safety.channels.TwilioSMSChannel / TwilioVoiceChannel):
# account SID, auth token (both can come from *_FILE), the sending number (E.164),
# the API base (a test double or regional edge may replace it) and the HTTP time-out.
SAFETY_SMS_ACCOUNT_SID = envstr("SAFETY_SMS_ACCOUNT_SID", "") or ""
SAFETY_SMS_AUTH_TOKEN = envstr("SAFETY_SMS_AUTH_TOKEN", "") or ""
SAFETY_SMS_FROM = envstr("SAFETY_SMS_FROM", "") or ""
SAFETY_SMS_API_BASE = (
    envstr("SAFETY_SMS_API_BASE", "https://api.twilio.com") or "https://api.twilio.com"
).rstrip("/")
SAFETY_SMS_TIMEOUT_SECONDS = envint("SAFETY_SMS_TIMEOUT_SECONDS", 10, minimum=1)
if SAFETY_SMS_TIMEOUT_SECONDS >= SAFETY_CLAIM_SECONDS:
    # A claim that ends while the request is still open lets a second worker send too.
    raise ImproperlyConfigured(
        "SAFETY_SMS_TIMEOUT_SECONDS must be shorter than SAFETY_CLAIM_SECONDS"
    )
if SAFETY_SMS_FROM and not re.fullmatch(r"\+[1-9]\d{6,14}", SAFETY_SMS_FROM):
    raise ImproperlyConfigured(
        f"SAFETY_SMS_FROM must be a phone number in E.164 form (+12175550100), "
        f"not {SAFETY_SMS_FROM!r}"
    )
if not re.fullmatch(r"https?://[^/\s]+(/\S*)?", SAFETY_SMS_API_BASE):
    raise ImproperlyConfigured(
        f"SAFETY_SMS_API_BASE must be an http(s) address, not {SAFETY_SMS_API_BASE!r}"
    )
if PRODUCTION and SAFETY_SECOND_CHANNEL.startswith("ketaclinic.safety.channels.Twilio"):
    _missing = [
        name
        for name in ("SAFETY_SMS_ACCOUNT_SID", "SAFETY_SMS_AUTH_TOKEN", "SAFETY_SMS_FROM")
        if not envstr(name)
    ]
    if _missing:
        raise ImproperlyConfigured(
            "The Twilio second channel needs these environment variables (or their "
            "*_FILE forms) in production: " + ", ".join(_missing)
        )
    if not SAFETY_SMS_API_BASE.startswith("https://"):
        raise ImproperlyConfigured(
            "SAFETY_SMS_API_BASE must be https:// in production (it carries the auth token)"
        )

# --- measures (questionnaire links; clinic policy, issue 5) ---------------------
# Days a questionnaire link works, days before the one reminder, minutes an in-clinic
# (tablet) link works. The SMS channel sits behind the same interface, off by default.
MEASURES_LINK_DAYS = envint("MEASURES_LINK_DAYS", 4, minimum=1)
MEASURES_REMINDER_DAYS = envint("MEASURES_REMINDER_DAYS", 2, minimum=1)
MEASURES_IN_CLINIC_MINUTES = envint("MEASURES_IN_CLINIC_MINUTES", 120, minimum=5)
MEASURES_SMS_ENABLED = envbool("MEASURES_SMS_ENABLED", False)
# The adapter that texts patients their links when MEASURES_SMS_ENABLED (dotted path to
# a ketaclinic.safety.channels.SecondChannel, e.g. ...TwilioSMSChannel, which uses the
# SAFETY_SMS_* account). Development appends to SAFETY_MESSAGES_FILE.
PATIENT_SMS_CHANNEL = (
    envstr("PATIENT_SMS_CHANNEL", "ketaclinic.safety.channels.FileChannel")
    or "ketaclinic.safety.channels.FileChannel"
)
if PRODUCTION and MEASURES_SMS_ENABLED and not envstr("PATIENT_SMS_CHANNEL"):
    raise ImproperlyConfigured(
        "MEASURES_SMS_ENABLED in production needs PATIENT_SMS_CHANNEL: the dotted path of "
        "the SMS adapter (the file channel is for development)."
    )
# Clinic policy (CLINICAL.md §6/§7): the MADRS item-10 answer that counts as suicidal
# ideation, and the YMRS rise that raises a mania alert (points, or percent of the
# baseline total; either is enough).
MEASURES_MADRS_IDEATION_MIN = envint("MEASURES_MADRS_IDEATION_MIN", 2, minimum=1)
MEASURES_YMRS_RISE_POINTS = envint("MEASURES_YMRS_RISE_POINTS", 12, minimum=1)
MEASURES_YMRS_RISE_PERCENT = envint("MEASURES_YMRS_RISE_PERCENT", 50, minimum=1)
# clinic policy: patients see their scores and bands in the portal (otherwise "received")
MEASURES_PATIENTS_SEE_SCORES = envbool("MEASURES_PATIENTS_SEE_SCORES", False)

# --- booking (calendar and pre-visit emails; clinic policy, issue 6) -------------
# The calendar's grid: appointments start and end on it (minutes; divides a day).
BOOKING_SLOT_MINUTES = envint("BOOKING_SLOT_MINUTES", 15, minimum=5)
if (24 * 60) % BOOKING_SLOT_MINUTES:
    raise ImproperlyConfigured("BOOKING_SLOT_MINUTES must divide a day (5, 10, 15, 20, 30, 60)")
# Usual length of a treatment session: check-in, pre-dose vitals, dosing and the
# observation after it (esketamine: at least 120 minutes, CLINICAL.md §3) ...
BOOKING_SESSION_MINUTES = envint("BOOKING_SESSION_MINUTES", 150, minimum=BOOKING_SLOT_MINUTES)
# ... and of a consultation, screening visit or follow-up.
BOOKING_VISIT_MINUTES = envint("BOOKING_VISIT_MINUTES", 60, minimum=BOOKING_SLOT_MINUTES)
# Patients are asked to arrive this many minutes before the appointment time.
BOOKING_ARRIVE_EARLY_MINUTES = envint("BOOKING_ARRIVE_EARLY_MINUTES", 15, minimum=0)
# The reminder email goes out this many hours before the appointment ("the day
# before"); a booking made later than that gets no separate reminder.
BOOKING_REMINDER_HOURS = envint("BOOKING_REMINDER_HOURS", 24, minimum=1)
# How far ahead an appointment may be booked (catches a mistyped year).
BOOKING_MAX_DAYS_AHEAD = envint("BOOKING_MAX_DAYS_AHEAD", 365, minimum=1)
# When a treatment session usually starts (HH:MM, local time): the start suggested
# when a course's sessions are booked (the opening time if the clinic opens later).
BOOKING_SESSION_START = envstr("BOOKING_SESSION_START", "09:00") or "09:00"
if not re.fullmatch(r"([01]\d|2[0-3]):[0-5]\d", BOOKING_SESSION_START) or (
    (int(BOOKING_SESSION_START[:2]) * 60 + int(BOOKING_SESSION_START[3:])) % BOOKING_SLOT_MINUTES
):
    raise ImproperlyConfigured(
        "BOOKING_SESSION_START must be HH:MM on the calendar's grid (BOOKING_SLOT_MINUTES)"
    )

# --- treatment (orders and dosing; clinic policy, issue 6, CLINICAL.md §2) -------------
# A dosing weight must have been measured within this many days of the order.
TREATMENT_WEIGHT_MAX_AGE_DAYS = envint("TREATMENT_WEIGHT_MAX_AGE_DAYS", 30, minimum=0)
# Dosing weight in obesity: actual, ideal (Devine) or adjusted (ideal + 0.4 × excess);
# ideal/adjusted apply from this BMI. Shown on every order.
TREATMENT_DOSING_WEIGHT_RULE = envstr("TREATMENT_DOSING_WEIGHT_RULE", "actual") or "actual"
if TREATMENT_DOSING_WEIGHT_RULE not in {"actual", "ideal", "adjusted"}:
    raise ImproperlyConfigured("TREATMENT_DOSING_WEIGHT_RULE must be actual, ideal or adjusted")
TREATMENT_OBESITY_BMI = envint("TREATMENT_OBESITY_BMI", 30, minimum=18)
# Roles whose holders may do the second check of a prepared dose (never the preparer).
TREATMENT_SECOND_CHECK_ROLES = _licensed_roles("TREATMENT_SECOND_CHECK_ROLES")

# --- sessions (charting and discharge; clinic policy, issue 7, CLINICAL.md §3) ------------
# Thresholds in force: a JSON object of the names in sessions.thresholds.Thresholds, e.g.
# SESSION_THRESHOLDS='{"alert_systolic_high": 170}'; missing names keep the defaults
# (pre-dose review > 140/90, hold ≥ 160/100 or HR ≥ 110; in-session alert at systolic
# ≥ 180 or < 90, diastolic ≥ 100, HR ≥ 110 or < 50, SpO2 < 92, RR < 10 or > 24, MOAA/S ≤ 3).
SESSION_THRESHOLDS = _json_object("SESSION_THRESHOLDS")
try:
    from ketaclinic.sessions.thresholds import Thresholds as _Thresholds

    _Thresholds.from_mapping(SESSION_THRESHOLDS)
except ValueError as _exc:
    raise ImproperlyConfigured(f"SESSION_THRESHOLDS: {_exc}") from _exc
# A vital-signs check is "due now" this many minutes either side of its time, then late.
SESSION_CHECK_GRACE_MINUTES = envint("SESSION_CHECK_GRACE_MINUTES", 5, minimum=0)
# An item entered more than this many minutes after it occurred is marked a late entry.
SESSION_LATE_ENTRY_MINUTES = envint("SESSION_LATE_ENTRY_MINUTES", 10, minimum=0)
# Minimum observation after an IV infusion ends (the protocol's, if longer); a prescriber
# may override it with a reason. Esketamine: 120 minutes from the first device, never.
SESSION_IV_OBSERVATION_MINUTES = envint("SESSION_IV_OBSERVATION_MINUTES", 60, minimum=0)
# The emergency readiness check is recorded once per location per "day" or per "session".
SESSION_READINESS_PER = envstr("SESSION_READINESS_PER", "day") or "day"
if SESSION_READINESS_PER not in {"day", "session"}:
    raise ImproperlyConfigured("SESSION_READINESS_PER must be day or session")
# Check-in needs the session's dose order prepared and second-checked.
SESSION_REQUIRE_CHECKED_ORDER = envbool("SESSION_REQUIRE_CHECKED_ORDER", True)

# --- inventory (controlled-substance ledger; clinic policy, issue 8, CLINICAL.md §4) ----
# Roles whose holders may witness a waste, return, transfer or disposal (state boards
# set witness rules: clinic policy). Never the person recording it.
INVENTORY_WITNESS_ROLES = _licensed_roles("INVENTORY_WITNESS_ROLES")
# A physical count is due this many days after the last one. 21 CFR 1304.11(c): at
# least every two years (730 days, the default); set 1 for a count at the end of each day.
INVENTORY_COUNT_INTERVAL_DAYS = envint("INVENTORY_COUNT_INTERVAL_DAYS", 730, minimum=1)
# A loss at or above this many mg (or any suspected theft) prompts a DEA Form 106 draft.
# DEA sets no number (21 CFR 1301.76(b) lists factors); the default is one esketamine
# device (28 mg), the smallest whole unit on the shipped product list.
INVENTORY_SIGNIFICANT_LOSS_MG = envint("INVENTORY_SIGNIFICANT_LOSS_MG", 28, minimum=1)
# Lots expiring within this many days are flagged on the inventory page.
INVENTORY_EXPIRY_WARNING_DAYS = envint("INVENTORY_EXPIRY_WARNING_DAYS", 60, minimum=0)

# --- outcomes (summaries, dashboard, exports; clinic policy, issue 9, CLINICAL.md §6) ---
# The baseline is the last score within this many days before the first dose.
OUTCOMES_BASELINE_WINDOW_DAYS = envint("OUTCOMES_BASELINE_WINDOW_DAYS", 14, minimum=0)
# A relapse (after a response) is this many consecutive scores back above the response line.
OUTCOMES_RELAPSE_CONSECUTIVE = envint("OUTCOMES_RELAPSE_CONSECUTIVE", 2, minimum=1)
# Suicidal ideation is resolved when absent on this many consecutive measurements.
OUTCOMES_IDEATION_RESOLVED_CONSECUTIVE = envint(
    "OUTCOMES_IDEATION_RESOLVED_CONSECUTIVE", 2, minimum=1
)
# Suggestions: infusions at 0.5 mg/kg without response before 0.75 mg/kg is suggested;
# the peak CADSS counted as strong dissociation (no published cut-off: review it);
# the maintenance interval as a percentage of the patient's own days to worsening,
# within the shortest and longest interval.
OUTCOMES_ESCALATE_AFTER = envint("OUTCOMES_ESCALATE_AFTER", 3, minimum=1)
OUTCOMES_STRONG_DISSOCIATION_CADSS = envint("OUTCOMES_STRONG_DISSOCIATION_CADSS", 20, minimum=0)
OUTCOMES_MAINTENANCE_PERCENT = envint("OUTCOMES_MAINTENANCE_PERCENT", 75, minimum=1)
OUTCOMES_MAINTENANCE_MIN_DAYS = envint("OUTCOMES_MAINTENANCE_MIN_DAYS", 7, minimum=1)
OUTCOMES_MAINTENANCE_MAX_DAYS = envint("OUTCOMES_MAINTENANCE_MAX_DAYS", 56, minimum=1)
if OUTCOMES_MAINTENANCE_PERCENT > 100 or OUTCOMES_STRONG_DISSOCIATION_CADSS > 92:
    raise ImproperlyConfigured(
        "OUTCOMES_MAINTENANCE_PERCENT must be at most 100 and "
        "OUTCOMES_STRONG_DISSOCIATION_CADSS at most 92 (CADSS range)"
    )
if OUTCOMES_MAINTENANCE_MIN_DAYS > OUTCOMES_MAINTENANCE_MAX_DAYS:
    raise ImproperlyConfigured("OUTCOMES_MAINTENANCE_MIN_DAYS must not exceed the MAX")
# A patient's overview and outcome page are cached until a row they show is written
# (database triggers move the record's stamp, docs/performance.md) and at most this many
# seconds (0: never). The rendered record holds personal data: the cache folder (CACHE_DIR)
# needs the protection the database has. Off under tests (a rolled-back test reuses
# SQLite's stamps); tests/patients/test_record_cache.py turns it on.
PATIENT_RECORD_CACHE_SECONDS = envint(
    "PATIENT_RECORD_CACHE_SECONDS", 0 if ENVIRONMENT == "test" else 300, minimum=0
)
# The clinic dashboard is cached until a row it reads is written (database triggers move
# a generation number, docs/performance.md) and at most this many seconds (0: never).
# Off under tests, which roll back instead of committing.
OUTCOMES_DASHBOARD_CACHE_SECONDS = envint(
    "OUTCOMES_DASHBOARD_CACHE_SECONDS", 0 if ENVIRONMENT == "test" else 300, minimum=0
)
# The clinic's public facts (profile, locations, crisis resources, fees) are kept by each
# process until a write to them commits (database triggers move a generation, clinic
# migration 0004; a page reads that one number instead of the facts). Off under tests,
# which roll back instead of committing.
CLINIC_FACTS_CACHE = envbool("CLINIC_FACTS_CACHE", ENVIRONMENT != "test")
# The patient list's pages (a search, filters, a page number, for one set of locations)
# are cached until a row they find or show is written (database triggers move the list's
# generation at commit, patients migration 0008) and at most this many seconds (0:
# never). Personal data, as above. Off under tests, which roll back instead of committing.
PATIENT_LIST_CACHE_SECONDS = envint(
    "PATIENT_LIST_CACHE_SECONDS", 0 if ENVIRONMENT == "test" else 300, minimum=0
)
# The alert inbox's pages are cached until a row they show is written (database triggers
# move the inbox's generation at commit, safety migration 0004) and at most this many
# seconds (0: never); "raised ... ago" is told at each view. Personal data, as above.
# Off under tests, which roll back instead of committing.
SAFETY_INBOX_CACHE_SECONDS = envint(
    "SAFETY_INBOX_CACHE_SECONDS", 0 if ENVIRONMENT == "test" else 300, minimum=0
)
# When something the dashboard reads has changed, the page may show the figures built
# for the same scope and filters up to this many seconds earlier (marked with their
# time) while the worker builds the current ones, instead of building them in the
# request (seconds at 100,000 patients). 0: always build before showing.
OUTCOMES_DASHBOARD_STALE_SECONDS = envint(
    "OUTCOMES_DASHBOARD_STALE_SECONDS", 0 if ENVIRONMENT == "test" else 600, minimum=0
)
# Patients see a simple progress page in the portal (their scores over time).
OUTCOMES_PATIENTS_SEE_PROGRESS = envbool("OUTCOMES_PATIENTS_SEE_PROGRESS", False)

# --- security headers -----------------------------------------------------------
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"
if PRODUCTION:
    SECURE_SSL_REDIRECT = envbool("SECURE_SSL_REDIRECT", default=True)
    SECURE_HSTS_SECONDS = 31536000
    SECURE_HSTS_INCLUDE_SUBDOMAINS = True
    SECURE_HSTS_PRELOAD = True
    SESSION_COOKIE_SECURE = True
    CSRF_COOKIE_SECURE = True
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")

CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": ["'self'"],
        "script-src": ["'self'"],
        "style-src": ["'self'"],
        "img-src": ["'self'", "data:"],
        "font-src": ["'self'"],
        "connect-src": ["'self'"],
        "form-action": ["'self'"],
        "object-src": ["'none'"],
        "base-uri": ["'none'"],
        "frame-ancestors": ["'none'"],
    }
}

# --- audit log (owned by the audit app; see docs/security.md) -----------------------
# Every staff view writes its entry before the page is built and fails closed (no
# entry, no page). The background sealer chains entries into a SHA-256 hash chain and
# appends each new chain head to this file, which should live outside the database
# server's reach (another disk, shipped off-machine, `chattr +a`).
AUDIT_HEADS_FILE = Path(
    envstr("AUDIT_HEADS_FILE", str(VAR_DIR / "audit-heads.log")) or VAR_DIR / "audit-heads.log"
)
# Entries sealed per transaction (the sealer holds its lock, and SQLite's write lock,
# for one batch only).
AUDIT_SEAL_BATCH_SIZE = envint("AUDIT_SEAL_BATCH_SIZE", 500, minimum=1)
# PostgreSQL: longest the sealer waits for in-flight log writes before skipping a run.
AUDIT_SEAL_LOCK_TIMEOUT_MS = envint("AUDIT_SEAL_LOCK_TIMEOUT_MS", 2000, minimum=10)

# --- staff sessions, MFA and invitations (owned by the accounts app) -----------------
# HIPAA 164.312(a)(2)(iii) automatic log-off, 164.312(d) person authentication;
# ONC 170.315(d)(1), (d)(5), (d)(13). See docs/security.md.
#
# Idle time-out: after this many minutes without a request the session is *locked*:
# the next page asks for the password only (the MFA verification is kept).
STAFF_IDLE_TIMEOUT_MINUTES = envint("STAFF_IDLE_TIMEOUT_MINUTES", 15, minimum=1)
# Pages of a treatment session in progress (views marked ``@charting_timeout``) use
# this longer idle time-out, so a nurse watching an infusion is not locked out.
STAFF_CHARTING_IDLE_TIMEOUT_MINUTES = envint("STAFF_CHARTING_IDLE_TIMEOUT_MINUTES", 60, minimum=1)
# The browser warns this many seconds before the idle time-out ("Stay signed in").
STAFF_IDLE_WARNING_SECONDS = envint("STAFF_IDLE_WARNING_SECONDS", 60, minimum=10)
# Absolute lifetime of a sign-in, whatever the activity: then password *and* TOTP again.
STAFF_ABSOLUTE_SESSION_HOURS = envint("STAFF_ABSOLUTE_SESSION_HOURS", 12, minimum=1)
# Wrong passwords allowed on the unlock page before the session is ended outright.
STAFF_UNLOCK_MAX_ATTEMPTS = envint("STAFF_UNLOCK_MAX_ATTEMPTS", 5, minimum=1)
# Staff invitations: the emailed link works once and expires after this many hours.
# Break the glass: how long an emergency grant to one record lasts (clinic policy).
BREAK_GLASS_MINUTES = envint("BREAK_GLASS_MINUTES", 60, minimum=5)
STAFF_INVITATION_HOURS = envint("STAFF_INVITATION_HOURS", 72, minimum=1)
# Server-side form drafts (autosaved work in progress): largest accepted draft.
FORM_DRAFT_MAX_BYTES = envint("FORM_DRAFT_MAX_BYTES", 50_000, minimum=1_000)
# A session cookie never outlives the absolute lifetime.
SESSION_COOKIE_AGE = min(SESSION_COOKIE_AGE, STAFF_ABSOLUTE_SESSION_HOURS * 3600)
# A password reset never signs the person in: they sign in afterwards, TOTP included.
ACCOUNT_LOGIN_ON_PASSWORD_RESET = False
MFA_ADAPTER = "ketaclinic.accounts.adapter.StaffMFAAdapter"  # TOTP cannot be switched off
MFA_TOTP_ISSUER = envstr("MFA_TOTP_ISSUER", "Ketaclinic") or "Ketaclinic"
MFA_RECOVERY_CODE_COUNT = 10
# allauth's sign-in and MFA pages use the staff layout: the override in
# backoffice/templates/allauth/layouts/base.html must win over allauth's own copy,
# which an app-directory search finds first (allauth is listed before our apps).
TEMPLATES[0]["DIRS"] = [
    *TEMPLATES[0]["DIRS"],
    Path(__file__).resolve().parent / "backoffice" / "templates",
]

# Questionnaire link tokens and other secrets in URLs never reach a log: the filter
# sits on the console handler, and configure_logging adds it to Django's request
# loggers, gunicorn's access and error logs and every other handler (logfilters.py).
LOGGING_CONFIG = "ketaclinic.logfilters.configure_logging"
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "filters": {"redact_secrets": {"()": "ketaclinic.logfilters.RedactSecrets"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "filters": ["redact_secrets"]}},
    "root": {"handlers": ["console"], "level": envstr("LOG_LEVEL", "INFO")},
    "loggers": {"django.db.backends": {"level": "WARNING"}},
}
