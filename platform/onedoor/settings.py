"""Settings for OneDoor, read from the environment with typed helpers that fail loudly."""

from __future__ import annotations

import json
import os
from pathlib import Path

import dj_database_url
from django.core.exceptions import ImproperlyConfigured

BASE_DIR = Path(__file__).resolve().parent.parent.parent  # the checkout


def env_str(name: str, default: str) -> str:
    return os.environ.get(name, default)


def env_bool(name: str, default: bool) -> bool:
    value = os.environ.get(name)
    if value is None:
        return default
    if value.lower() in {"1", "true", "yes", "on"}:
        return True
    if value.lower() in {"0", "false", "no", "off"}:
        return False
    raise ImproperlyConfigured(f"{name} must be a boolean (true/false), got {value!r}")


def env_int(name: str, default: int) -> int:
    value = os.environ.get(name)
    if value is None:
        return default
    try:
        return int(value)
    except ValueError as exc:
        raise ImproperlyConfigured(f"{name} must be an integer, got {value!r}") from exc


def env_seconds(name: str, default: float) -> float:
    """A positive duration in seconds (a sweep interval, a time budget)."""
    value = os.environ.get(name)
    if value is None:
        return default
    try:
        seconds = float(value)
    except ValueError as exc:
        raise ImproperlyConfigured(f"{name} must be a number of seconds, got {value!r}") from exc
    if not 0 < seconds < float("inf"):
        raise ImproperlyConfigured(f"{name} must be a positive number of seconds, got {value!r}")
    return seconds


def env_broker_url(name: str, default: str) -> str:
    """A Celery broker URL; a typo here would otherwise surface as a worker that never connects."""
    value = env_str(name, default)
    scheme = value.partition("://")[0]
    if scheme not in {"redis", "rediss", "amqp", "amqps"}:
        raise ImproperlyConfigured(
            f"{name} must be a redis://, rediss://, amqp:// or amqps:// URL, got {value!r}"
        )
    return value


DEBUG = env_bool("DEBUG", False)
SECRET_KEY = env_str("SECRET_KEY", "onedoor-development-only-secret-key-change-me")
if not DEBUG and SECRET_KEY.startswith("onedoor-development") and env_bool("PRODUCTION", False):
    raise ImproperlyConfigured("Set SECRET_KEY in production.")
ALLOWED_HOSTS = env_str("ALLOWED_HOSTS", "127.0.0.1,localhost,testserver").split(",")

INSTALLED_APPS = [
    # django.contrib.admin, open to superusers alone (onedoor/admin_site.py).
    "onedoor.admin_site.OneDoorAdminConfig",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    # Trigram and expression indexes with operator classes (the search's migrations).
    "django.contrib.postgres",
    "django_htmx",
    "template_partials",
    "notifications",
    "workflows",
    "onedoor.directory",
    "onedoor.households",
    "onedoor.catalogue",
    "onedoor.audit",
    "onedoor.deadlines",
    "onedoor.cases",
    "onedoor.notify",
    "onedoor.home",
    "onedoor.supervision",
    "onedoor.meetings",
    "onedoor.administration",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    # After auth and messages: their pages show the user's layout (onedoor/middleware.py).
    "onedoor.middleware.RejectNulBytesMiddleware",
    "onedoor.middleware.DatabaseBusyMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
]

ROOT_URLCONF = "onedoor.urls"
WSGI_APPLICATION = "onedoor.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "django.template.context_processors.i18n",
                "onedoor.home.context_processors.staff",
                "onedoor.home.context_processors.calendar_gaps",
                "onedoor.notify.context_processors.bell",
            ],
        },
    },
]

