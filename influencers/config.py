"""Configuration from environment variables, with safe defaults.

The server, the CLI, background workers and benchmarks all read the same
variables through :func:`load_settings`, so they agree on the database.
"""
from __future__ import annotations

import os
import secrets
from dataclasses import dataclass, field
from pathlib import Path

DEFAULT_DATABASE_URL = "sqlite:///instance/influencers.db"


def _int(name: str, default: int) -> int:
    raw = os.environ.get(name)
    return int(raw) if raw not in (None, "") else default


def _float(name: str, default: float) -> float:
    raw = os.environ.get(name)
    return float(raw) if raw not in (None, "") else default


def _bool(name: str, default: bool) -> bool:
    raw = os.environ.get(name, "").strip().lower()
    return default if raw == "" else raw in ("1", "true", "yes", "on")


DEFAULT_SCORING_WORKER_MIN_CREATORS = 5000


def scoring_worker_min_creators() -> int | None:
    """``INFLUENCERS_SCORING_WORKER_MIN_CREATORS``: scoring runs over at least this many
    creators compute their audience pass in a worker process (a second core) while they
    read and score the rest; ``off`` keeps every run in one process. Default 5,000: below
    that a run takes a second or two, and starting the process would cost more than it saves."""
    raw = os.environ.get("INFLUENCERS_SCORING_WORKER_MIN_CREATORS", "").strip()
    if raw.lower() in ("off", "none", "never", "false"):
        return None
    return int(raw) if raw else DEFAULT_SCORING_WORKER_MIN_CREATORS


DEFAULT_SCORING_CHUNK_SIZE = 20_000


def scoring_chunk_size() -> int | None:
    """``INFLUENCERS_SCORING_CHUNK_SIZE``: a scoring run over more creators than this scores the
    workspace this many creators at a time, in two passes (bounded memory, see
    influencers.scoring.chunked_run); ``off`` loads every workspace at once. Default 20,000."""
    raw = os.environ.get("INFLUENCERS_SCORING_CHUNK_SIZE", "").strip()
    if raw.lower() in ("off", "none", "never", "false"):
        return None
    size = int(raw) if raw else DEFAULT_SCORING_CHUNK_SIZE
    if size < 1:
        raise ValueError("INFLUENCERS_SCORING_CHUNK_SIZE must be a positive number of creators or 'off'")
    return size


DEFAULT_DISCOVERY_INDEX_MIN_CREATORS = 2_000


def discovery_index_min_creators() -> int | None:
    """``INFLUENCERS_DISCOVERY_INDEX_MIN_CREATORS``: below this many scored creators a workspace is
    searched in SQL only (default 2,000); ``off``: every search in SQL (no index, no memory)."""
    raw = os.environ.get("INFLUENCERS_DISCOVERY_INDEX_MIN_CREATORS", "").strip()
    if raw.lower() in ("off", "none", "never", "false"):
        return None
    return int(raw) if raw else DEFAULT_DISCOVERY_INDEX_MIN_CREATORS


