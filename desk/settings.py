"""Django settings for Unidesk. Every value comes from the environment with a safe default."""

import os
from pathlib import Path

import dj_database_url
from django.utils.translation import gettext_lazy as _

from desk.kernel.env import env_bool, env_int, env_list, env_rate, env_str, secret_key

BASE_DIR = Path(__file__).resolve().parent.parent
VAR_DIR = Path(env_str("UNIDESK_VAR_DIR", str(BASE_DIR / "var")))

SECRET_KEY = secret_key(VAR_DIR / "secret_key")
DEBUG = env_bool("DEBUG", False)
ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", ["localhost", "127.0.0.1", "[::1]"])
CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS", [])

INSTALLED_APPS = [
    "daphne",
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "channels",
    "rest_framework",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "axes",
    "desk.apps.DeskConfig",
    "routing.apps.RoutingConfig",
    "chat.apps.ChatConfig",
    "tickets.apps.TicketsConfig",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "desk.kernel.body_limits.body_limit_middleware",  # before anything reads a body
    "desk.kernel.content_policy.ContentSecurityPolicyMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "axes.middleware.AxesMiddleware",  # last: turns a lockout into the 429 page
]

ROOT_URLCONF = "desk.urls"
ASGI_APPLICATION = "desk.asgi.application"
WSGI_APPLICATION = None

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
            ],
        },
    },
]

# Database: PostgreSQL through DATABASE_URL, a SQLite file otherwise.
DATABASES = {
    "default": dj_database_url.parse(
        env_str("DATABASE_URL", f"sqlite:///{VAR_DIR / 'unidesk.sqlite3'}"),
        conn_max_age=env_int("DB_CONN_MAX_AGE", 0),
    )
}
# PostgreSQL: a pool of connections per process (psycopg_pool, Django's "pool" option), at most
# DB_POOL_MAX_SIZE. Under ASGI each concurrent HTTP request runs on a thread of its own, so
# persistent connections (CONN_MAX_AGE) pile up, one per request thread, until PostgreSQL refuses
# new clients (bench/webhook_burst.py: 305 of 1,000 webhooks answered 500). A pooled connection
# goes back to the pool when the request or task ends; the pool needs CONN_MAX_AGE 0.
DB_POOL_MAX_SIZE = env_int("DB_POOL_MAX_SIZE", 16)
if DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql" and DB_POOL_MAX_SIZE > 0:
    DATABASES["default"]["CONN_MAX_AGE"] = 0
    DATABASES["default"].setdefault("OPTIONS", {})["pool"] = {
        "min_size": 1,
        "max_size": DB_POOL_MAX_SIZE,
        "timeout": env_int("DB_POOL_TIMEOUT", 10),  # seconds a request waits for a connection
    }
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    DATABASES["default"].setdefault("OPTIONS", {}).update(
        {"timeout": 20, "transaction_mode": "IMMEDIATE", "init_command": "PRAGMA journal_mode=WAL;"}
    )
    # Tests use a file, not memory, so a real daphne subprocess can share the test database.
    # The process id keeps concurrent test runs in one checkout apart; Django deletes the file.
    DATABASES["default"]["TEST"] = {"NAME": str(VAR_DIR / f"test-unidesk-{os.getpid()}.sqlite3")}
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"
FORMS_URLFIELD_ASSUME_HTTPS = True  # Django 6's default, opted into now

# Redis: channel layer, Celery broker, cache. `manage.py up` and `manage.py test` start an
# embedded Redis and set REDIS_URL when it is not given.
REDIS_URL = env_str("REDIS_URL", "redis://127.0.0.1:6379/0")
REDIS_PREFIX = env_str("REDIS_PREFIX", "unidesk")