# The embedded default is SQLite (the one-command demo); tests and deployments use
# PostgreSQL through DATABASE_URL (postgres://user@host:port/name). There a web thread or
# worker keeps its connection for DB_CONN_MAX_AGE seconds (opening one costs ~6 ms, more than
# a whole task completion), checked before each request reuses it.
_database_url = env_str("DATABASE_URL", "")  # lower case: not a setting (it holds a password)
DATABASES = {
    "default": dj_database_url.parse(
        _database_url or f"sqlite:///{BASE_DIR / 'var' / 'onedoor.sqlite3'}",
        conn_max_age=env_int("DB_CONN_MAX_AGE", 60 if _database_url else 0),
        conn_health_checks=True,
    )
}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # The demo's web server and timer sweeper write the one file at once. WAL lets readers
    # go on while one writes; IMMEDIATE takes the write lock when a transaction begins, so
    # a writer waits (up to `timeout` seconds) instead of failing with `database is locked`
    # midway, when a read lock cannot be upgraded.
    DATABASES["default"]["OPTIONS"] = {
        "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL",
        "transaction_mode": "IMMEDIATE",
        "timeout": env_int("SQLITE_TIMEOUT", 20),
    }
    # A covering index's INCLUDE columns are PostgreSQL's speed-up; SQLite keeps the index
    # without them, which the demo does not notice: not a warning to print at `make demo`.
    SILENCED_SYSTEM_CHECKS = ["models.W040"]
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# Sessions: with a Redis (SESSION_REDIS_URL, else REDIS_URL: the deployment's, as Celery's
# broker), each request reads its session from it, not from the database (one statement less
# on every page); "cached_db" writes through to the database too, so a Redis restart or
# eviction signs nobody out. Without one (the SQLite demo), sessions stay in the database.
_session_redis = env_str("SESSION_REDIS_URL", env_str("REDIS_URL", ""))
if _session_redis:
    if _session_redis.partition("://")[0] not in {"redis", "rediss", "unix"}:
        raise ImproperlyConfigured(
            "SESSION_REDIS_URL (else REDIS_URL) must be a redis://, rediss:// or unix:// URL, "
            f"got {_session_redis!r}"
        )
    CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": _session_redis,
            # Deployments sharing one Redis (as with CELERY_QUEUE) keep apart.
            "KEY_PREFIX": env_str("CACHE_KEY_PREFIX", "onedoor"),
            # A Redis that does not answer costs a request one second, then the session is
            # read from the database (cached_db falls back on a cache error).
            "OPTIONS": {"socket_connect_timeout": 1, "socket_timeout": 1},
        }
    }
    SESSION_ENGINE = "django.contrib.sessions.backends.cached_db"

# The session's user is read with its staff row, agency and divisions joined (one statement
# per request instead of four; onedoor/directory/backends.py).
AUTHENTICATION_BACKENDS = [
    "onedoor.directory.backends.StaffBackend",
    "django.contrib.auth.backends.ModelBackend",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
LOGIN_URL = "/login/"
LOGIN_REDIRECT_URL = "/"
LOGOUT_REDIRECT_URL = "/login/"

LANGUAGE_CODE = "zh-hans"
LANGUAGES = [("zh-hans", "简体中文"), ("en", "English")]
# UI strings are English msgids; the Chinese users see comes from this catalogue (zh_Hans).
# The compiled .mo files are committed, so a checkout runs without GNU gettext.
LOCALE_PATHS = [BASE_DIR / "platform" / "onedoor" / "locale"]
TIME_ZONE = "Asia/Shanghai"
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATICFILES_DIRS = [BASE_DIR / "static"]
STATIC_ROOT = BASE_DIR / "var" / "static"
# Scanned documents of cases: a folder by default (ATTACHMENTS_DIR); any backend of Django's
# storage API instead, e.g. django-storages' S3 for an S3-compatible store, by setting
# ATTACHMENTS_STORAGE to its class and ATTACHMENTS_OPTIONS to its options as JSON.
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
    "attachments": {
        "BACKEND": os.environ.get(
            "ATTACHMENTS_STORAGE", "django.core.files.storage.FileSystemStorage"
        ),
        "OPTIONS": json.loads(os.environ["ATTACHMENTS_OPTIONS"])
        if os.environ.get("ATTACHMENTS_OPTIONS")
        else {"location": os.environ.get("ATTACHMENTS_DIR", str(BASE_DIR / "var" / "attachments"))},
    },
}
MEDIA_ROOT = BASE_DIR / "var" / "media"
# What the window may attach: scans and photos, each at most ATTACHMENT_MAX_MB.
ATTACHMENT_MAX_BYTES = int(os.environ.get("ATTACHMENT_MAX_MB", "10")) * 1024 * 1024

DJANGO_NOTIFICATIONS_CONFIG = {"USE_JSONFIELD": True}

# The engine room (workflows/).
ONEDOOR_BPMN_DIR = BASE_DIR / "bpmn"
# How many parsed process specs each process keeps in memory.
WORKFLOWS_SPEC_CACHE_SIZE = env_int("WORKFLOWS_SPEC_CACHE_SIZE", 64)
# Instances the timer sweeper claims per transaction.
WORKFLOWS_TIMER_BATCH = env_int("WORKFLOWS_TIMER_BATCH", 20)
# An instance whose automatic work fails this many sweeps in a row becomes an incident: the
# sweeper leaves it alone until an administrator retries it on /engine/ (workflows.incidents).
WORKFLOWS_INCIDENT_AFTER = env_int("WORKFLOWS_INCIDENT_AFTER", 3)
if WORKFLOWS_INCIDENT_AFTER < 1:
    raise ImproperlyConfigured(
        f"WORKFLOWS_INCIDENT_AFTER must be 1 or more, got {WORKFLOWS_INCIDENT_AFTER}"
    )
# The cyclic garbage collector's first threshold in every process (Python's own is 700; 0
# keeps it): a completion makes thousands of short-lived objects, while a process keeps its
# state cache's workflows (thousands of objects each). At 700, collections (mostly the rare full
# ones, walking every cached workflow) took 0.3-0.4 ms of a 4 ms completion; at 50,000,
# ~0.03 ms. Applied by workflows.apps.
WORKFLOWS_GC_THRESHOLD = env_int("GC_THRESHOLD", 50_000)
if WORKFLOWS_GC_THRESHOLD < 0:
    raise ImproperlyConfigured(f"GC_THRESHOLD must be 0 or more, got {WORKFLOWS_GC_THRESHOLD}")

