"""Settings for Torqueflow, read from the environment (see the README's table).

Defaults need no server: SQLite and a filesystem Celery broker under var/.
DATABASE_URL and REDIS_URL switch to PostgreSQL and Redis.
"""

import datetime
import os
from pathlib import Path

import environ
from celery.schedules import crontab
from kombu import Queue

BASE_DIR = Path(__file__).resolve().parent.parent
VAR_DIR = BASE_DIR / "var"

env = environ.Env()
# Providers may answer a refresh with a different scope list than was asked for (scopes added
# to the app later); that is not an error for us.
os.environ.setdefault("OAUTHLIB_RELAX_TOKEN_SCOPE", "1")
environ.Env.read_env(BASE_DIR / ".env", overwrite=False)

# Off unless asked for: a server started with no settings is a production one. `make run`,
# `make test` and pytest ask for DEBUG and the sandbox explicitly.
DEBUG = env.bool("DEBUG", default=False)
SECRET_KEY = env.str(
    "SECRET_KEY", default="insecure-dev-key-change-me" if DEBUG else environ.Env.NOTSET
)
ALLOWED_HOSTS = env.list("ALLOWED_HOSTS", default=["localhost", "127.0.0.1", "[::1]"])
CSRF_TRUSTED_ORIGINS = env.list("CSRF_TRUSTED_ORIGINS", default=[])

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "django_htmx",
    "template_partials",
    "csp",
    "axes",
    "accounts",
    "invoicing",
    "crm",
    "scheduling",
    "notifications",
    "integrations",
    "ghl",
    "stripe_connect",
    "twilio_sms",
    "xero_sync",
    "webhooks_manager",
    "home",
    "sandbox",
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
    "csp.middleware.CSPMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    "accounts.middleware.CurrentOrganisationMiddleware",
    "torqueflow.middleware.OrganisationTimezoneMiddleware",
    "torqueflow.middleware.HtmxMessagesMiddleware",
    # Last, so its lockout page is what the other middleware see as the response.
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "torqueflow.urls"
WSGI_APPLICATION = "torqueflow.wsgi.application"

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
                "accounts.context_processors.membership",
                "crm.context_processors.unread_messages",
            ],
            # |money, |day and |moment: how every page writes amounts and dates.
            "builtins": ["torqueflow.templatetags.formatting"],
        },
    },
]

DATABASES = {
    "default": env.db("DATABASE_URL", default=f"sqlite:///{VAR_DIR / 'torqueflow.sqlite3'}"),
}
DATABASES["default"]["ATOMIC_REQUESTS"] = False
# Persistent connections (`?conn_max_age=60` on DATABASE_URL, as docker-compose.yml sets) are
# checked before each request reuses one.
DATABASES["default"]["CONN_HEALTH_CHECKS"] = True
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # WAL and a busy timeout let the web server, worker and beat share one file.
    DATABASES["default"].setdefault("OPTIONS", {}).update(
        {"timeout": 20, "init_command": "PRAGMA journal_mode=WAL;", "transaction_mode": "IMMEDIATE"}
    )
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

REDIS_URL = env.str("REDIS_URL", default="")
if REDIS_URL:
    CACHES = {
        "default": {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": REDIS_URL}
    }
else:
    CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.filebased.FileBasedCache",
            "LOCATION": str(VAR_DIR / "cache"),
        }
    }

