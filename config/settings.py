"""Settings, read from the environment (https://django-environ.readthedocs.io/).

Unset variables give a working development setup: an embedded SQLite file and an embedded
filesystem broker, so `make run` needs no server. Production differs only by environment.
"""

import datetime
from pathlib import Path

import environ

BASE_DIR = Path(__file__).resolve().parent.parent
VAR_DIR = Path(environ.Env().str("VAR_DIR", default=str(BASE_DIR / "var")))

env = environ.Env()
environ.Env.read_env(BASE_DIR / ".env", overwrite=False)

DEBUG = env.bool("DEBUG", default=False)


# A key generated and kept in var/ is for a run on this machine only, and only when asked for:
# `make run`, `make test` and DEBUG set LOCAL_SECRET_KEY. Anywhere else a missing SECRET_KEY stops
# the start, so a server never runs on a key nobody chose.
LOCAL_SECRET_KEY = env.bool("LOCAL_SECRET_KEY", default=DEBUG)


def _local_secret_key() -> str:
    """A random key kept in var/: nothing guessable, and sessions survive restarts."""
    import logging
    import secrets

    path = VAR_DIR / "secret_key"
    VAR_DIR.mkdir(parents=True, exist_ok=True)
    try:
        # "x" so that web, worker and beat starting together agree on one key.
        with open(path, "x") as handle:
            handle.write(secrets.token_urlsafe(50))
        path.chmod(0o600)
        logging.getLogger(__name__).warning("SECRET_KEY is not set; generated one in %s", path)
    except FileExistsError:
        pass
    return path.read_text().strip()


SECRET_KEY = env.str("SECRET_KEY", default="")
if not SECRET_KEY:
    if not LOCAL_SECRET_KEY:
        from django.core.exceptions import ImproperlyConfigured

        raise ImproperlyConfigured(
            "SECRET_KEY is not set. Set it (production), or set LOCAL_SECRET_KEY=1 to generate one in var/ "
            "for a run on this machine."
        )
    SECRET_KEY = _local_secret_key()

ALLOWED_HOSTS = env.list("ALLOWED_HOSTS", default=["localhost", "127.0.0.1", "[::1]", "testserver"])
CSRF_TRUSTED_ORIGINS = env.list("CSRF_TRUSTED_ORIGINS", default=[])

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "rest_framework",
    "knox",
    "axes",
    "django_filters",
    "drf_spectacular",
    "django_celery_beat",
    "auditlog",
    "web",
    "audit",
    "projects",
    "milestones",
    "notifications",
    "reports",
    "accounts",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "config.middleware.DatabaseUnavailableMiddleware",
    # Before anything reads the path or the query: a NUL byte there reached PostgreSQL (500).
    "web.middleware.refuse_control_characters",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "accounts.middleware.refresh_session",
    # Which way in (page, API, admin) each change came through, for the audit trail (audit/).
    "audit.middleware.AuditChannelMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    # Last, as axes asks: it turns a locked-out login into the lockout answer.
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "config.urls"
WSGI_APPLICATION = "config.wsgi.application"

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
                "notifications.context_processors.inbox",
            ],
        },
    },
]

# Django's form renderer, with <select> boxes written in Python (web/forms.py: issue 12).
FORM_RENDERER = "web.forms.Renderer"

