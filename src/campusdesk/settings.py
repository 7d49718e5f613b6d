"""campusdesk settings: one file, every value from the environment.

Each variable may also be read from a file named by ``<NAME>_FILE`` (Docker and
systemd credentials), so secrets never need to sit in the environment itself.
"""

from __future__ import annotations

import ipaddress
import os
import secrets
from datetime import timedelta
from pathlib import Path
from typing import Any

import dj_database_url
import django_stubs_ext
from django.core.exceptions import ImproperlyConfigured

# Lets admin.ModelAdmin[Model] and friends be written with their type parameters.
django_stubs_ext.monkeypatch()

PACKAGE_DIR = Path(__file__).resolve().parent

_TRUE = {"1", "true", "yes", "on"}
_FALSE = {"0", "false", "no", "off", ""}


def envstr(name: str, default: str = "") -> str:
    """A string setting; ``NAME_FILE`` wins over ``NAME`` when both are set."""
    path = os.environ.get(f"{name}_FILE")
    if path:
        return Path(path).read_text(encoding="utf-8").strip()
    return os.environ.get(name, default)


def envbool(name: str, default: bool) -> bool:
    raw = envstr(name, "1" if default else "0").strip().lower()
    if raw in _TRUE:
        return True
    if raw in _FALSE:
        return False
    raise ImproperlyConfigured(f"{name} must be one of 1/0/true/false/yes/no, not {raw!r}")


def envint(name: str, default: int) -> int:
    raw = envstr(name, str(default)).strip()
    try:
        return int(raw)
    except ValueError as exc:
        raise ImproperlyConfigured(f"{name} must be a whole number, not {raw!r}") from exc


def envlist(name: str, default: str = "") -> list[str]:
    return [item.strip() for item in envstr(name, default).split(",") if item.strip()]


DEBUG = envbool("DEBUG", False)
DATA_DIR = Path(envstr("DATA_DIR", "var")).resolve()
DATA_DIR.mkdir(parents=True, exist_ok=True)


def envsecret(name: str) -> str:
    """A secret from the environment; else one made once and kept in DATA_DIR (mode 0600).

    Several web hosts must share it, so production sets it (``check --deploy`` warns when
    it was generated: campusdesk.W001).
    """
    value = envstr(name)
    if value:
        return value
    GENERATED_SECRETS.add(name)
    keep = DATA_DIR / f".{name.lower()}"
    if not keep.exists():
        keep.write_text(secrets.token_urlsafe(50), encoding="utf-8")
        keep.chmod(0o600)
    return keep.read_text(encoding="utf-8").strip()


GENERATED_SECRETS: set[str] = set()
SECRET_KEY = envsecret("SECRET_KEY")
ALLOWED_HOSTS = envlist("ALLOWED_HOSTS", "127.0.0.1,localhost" if DEBUG else "")
CSRF_TRUSTED_ORIGINS = envlist("CSRF_TRUSTED_ORIGINS")
SITE_URL = envstr("SITE_URL", "http://127.0.0.1:8000").rstrip("/")

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "rest_framework",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "django_htmx",
    "csp",
    "campusdesk.accounts.lockout_app.LockoutConfig",  # django-axes, named in Chinese
    "huey.contrib.djhuey",
    "campusdesk.core",
    "campusdesk.accounts",
    "campusdesk.catalog",
    "campusdesk.tickets",
    "campusdesk.sla",
    "campusdesk.ops",
    "campusdesk.notify",
    "campusdesk.kb",
    "campusdesk.intake",
    "campusdesk.systems",
    "campusdesk.monitoring",
    "campusdesk.routines",
    "campusdesk.duty",
    "campusdesk.surveys",
    "campusdesk.reports",
    "campusdesk.site",  # the top-level wiring: the demo command
]

MIDDLEWARE = [
    # first: every answer, even one made before the user is known, speaks a chosen language
    "campusdesk.core.middleware.RequestLanguageMiddleware",
    "django.middleware.security.SecurityMiddleware",
    # before WhiteNoise, so static files get the policy too
    "csp.middleware.CSPMiddleware",
    # before anything reads the body: an oversized one is refused unread (413)
    "campusdesk.core.middleware.BodyLimitMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "campusdesk.core.middleware.LanguageMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "campusdesk.urls"
FORM_RENDERER = "campusdesk.core.widgets.FastRenderer"
WSGI_APPLICATION = "campusdesk.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [PACKAGE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "django.template.context_processors.i18n",
                "campusdesk.site.context_processors.navigation",
                "campusdesk.notify.context_processors.unread",
            ],
        },
    },
]