# Tokens and secrets stored in the database are encrypted (Fernet) with keys derived from
# SECRET_KEY and these salts. The first is used to encrypt; the others still decrypt, so a new
# one can be put first and `manage.py rotate_encryption_keys` re-encrypts every row under it.
SALT_KEY = env.list("FIELD_ENCRYPTION_KEYS", default=["torqueflow-dev-salt"] if DEBUG else [])
if not SALT_KEY:
    raise environ.ImproperlyConfigured("Set FIELD_ENCRYPTION_KEYS")

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
]
AUTHENTICATION_BACKENDS = [
    # First: refuses a locked-out sign-in before any password is checked.
    "axes.backends.AxesStandaloneBackend",
    "accounts.backends.EmailBackend",
]
# Failed sign-ins (django-axes; the login page and the admin's). LOGIN_FAILURE_LIMIT failures
# within LOGIN_LOCKOUT_MINUTES for one email address, or from one client address, lock that
# email address or that client address (either one suffices) until the newest of them is
# LOGIN_LOCKOUT_MINUTES old. Attempts are kept in the database; an Owner can unlock a member
# in Settings -> Security.
AXES_HANDLER = "axes.handlers.database.AxesDatabaseHandler"
AXES_FAILURE_LIMIT = env.int("LOGIN_FAILURE_LIMIT", default=5)
AXES_COOLOFF_TIME = datetime.timedelta(minutes=env.int("LOGIN_LOCKOUT_MINUTES", default=15))
AXES_LOCKOUT_PARAMETERS = ["ip_address", "username"]  # two separate locks, not the pair
AXES_USERNAME_FORM_FIELD = "username"
AXES_USERNAME_CALLABLE = "accounts.lockout.login_username"  # stripped, lower case
# A sign-in clears only that account's failures from that address (accounts.receivers); axes'
# own reset would also clear every failure from the address, for any account.
AXES_RESET_ON_SUCCESS = False
# Attempts while locked out are refused without being counted, so the time shown holds.
AXES_RESET_COOL_OFF_ON_FAILURE_DURING_LOCKOUT = False
AXES_ENABLE_ACCESS_FAILURE_LOG = True
# Successful sign-ins are not kept (nothing reads them, and nothing would prune them).
AXES_DISABLE_ACCESS_LOG = True
AXES_LOCKOUT_CALLABLE = "accounts.lockout.lockout_response"
# The client address is REMOTE_ADDR; behind N reverse proxies that each append to
# X-Forwarded-For, set LOGIN_TRUSTED_PROXIES=N (read by accounts.lockout.client_ip_address;
# django-ipware is not installed).
AXES_CLIENT_IP_CALLABLE = "accounts.lockout.client_ip_address"
AXES_IPWARE_PROXY_COUNT = env.int("LOGIN_TRUSTED_PROXIES", default=0)
LOGIN_URL = "accounts:login"
# Off for a private installation: no "Sign up" link, and /signup/ says sign-up is closed.
SIGNUP_OPEN = env.bool("SIGNUP_OPEN", default=True)
# Password reset links (Django's) work for three days, like a verification link.
PASSWORD_RESET_TIMEOUT = 60 * 60 * 72
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "accounts:login"

LANGUAGE_CODE = "en-gb"
TIME_ZONE = "Europe/London"
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATIC_ROOT = VAR_DIR / "staticfiles"
STATICFILES_DIRS = [
    BASE_DIR / "static",
    # Third-party front-end libraries come from the npm registry (package.json).
    ("vendor/htmx", BASE_DIR / "node_modules" / "htmx.org" / "dist"),
]
# Uploaded files (contract PDFs). Never served at a public URL: each is read through a view
# that checks the organisation, so MEDIA_URL is left unset on purpose.
MEDIA_ROOT = env.str("MEDIA_ROOT", default=str(VAR_DIR / "media"))
# Contract PDFs larger than this are refused beside the upload field.
CONTRACT_PDF_MAX_BYTES = 10 * 1024 * 1024

STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"
        if DEBUG
        else "whitenoise.storage.CompressedManifestStaticFilesStorage"
    },
}

SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SECURE = env.bool("SECURE_COOKIES", default=not DEBUG)
CSRF_COOKIE_SECURE = SESSION_COOKIE_SECURE
X_FRAME_OPTIONS = "DENY"
SECURE_CONTENT_TYPE_NOSNIFF = True
# HTTPS. Behind a reverse proxy that terminates TLS, SECURE_PROXY_SSL_HEADER names the header
# it sets and the value that means https (e.g. HTTP_X_FORWARDED_PROTO,https), so that
# request.is_secure() and the OAuth redirect URIs built from it say https.
# docker-compose.yml sets the production values.
SECURE_SSL_REDIRECT = env.bool("SECURE_SSL_REDIRECT", default=False)
SECURE_HSTS_SECONDS = env.int("SECURE_HSTS_SECONDS", default=0)
SECURE_HSTS_INCLUDE_SUBDOMAINS = env.bool("SECURE_HSTS_INCLUDE_SUBDOMAINS", default=False)
SECURE_HSTS_PRELOAD = env.bool("SECURE_HSTS_PRELOAD", default=False)
_proxy_header = env.list("SECURE_PROXY_SSL_HEADER", default=[])
if _proxy_header and len(_proxy_header) != 2:
    raise environ.ImproperlyConfigured(
        "SECURE_PROXY_SSL_HEADER is a header and a value, e.g. HTTP_X_FORWARDED_PROTO,https"
    )
SECURE_PROXY_SSL_HEADER = tuple(_proxy_header) if _proxy_header else None

CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": ["'self'"],
        "script-src": ["'self'"],
        "style-src": ["'self'"],
        "img-src": ["'self'", "data:"],
        "form-action": ["'self'"],
        "frame-ancestors": ["'none'"],
    },
}

# Celery: Redis when REDIS_URL is set, otherwise kombu's filesystem transport under var/,
# which works across processes on one machine and needs no server.
if REDIS_URL:
    CELERY_BROKER_URL = REDIS_URL
    CELERY_BROKER_TRANSPORT_OPTIONS = {"visibility_timeout": 3600}
else:
    _broker_dir = VAR_DIR / "broker"
    CELERY_BROKER_URL = "filesystem://"
    CELERY_BROKER_TRANSPORT_OPTIONS = {
        "data_folder_in": str(_broker_dir / "out"),
        "data_folder_out": str(_broker_dir / "out"),
        "processed_folder": str(_broker_dir / "processed"),
        "control_folder": str(_broker_dir / "control"),
        "store_processed": False,
    }
# Webhook applies have a queue of their own, so a payment arriving during a bulk push never
# waits behind its messages: a worker takes from both queues in turn (or from one, with -Q).
CELERY_TASK_DEFAULT_QUEUE = "celery"
# Outbound webhooks too: an event reaches its endpoints without waiting behind a push.
CELERY_TASK_QUEUES = (Queue("celery"), Queue("webhooks"), Queue("outbound"))
CELERY_TASK_ROUTES = {
    "webhooks_manager.tasks.deliver_endpoint_task": {"queue": "outbound"},
    "integrations.tasks.dispatch_webhooks_task": {"queue": "webhooks"},
    "integrations.tasks.apply_webhook_task": {"queue": "webhooks"},
}
CELERY_TASK_ALWAYS_EAGER = env.bool("CELERY_TASK_ALWAYS_EAGER", default=False)
# Reconnects after a lost broker connection instead of stopping (celery_consumer.py).
CELERY_WORKER_CONSUMER = "torqueflow.celery_consumer:Consumer"
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_TASK_IGNORE_RESULT = True
CELERY_TIMEZONE = TIME_ZONE
CELERY_BEAT_SCHEDULE: dict = {
    "sweep-pending-sync-records": {
        "task": "integrations.tasks.sweep_pending_task",
        "schedule": 60.0,
    },
    "refresh-expiring-tokens": {
        "task": "integrations.tasks.refresh_expiring_tokens_task",
        "schedule": 300.0,
    },
    # Sent quotes past their expiry date become Expired (opening one checks it too).
    "expire-quotes": {
        "task": "crm.tasks.expire_quotes_task",
        "schedule": crontab(hour=0, minute=10),
    },
    # Each provider's own jobs are added from its declaration (torqueflow/celery.py).
}
WEBHOOK_MAX_BYTES = env.int("WEBHOOK_MAX_BYTES", default=256 * 1024)
CELERY_BEAT_SCHEDULE_FILENAME = str(VAR_DIR / "celerybeat-schedule")

