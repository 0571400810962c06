"""Test settings: fast hashing, in-process tasks, no network, mail in memory."""

import os

os.environ.setdefault("KETACLINIC_ENV", "test")

from ketaclinic.settings import *  # noqa: F403
from ketaclinic.settings import DATABASES, Q_CLUSTER

PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
Q_CLUSTER = {**Q_CLUSTER, "sync": True}
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.InMemoryStorage"},
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    DATABASES["default"]["TEST"] = {"NAME": None}  # in memory
ACCOUNT_RATE_LIMITS = False
DEBUG = False
# every widget any test renders is compared with Django's own template output
FORM_RENDERER = "ketaclinic.formrender.VerifyingRenderer"
SAFETY_SECOND_CHANNEL = "ketaclinic.safety.channels.MemoryChannel"  # never write to var/