# --- database -------------------------------------------------------------
_database_url = envstr("DATABASE_URL")
if _database_url:
    DATABASES: dict[str, dict[str, Any]] = {
        "default": dict(
            dj_database_url.parse(_database_url, conn_max_age=envint("DB_CONN_MAX_AGE", 60))
        )
    }
    DATABASES["default"]["CONN_HEALTH_CHECKS"] = True
else:
    DATABASES = {
        "default": {
            "ENGINE": "django.db.backends.sqlite3",
            "NAME": DATA_DIR / "campusdesk.sqlite3",
            "OPTIONS": {
                # WAL lets the web server and the worker read while one writes;
                # IMMEDIATE takes the write lock at BEGIN, so a writer waits
                # (timeout) instead of failing half-way with "database is locked".
                "init_command": (
                    "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL; PRAGMA foreign_keys=ON;"
                ),
                "transaction_mode": "IMMEDIATE",
                "timeout": 20,
            },
            # A file, not memory: a real worker process in the tests must see it.
            "TEST": {"NAME": str(DATA_DIR / "test-campusdesk.sqlite3")},
        }
    }
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"
# While the database cannot be reached, pages and the API answer 503 with this Retry-After.
RETRY_AFTER_SECONDS = envint("RETRY_AFTER_SECONDS", 30)
# How long a POST remembers its Idempotency-Key (core.idempotency): a retry within it
# gets the first answer.
IDEMPOTENCY_KEY_HOURS = envint("IDEMPOTENCY_KEY_HOURS", 24)
# `campusdesk doctor` calls less free space than this on the data disk an error.
DOCTOR_MIN_FREE_MB = envint("DOCTOR_MIN_FREE_MB", 1024)

# --- auth -----------------------------------------------------------------
AUTH_USER_MODEL = "accounts.User"
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "campusdesk.accounts.backends.UserBackend",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "campusdesk.accounts.validators.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
LOGIN_URL = "accounts:login"
LOGIN_REDIRECT_URL = "core:home"
LOGOUT_REDIRECT_URL = "accounts:login"

# Brute-force protection (django-axes): lock a username from one address after
# AXES_FAILURE_LIMIT failures, for AXES_COOLOFF_MINUTES.
AXES_FAILURE_LIMIT = envint("AXES_FAILURE_LIMIT", 5)
AXES_COOLOFF_TIME = timedelta(minutes=envint("AXES_COOLOFF_MINUTES", 15))
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_RESET_ON_SUCCESS = True
AXES_LOCKOUT_CALLABLE = "campusdesk.accounts.lockout.lockout_response"
AXES_VERBOSE = False
AXES_IPWARE_PROXY_COUNT = envint("PROXY_COUNT", 0) or None

# --- i18n -----------------------------------------------------------------
LANGUAGE_CODE = envstr("LANGUAGE_CODE", "zh-hans")
LANGUAGES = [("zh-hans", "简体中文"), ("en", "English")]
LOCALE_PATHS = [PACKAGE_DIR / "locale"]
TIME_ZONE = envstr("TIME_ZONE", "Asia/Shanghai")
USE_I18N = True
USE_TZ = True

# --- static and uploaded files -------------------------------------------
STATIC_URL = "static/"
STATIC_ROOT = DATA_DIR / "static"
STATICFILES_DIRS = [PACKAGE_DIR / "static"]
MEDIA_ROOT = DATA_DIR / "media"  # never served directly: downloads go through views
# Attachments and received mail are private: readable by campusdesk's group (a backup
# job, say), never by other users of the host, whatever the process's umask.
FILE_UPLOAD_PERMISSIONS = 0o640
FILE_UPLOAD_DIRECTORY_PERMISSIONS = 0o750
STATIC_ROOT.mkdir(exist_ok=True)
# Production serves collected, hashed, compressed files (`campusdesk collectstatic`);
# DEBUG and the tests serve the package's files as they are.
STATIC_MANIFEST = envbool("STATIC_MANIFEST", not DEBUG)
STORAGES = {
    # Django's, but a write that fails (disk full) leaves no partial file behind
    "default": {"BACKEND": "campusdesk.core.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": (
            "whitenoise.storage.CompressedManifestStaticFilesStorage"
            if STATIC_MANIFEST
            else "django.contrib.staticfiles.storage.StaticFilesStorage"
        )
    },
}
WHITENOISE_USE_FINDERS = not STATIC_MANIFEST

