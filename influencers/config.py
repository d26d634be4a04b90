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
    # See scoring_worker_min_creators (None: never).
    scoring_worker_min_creators: int | None = DEFAULT_SCORING_WORKER_MIN_CREATORS
    default_page_size: int = 20
    max_page_size: int = 100
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


def _pseudonym_secret(database_url: str) -> bytes:
    raw = os.environ.get("INFLUENCERS_PSEUDONYM_SECRET")
    if raw:
        return raw.encode()
    # Development default: a random secret in a file beside the SQLite database
    # (or in ./instance), created once. Production sets the variable.
    db_file = _sqlite_file(database_url)
    folder = db_file.parent if db_file else Path("instance")
    key_file = Path(os.environ.get("INFLUENCERS_PSEUDONYM_SECRET_FILE", folder / "pseudonym.secret"))
    if not key_file.exists():
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
        scoring_worker_min_creators=scoring_worker_min_creators(),
    )
    values.update(overrides)
    if "pseudonym_secret" not in values:
        values["pseudonym_secret"] = _pseudonym_secret(database_url)
    return Settings(**values)