# https://django-environ.readthedocs.io/en/latest/types.html#environ-env-db-url
DATABASES = {"default": env.db("DATABASE_URL", default=f"sqlite:///{VAR_DIR / 'db.sqlite3'}")}
DATABASES["default"]["ATOMIC_REQUESTS"] = False
# Issue 12: a new PostgreSQL connection per request cost a fork and authentication each time. Under
# gunicorn a worker serves one request at a time, so one kept connection per worker is enough. A kept
# connection that the server dropped (restart, idle timeout) is noticed and replaced at the start of
# the next request instead of failing it. A ?conn_max_age= in DATABASE_URL wins over CONN_MAX_AGE.
DATABASES["default"].setdefault("CONN_MAX_AGE", env.int("CONN_MAX_AGE", default=600))
DATABASES["default"]["CONN_HEALTH_CHECKS"] = True
if DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql" and not env.bool("DATABASE_JIT", default=False):
    # Issue 12 measured at 100,000 projects: JIT compiled the light annotation's correlated subquery
    # on every 台账 count (243 of 295 ms) and jit=off raised the page mix from 3.4 to 5.2 requests/s.
    # Our queries are short OLTP ones that never repay compiling; DATABASE_JIT=1 turns it back on.
    _pg_options = DATABASES["default"].setdefault("OPTIONS", {})
    _pg_options["options"] = f"{_pg_options.get('options', '')} -c jit=off".strip()
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # WAL lets the web process read while the worker writes; the timeout rides out short locks.
    DATABASES["default"].setdefault("OPTIONS", {}).update(
        {"timeout": 20, "init_command": "PRAGMA journal_mode=WAL;", "transaction_mode": "IMMEDIATE"}
    )
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# --- Who gets in (issue 8 section 3) --------------------------------------------------------------
# Every password set through add_user, the admin or the password page passes these (the usual
# government rule: at least 10 characters of at least three kinds, not common, not the user name).
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "accounts.passwords.MinimumLengthValidator", "OPTIONS": {"min_length": 10}},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
    {"NAME": "accounts.passwords.CharacterClassesValidator", "OPTIONS": {"min_classes": 3}},
]
AUTHENTICATION_BACKENDS = [
    # First, so a locked-out account or address is refused before its password is even checked.
    "accounts.lockout.LockoutBackend",
    "django.contrib.auth.backends.ModelBackend",
]
CSRF_FAILURE_VIEW = "web.errors.csrf_failure"
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "/"
LOGOUT_REDIRECT_URL = "login"

# An idle session ends: its expiry moves forward with activity. Saving it on every request cost a
# write and a commit per page view (issue 12); accounts.middleware.refresh_session moves the expiry
# at most once a SESSION_REFRESH_SECONDS, so a session ends 30 minutes after the last request,
# give or take that much.
SESSION_IDLE_MINUTES = env.int("SESSION_IDLE_MINUTES", default=30)
SESSION_COOKIE_AGE = SESSION_IDLE_MINUTES * 60
SESSION_REFRESH_SECONDS = env.int("SESSION_REFRESH_SECONDS", default=60)

# Lockout (https://django-axes.readthedocs.io/en/latest/4_configuration.html): an account after
# LOGIN_FAILURE_LIMIT failures from anywhere, an address after LOGIN_ADDRESS_FAILURE_LIMIT failures
# on any accounts (higher, as an office may share one address). LOGIN_LOCKOUT_MINUTES=0 keeps the
# lock until an administrator removes it (管理后台 → Axes → 登录尝试).
LOGIN_FAILURE_LIMIT = env.int("LOGIN_FAILURE_LIMIT", default=5)
LOGIN_ADDRESS_FAILURE_LIMIT = env.int("LOGIN_ADDRESS_FAILURE_LIMIT", default=20)
LOGIN_LOCKOUT_MINUTES = env.int("LOGIN_LOCKOUT_MINUTES", default=30)
AXES_HANDLER = "accounts.lockout.AccountAndAddressHandler"
AXES_FAILURE_LIMIT = LOGIN_FAILURE_LIMIT
AXES_LOCKOUT_PARAMETERS = ["username", "ip_address"]
AXES_COOLOFF_TIME = datetime.timedelta(minutes=LOGIN_LOCKOUT_MINUTES) if LOGIN_LOCKOUT_MINUTES else None
AXES_RESET_ON_SUCCESS = True
AXES_ENABLE_ACCESS_FAILURE_LOG = True  # 等保 2.0: failed logins are kept, not only the counters
AXES_LOCKOUT_CALLABLE = "accounts.lockout.lockout_response"
AXES_CLIENT_IP_CALLABLE = "accounts.lockout.client_ip"
AXES_VERBOSE = False

# API tokens (https://jazzband.github.io/django-rest-knox/settings/): one per device or script,
# stored hashed, ending after API_TOKEN_DAYS; a password change or deactivation revokes them all.
API_TOKEN_DAYS = env.int("API_TOKEN_DAYS", default=7)
REST_KNOX = {"TOKEN_TTL": datetime.timedelta(days=API_TOKEN_DAYS), "AUTH_HEADER_PREFIX": "Token"}