CHANNEL_LAYERS = {
    "default": {
        "BACKEND": "channels_redis.pubsub.RedisPubSubChannelLayer",
        "CONFIG": {"hosts": [REDIS_URL], "prefix": f"{REDIS_PREFIX}:ws"},
    }
}
CACHES = {
    "default": {
        "BACKEND": "django.core.cache.backends.redis.RedisCache",
        "LOCATION": REDIS_URL,
        "KEY_PREFIX": f"{REDIS_PREFIX}:cache",
    }
}

CELERY_BROKER_URL = REDIS_URL
CELERY_RESULT_BACKEND = None
CELERY_TASK_IGNORE_RESULT = True
# Celery's Django fix-up closes the database connection after every task unless this is set;
# with it, a worker keeps its connection (DB_CONN_MAX_AGE applies) for up to 2x this many tasks.
CELERY_DB_REUSE_MAX = env_int("CELERY_DB_REUSE_MAX", 1000)
CELERY_BROKER_TRANSPORT_OPTIONS = {"global_keyprefix": f"{REDIS_PREFIX}:celery:"}
CELERY_TASK_ALWAYS_EAGER = env_bool("CELERY_TASK_ALWAYS_EAGER", False)
CELERY_TIMEZONE = "UTC"
# Routing's timers (issue 12): how often expired offers move on and overflows are looked for.
OFFER_SWEEP_SECONDS = env_int("OFFER_SWEEP_SECONDS", 3)
OVERFLOW_SWEEP_SECONDS = env_int("OVERFLOW_SWEEP_SECONDS", 10)

