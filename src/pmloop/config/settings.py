"""Django settings, all from environment variables with safe defaults.

PMLOOP_HOME        data directory (SQLite file, attachments, secret key); default: user data dir
DATABASE_URL       postgres://user:pass@host:5432/db for PostgreSQL; default: SQLite under PMLOOP_HOME
PMLOOP_DEBUG       1 to enable Django debug pages (never in production)
PMLOOP_ALLOWED_HOSTS  comma-separated host names; default 127.0.0.1,localhost
PMLOOP_SECRET_KEY  overrides the generated key kept in PMLOOP_HOME/secret_key
PMLOOP_EMAIL_BACKEND / PMLOOP_EMAIL_HOST / PMLOOP_EMAIL_PORT / PMLOOP_DEFAULT_FROM_EMAIL
PMLOOP_CSRF_TRUSTED_ORIGINS  comma-separated origins (https://pm.example.com) behind a proxy
PMLOOP_SECURE_COOKIES  1 to send session/CSRF cookies over HTTPS only
PMLOOP_BEHIND_PROXY    1 to trust X-Forwarded-Proto from a TLS-terminating proxy
PMLOOP_LANGUAGE        default UI language (zh-hans; en)
PMLOOP_TIME_ZONE       default Asia/Shanghai
PMLOOP_LOGIN_MAX_FAILURES / PMLOOP_LOGIN_WINDOW_SECONDS  login throttling (5 per 900 s)
PMLOOP_ATTACHMENT_MAX_MB  requirement attachment size limit (20)
PMLOOP_LOG_LEVEL       WARNING by default
PMLOOP_TEST_DB_NAME    the PostgreSQL test database name (tests only)
"""

import os
from pathlib import Path

import dj_database_url

from pmloop.config.paths import pmloop_home, secret_key


def _flag(name: str, default: bool = False) -> bool:
    return os.environ.get(name, "1" if default else "0").lower() in {"1", "true", "yes", "on"}


BASE_DIR = Path(__file__).resolve().parent.parent
PMLOOP_HOME = pmloop_home()
SECRET_KEY = secret_key(PMLOOP_HOME)
DEBUG = _flag("PMLOOP_DEBUG")
ALLOWED_HOSTS = [h.strip() for h in os.environ.get("PMLOOP_ALLOWED_HOSTS", "127.0.0.1,localhost").split(",")]
CSRF_TRUSTED_ORIGINS = [
    o.strip() for o in os.environ.get("PMLOOP_CSRF_TRUSTED_ORIGINS", "").split(",") if o.strip()
]

INSTALLED_APPS = [
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "django_htmx",
    "pmloop.core",
    "pmloop.accounts",
    "pmloop.audit",
    "pmloop.notifications",
    "pmloop.search",
    "pmloop.products",
    "pmloop.customers",
    "pmloop.pool",
    "pmloop.reviews",
    "pmloop.requirements",
    "pmloop.plans",
    "pmloop.deliverables",
    "pmloop.web",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "pmloop.accounts.middleware.UserLanguageMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    "pmloop.web.middleware.CurrentProductMiddleware",
]

ROOT_URLCONF = "pmloop.config.urls"
WSGI_APPLICATION = "pmloop.config.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.template.context_processors.i18n",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "pmloop.web.context.shell",
            ],
        },
    },
]


