"""Passgate settings: read from the environment only, through ``config.env``."""

from __future__ import annotations

from pathlib import Path

import django_stubs_ext
from django.core.exceptions import ImproperlyConfigured

from config.env import (
    database_from_url,
    env_bool,
    env_choice,
    env_int,
    env_list,
    env_rate,
    env_secret,
    env_str,
)

# Lets the generic admin/queryset classes be subscripted at runtime, as the type stubs expect.
django_stubs_ext.monkeypatch()

BASE_DIR = Path(__file__).resolve().parent.parent

DEBUG = env_bool("PASSGATE_DEBUG", False)
SECRET_KEY = env_secret(
    "PASSGATE_SECRET_KEY",
    required=not DEBUG,
    dev_default="insecure-development-key-never-use-in-production-0123456789",
)
# Fernet keys for secrets at rest (TOTP seeds, signing keys); the first encrypts, all decrypt.
# Unset: one key derived from the secret key.
ENCRYPTION_KEYS = env_list("PASSGATE_ENCRYPTION_KEYS", [])
BASE_DOMAIN = env_str("PASSGATE_BASE_DOMAIN", "localhost").lower()
# Organisations signing up by themselves on the platform host: open, closed or invite (codes).
SIGNUP_MODE = env_choice("PASSGATE_SIGNUP", "closed", ("open", "closed", "invite"))
# Hosts that serve the platform (health, docs, staff admin) rather than an organisation.
PLATFORM_HOSTS = sorted({BASE_DOMAIN, *env_list("PASSGATE_PLATFORM_HOSTS", ["127.0.0.1"])})
HTTPS = env_bool("PASSGATE_HTTPS", not DEBUG)
# The port browsers use to reach org hosts (0 = the scheme's default); part of each origin.
PUBLIC_PORT = env_int("PASSGATE_PUBLIC_PORT", 0, minimum=0, maximum=65535)
# Organisation hosts are the allow-list: the routing middleware answers 404 to any host that
# is neither a platform host nor a known Domain, so Django's own check would only duplicate it.
ALLOWED_HOSTS = ["*"]

SHARED_APPS = [
    "django_tenants",
    "tenants",
    "django.contrib.contenttypes",
    "django.contrib.auth",
    "django.contrib.sessions",
    "django.contrib.admin",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "rest_framework",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    # The user table exists in the public schema too: there it holds platform staff only.
    "auth_methods",
    "api",
    "portal",
    "frontend",
]
# Kept short on purpose: every migration here is replayed for each new organisation.
TENANT_APPS = [
    "django.contrib.sessions",
    "auth_methods",
    "api",
    "oidc",
]
INSTALLED_APPS = list(dict.fromkeys(SHARED_APPS + TENANT_APPS))

TENANT_MODEL = "tenants.Organisation"
TENANT_DOMAIN_MODEL = "tenants.Domain"
# Forks migration workers only after closing the connection pool (tenants/migration_executors.py).
GET_EXECUTOR_FUNCTION = "tenants.migration_executors.get_executor"
TENANT_CACHE_SECONDS = env_int("PASSGATE_TENANT_CACHE_SECONDS", 300, minimum=0, maximum=86400)
# Send the search path once per schema switch, not before every cursor (django-tenants
# resets it on set_tenant, close, rollback and savepoint rollback); tenants/postgresql_backend
# also skips it when the pooled connection's session already holds it for certain.
TENANT_LIMIT_SET_CALLS = True
# The backend django-tenants extends: Django's, with the pool's check of config/postgresql_pool.
ORIGINAL_BACKEND = "config.postgresql_pool"
DATABASE_ROUTERS = ["django_tenants.routers.TenantSyncRouter"]
ROOT_URLCONF = "config.urls_org"
PUBLIC_SCHEMA_URLCONF = "config.urls_public"

MIDDLEWARE = [
    "config.csp.ContentSecurityPolicyMiddleware",
    "config.request_id.RequestIdMiddleware",
    # Before routing: metrics see every request, probes answer without the database, and a
    # database outage anywhere below ends as a 503 problem.
    "config.ops_middleware.OperationsMiddleware",
    "tenants.middleware.OrgRoutingMiddleware",
    "api.middleware.BodyLimitMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "auth_methods.session_revocation.SessionEpochMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
]

