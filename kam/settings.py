"""KAM settings, read from the environment (see .env.example for every variable)."""

import os
from datetime import timedelta
from pathlib import Path

import environ
from celery.schedules import crontab
from django.core.exceptions import ImproperlyConfigured
from django.utils.translation import gettext_lazy as _

BASE_DIR = Path(__file__).resolve().parent.parent

# Workbooks (imports and exports) are read and written by openpyxl with the standard library's
# XML parser, hardened by defusedxml. openpyxl switches to lxml whenever lxml is importable,
# and lxml comes with inscriptis (email HTML to text): keep the parser the import's refusals
# and the exports' cell escaping were written and tested for (tests/kam/test_settings.py).
os.environ.setdefault("OPENPYXL_LXML", "False")

env = environ.Env()
if (BASE_DIR / ".env").exists():
    environ.Env.read_env(BASE_DIR / ".env")

DEBUG = env.bool("DJANGO_DEBUG", default=False)


def _required(name: str, dev_default: str) -> str:
    """A production secret has no default: stop at startup, naming the variable."""
    value = env.str(name, default="")
    if value:
        return value
    if DEBUG:
        return dev_default
    raise ImproperlyConfigured(f"{name} must be set when DJANGO_DEBUG is false (see .env.example).")


SECRET_KEY = _required("DJANGO_SECRET_KEY", "django-insecure-kam-development-only")
ALLOWED_HOSTS = env.list(
    "DJANGO_ALLOWED_HOSTS", default=["127.0.0.1", "localhost"] if DEBUG else []
)
CSRF_TRUSTED_ORIGINS = env.list("DJANGO_CSRF_TRUSTED_ORIGINS", default=[])

INSTALLED_APPS = [
    "kam",
    "accounts",
    "plans",
    "activities",
    "dataio",
    "insights",
    "demo",
    "capture",
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "django.contrib.postgres",
    "django_htmx",
    "axes",
    "rest_framework",
    "django_filters",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "api",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "django.middleware.csp.ContentSecurityPolicyMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    # Pages compressed (static files come compressed from WhiteNoise, which answers before
    # this). Django's gzip pads each response with random bytes against BREACH, and the CSRF
    # token is masked anew on every response.
    "django.middleware.gzip.GZipMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.auth.middleware.LoginRequiredMiddleware",
    "kam.middleware.UserPreferencesMiddleware",
    # Before any view or permission check (process_view hooks run after every __call__), after
    # the two that pick the language its refusal is written in.
    "kam.middleware.UnstorableInputMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    "kam.middleware.HtmxVaryMiddleware",
    # After the messages and htmx middlewares: see its docstring.
    "kam.middleware.HtmxMessagesMiddleware",
    # Last, as django-axes asks: turns a locked-out login into the lockout page.
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "kam.urls"
WSGI_APPLICATION = "kam.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.template.context_processors.i18n",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "activities.context_processors.notifications",
            ],
        },
    },
]

# PostgreSQL only. `make run` / `make test` start an embedded server and set DATABASE_URL
# when it is unset (kam/devservices.py).
DATABASES = {"default": env.db("DATABASE_URL", default="postgres://postgres@127.0.0.1:5432/kam")}
DATABASES["default"]["CONN_MAX_AGE"] = env.int("DATABASE_CONN_MAX_AGE", default=60)
DATABASES["default"]["CONN_HEALTH_CHECKS"] = True
DATABASES["default"].setdefault("OPTIONS", {})["connect_timeout"] = 5
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

REDIS_URL = env.str("REDIS_URL", default="redis://127.0.0.1:6379/0")

AUTH_USER_MODEL = "kam.User"
AUTHENTICATION_BACKENDS = [
    # Refuses a sign-in while its email is locked out, before the password is checked.
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
]
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "my_work"
LOGOUT_REDIRECT_URL = "login"
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