# Attachments: stored under MEDIA_ROOT with random names, served only through a
# permission check, never by the web server directly.
ATTACHMENT_MAX_BYTES = envint("ATTACHMENT_MAX_MB", 20) * 1024 * 1024
# Behind nginx: stored files are sent by nginx from this internal location once campusdesk
# has checked who asks (X-Accel-Redirect; deploy/nginx/campusdesk.conf: /_protected/).
ACCEL_REDIRECT_PREFIX = envstr("ACCEL_REDIRECT_PREFIX")
ATTACHMENT_EXTENSIONS = envlist(
    "ATTACHMENT_EXTENSIONS",
    "png,jpg,jpeg,gif,bmp,webp,pdf,txt,log,csv,json,xml,doc,docx,xls,xlsx,ppt,pptx,zip,7z,gz,tar,rar",
)
DATA_UPLOAD_MAX_MEMORY_SIZE = 5 * 1024 * 1024
# The largest body of one submission with files (all its attachments together): a larger
# one is refused (413) from its Content-Length before it is read. The reverse proxy's own
# limit (nginx: client_max_body_size) should say the same.
UPLOAD_MAX_BYTES = envint("UPLOAD_MAX_MB", 50) * 1024 * 1024
if UPLOAD_MAX_BYTES < ATTACHMENT_MAX_BYTES:
    raise ImproperlyConfigured("UPLOAD_MAX_MB must be at least ATTACHMENT_MAX_MB")

# The customer service department (客户服务部) informed of on-site dispatches (seed §6):
# the name of a user group.
CUSTOMER_SERVICE_GROUP = envstr("CUSTOMER_SERVICE_GROUP", "客户服务部")
# The 5×8 service centre's hotline and the service e-mail address (seed §5), shown to
# customers on their home page and at the foot of every e-mail (empty: not shown).
SERVICE_HOTLINE = envstr("SERVICE_HOTLINE", "400-000-0000")
SERVICE_EMAIL = envstr("SERVICE_EMAIL", "service@campusdesk.invalid")
# How far ahead the operations watch list shows problems nearing their committed time.
OPS_NEARING_HOURS = envint("OPS_NEARING_HOURS", 4)
# A list filter of more choices than this (every project, every handler) loads its options
# when the user reaches for it instead of carrying them in every page.
FILTER_INLINE_OPTIONS = envint("FILTER_INLINE_OPTIONS", 30)
# A customer may urge the same problem again only after this many minutes (each urge
# notifies every handler and operations).
URGE_INTERVAL_MINUTES = envint("URGE_INTERVAL_MINUTES", 30)
# A retrospective (复盘) is due after closure for these severities and for ratings at or
# below RETRO_MAX_RATING; it is offered for the others.
RETRO_SEVERITIES = envlist("RETRO_SEVERITIES", "SIS1")
RETRO_MAX_RATING = envint("RETRO_MAX_RATING", 2)

# --- security -------------------------------------------------------------
HTTPS = envbool("HTTPS", False)
SECURE_SSL_REDIRECT = HTTPS
SESSION_COOKIE_SECURE = HTTPS
CSRF_COOKIE_SECURE = HTTPS
SECURE_HSTS_SECONDS = envint("SECURE_HSTS_SECONDS", 31_536_000 if HTTPS else 0)
SECURE_HSTS_INCLUDE_SUBDOMAINS = HTTPS
SECURE_HSTS_PRELOAD = HTTPS
if envbool("BEHIND_PROXY", False):
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    USE_X_FORWARDED_HOST = True
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_AGE = envint("SESSION_COOKIE_AGE", 12 * 3600)
X_FRAME_OPTIONS = "DENY"
# Content-Security-Policy on every response (django-csp): scripts and styles only from our
# own files, never inline or eval'd, so injected markup cannot run. A response that sets its
# own policy keeps it (attachment downloads: a sandbox).
CONTENT_SECURITY_POLICY: dict[str, Any] = {
    "DIRECTIVES": {
        "default-src": ["'self'"],
        "script-src": ["'self'"],
        "style-src": ["'self'"],
        "img-src": ["'self'", "data:"],
        "connect-src": ["'self'"],
        "frame-ancestors": ["'none'"],
        "object-src": ["'none'"],
        "base-uri": ["'self'"],
        "form-action": ["'self'"],
    }
}
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"