_db = database_from_url(env_str("DATABASE_URL", "postgres://postgres@127.0.0.1:5432/passgate"))
_pool_max = env_int("PASSGATE_DB_POOL_MAX", 10, minimum=0, maximum=1000)
_db_options = dict(_db.pop("OPTIONS"))  # type: ignore[call-overload]
# Every wait on PostgreSQL is bounded, so an outage or a stuck lock ends a request in a
# 503 problem within seconds instead of holding a worker (0 disables a limit).
_connect_timeout = env_int("PASSGATE_DB_CONNECT_TIMEOUT", 3, minimum=0, maximum=600)
_statement_ms = env_int("PASSGATE_DB_STATEMENT_TIMEOUT_MS", 15000, minimum=0, maximum=86400000)
_lock_ms = env_int("PASSGATE_DB_LOCK_TIMEOUT_MS", 5000, minimum=0, maximum=86400000)
if _connect_timeout:
    _db_options.setdefault("connect_timeout", str(_connect_timeout))
_db_options["options"] = " ".join(
    [
        *([_db_options["options"]] if _db_options.get("options") else []),
        f"-c statement_timeout={_statement_ms}",
        f"-c lock_timeout={_lock_ms}",
    ]
)
if _pool_max:
    # Django's own psycopg pool; never PgBouncer transaction mode (schemas would cross).
    # A request waits at most `timeout` for a connection; CONN_HEALTH_CHECKS below makes the
    # pool check each connection it hands out, so stale ones after a restart are replaced
    # (without a round trip: config/postgresql_pool/base.py).
    _db_options["pool"] = {
        "min_size": 1,
        "max_size": _pool_max,
        "timeout": env_int("PASSGATE_DB_POOL_TIMEOUT", 3, minimum=1, maximum=600),
        "max_lifetime": 1800,
    }
DATABASES = {
    "default": {
        "ENGINE": "tenants.postgresql_backend",
        **_db,
        "OPTIONS": _db_options,
        "CONN_MAX_AGE": 0,
        "CONN_HEALTH_CHECKS": True,
    }
}

# Rate-limit counters live in this cache: per-process memory would multiply every limit by
# the number of processes, so production (debug off) must name a shared cache, or say
# "memory:" outright for a single process.
_cache_url = env_str("PASSGATE_CACHE_URL", "memory:" if DEBUG else "")
if not _cache_url:
    raise ImproperlyConfigured(
        "PASSGATE_CACHE_URL is required unless PASSGATE_DEBUG=1: set a Redis URL shared by all "
        "processes (or 'memory:' for a single process), else rate limits count per process."
    )
# Each in-process cache (and the in-process layer in front of a shared one) holds at most this
# many entries, least recently used dropped first; Django's default of 300 made every request
# spread over more than ~150 organisations miss. The default suits ~10,000 organisations.
LOCAL_CACHE_ENTRIES = env_int("PASSGATE_LOCAL_CACHE_ENTRIES", 50000, minimum=100, maximum=10**7)
# With a shared cache, a host lookup is also kept in each process for this many seconds: the
# delay before a hostname change made elsewhere reaches this process (0 disables the layer).
TENANT_NEAR_CACHE_SECONDS = env_int("PASSGATE_TENANT_NEAR_CACHE_SECONDS", 5, minimum=0, maximum=300)
_cache_timeout = env_int("PASSGATE_CACHE_SOCKET_TIMEOUT_MS", 500, minimum=50, maximum=60000)
_cache_backend: dict[str, object] = (
    {
        "BACKEND": "django.core.cache.backends.locmem.LocMemCache",
        "OPTIONS": {"MAX_ENTRIES": LOCAL_CACHE_ENTRIES},
    }
    if _cache_url == "memory:"
    else {
        # Falls back to the database and per-process counters while Redis is down.
        "BACKEND": "config.cache.ResilientRedisCache",
        "LOCATION": _cache_url,
        "OPTIONS": {
            "socket_connect_timeout": _cache_timeout / 1000,
            "socket_timeout": _cache_timeout / 1000,
        },
    }
)
CACHES = {
    # Keys are prefixed with the current schema so one org never reads another's entries.
    "default": {**_cache_backend, "KEY_FUNCTION": "django_tenants.cache.make_key"},
    # Host -> organisation routing runs before any schema is chosen: plain keys.
    "routing": {**_cache_backend, "KEY_PREFIX": "routing"},
}