LANGUAGE_CODE = env.str("LANGUAGE_CODE", default="en")
LANGUAGES = [("en", _("English")), ("pt-br", _("Português (Brasil)"))]
LOCALE_PATHS = [BASE_DIR / "locale"]
TIME_ZONE = env.str("TIME_ZONE", default="America/Sao_Paulo")
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATIC_ROOT = BASE_DIR / "staticfiles"
STATICFILES_DIRS = [BASE_DIR / "static"]
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"
        if DEBUG
        else "whitenoise.storage.CompressedManifestStaticFilesStorage"
    },
}

# Files browsers ask for at the site's root (/favicon.ico), served by WhiteNoise.
WHITENOISE_ROOT = BASE_DIR / "static" / "root"

FORM_RENDERER = "kam.forms.FormRenderer"

# Django 6.1 mailers from EMAIL_URL (smtp://, smtp+tls://, smtp+ssl://, consolemail://);
# unset: the console in development, a local MTA on port 25 in production.
_email = env.email_url("EMAIL_URL", default="consolemail://" if DEBUG else "smtp://localhost:25")
_mailer_options = {
    option: _email[key]
    for key, option in [
        ("EMAIL_HOST", "host"),
        ("EMAIL_PORT", "port"),
        ("EMAIL_HOST_USER", "username"),
        ("EMAIL_HOST_PASSWORD", "password"),
        ("EMAIL_USE_TLS", "use_tls"),
        ("EMAIL_USE_SSL", "use_ssl"),
    ]
    if _email.get(key) and _email["EMAIL_BACKEND"].endswith("smtp.EmailBackend")
}
MAILERS = {"default": {"BACKEND": _email["EMAIL_BACKEND"], "OPTIONS": _mailer_options}}
DEFAULT_FROM_EMAIL = env.str("DEFAULT_FROM_EMAIL", default="KAM <kam@localhost>")
# Where people reach the app; links in emails and the calendar feed start with it.
SITE_URL = env.str("SITE_URL", default="http://127.0.0.1:8000")
# The currency the portfolio dashboard reports in; other currencies are converted with the
# exchange rates admins set under Configuration.
REPORTING_CURRENCY = env.str("REPORTING_CURRENCY", default="BRL")
# The dashboard's figures are kept this many seconds in Redis (shared by every web process),
# shown with the time they were computed and a Refresh button; 0 turns the cache off.
PORTFOLIO_CACHE_SECONDS = env.int("PORTFOLIO_CACHE_SECONDS", default=300)

# Capture (docs/capture.md): personal logging addresses are log+<secret>@CAPTURE_INBOUND_DOMAIN;
# the SMTP receiver refuses bigger messages; attachments over the cap are recorded, not kept.
CAPTURE_INBOUND_DOMAIN = env.str("CAPTURE_INBOUND_DOMAIN", default="kam.localhost").lower()
CAPTURE_MAX_MESSAGE_BYTES = env.int("CAPTURE_MAX_MESSAGE_BYTES", default=25 * 1024 * 1024)
CAPTURE_MAX_ATTACHMENT_BYTES = env.int("CAPTURE_MAX_ATTACHMENT_BYTES", default=10 * 1024 * 1024)
CAPTURE_PROCESS_BATCH = env.int("CAPTURE_PROCESS_BATCH", default=50)
CAPTURE_PROCESS_LINGER = env.float("CAPTURE_PROCESS_LINGER", default=0.25)
# A worker's processing task also takes up to this many other waiting messages per round (four
# rounds at most), each in its own transaction; 0: each message only by its own task.
# Hosted inbound mail (django-anymail's inbound webhooks, docs/capture.md): an endpoint is on only
# when its check is configured — Mailgun's webhook signing key (HMAC of each post), and for
# Postmark (which signs nothing) the basic-auth "user:password" in the webhook URL. When
# WEBHOOK_SECRET is set, anymail asks it of Mailgun's posts too.
ANYMAIL = {
    "MAILGUN_WEBHOOK_SIGNING_KEY": env.str("ANYMAIL_MAILGUN_WEBHOOK_SIGNING_KEY", default=""),
    "WEBHOOK_SECRET": env.list("ANYMAIL_WEBHOOK_SECRET", default=[]),
}
# "default" stays in process memory (nothing depends on Redis being up); "shared" is Redis,
# for what every web process should see alike, used so that an outage only costs speed.
CACHES = {
    "default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"},
    "shared": {
        "BACKEND": "django.core.cache.backends.redis.RedisCache",
        "LOCATION": REDIS_URL,
        "KEY_PREFIX": "kam",
        "OPTIONS": {"socket_connect_timeout": 0.5, "socket_timeout": 0.5},
    },
}