# --- Xero ---------------------------------------------------------------------------------
# The Xero provider app (xero_sync). The URLs default to Xero's documented endpoints.
XERO_CLIENT_ID = env.str("XERO_CLIENT_ID", default="")
XERO_CLIENT_SECRET = env.str("XERO_CLIENT_SECRET", default="")
XERO_AUTHORIZE_URL = env.str(
    "XERO_AUTHORIZE_URL", default="https://login.xero.com/identity/connect/authorize"
)
XERO_TOKEN_URL = env.str("XERO_TOKEN_URL", default="https://identity.xero.com/connect/token")
XERO_CONNECTIONS_URL = env.str("XERO_CONNECTIONS_URL", default="https://api.xero.com/connections")
XERO_API_URL = env.str("XERO_API_URL", default="https://api.xero.com/api.xro/2.0")
# Where people open an invoice in Xero's web app (its deep links).
XERO_APP_URL = env.str("XERO_APP_URL", default="https://go.xero.com")
# Signs Xero's webhook deliveries (x-xero-signature); used by the inbound half.
XERO_WEBHOOK_KEY = env.str("XERO_WEBHOOK_KEY", default="")
# --- end Xero -----------------------------------------------------------------------------

# --- GoHighLevel --------------------------------------------------------------------------
# The GoHighLevel provider app (ghl). URLs and webhook keys default to GoHighLevel's
# documented values (API v2); a PEM may be given on one line with "\n" for its line breaks.
GHL_CLIENT_ID = env.str("GHL_CLIENT_ID", default="")
GHL_CLIENT_SECRET = env.str("GHL_CLIENT_SECRET", default="")
GHL_AUTHORIZE_URL = env.str(
    "GHL_AUTHORIZE_URL", default="https://marketplace.gohighlevel.com/v2/oauth/chooselocation"
)
GHL_TOKEN_URL = env.str("GHL_TOKEN_URL", default="https://services.leadconnectorhq.com/oauth/token")
GHL_API_URL = env.str("GHL_API_URL", default="https://services.leadconnectorhq.com")
# Ed25519 key for X-GHL-Signature (the current scheme).
GHL_WEBHOOK_PUBLIC_KEY = env.str(
    "GHL_WEBHOOK_PUBLIC_KEY",
    multiline=True,
    default=(
        "-----BEGIN PUBLIC KEY-----\n"
        "MCowBQYDK2VwAyEAi2HR1srL4o18O8BRa7gVJY7G7bupbN3H9AwJrHCDiOg=\n"
        "-----END PUBLIC KEY-----\n"
    ),
)
# RSA key for X-WH-Signature (the legacy scheme, while GoHighLevel still sends it).
GHL_WEBHOOK_LEGACY_PUBLIC_KEY = env.str(
    "GHL_WEBHOOK_LEGACY_PUBLIC_KEY",
    multiline=True,
    default=(
        "-----BEGIN PUBLIC KEY-----\n"
        "MIICIjANBgkqhkiG9w0BAQEFAAOCAg8AMIICCgKCAgEAokvo/r9tVgcfZ5DysOSC\n"
        "Frm602qYV0MaAiNnX9O8KxMbiyRKWeL9JpCpVpt4XHIcBOK4u3cLSqJGOLaPuXw6\n"
        "dO0t6Q/ZVdAV5Phz+ZtzPL16iCGeK9po6D6JHBpbi989mmzMryUnQJezlYJ3DVfB\n"
        "csedpinheNnyYeFXolrJvcsjDtfAeRx5ByHQmTnSdFUzuAnC9/GepgLT9SM4nCpv\n"
        "uxmZMxrJt5Rw+VUaQ9B8JSvbMPpez4peKaJPZHBbU3OdeCVx5klVXXZQGNHOs8gF\n"
        "3kvoV5rTnXV0IknLBXlcKKAQLZcY/Q9rG6Ifi9c+5vqlvHPCUJFT5XUGG5RKgOKU\n"
        "J062fRtN+rLYZUV+BjafxQauvC8wSWeYja63VSUruvmNj8xkx2zE/Juc+yjLjTXp\n"
        "IocmaiFeAO6fUtNjDeFVkhf5LNb59vECyrHD2SQIrhgXpO4Q3dVNA5rw576PwTzN\n"
        "h/AMfHKIjE4xQA1SZuYJmNnmVZLIZBlQAF9Ntd03rfadZ+yDiOXCCs9FkHibELhC\n"
        "HULgCsnuDJHcrGNd5/Ddm5hxGQ0ASitgHeMZ0kcIOwKDOzOU53lDza6/Y09T7sYJ\n"
        "PQe7z0cvj7aE4B+Ax1ZoZGPzpJlZtGXCsu9aTEGEnKzmsFqwcSsnw3JB31IGKAyk\n"
        "T1hhTiaCeIY/OwwwNUY2yvcCAwEAAQ==\n"
        "-----END PUBLIC KEY-----\n"
    ),
)
# --- end GoHighLevel ----------------------------------------------------------------------