CELERY_BEAT_SCHEDULE = {
    "presence-sweep": {
        "task": "routing.tasks.presence_sweep",
        "schedule": float(env_int("PRESENCE_SWEEP_SECONDS", 15)),
    },
    "queue-sweep": {
        "task": "chat.tasks.queue_sweep",
        "schedule": float(env_int("QUEUE_SWEEP_SECONDS", 10)),
    },
    # offer mode: offers nobody answered in time move on (chat/assignment/offers.py)
    "offer-sweep": {
        "task": "chat.tasks.offer_sweep",
        "schedule": float(OFFER_SWEEP_SECONDS),
    },
    # overflow: long-waiting chats widen to their team's fallback team (chat/assignment/overflow.py)
    "overflow-sweep": {
        "task": "chat.tasks.overflow_sweep",
        "schedule": float(OVERFLOW_SWEEP_SECONDS),
    },
    "waiting-conversations-sweep": {
        "task": "tickets.tasks.waiting_conversations_sweep",
        "schedule": 60.0,
    },
    "unsent-uploads-sweep": {"task": "chat.tasks.unsent_uploads_sweep", "schedule": 600.0},
    "sla-sweep": {
        "task": "tickets.tasks.sla_sweep",
        "schedule": float(env_int("SLA_SWEEP_SECONDS", 1)),
    },
    "automation-sweep": {
        "task": "tickets.tasks.automation_sweep",
        "schedule": float(env_int("AUTOMATION_SWEEP_SECONDS", 30)),
    },
    "domain-events-sweep": {
        "task": "desk.kernel.tasks.domain_events_sweep",
        "schedule": float(env_int("DOMAIN_EVENT_SWEEP_SECONDS", 5)),
    },
    # self-service: whether each article view was followed by a chat (desk/kb/deflection.py)
    "kb-views-settle": {"task": "desk.kb.tasks.kb_views_settle", "schedule": 60.0},
    # messaging channels: raw events not yet processed, sends due again (chat/channels)
    "channel-events-sweep": {
        "task": "chat.channels.tasks.channel_sweep",
        "schedule": float(env_int("CHANNEL_EVENT_SWEEP_SECONDS", 15)),
    },
    "domain-events-prune": {
        "task": "desk.kernel.tasks.domain_events_prune",
        "schedule": 24 * 3600.0,
    },
}
# Domain events (desk/kernel/domain_events): the handler registry, and how the outbox is worked.
DOMAIN_EVENT_HANDLERS = env_str("DOMAIN_EVENT_HANDLERS", "desk.event_handlers.HANDLERS")
# The sweep leaves a new event to the immediate dispatch for this long.
DOMAIN_EVENT_SWEEP_AFTER_SECONDS = env_int("DOMAIN_EVENT_SWEEP_AFTER_SECONDS", 10)
# A sweep that took an event has it to itself for this long (then another may take it again).
DOMAIN_EVENT_LEASE_SECONDS = env_int("DOMAIN_EVENT_LEASE_SECONDS", 60)
# A failed handler is retried after this many seconds, doubling each time up to the maximum …
DOMAIN_EVENT_RETRY_SECONDS = env_int("DOMAIN_EVENT_RETRY_SECONDS", 10)
DOMAIN_EVENT_RETRY_MAX_SECONDS = env_int("DOMAIN_EVENT_RETRY_MAX_SECONDS", 3600)
# … for this many failed rounds; then the event stays failed (admin: Domain events, failed).
DOMAIN_EVENT_MAX_ATTEMPTS = env_int("DOMAIN_EVENT_MAX_ATTEMPTS", 10)
# After commit a drain task is queued only if none is queued already: this Redis key says one is
# (it expires after the sweep's head start, should the queued task be lost).
DOMAIN_EVENT_WAKE_KEY = f"{REDIS_PREFIX}:domain-events:wake"
# A drain takes this many new events per claim and claims until none is left.
DOMAIN_EVENT_DRAIN_BATCH = env_int("DOMAIN_EVENT_DRAIN_BATCH", 100)
# Handled events are deleted after this many days.
DOMAIN_EVENT_KEEP_DAYS = env_int("DOMAIN_EVENT_KEEP_DAYS", 7)
# Uploads never put into a message are deleted (files too) after this many hours.
UNSENT_UPLOAD_MAX_AGE_HOURS = env_int("UNSENT_UPLOAD_MAX_AGE_HOURS", 24)
# An attachment URL works for this long after it was handed out (history and sync hand out
# fresh ones); then the download answers 410.
ATTACHMENT_URL_MAX_AGE_SECONDS = env_int("ATTACHMENT_URL_MAX_AGE_SECONDS", 24 * 3600)
# A conversation no agent has answered for this long becomes a ticket (0 turns it off).
TICKET_AFTER_WAITING_MINUTES = env_int("TICKET_AFTER_WAITING_MINUTES", 30)
# The mobile app channel's webhook (docs/channels.md): the app backend signs its requests with
# this shared secret; empty turns the endpoint off (503 `channel_disabled`).
APP_CHANNEL_SECRET = env_str("APP_CHANNEL_SECRET", "")
# Outbound HTTP (desk/kernel/http.py, house rule 9): timeouts in seconds, the largest answer read,
# retries of network errors, 5xx and 429, and the hosts/addresses/networks that may be private
# (refused otherwise): `127.0.0.1,localhost` for a Bot API stand-in in tests or self-hosting.
OUTBOUND_CONNECT_TIMEOUT = float(env_int("OUTBOUND_CONNECT_TIMEOUT", 5))
OUTBOUND_READ_TIMEOUT = float(env_int("OUTBOUND_READ_TIMEOUT", 20))
OUTBOUND_MAX_BYTES = env_int("OUTBOUND_MAX_BYTES", 5 * 1024 * 1024)
OUTBOUND_RETRIES = env_int("OUTBOUND_RETRIES", 3)
OUTBOUND_BACKOFF_SECONDS = 0.5
OUTBOUND_BACKOFF_MAX_SECONDS = 8.0
OUTBOUND_RETRY_AFTER_MAX = float(env_int("OUTBOUND_RETRY_AFTER_MAX", 10))
OUTBOUND_ALLOWLIST = env_list("OUTBOUND_ALLOWLIST", [])
# Messaging channels (docs/channels.md): channel accounts' tokens and secrets are encrypted with
# this Fernet key (comma-separated: the first encrypts, all decrypt); empty: derived from
# SECRET_KEY. The Telegram Bot API's base URL (a stand-in server in tests).
CHANNEL_SECRETS_KEY = env_str("CHANNEL_SECRETS_KEY", "")
# This server's public address (https://desk.example.com) for the webhook URLs the admin shows
# and registers with providers; empty: the admin request's own scheme and host.
PUBLIC_BASE_URL = env_str("PUBLIC_BASE_URL", "")
TELEGRAM_API_BASE = env_str("TELEGRAM_API_BASE", "https://api.telegram.org")
# WeChat Official Account API, and whether its plaintext mode (unsigned bodies) is accepted:
# only in development unless said otherwise; production accounts use safe mode (AES).
WECHAT_API_BASE = env_str("WECHAT_API_BASE", "https://api.weixin.qq.com")
WECHAT_PLAINTEXT_ALLOWED = env_bool("WECHAT_PLAINTEXT_ALLOWED", DEBUG)
# WhatsApp Cloud API (Meta's Graph API, with its version).
WHATSAPP_API_BASE = env_str("WHATSAPP_API_BASE", "https://graph.facebook.com/v21.0")
# Raw inbound events not processed (a crashed worker, a failed parse) are tried again by a beat
# sweep, every CHANNEL_EVENT_SWEEP_SECONDS, with a backoff doubling per attempt up to an hour.
CHANNEL_EVENT_SWEEP_SECONDS = env_int("CHANNEL_EVENT_SWEEP_SECONDS", 15)
CHANNEL_EVENT_MAX_ATTEMPTS = env_int("CHANNEL_EVENT_MAX_ATTEMPTS", 12)