# Celery: JSON only, bounded tasks, schedule kept in code (kam/celery.py).
CELERY_BROKER_URL = REDIS_URL
CELERY_RESULT_BACKEND = REDIS_URL
CELERY_ACCEPT_CONTENT = ["json"]
CELERY_TASK_SERIALIZER = "json"
CELERY_RESULT_SERIALIZER = "json"
CELERY_RESULT_EXPIRES = 3600
CELERY_TASK_DEFAULT_QUEUE = env.str("CELERY_QUEUE", default="kam")
CELERY_TASK_TIME_LIMIT = 30 * 60
CELERY_TASK_SOFT_TIME_LIMIT = 25 * 60
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
# Celery's Django fixup closes the database connection before and after every task unless told
# to reuse it (celery/fixups/django.py, "DB_REUSE_MAX"): each task then paid a new PostgreSQL
# backend (a process forked, cold catalog caches), 100 of them for the nightly health at
# 100,000 accounts. Reused here for this many tasks; kam.celery closes a connection around each
# task as Django does around a request instead (CONN_MAX_AGE reached, or unusable).
CELERY_DB_REUSE_MAX = 10_000
CELERY_TIMEZONE = TIME_ZONE
CELERY_BEAT_SCHEDULE_FILENAME = env.str(
    "CELERY_BEAT_SCHEDULE_FILENAME", default=str(BASE_DIR / ".data" / "celerybeat-schedule")
)

# When the nightly tiering + health job runs, "HH:MM" in TIME_ZONE.
SCORING_NIGHTLY_AT = env.str("SCORING_NIGHTLY_AT", default="02:00")
SCORING_NIGHTLY_HOUR, SCORING_NIGHTLY_MINUTE = (int(part) for part in SCORING_NIGHTLY_AT.split(":"))
# When the nightly playbook evaluation runs, "HH:MM" in TIME_ZONE: after the scoring job's
# health chunks are done (they take minutes at 20,000 accounts), before the 06:00 reminders.
PLAYBOOKS_NIGHTLY_AT = env.str("PLAYBOOKS_NIGHTLY_AT", default="03:30")
PLAYBOOKS_NIGHTLY_HOUR, PLAYBOOKS_NIGHTLY_MINUTE = (
    int(part) for part in PLAYBOOKS_NIGHTLY_AT.split(":")
)
# The beat schedule, in code; read lazily by Celery (kam/celery.py), so importing the app
# never needs the settings.
CELERY_BEAT_SCHEDULE = {
    "nightly-scoring": {
        "task": "insights.tasks.nightly_scoring",
        "schedule": crontab(hour=SCORING_NIGHTLY_HOUR, minute=SCORING_NIGHTLY_MINUTE),
    },
    # Playbooks after scoring (health bands are in by then), before the reminders, so the items
    # they create are in the morning's digest; an episode fires once however often this runs.
    "evaluate-playbooks": {
        "task": "insights.tasks.evaluate_playbooks",
        "schedule": crontab(hour=PLAYBOOKS_NIGHTLY_HOUR, minute=PLAYBOOKS_NIGHTLY_MINUTE),
    },
    # QBR reminders, escalations and commitment digests (activities.reminders), before the
    # working day starts; each reminder is sent once however often this runs.
    "send-reminders": {
        "task": "activities.tasks.send_reminders",
        "schedule": crontab(hour=6, minute=0),
    },
    # SLA warnings and breach notices of client requests (activities.reminders.sla_check);
    # each goes out once however often this runs.
    "check-sla": {
        "task": "activities.tasks.check_sla",
        "schedule": crontab(minute="*/15"),
    },
    # Everyone's unfiltered dashboard, recomputed before its cached copy expires, so the
    # slowest page to compute is always served from the cache (insights.portfolio).
    "portfolio-warm": {
        "task": "insights.tasks.portfolio_warm",
        "schedule": max(60, PORTFOLIO_CACHE_SECONDS - 60),
    },
    # The dashboard's summary rows (insights.portfolio_slices): the slices writes marked, every
    # minute; and every row checked against the accounts, repaired and the drift logged, in the
    # quiet hours after the nightly scoring (any hour would do: what is marked is not drift).
    "portfolio-slices-refresh": {
        "task": "insights.tasks.portfolio_slices_refresh",
        "schedule": 60.0,
    },
    "portfolio-slices-check": {
        "task": "insights.tasks.portfolio_slices_check",
        "schedule": crontab(hour=5, minute=0),
    },
    # Data past its retention policy (kam/retention.py, docs/privacy.md), in the quiet hours.
    "nightly-retention": {
        "task": "kam.tasks.apply_retention",
        "schedule": crontab(hour=3, minute=30),
    },
    # Background tasks that could not reach the broker when they were queued (kam/outbox.py).
    "outbox-drain": {
        "task": "kam.tasks.outbox_drain",
        "schedule": 60.0,
    },
}

