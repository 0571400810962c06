"""The task broker is chosen by the environment: the database unless Q_REDIS_URL."""

from __future__ import annotations

import runpy

import pytest
from django.core.exceptions import ImproperlyConfigured

from ketaclinic import settings as settings_module


def q_cluster(monkeypatch, **environ) -> dict:
    for name in ("Q_REDIS_URL", "Q_SITE_NAME", "Q_WORKERS"):
        monkeypatch.delenv(name, raising=False)
    for name, value in environ.items():
        monkeypatch.setenv(name, value)
    return runpy.run_path(settings_module.__file__)["Q_CLUSTER"]


def test_q_cluster_uses_the_database_broker_by_default(monkeypatch):
    conf = q_cluster(monkeypatch)

    assert (conf["name"], conf["orm"], "redis" in conf) == ("ketaclinic", "default", False)


def test_q_cluster_uses_redis_when_q_redis_url_is_set(monkeypatch):
    conf = q_cluster(monkeypatch, Q_REDIS_URL="redis://10.0.0.5:6379/2", Q_SITE_NAME="north")

    assert (conf["name"], conf["redis"], "orm" in conf) == (
        "north",
        "redis://10.0.0.5:6379/2",
        False,
    )


def test_q_cluster_refuses_an_address_that_is_not_redis(monkeypatch):
    with pytest.raises(ImproperlyConfigured, match="Q_REDIS_URL must be a redis://"):
        q_cluster(monkeypatch, Q_REDIS_URL="http://10.0.0.5:6379")