# HTTPS (https://docs.djangoproject.com/en/5.2/ref/settings/#secure-ssl-redirect). On unless DEBUG:
# production is served over HTTPS (docker compose puts a TLS proxy in front, BEHIND_PROXY=1);
# `make run`, `make test` and a plain-http run on this machine set HTTPS=0.
HTTPS = env.bool("HTTPS", default=not DEBUG)
BEHIND_PROXY = env.bool("BEHIND_PROXY", default=False)
if BEHIND_PROXY:
    # The proxy says which scheme the browser used, and appends the browser's address.
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
SECURE_SSL_REDIRECT = env.bool("SECURE_SSL_REDIRECT", default=HTTPS)
SESSION_COOKIE_SECURE = env.bool("SESSION_COOKIE_SECURE", default=HTTPS)
CSRF_COOKIE_SECURE = env.bool("CSRF_COOKIE_SECURE", default=HTTPS)
SECURE_HSTS_SECONDS = env.int("SECURE_HSTS_SECONDS", default=365 * 24 * 3600 if HTTPS else 0)
SECURE_HSTS_INCLUDE_SUBDOMAINS = env.bool("SECURE_HSTS_INCLUDE_SUBDOMAINS", default=HTTPS)
SECURE_HSTS_PRELOAD = env.bool("SECURE_HSTS_PRELOAD", default=False)
SILENCED_SYSTEM_CHECKS = [] if SECURE_HSTS_PRELOAD else [
    # Preloading binds the whole registrable domain (the city's), a choice for its IT, not this app.
    "security.W021",
]

LANGUAGE_CODE = "zh-hans"
TIME_ZONE = "Asia/Shanghai"
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATIC_ROOT = BASE_DIR / "staticfiles"
# WhiteNoise warns at start-up when the folder is missing (before the first collectstatic).
STATIC_ROOT.mkdir(exist_ok=True)
STATICFILES_DIRS = [BASE_DIR / "static"] if (BASE_DIR / "static").is_dir() else []
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedStaticFilesStorage"},
}

# --- Audit trail (https://django-auditlog.readthedocs.io/en/latest/usage.html#settings) --------
# audit.AuditEntry is auditlog's LogEntry plus the channel and the project (audit/models.py).
AUDITLOG_LOGENTRY_MODEL = "audit.AuditEntry"
# Old and new values as JSON values (None stays null, True stays true), not their str().
AUDITLOG_STORE_JSON_CHANGES = True

# --- E-mail (https://docs.djangoproject.com/en/5.2/topics/email/) -------------------------------
EMAIL_CONFIG = env.email_url("EMAIL_URL", default="consolemail://" if DEBUG else "smtp://localhost:25")
vars().update(EMAIL_CONFIG)
DEFAULT_FROM_EMAIL = env.str("DEFAULT_FROM_EMAIL", default="嵊州重大项目管理 <noreply@localhost>")
# An SMTP server that accepts the connection and then hangs must not hold a worker (and the row's
# delivery claim, NOTIFICATION_CLAIM_SECONDS) forever; Django's default is no timeout.
EMAIL_TIMEOUT = EMAIL_CONFIG.get("EMAIL_TIMEOUT") or env.int("EMAIL_TIMEOUT", default=20)
# How long a worker holds an outbox row while sending it (notifications.services.deliver): after a
# worker crash the row is sent again once this passes, so it must outlast a slow send (timeouts 10 s
# webhook, 20 s e-mail) and be short, since a robot message re-sent is a duplicate the group sees.
NOTIFICATION_CLAIM_SECONDS = env.int("NOTIFICATION_CLAIM_SECONDS", default=60)

# --- Celery (https://docs.celeryq.dev/en/stable/userguide/configuration.html) -------------------
REDIS_URL = env.str("REDIS_URL", default="")
if REDIS_URL:
    CELERY_BROKER_URL = REDIS_URL
    CELERY_RESULT_BACKEND = None
else:
    # Embedded broker: kombu's filesystem transport, so the default setup needs no server.
    _broker_dir = VAR_DIR / "broker"
    for _sub in ("in", "processed", "control"):
        (_broker_dir / _sub).mkdir(parents=True, exist_ok=True)
    CELERY_BROKER_URL = "filesystem://"
    CELERY_BROKER_TRANSPORT_OPTIONS = {
        "data_folder_in": str(_broker_dir / "in"),
        "data_folder_out": str(_broker_dir / "in"),
        "processed_folder": str(_broker_dir / "processed"),
        "control_folder": str(_broker_dir / "control"),
        "store_processed": False,
    }