# REST API v1 (api/, docs/api.md): named personal tokens or the browser session, JSON only,
# cursor pagination; the OpenAPI schema and Swagger UI (assets from the sidecar package, no CDN).
REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "api.authentication.ApiTokenAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    "DEFAULT_RENDERER_CLASSES": ["rest_framework.renderers.JSONRenderer"],
    "DEFAULT_PARSER_CLASSES": ["api.parsers.JSONParser"],
    "DEFAULT_FILTER_BACKENDS": [
        "django_filters.rest_framework.DjangoFilterBackend",
        "api.filters.Ordering",
    ],
    "DEFAULT_PAGINATION_CLASS": "api.pagination.Cursor",
    "PAGE_SIZE": 50,
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    # One version, in the URL. Also what /api/schema/?version= may name (api.schema.SchemaView).
    "ALLOWED_VERSIONS": ["1"],
    "EXCEPTION_HANDLER": "api.errors.exception_handler",
    # Errors of list items keyed by index ({"next_steps": {"1": {...}}}), DRF 3.20's format.
    "LIST_SERIALIZER_ERRORS_AS_DICT": True,
}
SPECTACULAR_SETTINGS = {
    "TITLE": "KAM API",
    "DESCRIPTION": "Key account management: accounts, stakeholders, interactions, commitments, "
    "plans, QBRs, health and tiers. Authenticate with a personal token "
    "(`Authorization: Bearer <token>`, created on your profile page) or the browser session.",
    "VERSION": "1",
    "SERVE_INCLUDE_SCHEMA": False,
    "SERVE_PERMISSIONS": ["rest_framework.permissions.AllowAny"],
    "SERVE_AUTHENTICATION": [],
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    "COMPONENT_SPLIT_REQUEST": True,
    # Operations tagged by resource ("accounts"), not by the version prefix.
    "SCHEMA_PATH_PREFIX": r"/api/v1",
    "POSTPROCESSING_HOOKS": [
        "drf_spectacular.hooks.postprocess_schema_enums",
        "api.schema.version_required",
        "api.schema.error_responses",
        "api.schema.empty_query_values",
    ],
    # One schema name per choice set (several models have a `status` or a `kind`).
    "ENUM_NAME_OVERRIDES": {
        "AccountStatusEnum": "accounts.models.AccountStatus",
        "HealthBandEnum": "accounts.models.HealthBand",
        "InteractionKindEnum": "activities.models.InteractionKind",
        "WorkStatusEnum": "activities.models.CommitmentStatus",
        "QBRStatusEnum": "activities.models.QBRStatus",
        "PlanStatusEnum": "plans.models.PlanStatus",
        "NewPlanStatusEnum": [("draft", "Draft"), ("active", "Active")],
        "ObjectiveStatusEnum": "plans.models.ObjectiveStatus",
        "RiskStatusEnum": "plans.models.RiskStatus",
        "OpportunityKindEnum": "plans.models.OpportunityKind",
    },
}

