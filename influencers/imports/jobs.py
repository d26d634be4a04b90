"""Imports as background jobs (large HTTP imports, or ``Prefer: respond-async``)."""
from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from influencers.config import Settings
from influencers.db import Database
from influencers.imports import uploads
from influencers.jobs import runner
from influencers.jobs.models import Job

KIND = "import"


def queue_import(session: Session, workspace_id: int, upload: str, size: int, *,
                 only_types: tuple[str, ...] | None = None, only_reason: str = "") -> int:
    """Adds the import job of a saved upload to the caller's transaction; dispatch it after the commit.
    ``only_types``: see :func:`~influencers.imports.importer.run_import` (an analyst's labels)."""
    params = {"upload": upload, "bytes": size}
    if only_types is not None:
        params.update(only_types=list(only_types), only_reason=only_reason)
    return runner.enqueue(session, workspace_id, KIND, params)


def discard_uploads(session: Session, settings: Settings, job_ids: list[int], _error: str) -> None:
    """The jobs failed for good (their worker died): their uploads will never be imported."""
    for params in session.scalars(select(Job.params).where(Job.id.in_(job_ids))):
        uploads.delete_upload(settings, params["upload"])


def import_job(db: Database, settings: Settings, workspace_id: int, params: dict, report_progress) -> dict:
    from influencers.imports.importer import run_import

    total, done = max(int(params["bytes"]), 1), 0

    def progress(consumed: int) -> None:
        nonlocal done
        done += consumed
        # 1.0 only once the job has recorded its result.
        report_progress(min(done / total, 0.99))

    path = uploads.upload_path(settings, params["upload"])
    try:
        with open(path, "rb") as body:
            report = run_import(db, workspace_id, body, secret=settings.pseudonym_secret, progress=progress,
                                only_types=tuple(params["only_types"]) if "only_types" in params else None,
                                only_reason=params.get("only_reason", ""))
    except FileNotFoundError:
        raise FileNotFoundError(
            "the import's body is not in this worker's upload folder: API and workers must share "
            "INFLUENCERS_UPLOAD_DIR") from None
    except BaseException:
        # A failed import stored nothing and is not retried: its body goes. (A killed
        # process gets here never; its job is resumed, or the reaper discards the body.)
        uploads.delete_upload(settings, params["upload"])
        raise
    uploads.delete_upload(settings, params["upload"])
    return report.to_dict()
