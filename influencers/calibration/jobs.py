"""Training and comparison as background jobs (in-process, or on the Celery worker)."""
from __future__ import annotations

from sqlalchemy import update

from influencers.calibration import comparison, versions
from influencers.calibration.dataset import labelled_set
from influencers.calibration.features import trainable
from influencers.calibration.models import ModelComparison
from influencers.calibration.training import KINDS, fit_final, train
from influencers.config import Settings
from influencers.db import Database
from influencers.jobs import runner


def check_trainable(session, workspace_id: int) -> dict:
    """Raises NotEnoughLabels now (the API answers 422) rather than in the job."""
    data = labelled_set(session, workspace_id)
    return {"fraud": int(data.y.sum()), "clean": int((1 - data.y).sum()), "unscored": data.unscored}


def queue_comparison(session, workspace_id: int, candidate, baseline) -> ModelComparison:
    """A comparison row and its queued job (dispatch ``row.job_id`` after the commit);
    NotEnoughLabels now rather than in the job."""
    check_trainable(session, workspace_id)
    row = ModelComparison(workspace_id=workspace_id, candidate_id=candidate.id, baseline_id=baseline.id,
                          status="queued")
    session.add(row)
    session.flush()
    row.job_id = runner.enqueue(session, workspace_id, "compare", {"comparison_id": row.id})
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
        comparison_id = create_comparison(db, workspace_id, model_id, baseline_id)
        result["comparison_id"] = comparison_id
        result["comparison"] = run_comparison(db, workspace_id, comparison_id)
    return result


def create_comparison(db: Database, workspace_id: int, candidate_id: int, baseline_id: int,
                      job_id: int | None = None) -> int:
    with db.transaction() as session:
        row = ModelComparison(workspace_id=workspace_id, candidate_id=candidate_id, baseline_id=baseline_id,
                              job_id=job_id, status="queued")
        session.add(row)
        session.flush()
        return row.id


def run_comparison(db: Database, workspace_id: int, comparison_id: int) -> dict:
    """Runs a queued comparison; stores and returns its summary (the failure is stored too)."""
    try:
        with db.transaction(write=False) as session:
            row = session.get(ModelComparison, comparison_id)
            candidate = versions.get_version(session, workspace_id, row.candidate_id)
            baseline = versions.get_version(session, workspace_id, row.baseline_id)
            document = comparison.compare(session, workspace_id, candidate, baseline)
    except Exception as error:
        with db.transaction() as session:
            session.execute(update(ModelComparison).where(ModelComparison.id == comparison_id).values(
                status="failed", error=f"{type(error).__name__}: {error}"))
        raise
    with db.transaction() as session:
        session.execute(update(ModelComparison).where(ModelComparison.id == comparison_id).values(
            status="succeeded", result=document))
    return comparison.summary(document)


def train_job(db: Database, settings: Settings, workspace_id: int, params: dict, report_progress) -> dict:
    return train_workspace(db, workspace_id, kind=params.get("kind", "auto"), key_id=params.get("key_id"),
                           description=params.get("description"), progress=report_progress)


def compare_job(db: Database, settings: Settings, workspace_id: int, params: dict, report_progress) -> dict:
    summary = run_comparison(db, workspace_id, params["comparison_id"])
    return {"comparison_id": params["comparison_id"], **summary}
