"""The registry's one settings module: every deployment-specific value comes from the environment.

See docs/configuration.md for each variable. Development defaults are safe: DEBUG is off unless set,
and the default database is an SQLite file in the project folder.
"""

import os
from pathlib import Path

import dj_database_url
from django.core.exceptions import ImproperlyConfigured

BASE_DIR = Path(__file__).resolve().parent.parent


def env_bool(name: str, default: bool) -> bool:
    value = os.environ.get(name, "").strip().lower()
    if not value:
        return default
    if value in {"1", "true", "yes", "on"}:
        return True
    if value in {"0", "false", "no", "off"}:
        return False
    raise ImproperlyConfigured(f"{name} must be true or false, not {value!r}")


def env_list(name: str, default: str = "") -> list[str]:
    return [item.strip() for item in os.environ.get(name, default).split(",") if item.strip()]


def env_int(name: str, default: int) -> int:
    value = os.environ.get(name, "").strip()
    try:
        return int(value) if value else default
    except ValueError as error:
        raise ImproperlyConfigured(f"{name} must be an integer, not {value!r}") from error


DEBUG = env_bool("DEBUG", default=False)
SECRET_KEY = os.environ.get("SECRET_KEY", "")
if not SECRET_KEY:
    # A fixed development key: check --deploy reports it (W009), so production must set one.
    SECRET_KEY = "django-insecure-local-development-key-not-for-production"
ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", "127.0.0.1,localhost,[::1]")
CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS")

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "django.contrib.postgres",
    "rest_framework",
    "rest_framework.authtoken",
    "django_filters",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "drf_standardized_errors",
    "simple_history",
    "axes",
    "incidents",
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
    "simple_history.middleware.HistoryRequestMiddleware",
    "incidents.routing.ReadRoutingMiddleware",
    # Last, as django-axes requires: turns a locked-out admin login into its lockout response.
    "axes.middleware.AxesMiddleware",
]

# History is read per object (incidents.models.history), never by date across objects.
SIMPLE_HISTORY_DATE_INDEX = False

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
            ]
        },
    }
]

# Bounds every SQL statement of a web request on PostgreSQL; a runaway query becomes an error
# instead of a hung worker. Bulk commands lift it for their own connection.
STATEMENT_TIMEOUT_MS = env_int("DATABASE_STATEMENT_TIMEOUT_MS", 30000)


def _database(url: str) -> dict:
    config = dj_database_url.parse(url, conn_max_age=env_int("DATABASE_CONN_MAX_AGE", 60))
    if config["ENGINE"] == "django.db.backends.postgresql":
        options = config.setdefault("OPTIONS", {})
        options.setdefault("options", f"-c statement_timeout={STATEMENT_TIMEOUT_MS}")
        # Client-side parameters: a server-side prepared statement may switch PostgreSQL to a
        # generic plan that ignores the partial indexes the filters rely on.
        options.setdefault("prepare_threshold", None)
    return config


DATABASES = {
    "default": _database(os.environ.get("DATABASE_URL") or f"sqlite:///{BASE_DIR / 'db.sqlite3'}")
}
DATABASES["default"]["TEST"] = {"NAME": os.environ.get("TEST_DATABASE_NAME") or None}
# Streaming replicas for read-only API traffic (incidents/routing.py says which reads go there).
DATABASE_REPLICAS = []
for _index, _url in enumerate(env_list("DATABASE_REPLICA_URLS")):
    _alias = f"replica{_index}"
    # In the test suite a replica alias is the primary: tests see their own writes at once.
    DATABASES[_alias] = {**_database(_url), "TEST": {"MIRROR": "default"}}
    DATABASE_REPLICAS.append(_alias)