def envnetworks(name: str) -> list[ipaddress.IPv4Network | ipaddress.IPv6Network]:
    """Comma-separated networks in CIDR notation (``10.0.0.0/8``; an address is its /32)."""
    networks = []
    for item in envlist(name):
        try:
            networks.append(ipaddress.ip_network(item))
        except ValueError as exc:
            raise ImproperlyConfigured(
                f"{name}: {item!r} is not a network in CIDR notation such as 10.0.0.0/8 ({exc})"
            ) from exc
    return networks


# Webhooks, group robots and probes never reach loopback, link-local, private or other
# non-public addresses (core/outbound.py), except in the networks allowed here.
OUTBOUND_ALLOW_NETWORKS = envnetworks("OUTBOUND_ALLOW_NETWORKS")

# --- archive --------------------------------------------------------------
# Problems closed or withdrawn this many days ago leave the default lists (a search and
# their links still find them); 0: never archived.
ARCHIVE_AFTER_DAYS = envint("ARCHIVE_AFTER_DAYS", 365)

# --- probes (monitoring) --------------------------------------------------
# Raw probe results are kept this many days; older ones are rolled into hourly figures.
PROBE_RETENTION_DAYS = envint("PROBE_RETENTION_DAYS", 90)
# A target that fails again within this many minutes of recovering is the same outage
# (a flap, counted), not a new incident.
PROBE_FLAP_MINUTES = envint("PROBE_FLAP_MINUTES", 30)
# Probes trust the system's certificate authorities and, when set, those in this PEM file
# (campuses often run their own CA for internal systems). Empty: the system's only.
PROBE_CA_FILE = envstr("PROBE_CA_FILE")
# The demo's probes check `campusdesk demo_target` on loopback (`make run` starts it):
# HTTP on this port, TLS on the next one.
DEMO_TARGET_PORT = envint("DEMO_TARGET_PORT", 8099)

# --- e-mail ---------------------------------------------------------------
EMAIL_HOST = envstr("EMAIL_HOST", "127.0.0.1")
EMAIL_PORT = envint("EMAIL_PORT", 25)
EMAIL_HOST_USER = envstr("EMAIL_HOST_USER")
EMAIL_HOST_PASSWORD = envstr("EMAIL_HOST_PASSWORD")
EMAIL_USE_TLS = envbool("EMAIL_USE_TLS", False)
EMAIL_USE_SSL = envbool("EMAIL_USE_SSL", False)
EMAIL_TIMEOUT = envint("EMAIL_TIMEOUT", 20)
DEFAULT_FROM_EMAIL = envstr("DEFAULT_FROM_EMAIL", "campusdesk <noreply@campusdesk.invalid>")
SERVER_EMAIL = DEFAULT_FROM_EMAIL
EMAIL_BACKEND = envstr("EMAIL_BACKEND", "django.core.mail.backends.smtp.EmailBackend")

# E-mail in: `campusdesk mailgate` (an MTA pipe) and IMAP polling of the default mailbox
# (IMAP_HOST set) and of every Mailbox row with an IMAP host.
IMAP_HOST = envstr("IMAP_HOST")
IMAP_PORT = envint("IMAP_PORT", 993)
IMAP_SSL = envbool("IMAP_SSL", True)
IMAP_USER = envstr("IMAP_USER")
IMAP_PASSWORD = envstr("IMAP_PASSWORD")  # or IMAP_PASSWORD_FILE
IMAP_FOLDER = envstr("IMAP_FOLDER", "INBOX")
IMAP_TIMEOUT = envint("IMAP_TIMEOUT", 30)
# Sender domains trusted where a mailbox names none (empty: every known user's domain).
MAIL_TRUSTED_DOMAINS = envlist("MAIL_TRUSTED_DOMAINS")
# Only the Authentication-Results of this server (our MTA) count for SPF/DKIM/DMARC.
MAIL_AUTHSERV_ID = envstr("MAIL_AUTHSERV_ID")
MAIL_URGENCY = envstr("MAIL_URGENCY", "medium")
MAIL_SERVICE_TYPE = envstr("MAIL_SERVICE_TYPE", "fault")
MAIL_MAX_BYTES = envint("MAIL_MAX_MB", 40) * 1024 * 1024

