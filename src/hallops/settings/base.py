"""Settings shared by every environment; integrations are switched on by environment variables.

- ``DATABASE_URL`` (``postgres://user:pass@host:port/name`` or ``sqlite:////abs/path.db``); default: SQLite in
  the data folder.
- ``REDIS_URL``: Redis channel layer and job queue; default: in-memory channel layer, SQLite job queue.
- ``SECRET_KEY``: default: generated once and kept in the data folder, so several processes share it.
- ``ALLOWED_HOSTS`` (comma separated), ``HALLOPS_PUBLIC_URL`` (links in QR codes and SMS),
  ``HALLOPS_DATA_DIR`` (default ``./var``), ``HALLOPS_DB_POOL`` (PostgreSQL pool size per process),
  ``HALLOPS_DB_PREPARE`` (``0``: no prepared statements, for poolers that cannot keep them).
"""

from __future__ import annotations

import os
import secrets
from pathlib import Path
from urllib.parse import parse_qs, unquote, urlparse

PACKAGE_DIR = Path(__file__).resolve().parent.parent
DATA_DIR = Path(os.environ.get("HALLOPS_DATA_DIR", "var")).resolve()


def _secret_key() -> str:
    if key := os.environ.get("SECRET_KEY"):
        return key
    DATA_DIR.mkdir(parents=True, exist_ok=True)
    path = DATA_DIR / "secret_key"
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        return path.read_text().strip()
    with os.fdopen(fd, "w") as fh:
        key = secrets.token_urlsafe(50)
        fh.write(key)
    return key


HALLOPS_DB_POOL = int(os.environ.get("HALLOPS_DB_POOL", "8"))
# Threads per server process running requests; each holds at most one database connection at a time.
HALLOPS_REQUEST_THREADS = int(os.environ.get("HALLOPS_REQUEST_THREADS", str(HALLOPS_DB_POOL)))


def database_from_url(url: str | None) -> dict[str, object]:
    """Django DATABASES['default'] for a URL; SQLite in the data folder when none is given."""
    if not url:
        DATA_DIR.mkdir(parents=True, exist_ok=True)
        url = f"sqlite:///{DATA_DIR / 'hallops.sqlite3'}"
    parsed = urlparse(url)
    if parsed.scheme == "sqlite":
        name = unquote(parsed.path)
        if name.startswith("//"):
            name = name[1:]
        return {
            "ENGINE": "django.db.backends.sqlite3",
            "NAME": name or ":memory:",
            "OPTIONS": {
                "transaction_mode": "IMMEDIATE",
                "timeout": 20,
                "init_command": ("PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL; PRAGMA foreign_keys=ON;"),
            },
            "TEST": {"NAME": os.environ.get("HALLOPS_TEST_SQLITE") or None},
        }
    if parsed.scheme in {"postgres", "postgresql"}:
        query = parse_qs(parsed.query)
        pool_size = HALLOPS_DB_POOL
        return {
            "ENGINE": "django.db.backends.postgresql",
            "NAME": unquote(parsed.path.lstrip("/")),
            "USER": unquote(parsed.username or ""),
            "PASSWORD": unquote(parsed.password or ""),
            "HOST": query.get("host", [parsed.hostname or ""])[0],
            "PORT": str(parsed.port or ""),
            "CONN_MAX_AGE": 0,
            "CONN_HEALTH_CHECKS": True,
            "OPTIONS": {
                "pool": {"min_size": 1, "max_size": pool_size, "timeout": 5},
                "connect_timeout": 5,
                # Django's cursors bind parameters on the client and never prepare. This lets the few hot-path
                # statements that ask for it (hallops.rawsql.fetch) run prepared: no parsing and planning per
                # request. Set HALLOPS_DB_PREPARE=0 behind a pooler that cannot keep prepared statements.
                "prepare_threshold": 5 if os.environ.get("HALLOPS_DB_PREPARE", "1") != "0" else None,
            },
        }
    raise ValueError(f"DATABASE_URL scheme not supported: {parsed.scheme!r}")


