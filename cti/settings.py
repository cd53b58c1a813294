"""Callboard settings. Every value comes from the environment; see .env.example.

DEBUG is off unless asked for. There are no built-in secrets: SECRET_KEY and
TOKEN_ENCRYPTION_KEYS must always be set (`make demo` generates its own into var/, the test
suite makes fresh ones per run). With DEBUG on, the other development defaults apply: SQLite,
Redis on 127.0.0.1:6379 and the sandbox on 127.0.0.1:8090. With DEBUG off, every missing
production variable stops start-up with a message that names it.
"""

import os
from pathlib import Path

import dj_database_url
from django.core.exceptions import ImproperlyConfigured
from dotenv import load_dotenv

from cti.env import (
    env_bool,
    env_count,
    env_int,
    env_list,
    env_seconds,
    env_str,
    env_url_path,
    redis_url,
    require,
)

BASE_DIR = Path(__file__).resolve().parent.parent
# ENV_FILE points at another dotenv file (or /dev/null to read none); real variables win.
load_dotenv(os.environ.get("ENV_FILE") or BASE_DIR / ".env")

DEBUG = env_bool("DEBUG", False)

if DEBUG:
    require(["SECRET_KEY", "TOKEN_ENCRYPTION_KEYS"], context="(there are no built-in secrets)")
else:
    require(
        [
            "SECRET_KEY",
            "ALLOWED_HOSTS",
            "DATABASE_URL",
            "REDIS_URL",
            "TOKEN_ENCRYPTION_KEYS",
            "RINGCENTRAL_SERVER",
            "RINGCENTRAL_CLIENT_ID",
        ],
        context="with DEBUG off",
    )

SECRET_KEY = env_str("SECRET_KEY")
ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", ["127.0.0.1", "localhost", "[::1]", "testserver"])
CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS")
for _host in ALLOWED_HOSTS:
    if "://" in _host or "/" in _host:
        raise ImproperlyConfigured(
            f"ALLOWED_HOSTS takes host names (crm.example.com), got {_host!r}"
        )
for _origin in CSRF_TRUSTED_ORIGINS:
    if "://" not in _origin:
        raise ImproperlyConfigured(
            "CSRF_TRUSTED_ORIGINS takes origins with a scheme (https://crm.example.com), "
            f"got {_origin!r}"
        )

INSTALLED_APPS = [
    "daphne",
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "channels",
    "allauth",
    "allauth.account",
    "allauth.socialaccount",
    "crm",
    "telephony",
    "telephony.oauth",
    "cti",
    # Log-in throttling (see "Log-in throttling" below).
    "axes",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "allauth.account.middleware.AccountMiddleware",
    "telephony.middleware.RingCentralErrorMiddleware",
    "csp.middleware.CSPMiddleware",
    # Last: turns a log-in refused for too many failures into the lockout page.
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "cti.urls"
ASGI_APPLICATION = "cti.asgi.application"
WSGI_APPLICATION = "cti.wsgi.application"

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
                "cti.context_processors.navigation",
                "telephony.context_processors.ringcentral",
            ],
        },
    },
]

# --- Database -------------------------------------------------------------------------------
DATABASE_URL = env_str("DATABASE_URL")
if DATABASE_URL:
    try:
        DATABASES = {"default": dj_database_url.parse(DATABASE_URL, conn_max_age=60)}
    except ValueError as exc:
        raise ImproperlyConfigured(f"DATABASE_URL: {exc}") from exc
    DATABASES["default"]["CONN_HEALTH_CHECKS"] = True
else:
    _sqlite_path = env_str("SQLITE_PATH") or str(BASE_DIR / "var" / "callboard.sqlite3")
    DATABASES = {"default": {"ENGINE": "django.db.backends.sqlite3", "NAME": _sqlite_path}}
_engine = DATABASES["default"]["ENGINE"]
if _engine == "django.db.backends.postgresql":
    # libpq waits forever by default: a blackholed server would hang every request and
    # /healthz. `?connect_timeout=` in DATABASE_URL overrides.
    DATABASES["default"].setdefault("OPTIONS", {}).setdefault("connect_timeout", 5)