# --- Stripe Connect -----------------------------------------------------------------------
# The platform's secret key per mode (a mode whose key is absent is not offered), the signing
# secrets of the account endpoint and of the Connect endpoint (both deliver to
# /webhooks/stripe/), and the API's base URL (the SDK adds /v1/...).
STRIPE_TEST_SECRET_KEY = env.str("STRIPE_TEST_SECRET_KEY", default="")
STRIPE_LIVE_SECRET_KEY = env.str("STRIPE_LIVE_SECRET_KEY", default="")
STRIPE_WEBHOOK_SECRET = env.str("STRIPE_WEBHOOK_SECRET", default="")
STRIPE_CONNECT_WEBHOOK_SECRET = env.str("STRIPE_CONNECT_WEBHOOK_SECRET", default="")
STRIPE_API_BASE = env.str("STRIPE_API_BASE", default="https://api.stripe.com")
# --- end Stripe Connect -------------------------------------------------------------------

# --- Twilio SMS ---------------------------------------------------------------------------
# Each organisation types its own Account SID and Auth Token (stored encrypted on its
# connection); the server only knows where Twilio is. The SDK's calls go to TWILIO_API_BASE
# (it adds /2010-04-01/...). Twilio signs a callback over the URL it called: behind a proxy
# that rewrites the host or scheme, TWILIO_PUBLIC_WEBHOOK_BASE is the public origin
# ("https://app.example.com") that the signature is checked against; empty means the
# request's own.
TWILIO_API_BASE = env.str("TWILIO_API_BASE", default="https://api.twilio.com")
TWILIO_PUBLIC_WEBHOOK_BASE = env.str("TWILIO_PUBLIC_WEBHOOK_BASE", default="")
# --- end Twilio SMS -----------------------------------------------------------------------