DATABASE_ROUTERS = ["incidents.routing.PrimaryReplicaRouter"] if DATABASE_REPLICAS else []
DATABASE_REPLICA_PIN_SECONDS = env_int("DATABASE_REPLICA_PIN_SECONDS", 10)

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# django-axes first: a locked-out address or username is refused before its password is checked.
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
]
# Admin login lockout: after AXES_FAILURE_LIMIT failed logins from one address, or for one
# username, further attempts are refused (429) for AXES_COOLOFF_HOURS. Tokens are not affected.
AXES_FAILURE_LIMIT = env_int("AXES_FAILURE_LIMIT", 5)
AXES_COOLOFF_TIME = env_int("AXES_COOLOFF_HOURS", 1)
AXES_LOCKOUT_PARAMETERS = ["ip_address", "username"]


def _client_address(request):
    """The address admin lockouts key on: the one the API's rate limits use (NUM_PROXIES), so
    behind a proxy one attacker does not lock out everyone the proxy forwards, and a client
    cannot pick its own address with X-Forwarded-For when NUM_PROXIES is 0."""
    from rest_framework.throttling import BaseThrottle  # imported late: it reads these settings

    return BaseThrottle().get_ident(request)


AXES_CLIENT_IP_CALLABLE = _client_address

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

LANGUAGE_CODE = "en-us"
TIME_ZONE = "UTC"
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATIC_ROOT = BASE_DIR / "staticfiles"
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedStaticFilesStorage"},
}
WHITENOISE_USE_FINDERS = DEBUG

CACHES = {
    "default": {
        "BACKEND": os.environ.get("CACHE_BACKEND", "django.core.cache.backends.locmem.LocMemCache"),
        "LOCATION": os.environ.get("CACHE_LOCATION", "registry"),
    }
}

# Request bodies above this are refused before parsing (imports go through the command line).
DATA_UPLOAD_MAX_MEMORY_SIZE = env_int("DATA_UPLOAD_MAX_MEMORY_SIZE", 5 * 1024 * 1024)

# Security: on unless DEBUG, so a production start is hardened by default.
SECURE_SSL_REDIRECT = env_bool("SECURE_SSL_REDIRECT", default=not DEBUG)
SESSION_COOKIE_SECURE = env_bool("SESSION_COOKIE_SECURE", default=not DEBUG)
CSRF_COOKIE_SECURE = env_bool("CSRF_COOKIE_SECURE", default=not DEBUG)
SECURE_HSTS_SECONDS = env_int("SECURE_HSTS_SECONDS", 0 if DEBUG else 31536000)
SECURE_HSTS_INCLUDE_SUBDOMAINS = not DEBUG
SECURE_HSTS_PRELOAD = env_bool("SECURE_HSTS_PRELOAD", default=not DEBUG)
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"
SECURE_REDIRECT_EXEMPT = [r"^healthz$"]
if env_bool("USE_X_FORWARDED_PROTO", default=False):
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")

COUNTRIES_OVERRIDE = {"TW": "Taiwan"}

REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "rest_framework.authentication.TokenAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": [
        "rest_framework.permissions.DjangoModelPermissionsOrAnonReadOnly"
    ],
    "DEFAULT_PAGINATION_CLASS": "incidents.api.pagination.LimitOffsetPagination",
    "PAGE_SIZE": 50,
    "DEFAULT_FILTER_BACKENDS": ["django_filters.rest_framework.DjangoFilterBackend"],
    "DEFAULT_RENDERER_CLASSES": [
        "rest_framework.renderers.JSONRenderer",
        "rest_framework.renderers.BrowsableAPIRenderer",
    ],
    # JSON only: write bodies are JSON documents (forms cannot carry participants and sources).
    "DEFAULT_PARSER_CLASSES": ["incidents.api.parsers.JSONParser"],
    "DEFAULT_SCHEMA_CLASS": "incidents.api.schema.RegistryAutoSchema",
    "EXCEPTION_HANDLER": "drf_standardized_errors.handler.exception_handler",
    "DEFAULT_THROTTLE_CLASSES": [
        "incidents.api.throttling.AnonThrottle",
        "incidents.api.throttling.UserThrottle",
    ],
    "DEFAULT_THROTTLE_RATES": {
        "anon": os.environ.get("API_THROTTLE_ANON", "120/min") or None,
        "user": os.environ.get("API_THROTTLE_USER", "600/min") or None,
        "export": os.environ.get("API_THROTTLE_EXPORT", "10/min") or None,
    },
    "TEST_REQUEST_DEFAULT_FORMAT": "json",
    # Proxies in front of the app whose X-Forwarded-For entries are trusted for rate limits and
    # admin lockouts (AXES_CLIENT_IP_CALLABLE); 0 uses the peer address only (None would trust a
    # client-supplied header).
    "NUM_PROXIES": env_int("NUM_PROXIES", 0),
}

