"""Settings, all from the environment (see README "Configuration")."""

from __future__ import annotations

import json
import os
from pathlib import Path

import dj_database_url


def env_bool(name: str, default: bool = False) -> bool:
    value = os.environ.get(name)
    if value is None:
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


def env_int(name: str, default: int) -> int:
    value = os.environ.get(name, "")
    return int(value) if value else default


def env_list(name: str, default: str = "") -> list[str]:
    return [item.strip() for item in os.environ.get(name, default).split(",") if item.strip()]


BASE_DIR = Path(__file__).resolve().parent
DATA_DIR = Path(os.environ.get("CLUSTERHUB_DATA_DIR", Path.cwd() / "var")).resolve()
DATA_DIR.mkdir(parents=True, exist_ok=True)

DEBUG = env_bool("DEBUG", False)


def _secret_key() -> str:
    """SECRET_KEY from the environment, else one generated once and kept in the data dir."""
    if key := os.environ.get("SECRET_KEY"):
        return key
    path = DATA_DIR / "secret_key"
    if not path.exists():
        import secrets

        path.write_text(secrets.token_urlsafe(50))
        path.chmod(0o600)
    return path.read_text().strip()


SECRET_KEY = _secret_key()
ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", "localhost,127.0.0.1,[::1],testserver")
CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS")

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "django_tasks",
    "django_tasks_db",
    "clusterhub.core",
    "clusterhub.support",
    "clusterhub.simulation",
    "clusterhub.matching",
    "clusterhub.equipment",
    "clusterhub.collab",
    "clusterhub.analytics",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
]

ROOT_URLCONF = "clusterhub.urls"
WSGI_APPLICATION = "clusterhub.wsgi.application"

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
                "clusterhub.core.context_processors.hub",
            ],
        },
    },
]

SQLITE_PATH = DATA_DIR / "clusterhub.sqlite3"
DATABASE_URL = os.environ.get("DATABASE_URL", "")
if DATABASE_URL:
    DATABASES = {"default": dj_database_url.parse(DATABASE_URL, conn_max_age=60)}
else:
    DATABASES = {
        "default": {
            "ENGINE": "django.db.backends.sqlite3",
            "NAME": str(SQLITE_PATH),
            "OPTIONS": {
                # WAL lets readers run beside one writer; IMMEDIATE makes a write transaction take
                # the write lock at BEGIN, so concurrent writers queue instead of failing mid-way.
                "transaction_mode": "IMMEDIATE",
                "timeout": 20,
                # Prepared statements kept per connection (Python's default: 128). An import's
                # lookups are statements with up to 2,000 parameters, each a different one; 128 of
                # them held ~50 MB more at 1M lines than at 100k (docs/benchmarks.md).
                "cached_statements": 16,
                "init_command": (
                    "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL; PRAGMA foreign_keys=ON;"
                ),
            },
        }
    }
DATABASE_IS_POSTGRES = DATABASES["default"]["ENGINE"].endswith("postgresql")

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
]
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "home"

LANGUAGE_CODE = "ko"
LANGUAGES = [("ko", "한국어"), ("en", "English")]
LOCALE_PATHS = [BASE_DIR / "locale"]
TIME_ZONE = "Asia/Seoul"
USE_I18N = True
USE_TZ = True

STATIC_URL = "/static/"
STATIC_ROOT = DATA_DIR / "static"
STATIC_ROOT.mkdir(exist_ok=True)  # WhiteNoise warns on every request when it is missing
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedStaticFilesStorage"},
}
WHITENOISE_USE_FINDERS = True  # serve app static files without collectstatic too
MEDIA_ROOT = DATA_DIR / "uploads"  # outside the web root; files are served by views after checks

EMAIL_BACKEND = os.environ.get("EMAIL_BACKEND", "django.core.mail.backends.console.EmailBackend")
DEFAULT_FROM_EMAIL = os.environ.get("DEFAULT_FROM_EMAIL", "ClusterHub <hub@localhost>")

TASKS = {
    "default": {
        "BACKEND": os.environ.get(
            "CLUSTERHUB_TASK_BACKEND", "django_tasks_db.DatabaseBackend"
        ),
    }
}