# --- Provider sandbox ---------------------------------------------------------------------
# Local emulators of the providers (sandbox/), for `make run` and the end-to-end tests; its
# URLs exist only when SANDBOX_ENABLED. Never enable it in production.
SANDBOX_ENABLED = env.bool("SANDBOX_ENABLED", default=False)
# Where Torqueflow's server-side clients reach the sandbox, and where it posts webhooks back.
SANDBOX_BASE_URL = env.str(
    "SANDBOX_BASE_URL", default=f"http://127.0.0.1:{env.int('PORT', default=8000)}"
)
SANDBOX_XERO_WEBHOOK_URL = env.str(
    "SANDBOX_XERO_WEBHOOK_URL", default=f"{SANDBOX_BASE_URL}/webhooks/xero/"
)
# The sandbox signs its Xero webhooks with XERO_WEBHOOK_KEY; with none set, both sides use this.
# A provider with real credentials never trusts a sandbox key, whatever the flags say: its
# webhooks are verified with its own key or not at all.
SANDBOX_XERO_WEBHOOK_KEY = "sandbox-xero-webhook-key-not-for-production"
if SANDBOX_ENABLED and not env.str("XERO_CLIENT_ID", default=""):
    # No Xero app configured: talk to the sandbox's emulated Xero instead. The consent page
    # is opened by the browser (a path on this site); the rest are server-to-server calls.
    XERO_WEBHOOK_KEY = XERO_WEBHOOK_KEY or SANDBOX_XERO_WEBHOOK_KEY
    from sandbox.xero.constants import CLIENT_ID as _SANDBOX_XERO_ID
    from sandbox.xero.constants import CLIENT_SECRET as _SANDBOX_XERO_SECRET

    XERO_CLIENT_ID, XERO_CLIENT_SECRET = _SANDBOX_XERO_ID, _SANDBOX_XERO_SECRET
    XERO_AUTHORIZE_URL = "/sandbox/xero/identity/connect/authorize"
    XERO_TOKEN_URL = f"{SANDBOX_BASE_URL}/sandbox/xero/identity/connect/token"
    XERO_CONNECTIONS_URL = f"{SANDBOX_BASE_URL}/sandbox/xero/connections"
    XERO_API_URL = f"{SANDBOX_BASE_URL}/sandbox/xero/api.xro/2.0"
    XERO_APP_URL = "/sandbox/xero/app"
if SANDBOX_ENABLED and not env.str("GHL_CLIENT_ID", default=""):
    # No GoHighLevel app configured: talk to the sandbox's emulated GoHighLevel instead.
    from sandbox.ghl.constants import CLIENT_ID as _SANDBOX_GHL_ID
    from sandbox.ghl.constants import CLIENT_SECRET as _SANDBOX_GHL_SECRET

    GHL_CLIENT_ID, GHL_CLIENT_SECRET = _SANDBOX_GHL_ID, _SANDBOX_GHL_SECRET
    GHL_AUTHORIZE_URL = "/sandbox/ghl/oauth/chooselocation"
    GHL_TOKEN_URL = f"{SANDBOX_BASE_URL}/sandbox/ghl/oauth/token"
    GHL_API_URL = f"{SANDBOX_BASE_URL}/sandbox/ghl/api"
SANDBOX_GHL_WEBHOOK_URL = env.str(
    "SANDBOX_GHL_WEBHOOK_URL", default=f"{SANDBOX_BASE_URL}/webhooks/ghl/"
)
# With no Stripe keys set, the sandbox's emulated Stripe stands in: test mode only, with
# these keys and signing secrets on both sides. Real keys never meet a sandbox secret.
SANDBOX_STRIPE_TEST_SECRET_KEY = "sk_test_sandbox_torqueflow_not_for_production"
SANDBOX_STRIPE_WEBHOOK_SECRET = "whsec_sandbox_account_not_for_production"
SANDBOX_STRIPE_CONNECT_WEBHOOK_SECRET = "whsec_sandbox_connect_not_for_production"
SANDBOX_STRIPE_WEBHOOK_URL = env.str(
    "SANDBOX_STRIPE_WEBHOOK_URL", default=f"{SANDBOX_BASE_URL}/webhooks/stripe/"
)
if (
    SANDBOX_ENABLED
    and not env.str("STRIPE_TEST_SECRET_KEY", default="")
    and not env.str("STRIPE_LIVE_SECRET_KEY", default="")
):
    STRIPE_TEST_SECRET_KEY = SANDBOX_STRIPE_TEST_SECRET_KEY
    STRIPE_WEBHOOK_SECRET = SANDBOX_STRIPE_WEBHOOK_SECRET
    STRIPE_CONNECT_WEBHOOK_SECRET = SANDBOX_STRIPE_CONNECT_WEBHOOK_SECRET
    STRIPE_API_BASE = f"{SANDBOX_BASE_URL}/sandbox/stripe"