AUTH_USER_MODEL = "auth_methods.User"
PASSWORD_HASHERS = [
    "django.contrib.auth.hashers.Argon2PasswordHasher",
    "django.contrib.auth.hashers.PBKDF2PasswordHasher",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
]

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "frontend" / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
            ]
        },
    }
]
STATIC_URL = "/static/"
STATIC_ROOT = BASE_DIR / "staticfiles"
STATICFILES_DIRS = [BASE_DIR / "frontend" / "static"]
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"
LANGUAGE_CODE = "en"
TIME_ZONE = "UTC"
USE_I18N = False
USE_TZ = True
WSGI_APPLICATION = "config.wsgi.application"

# Behind a TLS-terminating proxy that sets X-Forwarded-Proto (and strips it from clients).
SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
SECURE_HSTS_SECONDS = 31536000 if HTTPS else 0
SECURE_HSTS_INCLUDE_SUBDOMAINS = HTTPS
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
SESSION_COOKIE_SECURE = HTTPS
CSRF_COOKIE_SECURE = HTTPS
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
# Database sessions whose rows hold a digest of the cookie's key, never the key itself.
SESSION_ENGINE = "auth_methods.session_store"
X_FRAME_OPTIONS = "DENY"

MAX_BODY_BYTES = env_int("PASSGATE_MAX_BODY_BYTES", 65536, minimum=1024, maximum=10485760)
DATA_UPLOAD_MAX_MEMORY_SIZE = MAX_BODY_BYTES

REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "api.authentication.ApiKeyAuthentication",
        "api.authentication.CsrfSessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["api.permissions.IsCaller"],
    "DEFAULT_THROTTLE_CLASSES": ["api.throttling.PerIpThrottle", "api.throttling.PerKeyThrottle"],
    # Rates are per organisation (the default cache's keys carry the schema).
    "DEFAULT_THROTTLE_RATES": {
        "ip": env_rate("PASSGATE_RATE_PER_IP", "600/min"),
        "key": env_rate("PASSGATE_RATE_PER_KEY", "6000/min"),
    },
    "EXCEPTION_HANDLER": "api.problems.problem_exception_handler",
    "DEFAULT_RENDERER_CLASSES": ["rest_framework.renderers.JSONRenderer"],
    "DEFAULT_PARSER_CLASSES": ["api.parsers.GuardedJSONParser"],
    "DEFAULT_CONTENT_NEGOTIATION_CLASS": "api.parsers.NeverNotAcceptable",
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
}
SPECTACULAR_SETTINGS = {
    "TITLE": "Passgate API",
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    "REDOC_DIST": "SIDECAR",
    "POSTPROCESSING_HOOKS": [
        "drf_spectacular.hooks.postprocess_schema_enums",
        # Before the problem responses, which name and describe every operation.
        "config.ops_schema.add_operations_endpoints",
        "api.schema.add_problem_responses",
    ],
    "COMPONENT_SPLIT_REQUEST": True,
    "ENUM_NAME_OVERRIDES": {"RequirementEnum": ["required", "preferred", "discouraged"]},
}