def _database() -> dict:
    url = os.environ.get("DATABASE_URL", "").strip()
    if url:
        db = dj_database_url.parse(url, conn_max_age=60, conn_health_checks=True)
        db.setdefault("OPTIONS", {})
        if _flag("PMLOOP_PG_PREPARE", True):
            # Bind parameters on the server and prepare a statement after its 5th run on a
            # connection: PostgreSQL then skips planning, which was most of a query's time
            # (6 ms of 6.3 for the requirement page's 8-table lookup by key; docs/benchmarks.md).
            # Turn off (PMLOOP_PG_PREPARE=0) behind a pooler in transaction mode (PgBouncer <
            # 1.21), which cannot keep a connection's prepared statements.
            db["OPTIONS"].update(server_side_binding=True, prepare_threshold=5)
        db["TEST"] = {"NAME": os.environ.get("PMLOOP_TEST_DB_NAME", "test_pmloop")}
        return db
    return {
        # Django's SQLite backend with writers queued on a lock file (pmloop/core/sqlite_backend).
        "ENGINE": "pmloop.core.sqlite_backend",
        "NAME": str(PMLOOP_HOME / "pmloop.sqlite3"),
        # Keep each server thread's connection: opening one and running the PRAGMAs below cost
        # ~1 ms of every request (bench/profile_workload.py), a third of the cheapest call.
        "CONN_MAX_AGE": None,
        "OPTIONS": {
            # IMMEDIATE: a write transaction takes the lock at BEGIN, so two writers queue
            # instead of failing half-way with "database is locked".
            "transaction_mode": "IMMEDIATE",
            "timeout": 20,
            "init_command": (
                "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL; PRAGMA foreign_keys=ON; "
                "PRAGMA busy_timeout=20000; PRAGMA cache_size=-20000; PRAGMA mmap_size=134217728;"
            ),
        },
    }


DATABASES = {"default": _database()}
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_USER_MODEL = "accounts.User"
PASSWORD_HASHERS = [
    "django.contrib.auth.hashers.Argon2PasswordHasher",
    "django.contrib.auth.hashers.PBKDF2PasswordHasher",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator", "OPTIONS": {"min_length": 8}},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
LOGIN_URL = "accounts:login"
LOGIN_REDIRECT_URL = "web:home"
LOGOUT_REDIRECT_URL = "accounts:login"

# Login throttling: this many failures for one user name (or one address) within the window.
PMLOOP_LOGIN_MAX_FAILURES = int(os.environ.get("PMLOOP_LOGIN_MAX_FAILURES", "5"))
PMLOOP_LOGIN_WINDOW_SECONDS = int(os.environ.get("PMLOOP_LOGIN_WINDOW_SECONDS", "900"))

SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
SESSION_COOKIE_SECURE = _flag("PMLOOP_SECURE_COOKIES")
CSRF_COOKIE_SECURE = SESSION_COOKIE_SECURE
if _flag("PMLOOP_BEHIND_PROXY"):
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
X_FRAME_OPTIONS = "DENY"
SECURE_CONTENT_TYPE_NOSNIFF = True

LANGUAGE_CODE = os.environ.get("PMLOOP_LANGUAGE", "zh-hans")
LANGUAGES = [("zh-hans", "简体中文"), ("en", "English")]
LOCALE_PATHS = [BASE_DIR / "locale"]
USE_I18N = True
TIME_ZONE = os.environ.get("PMLOOP_TIME_ZONE", "Asia/Shanghai")
USE_TZ = True

STATIC_URL = "/static/"
STATIC_ROOT = PMLOOP_HOME / "static"
STATIC_ROOT.mkdir(exist_ok=True)  # WhiteNoise warns on a missing root even when it serves from finders
# Serve app static files straight from the package: no collectstatic step on install.
WHITENOISE_USE_FINDERS = True
WHITENOISE_AUTOREFRESH = DEBUG
MEDIA_ROOT = PMLOOP_HOME / "files"
# Requirement attachments: size limit in MB (types are checked by the service).
PMLOOP_ATTACHMENT_MAX_MB = int(os.environ.get("PMLOOP_ATTACHMENT_MAX_MB", "20"))

EMAIL_BACKEND = os.environ.get("PMLOOP_EMAIL_BACKEND", "django.core.mail.backends.console.EmailBackend")
EMAIL_HOST = os.environ.get("PMLOOP_EMAIL_HOST", "localhost")
EMAIL_PORT = int(os.environ.get("PMLOOP_EMAIL_PORT", "25"))
DEFAULT_FROM_EMAIL = os.environ.get("PMLOOP_DEFAULT_FROM_EMAIL", "pmloop@localhost")

NINJA_PAGINATION_PER_PAGE = 50

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": os.environ.get("PMLOOP_LOG_LEVEL", "WARNING")},
}