# Supervision figures: an agency whose on-time rate (percent) falls below this is listed as
# slow (慢作为) on the coordinator's figures page.
SUPERVISION_ON_TIME_THRESHOLD = env_int("SUPERVISION_ON_TIME_THRESHOLD", 80)
if not 0 <= SUPERVISION_ON_TIME_THRESHOLD <= 100:
    raise ImproperlyConfigured(
        "SUPERVISION_ON_TIME_THRESHOLD must be a percentage from 0 to 100, "
        f"got {SUPERVISION_ON_TIME_THRESHOLD}"
    )

# Each process keeps the time-limit rules and working calendars in memory this many seconds
# (deadlines.cache): an administrator's edit reaches other processes within it; the process
# that saved it sees it at once. 0 reads them from the database for every clock.
DEADLINES_CACHE_SECONDS = env_int("DEADLINES_CACHE_SECONDS", 60)
if DEADLINES_CACHE_SECONDS < 0:
    raise ImproperlyConfigured(
        f"DEADLINES_CACHE_SECONDS must not be negative, got {DEADLINES_CACHE_SECONDS}"
    )

# The deployment runner (README "Deployment"): celery beat schedules the timer sweep
# (workflows.tasks) and any number of Celery workers run it, all on one PostgreSQL and one
# Redis. The embedded default (`manage.py run_timers`, started by `make demo`) needs none of it.
# Correctness comes from the sweeper's row locks, not from Celery: two sweeps at once are safe.
WORKFLOWS_SWEEP_INTERVAL = env_seconds("WORKFLOWS_SWEEP_INTERVAL", 5.0)
# A sweep task stops claiming batches after this long, so one busy worker yields to the next
# scheduled sweep (and to its peers) instead of running unbounded.
WORKFLOWS_SWEEP_BUDGET = env_seconds("WORKFLOWS_SWEEP_BUDGET", 30.0)
CELERY_BROKER_URL = env_broker_url(
    "CELERY_BROKER_URL", env_str("REDIS_URL", "redis://127.0.0.1:6379/0")
)
# No result backend by default: nobody waits for a scheduled sweep's return value.
CELERY_RESULT_BACKEND = env_str("CELERY_RESULT_BACKEND", "") or None
# Deployments sharing one Redis (two counties, staging beside production) use distinct queues.
CELERY_TASK_DEFAULT_QUEUE = env_str("CELERY_QUEUE", "onedoor")
CELERY_TIMEZONE = TIME_ZONE
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
# One sweep at a time per worker process: a worker that prefetched sweeps would hold them back
# from idle peers. Late acknowledgement redelivers the sweep of a worker that died mid-way;
# sweeping twice is harmless.
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_TASK_ACKS_LATE = True
# Hard bounds on any task, the sweep included: a sweep stops claiming after its budget, but a
# batch already claimed runs to its end, each step within the engine's own step budget
# (workflows.safety). Past the soft limit the task's transaction rolls back (nothing half-done)
# and the next sweep starts afresh; the hard limit kills a worker stuck where Python cannot be
# interrupted (a long builtin call), and Celery starts a new one.
CELERY_TASK_SOFT_TIME_LIMIT = WORKFLOWS_SWEEP_BUDGET * 4
CELERY_TASK_TIME_LIMIT = WORKFLOWS_SWEEP_BUDGET * 4 + 30
CELERY_BEAT_SCHEDULE = {
    "sweep-due-timers": {
        "task": "workflows.sweep_due_timers",
        "schedule": WORKFLOWS_SWEEP_INTERVAL,
        # A sweep still queued when the next one is sent is dropped: the next one covers it,
        # and a backlog of stale sweeps after an outage would only compete for the same rows.
        "options": {"expires": WORKFLOWS_SWEEP_INTERVAL},
    },
}
CELERY_BEAT_SCHEDULE_FILENAME = env_str(
    "CELERY_BEAT_SCHEDULE_FILENAME", str(BASE_DIR / "var" / "celerybeat-schedule")
)

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "loggers": {
        "workflows": {"handlers": ["console"], "level": env_str("WORKFLOWS_LOG_LEVEL", "INFO")},
        # SpiffWorkflow logs every task's state change at INFO. It tests its loggers' *own*
        # level, not the effective one: left unset (0), each log call also gathers the task's
        # data and, when a (sub)process ends, walks all its tasks, for records nobody keeps.
        # SPIFF_LOG_LEVEL=INFO (with a handler) to follow the engine task by task.
        **{
            name: {"level": env_str("SPIFF_LOG_LEVEL", "WARNING")}
            for name in ("spiff.task", "spiff.workflow", "spiff.data", "spiff.dmn")
        },
    },
}