CELERY_TASK_ALWAYS_EAGER = env.bool("CELERY_TASK_ALWAYS_EAGER", default=False)
CELERY_TIMEZONE = TIME_ZONE
CELERY_TASK_SERIALIZER = "json"
CELERY_ACCEPT_CONTENT = ["json"]
# A task is acknowledged only after it ran, so a worker killed mid-task does not lose it.
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
# Publishing must not hang a web request when the broker is down: the outbox sweep catches up.
CELERY_BROKER_CONNECTION_TIMEOUT = 2
CELERY_TASK_PUBLISH_RETRY = False
CELERY_BEAT_SCHEDULER = "django_celery_beat.schedulers:DatabaseScheduler"

# --- Cache (https://docs.djangoproject.com/en/5.2/topics/cache/) --------------------------------
# Aggregates over the project data (projects.cache) and DRF's throttles. Shared by every web and
# Celery process, since a write in one must reach the others' reads: Redis in production (its own
# key prefix beside the broker's queues), a folder under var/ on the embedded setup. CACHE_URL
# (django-environ's form, e.g. locmemcache://) overrides both; the tests use it.
if env.str("CACHE_URL", default=""):
    CACHES = {"default": env.cache_url("CACHE_URL")}
elif REDIS_URL:
    CACHES = {"default": {"BACKEND": "config.cache.RedisCache", "LOCATION": REDIS_URL,
                          "KEY_PREFIX": "sz-cache", "OPTIONS": {"socket_connect_timeout": 1, "socket_timeout": 1}}}
else:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.filebased.FileBasedCache",
                          "LOCATION": str(VAR_DIR / "cache")}}
# Only bounds how long an unused aggregate stays: a change to the data retires the cached ones at once.
AGGREGATE_CACHE_SECONDS = env.int("AGGREGATE_CACHE_SECONDS", default=600)

# --- REST framework (https://www.django-rest-framework.org/api-guide/settings/) ----------------
REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "accounts.tokens.TokenAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    "DEFAULT_FILTER_BACKENDS": ["django_filters.rest_framework.DjangoFilterBackend"],
    "DEFAULT_PAGINATION_CLASS": "web.drf.PageNumberPagination",
    "DEFAULT_PARSER_CLASSES": [
        "web.drf.JSONParser",
        "rest_framework.parsers.FormParser",
        "rest_framework.parsers.MultiPartParser",
    ],
    "EXCEPTION_HANDLER": "web.drf.exception_handler",
    "PAGE_SIZE": 50,
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
}
SPECTACULAR_SETTINGS = {
    "TITLE": "嵊州重大项目全周期管理 API",
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    # The map of every endpoint is for the people and scripts that may use them (issue 8 section 3).
    "SERVE_PERMISSIONS": ["rest_framework.permissions.IsAuthenticated"],
    # Two fields named "status" with different choices: name each set, or the schema gets a hash name
    # and `check --deploy` a warning.
    "ENUM_NAME_OVERRIDES": {
        "ProjectStatusEnum": "projects.models.Status",
        "FactorStatusEnum": "milestones.factor_selectors.FactorStatus.LABELS",
    },
}



def _not_the_embedded_brokers_hostname(record):
    """The filesystem broker's URL has no host by design; kombu warns about that on every
    connection ("No hostname was supplied"), which says nothing on the embedded setup."""
    return REDIS_URL or not record.getMessage().startswith("No hostname was supplied")


LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s: %(message)s"}},
    "filters": {"embedded_broker": {"()": "django.utils.log.CallbackFilter",
                                    "callback": _not_the_embedded_brokers_hostname}},
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain"}},
    "root": {"handlers": ["console"], "level": env.str("LOG_LEVEL", default="INFO")},
    "loggers": {
        "kombu.connection": {"filters": ["embedded_broker"]},
        # django-axes says every login at INFO; failures and lockouts (WARNING) are what an operator needs.
        "axes": {"level": env.str("AXES_LOG_LEVEL", default="WARNING")},
    },
}

# Issue 9: the new-deal form proposes the next free 项目编号 as {prefix}{year}-{seq}, e.g. SZ2026-034.
PROJECT_CODE_PREFIX = env.str("PROJECT_CODE_PREFIX", default="SZ")

# The CJK font embedded into every PDF (reportlab cannot embed CFF fonts; WenQuanYi is TrueType).
REPORT_FONT_PATH = env.str("REPORT_FONT_PATH", default=str(BASE_DIR / "reports" / "fonts" / "wqy-microhei.ttc"))