# Most incidents one /api/v1/incidents/export/ may stream (a larger one is a 400 asking for
# narrower filters); 0 lifts the cap.
EXPORT_MAX_ROWS = env_int("API_EXPORT_MAX_ROWS", 1_000_000)
# Largest import file (bytes) the importer reads, from the command line or the admin.
IMPORT_MAX_BYTES = env_int("IMPORT_MAX_BYTES", 200 * 1024 * 1024)

DRF_STANDARDIZED_ERRORS = {
    "ENABLE_IN_DEBUG_FOR_UNHANDLED_EXCEPTIONS": True,
    "EXCEPTION_HANDLER_CLASS": "incidents.api.errors.ApiExceptionHandler",
}

SPECTACULAR_SETTINGS = {
    "TITLE": "Incident Registry API",
    "DESCRIPTION": "Military incidents in the Indo-Pacific: intercepts, Taiwan Strait median-line "
    "crossings and navigation disputes, each sourced and curated.",
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    "COMPONENT_SPLIT_REQUEST": True,
    "ENUM_NAME_OVERRIDES": {
        "ValidationErrorEnum": "drf_standardized_errors.openapi_serializers.ValidationErrorEnum.choices",
        "ClientErrorEnum": "drf_standardized_errors.openapi_serializers.ClientErrorEnum.choices",
        "ServerErrorEnum": "drf_standardized_errors.openapi_serializers.ServerErrorEnum.choices",
        "ErrorCode401Enum": "drf_standardized_errors.openapi_serializers.ErrorCode401Enum.choices",
        "ErrorCode403Enum": "drf_standardized_errors.openapi_serializers.ErrorCode403Enum.choices",
        "ErrorCode404Enum": "drf_standardized_errors.openapi_serializers.ErrorCode404Enum.choices",
        "ErrorCode405Enum": "drf_standardized_errors.openapi_serializers.ErrorCode405Enum.choices",
        "ErrorCode406Enum": "drf_standardized_errors.openapi_serializers.ErrorCode406Enum.choices",
        "ErrorCode415Enum": "drf_standardized_errors.openapi_serializers.ErrorCode415Enum.choices",
        "ErrorCode429Enum": "drf_standardized_errors.openapi_serializers.ErrorCode429Enum.choices",
        "ErrorCode500Enum": "drf_standardized_errors.openapi_serializers.ErrorCode500Enum.choices",
        # Vocabularies whose field names repeat with other values (kind, domain, type).
        "IncidentKindEnum": "incidents.choices.IncidentKind",
        "ContactKindEnum": "incidents.choices.ContactKind",
        "InterceptDomainEnum": "incidents.choices.InterceptDomain",
        "PlatformDomainEnum": "incidents.choices.PlatformDomain",
        "SourceTypeEnum": "incidents.choices.SourceType",
    },
    # drf-standardized-errors' copy of drf-spectacular's enum hook, instead of it: it leaves the
    # per-field error components alone, whose `attr` enums would otherwise collide by the dozen.
    "POSTPROCESSING_HOOKS": ["drf_standardized_errors.openapi_hooks.postprocess_schema_enums"],
}

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": os.environ.get("LOG_LEVEL", "INFO")},
}