# --- background work (Huey) ----------------------------------------------
REDIS_URL = envstr("REDIS_URL")
HUEY: dict[str, Any] = {
    "name": "campusdesk",
    "immediate": envbool("HUEY_IMMEDIATE", False),
    "results": False,
    "utc": True,
    "consumer": {"workers": envint("HUEY_WORKERS", 2), "worker_type": "thread"},
}
if REDIS_URL:
    HUEY.update({"huey_class": "huey.PriorityRedisHuey", "url": REDIS_URL})
else:
    HUEY.update({"huey_class": "huey.SqliteHuey", "filename": str(DATA_DIR / "huey.sqlite3")})

# With Redis, which every web and worker process shares, sessions are read from it and
# written through to the database (one query less per page; a logout or a password change
# ends the session everywhere). Without it, the default: sessions in the database only
# (a per-process memory cache would let another process keep a logged-out session alive).
if REDIS_URL:
    CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": REDIS_URL,
            "KEY_PREFIX": "campusdesk",
        }
    }
    SESSION_ENGINE = "django.contrib.sessions.backends.cached_db"

# --- API ------------------------------------------------------------------
REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "campusdesk.accounts.authentication.ApiTokenAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    "DEFAULT_PAGINATION_CLASS": "rest_framework.pagination.PageNumberPagination",
    "PAGE_SIZE": 50,
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "EXCEPTION_HANDLER": "campusdesk.core.api.exception_handler",
}
#: Days an API token lasts; a password change or deactivation revokes them all before.
API_TOKEN_DAYS = envint("API_TOKEN_DAYS", 90)
if API_TOKEN_DAYS < 1:
    raise ImproperlyConfigured(f"API_TOKEN_DAYS must be at least 1, not {API_TOKEN_DAYS}")
SPECTACULAR_SETTINGS = {
    "TITLE": "campusdesk API",
    "DESCRIPTION": "Service desk and operations platform for university application systems.",
    "VERSION": "1",
    "SERVE_INCLUDE_SCHEMA": False,
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    "ENUM_NAME_OVERRIDES": {
        "TicketStatusEnum": "campusdesk.tickets.models.Status",
        "OutOfScopeTypeEnum": "campusdesk.tickets.models.OutOfScopeType",
        "ComplaintStatusEnum": "campusdesk.ops.models.Complaint.Status",
        "ComplaintSeverityEnum": "campusdesk.ops.models.Complaint.Severity",
        "CalendarDayKindEnum": "campusdesk.sla.models.CalendarDay.Kind",
        "ChangeKindEnum": "campusdesk.systems.models.Change.Kind",
        "ComponentKindEnum": "campusdesk.systems.environment.KINDS",
        "VulnerabilitySeverityEnum": "campusdesk.systems.models.Severity",
        "TicketSeverityEnum": "campusdesk.tickets.models.Severity",
        "ProbeKindEnum": "campusdesk.monitoring.models.Probe.Kind",
        "ProbeStateEnum": "campusdesk.monitoring.models.Probe.State",
        "SystemStatusStateEnum": "campusdesk.monitoring.status.STATES",
        "RoutineKindEnum": "campusdesk.routines.models.Kind",
        "RunStatusEnum": "campusdesk.routines.models.Run.Status",
        "NotificationKindEnum": "campusdesk.notify.models.Kind",
        "OrganisationKindEnum": "campusdesk.accounts.models.Organisation.Kind",
        "SurveyStatusEnum": "campusdesk.surveys.models.Status",
        "SurveyQuestionKindEnum": "campusdesk.surveys.models.QuestionKind",
    },
}

# --- logging --------------------------------------------------------------
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s: %(message)s"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain"}},
    "root": {"handlers": ["console"], "level": envstr("LOG_LEVEL", "INFO")},
    "loggers": {
        "django": {
            "handlers": ["console"],
            "level": envstr("LOG_LEVEL", "INFO"),
            "propagate": False,
        },
        # The Huey consumer attaches its own handler; don't print each line twice.
        "huey": {"level": envstr("LOG_LEVEL", "INFO"), "propagate": False},
        "axes": {"level": "WARNING"},
    },
}