# The emulated Twilio: where it posts customers' replies, and the default of its
# "Undelivered rate" knob (the share of its messages that end undelivered, error 30003).
SANDBOX_TWILIO_WEBHOOK_URL = env.str(
    "SANDBOX_TWILIO_WEBHOOK_URL", default=f"{SANDBOX_BASE_URL}/webhooks/twilio/"
)
SANDBOX_TWILIO_FAILURE_RATE = env.float("SANDBOX_TWILIO_FAILURE_RATE", default=0.0)
if SANDBOX_ENABLED and "TWILIO_API_BASE" not in os.environ:
    # No Twilio configured: the sandbox's emulated Twilio answers the SDK's calls.
    TWILIO_API_BASE = f"{SANDBOX_BASE_URL}/sandbox/twilio"
if (
    SANDBOX_ENABLED
    and not env.str("GHL_CLIENT_ID", default="")
    and "GHL_WEBHOOK_PUBLIC_KEY" not in os.environ
):
    # The sandbox signs its GoHighLevel webhooks with its own Ed25519 key (not for
    # production); with no app and no key set in the environment, Torqueflow verifies with
    # its public half.
    from sandbox.ghl.constants import WEBHOOK_PUBLIC_KEY_PEM as _SANDBOX_GHL_KEY

    GHL_WEBHOOK_PUBLIC_KEY = _SANDBOX_GHL_KEY
if SANDBOX_ENABLED and SANDBOX_BASE_URL.startswith("http://"):
    # oauthlib refuses plain-http OAuth endpoints unless told otherwise; the local sandbox is http.
    os.environ.setdefault("OAUTHLIB_INSECURE_TRANSPORT", "1")
# Outbound webhooks may go to this machine and the private network only for the demo and the
# tests (the sandbox's request bin); never in production.
WEBHOOKS_ALLOW_PRIVATE = env.bool("WEBHOOKS_ALLOW_PRIVATE", default=SANDBOX_ENABLED and DEBUG)
# Outbound webhooks go over https only, unless DEBUG is on.
WEBHOOKS_REQUIRE_HTTPS = not DEBUG
# --- end Provider sandbox -----------------------------------------------------------------

# --- Email --------------------------------------------------------------------------------
# EMAIL_URL (e.g. smtp+tls://user:pass@smtp.example.com:587) sends real mail. Without it, the
# sandbox (when on) only records each message for its outbox; otherwise mail goes to the console.
_EMAIL_URL = env.str("EMAIL_URL", default="")
if _EMAIL_URL:
    globals().update(environ.Env.email_url_config(_EMAIL_URL))
elif SANDBOX_ENABLED:
    EMAIL_BACKEND = "notifications.backends.RecordOnlyBackend"
else:
    EMAIL_BACKEND = "django.core.mail.backends.console.EmailBackend"
DEFAULT_FROM_EMAIL = env.str(
    "DEFAULT_FROM_EMAIL", default="Torqueflow <no-reply@torqueflow.localhost>"
)
# --- end Email ----------------------------------------------------------------------------

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"}},
    "filters": {"redact_secrets": {"()": "torqueflow.log_filters.RedactSecretParams"}},
    "handlers": {
        "console": {
            "class": "logging.StreamHandler",
            "formatter": "plain",
            "filters": ["redact_secrets"],
        }
    },
    "root": {"handlers": ["console"], "level": env.str("LOG_LEVEL", default="INFO")},
    "loggers": {
        "django.db.backends": {"level": "WARNING"},
        # Lockouts are logged by accounts.security; axes' own start-up line is noise.
        "axes": {"level": "WARNING"},
        # The development server's request lines (OAuth callbacks carry a code and a state).
        "django.server": {
            "handlers": ["console"],
            "filters": ["redact_secrets"],
            "level": "INFO",
            "propagate": False,
        },
    },
}

for _folder in ("broker/out", "broker/processed", "broker/control", "cache", "staticfiles"):
    (VAR_DIR / _folder).mkdir(parents=True, exist_ok=True)
# Created here so that the image holds it, owned by the app's user (docker-compose mounts a
# volume over it).
Path(MEDIA_ROOT).mkdir(parents=True, exist_ok=True)