elif _engine == "django.db.backends.sqlite3":
    # SQLite for the demo: WAL and IMMEDIATE transactions let the web, worker and beat
    # processes write without "database is locked" errors.
    DATABASES["default"]["OPTIONS"] = {
        "transaction_mode": "IMMEDIATE",
        "timeout": 20,
        "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
        **DATABASES["default"].get("OPTIONS", {}),
    }
# Caller matching (crm.matching) runs as server-side prepared statements on PostgreSQL. Turn off
# behind a transaction-pooling PgBouncer older than 1.21, which cannot keep them.
DB_PREPARED_STATEMENTS = env_bool("DB_PREPARED_STATEMENTS", True)
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"
AUTH_USER_MODEL = "crm.User"

# --- Redis: Celery broker and results, channel layer, cache ---------------------------------
REDIS_URL = redis_url("REDIS_URL", "redis://127.0.0.1:6379/0")

CHANNEL_LAYERS = {
    "default": {
        "BACKEND": "channels_redis.core.RedisChannelLayer",
        "CONFIG": {
            # Longer than channels-redis's 5 s blocking pop: redis-py 8 reads with a 5 s
            # timeout by default, which killed every idle WebSocket after about 5 s.
            "hosts": [{"address": REDIS_URL, "socket_timeout": 30, "socket_connect_timeout": 5}],
            "prefix": env_str("CHANNELS_PREFIX") or "callboard",
            "capacity": 1000,
            "expiry": 60,
        },
    }
}

CACHES = {
    "default": {
        "BACKEND": "django.core.cache.backends.redis.RedisCache",
        "LOCATION": REDIS_URL,
        "KEY_PREFIX": "callboard",
        "TIMEOUT": 300,
        "OPTIONS": {"socket_connect_timeout": 2, "socket_timeout": 2},
    }
}

# --- Celery ---------------------------------------------------------------------------------
CELERY_BROKER_URL = REDIS_URL
CELERY_RESULT_BACKEND = REDIS_URL
CELERY_RESULT_EXPIRES = 3600
CELERY_TASK_SERIALIZER = "json"
CELERY_RESULT_SERIALIZER = "json"
CELERY_ACCEPT_CONTENT = ["json"]
CELERY_TIMEZONE = "UTC"
# Late acknowledgement is opted into per task, only for idempotent ones.
CELERY_TASK_ACKS_LATE = False
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_TASK_TIME_LIMIT = env_int("CELERY_TASK_TIME_LIMIT", 300)
CELERY_TASK_SOFT_TIME_LIMIT = env_int("CELERY_TASK_SOFT_TIME_LIMIT", 240)
if not 0 < CELERY_TASK_SOFT_TIME_LIMIT < CELERY_TASK_TIME_LIMIT:
    raise ImproperlyConfigured(
        f"CELERY_TASK_SOFT_TIME_LIMIT ({CELERY_TASK_SOFT_TIME_LIMIT}) must be positive and below "
        f"CELERY_TASK_TIME_LIMIT ({CELERY_TASK_TIME_LIMIT}), or the soft limit never fires."
    )
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
# Longer than the hard time limit, so an unacknowledged late-ack task is not redelivered
# while it is still running.
CELERY_BROKER_TRANSPORT_OPTIONS = {"visibility_timeout": max(3600, CELERY_TASK_TIME_LIMIT + 300)}
CELERY_WORKER_SEND_TASK_EVENTS = False
CELERY_BEAT_SCHEDULE_FILENAME = str(BASE_DIR / "var" / "celerybeat-schedule")

CELERY_BEAT_SCHEDULE = {
    # Lets /healthz tell whether beat is alive: beat enqueues it, a worker stamps the time.
    "beat-heartbeat": {"task": "cti.tasks.beat_heartbeat", "schedule": 30.0},
    # Mirrors the account's user extensions (numbers, names, who is linked to whom). People and
    # numbers change rarely; a list page costs one Medium-group request.
    "ringcentral-directory-sync": {"task": "telephony.tasks.directory_sync", "schedule": 1800.0},
}