@dataclass(frozen=True)
class Settings:
    # INFLUENCERS_DATABASE_URL wins; DATABASE_URL (the usual PaaS name) is the fallback.
    database_url: str = DEFAULT_DATABASE_URL
    # Secret from which each workspace's pseudonymisation key is derived. It is kept
    # outside the database on purpose: a database dump alone cannot re-identify
    # audience members.
    pseudonym_secret: bytes = b""
    # Request body limits: ordinary JSON bodies and NDJSON imports over HTTP.
    max_json_bytes: int = 1 * 1024 * 1024
    max_import_bytes: int = 64 * 1024 * 1024
    # HTTP imports of at least this many bytes (or sent with ``Prefer: respond-async``)
    # run as a background job and answer 202; their body waits in upload_dir meanwhile
    # ("": a folder in the system's temporary directory). With Celery workers on other
    # machines, upload_dir must be a folder they share with the API.
    import_async_bytes: int = 8 * 1024 * 1024
    upload_dir: str = ""
    # Background jobs: Celery when a broker URL is set, else an in-process thread pool.
    broker_url: str = ""
    job_threads: int = 2
    # Celery queue the API sends jobs to and workers consume (``celery ... worker -Q``).
    job_queue: str = "influencers"
    # Liveness (see influencers.jobs.reaper): the process holding a job refreshes its
    # heartbeat every job_heartbeat_seconds; a job whose heartbeat is older than
    # job_timeout_seconds is failed by the reaper (every job_reaper_seconds in each
    # server and worker process), or resumed by a redelivery (at most job_max_attempts
    # claims). A job sent to Celery that no worker took within job_queue_timeout_seconds
    # is failed too.
    job_heartbeat_seconds: float = 10.0
    job_timeout_seconds: float = 60.0
    job_queue_timeout_seconds: float = 3600.0
    job_max_attempts: int = 2
    job_reaper_seconds: float = 15.0
    # Per API key (flask-limiter syntax). Storage is per process unless a shared one
    # (e.g. redis://) is set, which makes the limit hold across gunicorn workers.
    rate_limit: str = "1200/minute"
    rate_limit_storage_url: str = "memory://"
    # Failed authentications per client address; beyond it the address answers 429.
    auth_failure_limit: str = "60/minute"
    # See scoring_worker_min_creators (None: never).
    scoring_worker_min_creators: int | None = DEFAULT_SCORING_WORKER_MIN_CREATORS
    # See scoring_chunk_size (None: never chunked).
    scoring_chunk_size: int | None = DEFAULT_SCORING_CHUNK_SIZE
    # See discovery_index_min_creators (None: discovery always searches in SQL).
    discovery_index_min_creators: int | None = DEFAULT_DISCOVERY_INDEX_MIN_CREATORS
    # Audience samples older than this many days are deleted by `influencers privacy
    # enforce-retention` (and its scheduled Celery task).
    audience_retention_days: int = 365
    # Idempotency-Key records are kept this long; a key older than this is free again.
    idempotency_ttl_hours: int = 24
    default_page_size: int = 20
    max_page_size: int = 100
    # Webhooks (influencers.webhooks). Deliveries go to public HTTPS addresses only, unless
    # the operator allows plain HTTP or lists non-public networks (CIDRs) they may reach.
    webhook_allow_http: bool = False
    webhook_allowed_networks: tuple[str, ...] = ()
    # The key endpoint signing secrets are derived from (see webhooks.signing); empty: derived
    # from the pseudonymisation secret under a label of its own.
    webhook_secret_key: bytes = b""
    webhook_connect_timeout: float = 5.0
    webhook_read_timeout: float = 10.0
    webhook_max_response_bytes: int = 64 * 1024
    # Retries: attempt n waits between half and all of min(base * 4^(n-1), max) seconds.
    webhook_max_attempts: int = 8
    webhook_retry_base_seconds: float = 30.0
    webhook_retry_max_seconds: float = 6 * 3600.0
    # An endpoint whose deliveries have all failed for this long is disabled.
    webhook_disable_after_seconds: float = 5 * 24 * 3600.0
    extra: dict = field(default_factory=dict)

    @property
    def is_sqlite(self) -> bool:
        return self.database_url.startswith("sqlite")


def _sqlite_file(url: str) -> Path | None:
    if not url.startswith("sqlite:///"):
        return None
    path = url[len("sqlite:///"):]
    return None if path in ("", ":memory:") else Path(path)


def default_instance_dir(database_url: str) -> Path:
    """Where development files live: beside the SQLite database, else ./instance."""
    db_file = _sqlite_file(database_url)
    return db_file.parent if db_file else Path("instance")


class ConfigurationError(RuntimeError):
    """The environment does not configure the deployment safely; the message says how to fix it."""