SECRET_KEY = _secret_key()
DEBUG = False
ALLOWED_HOSTS = [h.strip() for h in os.environ.get("ALLOWED_HOSTS", "localhost,127.0.0.1,[::1]").split(",") if h]
HALLOPS_PUBLIC_URL = os.environ.get("HALLOPS_PUBLIC_URL", "http://127.0.0.1:8000").rstrip("/")
REDIS_URL = os.environ.get("REDIS_URL", "")

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "channels",
    "ninja",
    "huey.contrib.djhuey",
    "hallops.organisation",
    "hallops.catalog",
    "hallops.hall",
    "hallops.audit",
    "hallops.notifications",
    "hallops.accounts",
    "hallops.web",
    "hallops.feedback",
    "hallops.booking",
    "hallops.alerts",
    "hallops.rules",
    "hallops.analytics",
    "hallops.reports",
    "hallops.planning",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "hallops.api.middleware.ApiErrorBodyMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
]

ROOT_URLCONF = "hallops.urls"
ASGI_APPLICATION = "hallops.asgi.application"
WSGI_APPLICATION = None

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
                "hallops.web.context_processors.screen",
            ],
        },
    },
]

DATABASES = {"default": database_from_url(os.environ.get("DATABASE_URL"))}
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

LANGUAGE_CODE = "zh-hans"
LANGUAGES = [("zh-hans", "简体中文"), ("en", "English")]
LOCALE_PATHS = [PACKAGE_DIR / "locale"]
TIME_ZONE = "Asia/Shanghai"
USE_I18N = True
USE_TZ = True

STATIC_URL = "/static/"
STATIC_ROOT = DATA_DIR / "static"

AUTHENTICATION_BACKENDS = ["hallops.accounts.backends.ThrottledModelBackend"]
LOGIN_URL = "/login/"
LOGIN_REDIRECT_URL = "/"
DATA_UPLOAD_MAX_MEMORY_SIZE = 256 * 1024
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
CSRF_COOKIE_SAMESITE = "Lax"
X_FRAME_OPTIONS = "DENY"
SECURE_CONTENT_TYPE_NOSNIFF = True

if REDIS_URL:
    CHANNEL_LAYERS = {"default": {"BACKEND": "channels_redis.core.RedisChannelLayer", "CONFIG": {"hosts": [REDIS_URL]}}}
    HUEY = {
        "huey_class": "huey.RedisHuey",
        "name": "hallops",
        "url": REDIS_URL,
        "immediate": False,
        "consumer": {"workers": 2, "worker_type": "thread"},
    }
else:
    CHANNEL_LAYERS = {"default": {"BACKEND": "channels.layers.InMemoryChannelLayer"}}
    HUEY = {
        "huey_class": "huey.SqliteHuey",
        "name": "hallops",
        "filename": str(DATA_DIR / "jobs.sqlite3"),
        "immediate": False,
        "consumer": {"workers": 2, "worker_type": "thread"},
    }

# Hall rules that are settings of the product, not of a hall (per-hall ones live on the Hall model).
HALLOPS_IDEMPOTENCY_TTL_HOURS = 48
#: audit rows are kept this long (days; never less than 183, see hallops.audit.chain), then purged a seal at a time
HALLOPS_AUDIT_RETENTION_DAYS = int(os.environ.get("HALLOPS_AUDIT_RETENTION_DAYS", "1095"))
HALLOPS_AUTH_CACHE_SECONDS = float(os.environ.get("HALLOPS_AUTH_CACHE_SECONDS", "5"))
HALLOPS_IDEMPOTENCY_STALE_SECONDS = 60
HALLOPS_NOTIFICATION_BACKEND = "hallops.notifications.backends.DatabaseBackend"
HALLOPS_MAX_TICKETS_PER_DAY = 100_000

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "filters": {"mask_pii": {"()": "hallops.audit.logging.MaskPiiFilter"}},
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"}},
    "handlers": {
        "console": {"class": "logging.StreamHandler", "formatter": "plain", "filters": ["mask_pii"]},
    },
    "root": {"handlers": ["console"], "level": "INFO"},
    "loggers": {
        "django.request": {"handlers": ["console"], "level": "ERROR", "propagate": False},
        "uvicorn.access": {"handlers": ["console"], "level": "WARNING", "propagate": False},
        "weasyprint": {"handlers": ["console"], "level": "WARNING", "propagate": False},  # PDF reports
    },
}