# --- Auth -----------------------------------------------------------------------------------
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "login"

# Sign in with RingCentral (django-allauth, provider `telephony.oauth`). Users are linked by
# extension id only; allauth keeps no tokens (the vault, telephony.tokens, does, encrypted).
ACCOUNT_ADAPTER = "telephony.oauth.adapter.AccountAdapter"
SOCIALACCOUNT_ADAPTER = "telephony.oauth.adapter.RingCentralSocialAccountAdapter"
SOCIALACCOUNT_STORE_TOKENS = False
SOCIALACCOUNT_EMAIL_AUTHENTICATION = False
SOCIALACCOUNT_EMAIL_VERIFICATION = "none"
ACCOUNT_USER_DISPLAY = "telephony.oauth.adapter.user_display"
SOCIALACCOUNT_QUERY_EMAIL = False
SOCIALACCOUNT_LOGIN_ON_GET = False  # starting a sign-in takes a POST (no login CSRF)
ACCOUNT_EMAIL_VERIFICATION = "none"
ACCOUNT_USER_DISPLAY = "telephony.oauth.adapter.user_display"

SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
CSRF_COOKIE_SAMESITE = "Lax"
SESSION_COOKIE_SECURE = env_bool("SESSION_COOKIE_SECURE", not DEBUG)
CSRF_COOKIE_SECURE = env_bool("CSRF_COOKIE_SECURE", not DEBUG)
SECURE_CONTENT_TYPE_NOSNIFF = True
X_FRAME_OPTIONS = "DENY"
SECURE_SSL_REDIRECT = env_bool("SECURE_SSL_REDIRECT", False)
# Load balancers probe the backend over plain HTTP and count a redirect as a failure.
SECURE_REDIRECT_EXEMPT = [r"^healthz$"]
SECURE_HSTS_SECONDS = env_int("SECURE_HSTS_SECONDS", 0)
SECURE_HSTS_INCLUDE_SUBDOMAINS = env_bool("SECURE_HSTS_INCLUDE_SUBDOMAINS", False)
if env_bool("BEHIND_TLS_PROXY", False):
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")

# --- I18N, static ---------------------------------------------------------------------------
LANGUAGE_CODE = "en-us"
TIME_ZONE = env_str("TIME_ZONE") or "UTC"
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATICFILES_DIRS = [BASE_DIR / "static"]
STATIC_ROOT = Path(env_str("STATIC_ROOT") or BASE_DIR / "var" / "staticfiles")
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"
        if not DEBUG
        else "django.contrib.staticfiles.storage.StaticFilesStorage"
    },
}
WHITENOISE_USE_FINDERS = DEBUG

# --- RingCentral ----------------------------------------------------------------------------
RINGCENTRAL_SERVER = (env_str("RINGCENTRAL_SERVER") or "http://127.0.0.1:8090").rstrip("/")
RINGCENTRAL_CLIENT_ID = env_str("RINGCENTRAL_CLIENT_ID")
RINGCENTRAL_CLIENT_SECRET = env_str("RINGCENTRAL_CLIENT_SECRET")
# JWT credential for the account connection (JWT bearer grant); optional.
RINGCENTRAL_JWT = env_str("RINGCENTRAL_JWT")
# Public base URL at which RingCentral reaches our webhook endpoint.
RINGCENTRAL_WEBHOOK_BASE_URL = env_str("RINGCENTRAL_WEBHOOK_BASE_URL").rstrip("/")
RINGCENTRAL_HTTP_TIMEOUT = env_int("RINGCENTRAL_HTTP_TIMEOUT", 15)
# Host of media links (recordings, attachments): https://media.ringcentral.com in production.
# The client sends a token only to this host and RINGCENTRAL_SERVER's.
RINGCENTRAL_MEDIA_SERVER = (env_str("RINGCENTRAL_MEDIA_SERVER") or RINGCENTRAL_SERVER).rstrip("/")
# Refresh an access token this many seconds before it expires (at most a quarter of its life).
RINGCENTRAL_REFRESH_MARGIN = env_int("RINGCENTRAL_REFRESH_MARGIN", 300)

