"""Training and comparison as background jobs (in-process, or on the Celery worker)."""
from __future__ import annotations

from sqlalchemy import func, select, update

from influencers.calibration import comparison, versions
from influencers.calibration.dataset import labelled_set
from influencers.calibration.features import trainable
from influencers.calibration.models import ModelComparison
from influencers.calibration.training import KINDS, fit_final, train
from influencers.config import Settings, load_settings
from influencers.db import Database, utcnow
from influencers.jobs import runner
from influencers.jobs.models import Job


def check_trainable(session, workspace_id: int) -> dict:
    """Raises NotEnoughLabels now (the API answers 422) rather than in the job."""
    data = labelled_set(session, workspace_id)
    return {"fraud": int(data.y.sum()), "clean": int((1 - data.y).sum()), "unscored": data.unscored}


def queue_comparison(session, workspace_id: int, candidate, baseline) -> ModelComparison:
    """A comparison row and its queued job (dispatch ``row.job_id`` after the commit);
    NotEnoughLabels now rather than in the job."""
    check_trainable(session, workspace_id)
    return _add_comparison(session, workspace_id, candidate.id, baseline.id)


def _add_comparison(session, workspace_id: int, candidate_id: int, baseline_id: int) -> ModelComparison:
    """A comparison and the job row holding its status (every comparison has one, dispatched or not)."""
    job_id = runner.enqueue(session, workspace_id, "compare", {})
    row = ModelComparison(workspace_id=workspace_id, candidate_id=candidate_id, baseline_id=baseline_id,
                          job_id=job_id)
    session.add(row)
    session.flush()
    row.job.params = {"comparison_id": row.id}
    session.flush()
    return row


def train_workspace(db: Database, workspace_id: int, *, kind: str = "auto", key_id: int | None = None,
                    description: str | None = None, compare: bool = True, progress=None) -> dict:
    """Trains a version on the workspace's labels (never activates it) and compares it with
    the active one; returns the job result."""
    progress = progress or (lambda _f: None)
    with db.transaction(write=False) as session:
        data = labelled_set(session, workspace_id)
    matrix = trainable(data.features())
    if kind == "auto":
        outcome = train(matrix.values, data.y, data.dates, matrix.names)
        fitted, report = outcome.fitted, outcome.report
    else:
        if kind not in KINDS:
            raise ValueError(f"unknown kind {kind!r}")
        outcome = train(matrix.values, data.y, data.dates, matrix.names)
        fitted = outcome.fitted if outcome.fitted.kind == kind else fit_final(kind, matrix.values, data.y, matrix.names)
        report = {**outcome.report, "chosen": kind, "chosen_by": "the request"}
    report["unscored_labelled_creators"] = data.unscored
    progress(0.5)
    with db.transaction() as session:
        record = versions.create_trained(session, workspace_id, fitted, report, key_id, description)
        model_id, version = record.id, record.version
        baseline_id = versions.active_version(session, workspace_id).id
    result = {"model_id": model_id, "version": version, "kind": fitted.kind, "training": report}
    if compare:
        # The comparison has its own job (run here, its heartbeat held), so that its status, error and
        # times are its own, read from one row as for a comparison a worker runs.
        comparison_id = create_comparison(db, workspace_id, model_id, baseline_id)
        result["comparison_id"] = comparison_id
        result["comparison"] = run_comparison_here(db, workspace_id, comparison_id)
    return result


def create_comparison(db: Database, workspace_id: int, candidate_id: int, baseline_id: int) -> int:
    """A queued comparison to run in this process (:func:`run_comparison_here`): its job is never dispatched."""
    with db.transaction() as session:
        return _add_comparison(session, workspace_id, candidate_id, baseline_id).id


def _set_job(session, comparison_id: int, **values) -> None:
    """Writes the comparison's status, error or times: on its job's row."""
    session.execute(update(Job).where(Job.id == select(ModelComparison.job_id).where(
        ModelComparison.id == comparison_id).scalar_subquery()).values(**values))


def run_comparison_here(db: Database, workspace_id: int, comparison_id: int) -> dict:
    """:func:`run_comparison` in this process with its job's heartbeat held (the CLI's comparisons and
    a training job's: a reaper on the same database must not take the comparison's job for dead)."""
    with db.transaction(write=False) as session:
        job_id = session.scalar(select(ModelComparison.job_id).where(ModelComparison.id == comparison_id))
    with runner.heartbeat(db, job_id, (db.settings or load_settings()).job_heartbeat_seconds):
        return run_comparison(db, workspace_id, comparison_id)


def run_comparison(db: Database, workspace_id: int, comparison_id: int) -> dict:
    """Runs a queued comparison; stores and returns its summary (the failure is stored too)."""
    try:
        with db.transaction() as session:
            _set_job(session, comparison_id, status="running", started_at=func.coalesce(Job.started_at, utcnow()))
        with db.transaction(write=False) as session:
            row = session.get(ModelComparison, comparison_id)
            candidate = versions.get_version(session, workspace_id, row.candidate_id)
            baseline = versions.get_version(session, workspace_id, row.baseline_id)
            document = comparison.compare(session, workspace_id, candidate, baseline)
    except Exception as error:
        with db.transaction() as session:
            _set_job(session, comparison_id, status="failed", error=f"{type(error).__name__}: {error}",
                     finished_at=utcnow())
        raise
    with db.transaction() as session:
        session.execute(update(ModelComparison).where(ModelComparison.id == comparison_id).values(result=document))
        _set_job(session, comparison_id, status="succeeded", progress=1.0, finished_at=utcnow())
    return comparison.summary(document)


def train_job(db: Database, settings: Settings, workspace_id: int, params: dict, report_progress) -> dict:
    return train_workspace(db, workspace_id, kind=params.get("kind", "auto"), key_id=params.get("key_id"),
                           description=params.get("description"), progress=report_progress)


def compare_job(db: Database, settings: Settings, workspace_id: int, params: dict, report_progress) -> dict:
    summary = run_comparison(db, workspace_id, params["comparison_id"])
    return {"comparison_id": params["comparison_id"], **summary}