CELERY_BROKER_URL = env_str("CELERY_BROKER_URL", "")
# Without a broker, tasks run in-process so `make run` needs nothing but PostgreSQL.
CELERY_TASK_ALWAYS_EAGER = not CELERY_BROKER_URL
CELERY_TASK_EAGER_PROPAGATES = True
# A task is acknowledged only once done, and handed back if its worker dies: with the
# outbox's per-mail Message-ID a repeat is harmless, a loss is not.
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
# Beat outlives database restarts (config.beat); run it as one process of its own.
CELERY_BEAT_SCHEDULER = "config.beat.ResilientTenantScheduler"
# Without tenant_schemas, tenant-schemas-celery's beat sends each entry to every organisation.
CELERY_BEAT_SCHEDULE = {
    "purge-expired-challenges": {
        "task": "auth_methods.purge_expired_challenges",
        "schedule": 300.0,
    },
    "purge-expired-recovery-links": {
        "task": "auth_methods.purge_expired_recovery_links",
        "schedule": 3600.0,
    },
    "purge-expired-sessions": {
        "task": "auth_methods.purge_expired_sessions",
        "schedule": 3600.0,
    },
    # Re-queue outbox emails whose task was lost (broker down, worker killed mid-send).
    "sweep-outbox": {
        "task": "auth_methods.sweep_outbox",
        "schedule": float(env_int("PASSGATE_OUTBOX_SWEEP_SECONDS", 60, minimum=1, maximum=3600)),
    },
    "purge-expired-oidc": {
        "task": "oidc.purge_expired",
        "schedule": 3600.0,
    },
    # The platform's own: organisation sign-up mails whose task was lost (config.beat sends
    # entries for the public schema, which no organisation row names).
    "sweep-signup-mails": {
        "task": "auth_methods.sweep_signup_mails",
        "schedule": 300.0,
        "tenant_schemas": ["public"],
    },
}
# How long a sender holds an outbox email before another may take it (a sender that died
# mid-send is presumed gone then); longer than any SMTP conversation.
OUTBOX_CLAIM_SECONDS = env_int("PASSGATE_OUTBOX_CLAIM_SECONDS", 90, minimum=1, maximum=3600)

# Security emails leave through the transactional outbox and a Celery task.
EMAIL_BACKEND = env_str(
    "PASSGATE_EMAIL_BACKEND",
    "django.core.mail.backends.console.EmailBackend"
    if DEBUG
    else "django.core.mail.backends.smtp.EmailBackend",
)
EMAIL_HOST = env_str("PASSGATE_SMTP_HOST", "localhost")
EMAIL_PORT = env_int("PASSGATE_SMTP_PORT", 25, minimum=1, maximum=65535)
EMAIL_HOST_USER = env_str("PASSGATE_SMTP_USER", "")
EMAIL_HOST_PASSWORD = env_str("PASSGATE_SMTP_PASSWORD", "")
EMAIL_USE_TLS = env_bool("PASSGATE_SMTP_TLS", False)
EMAIL_FILE_PATH = env_str("PASSGATE_EMAIL_FILE_PATH", "")
DEFAULT_FROM_EMAIL = env_str("PASSGATE_FROM_EMAIL", "Passgate <no-reply@passgate.localhost>")

LOG_LEVEL = env_choice(
    "PASSGATE_LOG_LEVEL", "INFO", ("DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL")
)
# JSON lines for log collectors (each with the request id); plain text for a developer.
LOG_FORMAT = env_choice("PASSGATE_LOG_FORMAT", "text" if DEBUG else "json", ("json", "text"))
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "filters": {"request_id": {"()": "config.logs.RequestIdFilter"}},
    "formatters": {
        "text": {"format": "%(asctime)s %(levelname)s %(name)s [%(request_id)s] %(message)s"},
        "json": {
            "()": "pythonjsonlogger.json.JsonFormatter",
            "fmt": "%(asctime)s %(levelname)s %(name)s %(message)s %(request_id)s",
            "rename_fields": {"asctime": "time", "levelname": "level", "name": "logger"},
        },
    },
    "handlers": {
        "console": {
            "class": "logging.StreamHandler",
            "formatter": LOG_FORMAT,
            "filters": ["request_id"],
        }
    },
    "root": {"handlers": ["console"], "level": LOG_LEVEL},
    "loggers": {"django.db.backends": {"level": "WARNING"}},
}

# /metrics is open unless a token is set; then it needs `Authorization: Bearer <token>`.
METRICS_TOKEN = env_str("PASSGATE_METRICS_TOKEN", "")