# Fernet keys (url-safe base64, 32 bytes) for tokens at rest, newest first; older keys
# still decrypt. Never derived from anything else.
TOKEN_ENCRYPTION_KEYS = env_list("TOKEN_ENCRYPTION_KEYS")

PHONE_DEFAULT_REGION = env_str("PHONE_DEFAULT_REGION") or "US"

# --- Health ---------------------------------------------------------------------------------
HEALTH_CHECK_TIMEOUT = env_seconds("HEALTH_CHECK_TIMEOUT", 2.0)

# --- Log-in throttling (django-axes) ---------------------------------------------------------
# The local log-in and Django admin's: after LOGIN_FAILURE_LIMIT wrong passwords for one user
# name from one address, that pair is refused (even the right password) for
# LOGIN_LOCKOUT_MINUTES, counted again from each try. Sign in with RingCentral does not pass
# through here (RingCentral checks the password).
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
]
AXES_FAILURE_LIMIT = env_count("LOGIN_FAILURE_LIMIT", 5)
AXES_COOLOFF_TIME = env_count("LOGIN_LOCKOUT_MINUTES", 15) / 60  # hours, as axes reads a float
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_RESET_ON_SUCCESS = True
AXES_LOCKOUT_CALLABLE = "cti.views.login_locked_out"
# Only failures are kept (a row per user name and address); no log of every sign-in.
AXES_DISABLE_ACCESS_LOG = True
# Behind a proxy every request comes from the proxy's address: take the one it forwards.
if env_bool("BEHIND_TLS_PROXY", False):
    AXES_CLIENT_IP_CALLABLE = "cti.client_ip.forwarded_client_ip"

# --- Django admin ---------------------------------------------------------------------------
# Where Django admin lives, e.g. "backoffice/" to keep it off the usual path.
ADMIN_URL = env_url_path("ADMIN_URL", "admin/")

# --- Content-Security-Policy (django-csp) --------------------------------------------------
# No page has an inline script or style (htmx is told not to add its own), so everything comes
# from this site only: no plugins, and no page may be framed.
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": ["'self'"],
        "script-src": ["'self'"],
        "object-src": ["'none'"],
        "frame-ancestors": ["'none'"],
    }
}

# --- Request bodies ------------------------------------------------------------------------
# A body over its limit is answered 413 before it is read: cti.body_limit in the application,
# cti.serve in daphne (which would otherwise hold a whole body in memory). The proxy in front
# should refuse them first (README, "Running in production").
REQUEST_BODY_MAX_BYTES = env_count("REQUEST_BODY_MAX_BYTES", 2_621_440)
DATA_UPLOAD_MAX_MEMORY_SIZE = REQUEST_BODY_MAX_BYTES
# The CSV import's file limit (the form says so past it); its upload may carry that much more,
# so a file somewhat too large gets the form's message rather than a bare 413. Uploads over
# FILE_UPLOAD_MAX_MEMORY_SIZE (Django's 2.5 MB) go to a temporary file while they arrive.
CONTACT_IMPORT_MAX_BYTES = env_count("CONTACT_IMPORT_MAX_BYTES", 5_242_880)
CONTACT_IMPORT_BODY_MAX_BYTES = CONTACT_IMPORT_MAX_BYTES + REQUEST_BODY_MAX_BYTES

# --- Logging --------------------------------------------------------------------------------
LOG_LEVEL = env_str("LOG_LEVEL") or "INFO"
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {
        "plain": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"},
    },
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain"}},
    "root": {"handlers": ["console"], "level": LOG_LEVEL},
    "loggers": {
        "django.channels.server": {"level": "WARNING"},
        "daphne": {"level": "WARNING"},
        # Every sign-in at INFO; failures and lockouts are warnings.
        "axes": {"level": "WARNING"},
    },
}