# Production hardening, switched on behind a proxy that terminates TLS.
SECURE = env.bool("DJANGO_SECURE", default=False)
if SECURE:
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    SECURE_SSL_REDIRECT = env.bool("DJANGO_SECURE_SSL_REDIRECT", default=True)
    SECURE_HSTS_SECONDS = env.int("DJANGO_HSTS_SECONDS", default=31536000)
    SECURE_HSTS_INCLUDE_SUBDOMAINS = True
    SECURE_HSTS_PRELOAD = True
    SESSION_COOKIE_SECURE = True
    CSRF_COOKIE_SECURE = True
SECURE_CONTENT_TYPE_NOSNIFF = True
# Uploads: a form body (files aside) up to 2.5 MB, else 400; files above 2.5 MB spool to disk;
# the importer refuses files over 20 MB before reading them (dataio/forms.py); the proxy
# refuses any body over 25 MB (docs/deploy.md, client_max_body_size).
DATA_UPLOAD_MAX_MEMORY_SIZE = 2_621_440
FILE_UPLOAD_MAX_MEMORY_SIZE = 2_621_440
# Content-Security-Policy: scripts, styles, images and fonts from this site only; no inline
# script or style, no eval, no plugins, no framing. Data for charts travels in
# <script type="application/json"> blocks (json_script), which browsers never run.
SECURE_CSP = {
    "default-src": ["'self'"],
    "script-src": ["'self'"],
    "style-src": ["'self'"],
    "img-src": ["'self'", "data:"],
    "font-src": ["'self'"],
    "connect-src": ["'self'"],
    "object-src": ["'none'"],
    "base-uri": ["'self'"],
    "form-action": ["'self'"],
    "frame-ancestors": ["'none'"],
}
SESSION_COOKIE_HTTPONLY = True
X_FRAME_OPTIONS = "DENY"

# Login throttling (django-axes): after AXES_FAILURE_LIMIT wrong passwords for one email, that
# email cannot sign in for AXES_COOLOFF_MINUTES (the login page says so). Keyed on the email,
# not the address: behind a proxy every client shares one IP, and an attacker has many.
AXES_ENABLED = env.bool("AXES_ENABLED", default=True)
AXES_FAILURE_LIMIT = env.int("AXES_FAILURE_LIMIT", default=5)
AXES_COOLOFF_TIME = timedelta(minutes=env.int("AXES_COOLOFF_MINUTES", default=15))
AXES_LOCKOUT_PARAMETERS = ["username"]
AXES_USERNAME_FORM_FIELD = "username"  # the login form's email field (kam/forms.py)
AXES_USERNAME_CALLABLE = "kam.views.axes_username"
AXES_LOCKOUT_CALLABLE = "kam.views.login_locked_out"
AXES_RESET_ON_SUCCESS = True
AXES_VERBOSE = False
# axes.W006 asks for the IP address as a lockout key too. Deliberately not: axes has one failure
# limit for every key, so five typos behind one office NAT or proxy would lock the whole office
# out; and the warning's concern (rotating user agents or cookies) does not apply, as neither
# is a key here. Throttle by IP at the proxy instead (docs/deploy.md, nginx limit_req).
SILENCED_SYSTEM_CHECKS = ["axes.W006"]

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": env.str("LOG_LEVEL", default="INFO")},
    # django-axes logs every sign-in at INFO; lockouts (WARNING) are the ones worth reading.
    # The SMTP receiver (aiosmtpd) logs every command of every session at INFO: a tenth of
    # its CPU under a burst of mail; refusals and errors are WARNING and above.
    "loggers": {"axes": {"level": "WARNING"}, "mail.log": {"level": "WARNING"}},
}