# Optional language model for summaries and reply drafts (tickets/assist/llm.py): the base URL of
# an OpenAI-compatible API (`{base}/chat/completions`); empty turns it off and the offline
# extractive summary is used. The key is sent only to that URL, never logged or shown.
ASSIST_LLM_URL = env_str("ASSIST_LLM_URL", "").rstrip("/")
ASSIST_LLM_API_KEY = env_str("ASSIST_LLM_API_KEY", "")
ASSIST_LLM_MODEL = env_str("ASSIST_LLM_MODEL", "gpt-4o-mini")
ASSIST_LLM_TIMEOUT_SECONDS = env_int("ASSIST_LLM_TIMEOUT_SECONDS", 20)
ASSIST_LLM_MAX_TOKENS = env_int("ASSIST_LLM_MAX_TOKENS", 400)
# Outbound sends to a channel: failed rounds retried with backoff, then the message is failed.
CHANNEL_SEND_MAX_ATTEMPTS = env_int("CHANNEL_SEND_MAX_ATTEMPTS", 5)

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "desk:workspace"
LOGOUT_REDIRECT_URL = "login"

# Login failures (django-axes, on /accounts/login/ and /admin/login/): after LOGIN_FAILURE_LIMIT
# failures a username, and independently an IP address, is locked out for LOGIN_COOLOFF_MINUTES
# (counted again from each further failure). Counters live in the Redis cache: no database write
# per attempt, and every process sees them. Unlock: `manage.py axes_reset_username NAME`.
AUTHENTICATION_BACKENDS = [
    "desk.kernel.login_lockout.LoginLockoutBackend",
    "django.contrib.auth.backends.ModelBackend",
]
AXES_HANDLER = "axes.handlers.cache.AxesCacheHandler"
AXES_FAILURE_LIMIT = env_int("LOGIN_FAILURE_LIMIT", 20)
AXES_COOLOFF_TIME = env_int("LOGIN_COOLOFF_MINUTES", 15) / 60  # hours
AXES_LOCKOUT_PARAMETERS = ["username", "ip_address"]
AXES_LOCKOUT_CALLABLE = "desk.kernel.login_lockout.locked_out_response"
AXES_ENABLE_ADMIN = False  # its admin lists database records; the cache handler writes none
AXES_VERBOSE = False

