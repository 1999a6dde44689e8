"""Settings read from the environment refuse bad values with the variable's name."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from django.core.exceptions import ImproperlyConfigured

from onedoor.settings import env_broker_url, env_seconds


@pytest.mark.parametrize("value", ["soon", "0", "-5", "inf", "nan"])
def test_a_sweep_interval_must_be_a_positive_number_of_seconds(monkeypatch, value) -> None:
    monkeypatch.setenv("WORKFLOWS_SWEEP_INTERVAL", value)
    with pytest.raises(ImproperlyConfigured, match="WORKFLOWS_SWEEP_INTERVAL"):
        env_seconds("WORKFLOWS_SWEEP_INTERVAL", 5.0)


def test_a_sweep_interval_reads_fractions_and_defaults(monkeypatch) -> None:
    monkeypatch.setenv("WORKFLOWS_SWEEP_INTERVAL", "0.5")
    assert env_seconds("WORKFLOWS_SWEEP_INTERVAL", 5.0) == 0.5
    monkeypatch.delenv("WORKFLOWS_SWEEP_INTERVAL")
    assert env_seconds("WORKFLOWS_SWEEP_INTERVAL", 5.0) == 5.0


@pytest.mark.parametrize("value", ["127.0.0.1:6379", "redis//localhost", "http://redis:6379/0"])
def test_a_broker_url_with_a_wrong_scheme_is_refused(monkeypatch, value) -> None:
    monkeypatch.setenv("CELERY_BROKER_URL", value)
    with pytest.raises(ImproperlyConfigured, match="CELERY_BROKER_URL"):
        env_broker_url("CELERY_BROKER_URL", "redis://127.0.0.1:6379/0")


def test_a_redis_or_rabbitmq_broker_url_is_taken(monkeypatch) -> None:
    for url in ["redis://10.0.0.5:6379/2", "rediss://cache:6380/0", "amqp://guest@mq//"]:
        monkeypatch.setenv("CELERY_BROKER_URL", url)
        assert env_broker_url("CELERY_BROKER_URL", "redis://127.0.0.1:6379/0") == url


PLATFORM = Path(__file__).resolve().parent.parent / "platform"


def _gc_threshold_in_a_new_process(value: str | None) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if k != "GC_THRESHOLD"}
    if value is not None:
        env["GC_THRESHOLD"] = value
    code = "import django, gc; django.setup(); print(gc.get_threshold()[0])"
    return subprocess.run(
        [sys.executable, "-c", code],
        env={**env, "DJANGO_SETTINGS_MODULE": "onedoor.settings", "PYTHONPATH": str(PLATFORM)},
        capture_output=True,
        text=True,
        check=False,
    )


def test_every_process_collects_garbage_at_the_configured_threshold() -> None:
    assert _gc_threshold_in_a_new_process(None).stdout.strip() == "50000"
    assert _gc_threshold_in_a_new_process("20000").stdout.strip() == "20000"
    assert _gc_threshold_in_a_new_process("0").stdout.strip() == "700"  # Python's own


@pytest.mark.parametrize("value", ["-1", "lots"])
def test_a_bad_gc_threshold_stops_the_process_with_its_name(value: str) -> None:
    result = _gc_threshold_in_a_new_process(value)
    assert result.returncode != 0
    assert "GC_THRESHOLD" in result.stderr


def _database_settings_in_a_new_process(env: dict[str, str]) -> tuple[str, str, str]:
    clean = {k: v for k, v in os.environ.items() if k not in {"DATABASE_URL", "DB_CONN_MAX_AGE"}}
    code = (
        "from django.conf import settings as s; d = s.DATABASES['default']; "
        "print(d['ENGINE'], d['CONN_MAX_AGE'], d['CONN_HEALTH_CHECKS'])"
    )
    done = subprocess.run(
        [sys.executable, "-c", code],
        env={
            **clean,
            **env,
            "DJANGO_SETTINGS_MODULE": "onedoor.settings",
            "PYTHONPATH": str(PLATFORM),
        },
        capture_output=True,
        text=True,
        check=True,
    )
    engine, age, checks = done.stdout.split()
    return engine.rsplit(".", 1)[-1], age, checks


def test_a_deployment_keeps_its_database_connections_and_the_demo_does_not() -> None:
    # Opening a PostgreSQL connection costs more than a task completion: a web thread keeps
    # its own for a minute, checked before a request reuses it.
    url = "postgres://onedoor@db.example:5432/onedoor"
    assert _database_settings_in_a_new_process({"DATABASE_URL": url}) == (
        "postgresql",
        "60",
        "True",
    )
    assert _database_settings_in_a_new_process({"DATABASE_URL": url, "DB_CONN_MAX_AGE": "0"}) == (
        "postgresql",
        "0",
        "True",
    )
    assert _database_settings_in_a_new_process({}) == ("sqlite3", "0", "True")


def test_the_database_url_is_not_a_setting() -> None:
    # Django's error pages list settings; a URL holds the database password.
    from django.conf import settings

    assert not hasattr(settings, "DATABASE_URL")


def _session_engine_in_a_new_process(**env: str) -> str:
    clean = {
        k: v
        for k, v in os.environ.items()
        if k not in {"REDIS_URL", "SESSION_REDIS_URL", "CELERY_BROKER_URL"}
    }
    code = (
        "import django; django.setup(); from django.conf import settings; "
        "print(settings.SESSION_ENGINE, settings.CACHES['default']['BACKEND'])"
    )
    done = subprocess.run(
        [sys.executable, "-c", code],
        env={
            **clean,
            **env,
            "DJANGO_SETTINGS_MODULE": "onedoor.settings",
            "PYTHONPATH": str(PLATFORM),
        },
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.returncode == 0 or env, done.stderr
    return done.stdout.strip() or done.stderr.strip().splitlines()[-1]


def test_sessions_are_read_from_the_deployments_redis_and_kept_in_the_database_too() -> None:
    redis = "django.contrib.sessions.backends.cached_db django.core.cache.backends.redis.RedisCache"
    assert _session_engine_in_a_new_process(REDIS_URL="redis://127.0.0.1:6379/0") == redis
    assert _session_engine_in_a_new_process(SESSION_REDIS_URL="redis://cache:6379/1") == redis
    # Without a Redis (the SQLite demo), in the database alone.
    assert _session_engine_in_a_new_process() == (
        "django.contrib.sessions.backends.db django.core.cache.backends.locmem.LocMemCache"
    )
    refused = _session_engine_in_a_new_process(SESSION_REDIS_URL="http://cache:6379/1")
    assert "SESSION_REDIS_URL" in refused