# Attachments: size limit and the content types accepted (checked by magic bytes, not by name).
# Analytics: the incentive scheme and the regional-typology method, as JSON files like
# analytics/reference/incentives.json and typology.json (default: those files).
CLUSTERHUB_INCENTIVE_SCHEME = os.environ.get("CLUSTERHUB_INCENTIVE_SCHEME", "")
CLUSTERHUB_TYPOLOGY = os.environ.get("CLUSTERHUB_TYPOLOGY", "")
# Largest simulation grid a user may ask for (cells); ~100 bytes a cell while it runs.
CLUSTERHUB_SIM_MAX_CELLS = env_int("CLUSTERHUB_SIM_MAX_CELLS", 2_000_000)
# A TrueType font with Korean glyphs for PDF reports (default: Debian fonts-nanum).
CLUSTERHUB_PDF_FONT = os.environ.get("CLUSTERHUB_PDF_FONT", "")
CLUSTERHUB_MAX_UPLOAD_BYTES = env_int("CLUSTERHUB_MAX_UPLOAD_BYTES", 10 * 1024 * 1024)
DATA_UPLOAD_MAX_MEMORY_SIZE = CLUSTERHUB_MAX_UPLOAD_BYTES + 1024 * 1024
# The SME rule (docs/architecture.md): a dotted path to a callable(organisation) -> bool.
CLUSTERHUB_SME_RULE = os.environ.get("CLUSTERHUB_SME_RULE", "clusterhub.core.sme.seed_sme_rule")
# Service levels of the support desk.
CLUSTERHUB_SLA_FIRST_CONTACT_WORKING_DAYS = env_int("CLUSTERHUB_SLA_FIRST_CONTACT_DAYS", 3)
CLUSTERHUB_SLA_PLAN_DAYS = env_int("CLUSTERHUB_SLA_PLAN_DAYS", 21)
# Extra public holidays (JSON like support/holidays_kr.json), e.g. temporary holidays.
CLUSTERHUB_HOLIDAYS_FILE = os.environ.get("CLUSTERHUB_HOLIDAYS_FILE", "")
CLUSTERHUB_FOLLOW_UP_MONTHS = [int(m) for m in env_list("CLUSTERHUB_FOLLOW_UP_MONTHS", "3,6,12")]

# Matching (clusterhub.matching, docs/benchmarks.md "Matching"): the weights of the ranking.
# Override any of them with CLUSTERHUB_MATCH_WEIGHTS='{"region": 0.4}' (JSON).
CLUSTERHUB_MATCH_WEIGHTS: dict[str, float] = {
    # Signals of the final score (each signal is 0..1; the score is their weighted mean).
    "text": 0.8,                # BM25 of the query's terms, relative to the kind's best document
    "fields": 1.0,              # taxonomy overlap of the suggested fields and the item's fields
    "region": 0.2,              # same region as the request
    "region_adjacent": 0.5,     # share of the region signal for a neighbouring region
    "similar_cases": 1.0,       # experts (and their organisations): solved the most similar cases
    "outcome": 0.15,            # experts: past outcomes (cases solved, satisfaction, speed)
    "load": 0.3,                # experts: open accepted assignments / capacity, subtracted
    "full": 0.3,                # experts at capacity: subtracted on top of "load"
    # Taxonomy similarity of two fields: same, one above the other, same root technology.
    "field_exact": 1.0, "field_path": 0.7, "field_sibling": 0.35,
    # The retrieval query: words from the concept table's expansions and field terms.
    "query_expansion": 0.5, "query_fields": 1.0, "query_field_parents": 0.5,
    # Past outcomes: parts of the signal and what counts as "many" cases and "quick".
    "outcome_volume": 0.5, "outcome_satisfaction": 0.3, "outcome_speed": 0.2,
    "outcome_volume_ref": 10, "outcome_speed_ref_days": 30,
    # One list across kinds: each kind's scores are multiplied by its weight.
    "kind_expert": 1.0, "kind_case": 0.9, "kind_organisation": 0.8, "kind_equipment": 0.8,
    # Candidates per kind scored in full; solved cases looked at for "similar cases".
    "candidates": 100, "similar_cases_k": 20,
    # Fields of the best `prf_cases` solved cases join the suggested fields at share
    # `prf_fields` when experts and organisations are ranked (feedback from the knowledge base).
    "prf_cases": 5, "prf_fields": 0.3,
    # Field suggestion: confidence = 1 - exp(-scale * evidence); fields under this share of the
    # best field's evidence are dropped.
    "confidence_scale": 1.2, "field_min_share": 0.15,
    # similar_open_requests: least similarity (0..1) for a shared-problem flag.
    "shared_problem_min": 0.35,
    # Changes since the last build above max(min, share * documents) queue a rebuild.
    "delta_rebuild_min": 2000, "delta_rebuild_share": 0.05,
    # Documents: how many times each part counts (BM25 field weights; changing them needs
    # `clusterhub match-index --rebuild`).
    "doc_expert_name": 1, "doc_expert_organisation": 1, "doc_expert_keywords": 3,
    "doc_expert_bio": 1, "doc_expert_fields": 2, "doc_expert_cases": 1,
    "doc_organisation_name": 2, "doc_organisation_keywords": 3, "doc_organisation_facilities": 1,
    "doc_organisation_fields": 2,
    "doc_case_title": 2, "doc_case_problem": 1, "doc_case_solution": 1, "doc_case_outcome": 1,
    "doc_case_fields": 2,
    "doc_request_title": 2, "doc_request_description": 1, "doc_request_fields": 2,
} | json.loads(os.environ.get("CLUSTERHUB_MATCH_WEIGHTS") or "{}")

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": os.environ.get("LOG_LEVEL", "WARNING")},
}

if not DEBUG:
    SESSION_COOKIE_HTTPONLY = True
    X_FRAME_OPTIONS = "DENY"