# Languages: Simplified Chinese and English on every screen.
LANGUAGE_CODE = env_str("LANGUAGE_CODE", "zh-hans")
LANGUAGES = [("zh-hans", _("Simplified Chinese")), ("en", _("English"))]
LOCALE_PATHS = [BASE_DIR / "locale"]
TIME_ZONE = env_str("TIME_ZONE", "Asia/Shanghai")
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATIC_ROOT = VAR_DIR / "static"
STATICFILES_DIRS = [BASE_DIR / "static"]
WHITENOISE_USE_FINDERS = env_bool("WHITENOISE_USE_FINDERS", True)
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    # collectstatic writes .gz copies next to each file; WhiteNoise serves them when accepted.
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedStaticFilesStorage"},
}
MEDIA_URL = "media/"
MEDIA_ROOT = Path(env_str("MEDIA_ROOT", str(VAR_DIR / "media")))
# Request bodies (desk/kernel/body_limits.py): the server refuses a larger one with 413 before
# reading it;
# the upload endpoints allow the largest attachment instead. Uploads over 1 MB go to a temp file.
REQUEST_BODY_MAX_BYTES = env_int("REQUEST_BODY_MAX_BYTES", 1024 * 1024)
DATA_UPLOAD_MAX_MEMORY_SIZE = REQUEST_BODY_MAX_BYTES
FILE_UPLOAD_MAX_MEMORY_SIZE = 1024 * 1024

# Security: strict when DEBUG is off and HTTPS is declared.
SECURE_HTTPS = env_bool("SECURE_HTTPS", False)
SECURE_SSL_REDIRECT = SECURE_HTTPS
SESSION_COOKIE_SECURE = SECURE_HTTPS
CSRF_COOKIE_SECURE = SECURE_HTTPS
SECURE_HSTS_SECONDS = env_int("SECURE_HSTS_SECONDS", 31536000 if SECURE_HTTPS else 0)
SECURE_HSTS_INCLUDE_SUBDOMAINS = SECURE_HTTPS
SECURE_HSTS_PRELOAD = SECURE_HTTPS
SECURE_PROXY_SSL_HEADER = (
    ("HTTP_X_FORWARDED_PROTO", "https") if env_bool("BEHIND_PROXY", False) else None
)
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"
# Content-Security-Policy of every page (desk/kernel/content_policy.py) but those with their own
# policy
# (the widget frame, attachment downloads) and the excluded prefixes. No inline script or style.
CONTENT_SECURITY_POLICY = {
    "EXCLUDE_URL_PREFIXES": ["/demo/", "/api/docs/", "/api/redoc/"],
    "DIRECTIVES": {
        "default-src": ["'self'"],
        "script-src": ["'self'"],
        "style-src": ["'self'"],
        "img-src": ["'self'", "data:", "blob:", "https:"],  # customers' avatars are anywhere
        "media-src": ["'self'", "blob:"],
        "connect-src": ["'self'"],  # plus ws:/wss: of the request's host
        "object-src": ["'none'"],
        "base-uri": ["'self'"],
        "form-action": ["'self'"],
        "frame-ancestors": ["'none'"],
    },
}
SESSION_COOKIE_HTTPONLY = True

REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": ["rest_framework.authentication.SessionAuthentication"],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "EXCEPTION_HANDLER": "desk.kernel.api_errors.exception_handler",
    "DEFAULT_RENDERER_CLASSES": ["rest_framework.renderers.JSONRenderer"],
    # Bad or too deeply nested JSON is a 400 `invalid_json`, never a 500
    # (desk/kernel/json_input.py).
    "DEFAULT_PARSER_CLASSES": [
        "desk.kernel.json_input.JsonParser",
        "rest_framework.parsers.FormParser",
        "rest_framework.parsers.MultiPartParser",
    ],
}
SPECTACULAR_SETTINGS = {
    "TITLE": "Unidesk API",
    "DESCRIPTION": "Tickets, conversations and agents of Unidesk.",
    "VERSION": "0.1.0",
    "SERVE_INCLUDE_SCHEMA": False,
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    # `<id:pk>` path parameters (desk/kernel/ids.py): whole numbers 1 … BIGINT max.
    "PATH_CONVERTER_OVERRIDES": {"id": {"type": "integer", "minimum": 1, "maximum": 2**63 - 1}},
    "ENUM_NAME_OVERRIDES": {
        # Several choice sets share a field name (`status`, `kind`): each keeps a stable name.
        "StatusEnum": "chat.models.ConversationStatus.choices",
        "KindEnum": "chat.models.IdentityKind.choices",
        "TicketStatusEnum": "tickets.models.TicketStatus.choices",
        "TicketEventKindEnum": "tickets.models.TicketEventKind.choices",
        "ArticleStatusEnum": "desk.models.ArticleStatus.choices",
    },
}

# Presence: an agent whose workspace has not been heard from for this long (the sockets ping
# every 25 s) goes offline at the next sweep (every PRESENCE_SWEEP_SECONDS), and their open
# conversations are routed again.
PRESENCE_STALE_SECONDS = env_int("PRESENCE_STALE_SECONDS", 75)
# How long one process may keep its answer to "is an agent online for this team?" (asked on
# every widget session and first message; routing/selectors.py). 0: ask every time.
ONLINE_CACHE_SECONDS = env_int("ONLINE_CACHE_SECONDS", 5)
# The waiting queue's wait estimate: seconds one chat takes an agent, when the team has no
# closed chats to measure it from (chat/assignment/selectors.py).
QUEUE_DEFAULT_CHAT_SECONDS = env_int("QUEUE_DEFAULT_CHAT_SECONDS", 300)
# Threads per server process that run socket database work (1 on SQLite); see desk/kernel/db.py.
SOCKET_DB_THREADS = env_int("SOCKET_DB_THREADS", 4)

# Rate limits shared by every process through Redis (desk/kernel/ratelimit.py, docs/deployment.md):
# `count/seconds` from the environment, a count of 0 turns one off. Socket caps: open sockets.
RATE_LIMIT_PREFIX = f"{REDIS_PREFIX}:rl"
RATE_LIMITS = {
    "visitor_new.ip": env_rate("RATE_NEW_VISITORS_PER_IP", "30/600"),
    "visitor_new.site": env_rate("RATE_NEW_VISITORS_PER_SITE", "600/60"),
    "conversation_new.ip": env_rate("RATE_NEW_CONVERSATIONS_PER_IP", "20/600"),
    "conversation_new.site": env_rate("RATE_NEW_CONVERSATIONS_PER_SITE", "300/60"),
    "message.visitor": env_rate("RATE_VISITOR_MESSAGES", "10/5"),
    "message.agent": env_rate("RATE_AGENT_MESSAGES", "20/10"),
    "upload.visitor": env_rate("RATE_VISITOR_UPLOADS", "20/60"),
    "upload.agent": env_rate("RATE_AGENT_UPLOADS", "60/60"),
    # the widget's help: searches, articles opened and votes (desk/kb/widget_api.py)
    "kb.visitor": env_rate("RATE_VISITOR_KB", "30/60"),
    "channel_webhook.ip": env_rate("RATE_CHANNEL_WEBHOOKS_PER_IP", "3000/60"),
    # reply drafts from the language model, per agent (tickets/assist/api.py)
    "assist_draft.agent": env_rate("RATE_AGENT_REPLY_DRAFTS", "10/60"),
}
SOCKET_CAPS = {
    "visitor": env_int("SOCKETS_PER_VISITOR", 10),
    "agent": env_int("SOCKETS_PER_AGENT", 20),
}

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": env_str("LOG_LEVEL", "INFO")},
}