def _pseudonym_secret(database_url: str) -> bytes:
    """The secret from INFLUENCERS_PSEUDONYM_SECRET, or the file INFLUENCERS_PSEUDONYM_SECRET_FILE
    (an absolute path), or, on SQLite only, ``pseudonym.secret`` beside the database file.

    Never a path relative to the working directory: two commands run from two directories
    would pseudonymise one follower twice. PostgreSQL (production) must configure it.
    """
    raw = os.environ.get("INFLUENCERS_PSEUDONYM_SECRET")
    if raw:
        return raw.encode()
    configured_file = os.environ.get("INFLUENCERS_PSEUDONYM_SECRET_FILE")
    if configured_file:
        key_file = Path(configured_file)
        if not key_file.is_absolute():
            raise ConfigurationError(
                f"INFLUENCERS_PSEUDONYM_SECRET_FILE must be an absolute path (got {configured_file!r})")
    elif not database_url.startswith("sqlite"):
        raise ConfigurationError(
            "set INFLUENCERS_PSEUDONYM_SECRET (or INFLUENCERS_PSEUDONYM_SECRET_FILE, an absolute path): "
            "a database other than SQLite needs a configured pseudonymisation secret")
    else:
        db_file = _sqlite_file(database_url)
        if db_file is None:
            # An in-memory database lives as long as the process: so may its secret.
            return secrets.token_hex(32).encode()
        key_file = db_file.resolve().parent / "pseudonym.secret"
    if not key_file.exists():
        if configured_file and not database_url.startswith("sqlite"):
            raise ConfigurationError(f"INFLUENCERS_PSEUDONYM_SECRET_FILE {configured_file} does not exist")
        # Development default: a random secret created once beside the SQLite database.
        key_file.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(key_file, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w") as fh:
            fh.write(secrets.token_hex(32))
    return key_file.read_text().strip().encode()


def load_settings(**overrides) -> Settings:
    database_url = overrides.pop("database_url", None) or (
        os.environ.get("INFLUENCERS_DATABASE_URL")
        or os.environ.get("DATABASE_URL")
        or DEFAULT_DATABASE_URL
    )
    db_file = _sqlite_file(database_url)
    if db_file is not None:
        db_file.parent.mkdir(parents=True, exist_ok=True)
    values = dict(
        database_url=database_url,
        max_json_bytes=_int("INFLUENCERS_MAX_JSON_BYTES", Settings.max_json_bytes),
        max_import_bytes=_int("INFLUENCERS_MAX_IMPORT_BYTES", Settings.max_import_bytes),
        import_async_bytes=_int("INFLUENCERS_IMPORT_ASYNC_BYTES", Settings.import_async_bytes),
        upload_dir=os.environ.get("INFLUENCERS_UPLOAD_DIR", Settings.upload_dir),
        broker_url=os.environ.get("INFLUENCERS_BROKER_URL", os.environ.get("CELERY_BROKER_URL", "")),
        job_threads=_int("INFLUENCERS_JOB_THREADS", Settings.job_threads),
        job_queue=os.environ.get("INFLUENCERS_JOB_QUEUE") or Settings.job_queue,
        job_heartbeat_seconds=_float("INFLUENCERS_JOB_HEARTBEAT_SECONDS", Settings.job_heartbeat_seconds),
        job_timeout_seconds=_float("INFLUENCERS_JOB_TIMEOUT_SECONDS", Settings.job_timeout_seconds),
        job_queue_timeout_seconds=_float("INFLUENCERS_JOB_QUEUE_TIMEOUT_SECONDS", Settings.job_queue_timeout_seconds),
        job_max_attempts=_int("INFLUENCERS_JOB_MAX_ATTEMPTS", Settings.job_max_attempts),
        job_reaper_seconds=_float("INFLUENCERS_JOB_REAPER_SECONDS", Settings.job_reaper_seconds),
        rate_limit=os.environ.get("INFLUENCERS_RATE_LIMIT", Settings.rate_limit),
        rate_limit_storage_url=os.environ.get("INFLUENCERS_RATE_LIMIT_STORAGE_URL", Settings.rate_limit_storage_url),
        auth_failure_limit=os.environ.get("INFLUENCERS_AUTH_FAILURE_LIMIT", Settings.auth_failure_limit),
        scoring_worker_min_creators=scoring_worker_min_creators(),
        scoring_chunk_size=scoring_chunk_size(),
        discovery_index_min_creators=discovery_index_min_creators(),
        audience_retention_days=_int("INFLUENCERS_AUDIENCE_RETENTION_DAYS", Settings.audience_retention_days),
        webhook_allow_http=_bool("INFLUENCERS_WEBHOOK_ALLOW_HTTP", False),
        webhook_allowed_networks=tuple(
            n.strip() for n in os.environ.get("INFLUENCERS_WEBHOOK_ALLOWED_NETWORKS", "").split(",") if n.strip()),
        webhook_secret_key=os.environ.get("INFLUENCERS_WEBHOOK_SECRET_KEY", "").encode(),
        webhook_connect_timeout=_float("INFLUENCERS_WEBHOOK_CONNECT_TIMEOUT", Settings.webhook_connect_timeout),
        webhook_read_timeout=_float("INFLUENCERS_WEBHOOK_READ_TIMEOUT", Settings.webhook_read_timeout),
        webhook_max_attempts=_int("INFLUENCERS_WEBHOOK_MAX_ATTEMPTS", Settings.webhook_max_attempts),
        webhook_retry_base_seconds=_float("INFLUENCERS_WEBHOOK_RETRY_BASE_SECONDS",
                                          Settings.webhook_retry_base_seconds),
        webhook_retry_max_seconds=_float("INFLUENCERS_WEBHOOK_RETRY_MAX_SECONDS", Settings.webhook_retry_max_seconds),
        webhook_max_response_bytes=_int("INFLUENCERS_WEBHOOK_MAX_RESPONSE_BYTES", Settings.webhook_max_response_bytes),
        webhook_disable_after_seconds=_float("INFLUENCERS_WEBHOOK_DISABLE_AFTER_SECONDS",
                                             Settings.webhook_disable_after_seconds),
        idempotency_ttl_hours=_int("INFLUENCERS_IDEMPOTENCY_TTL_HOURS", Settings.idempotency_ttl_hours),
    )
    values.update(overrides)
    if "pseudonym_secret" not in values:
        values["pseudonym_secret"] = _pseudonym_secret(database_url)
    return Settings(**values)
