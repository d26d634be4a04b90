"""Where the application is assembled: what the domain packages need from one another at run time.

The packages import in one direction (docs/architecture.md). Two things point the
other way at run time, and are wired here instead of imported from below:

* job kinds: :mod:`influencers.jobs` runs jobs and knows no domain; each domain defines
  its handlers, and :func:`assemble` registers them (and the reaper's housekeeping);
* a scoring run's trained-model step: scoring names the interface
  (:mod:`influencers.scoring.recalibration`), calibration implements it.

Every process that serves, runs jobs or scores calls :func:`assemble` first: the app
factory, the Celery workers (:mod:`influencers.jobs.celery_app`) and the CLI. It also
imports every model, so ``Base.metadata`` is whole (foreign keys across packages).
"""
from __future__ import annotations

import importlib
import os
import threading

__all__ = ["assemble"]

_lock = threading.Lock()
_assembled = False


# The handlers are imported when a job of their kind runs, not when a process starts (a
# command of the CLI does not load scikit-learn to print its help).

def _score(db, settings, workspace_id, params, report_progress):
    from influencers.scoring.runs import score_job

    return score_job(db, settings, workspace_id, params, report_progress)


def _score_chunk(db, settings, workspace_id, params, report_progress):
    from influencers.scoring.fan_out import score_chunk_job

    return score_chunk_job(db, settings, workspace_id, params, report_progress)


def _discard_staged_chunks(session, settings, job_ids, error):
    from influencers.scoring.fan_out import discard_staged_of_jobs

    discard_staged_of_jobs(session, job_ids)


def _import(db, settings, workspace_id, params, report_progress):
    from influencers.imports.jobs import import_job

    return import_job(db, settings, workspace_id, params, report_progress)


def _discard_uploads(session, settings, job_ids, error):
    from influencers.imports.jobs import discard_uploads

    discard_uploads(session, settings, job_ids, error)


def _match_brands(db, settings, workspace_id, params, report_progress):
    from influencers.brands.rematch import match_job

    return match_job(db, settings, workspace_id, params, report_progress)


def _deliver_webhook(db, settings, workspace_id, params, report_progress):
    from influencers.webhooks.delivery import deliver_job

    return deliver_job(db, settings, workspace_id, params, report_progress)


def _train(db, settings, workspace_id, params, report_progress):
    from influencers.calibration.jobs import train_job

    return train_job(db, settings, workspace_id, params, report_progress)


def _compare(db, settings, workspace_id, params, report_progress):
    from influencers.calibration.jobs import compare_job

    return compare_job(db, settings, workspace_id, params, report_progress)


class _Calibration:
    """Scoring's recalibration (:class:`influencers.scoring.recalibration.Recalibration`),
    implemented by :mod:`influencers.calibration.apply`."""

    def load_classifier(self, session, model_id):
        from influencers.calibration.apply import load_classifier

        return load_classifier(session, model_id)

    def apply_classifier(self, result, classifier, version):
        from influencers.calibration.apply import apply_classifier

        return apply_classifier(result, classifier, version)


def _register_job_kinds() -> None:
    from influencers.brands.service import MATCH_JOB
    from influencers.imports.jobs import KIND as IMPORT_JOB
    from influencers.jobs import runner
    from influencers.webhooks.events import DELIVERY_JOB

    runner.register("score", _score, on_failure=_discard_staged_chunks)
    runner.register("score_chunk", _score_chunk)
    runner.register(IMPORT_JOB, _import, on_failure=_discard_uploads)
    runner.register(MATCH_JOB, _match_brands)
    runner.register(DELIVERY_JOB, _deliver_webhook)
    runner.register("train", _train)
    runner.register("compare", _compare)
    # Deployments' (and the tests') own kinds: modules named in INFLUENCERS_JOB_MODULES
    # (comma-separated) register theirs when imported.
    for name in os.environ.get("INFLUENCERS_JOB_MODULES", "").split(","):
        if name.strip():
            importlib.import_module(name.strip())


def _fold_discovery_changes(session):
    from influencers.brands.discovery_generation import compact_changes

    compact_changes(session)


def _register_maintenance() -> None:
    from influencers.jobs import reaper

    # Discovery's per-transaction change rows of workspaces nobody searches (an index build
    # folds only its own workspace's).
    reaper.register_maintenance(_fold_discovery_changes)


def _register_recalibration() -> None:
    from influencers.scoring import recalibration

    recalibration.register(_Calibration())


def assemble() -> None:
    """Registers every job kind and scoring's recalibration, and maps every model (once per process)."""
    global _assembled
    with _lock:
        if _assembled:
            return
        import influencers.models  # noqa: F401  -- Base.metadata whole

        _register_job_kinds()
        _register_maintenance()
        _register_recalibration()
        _assembled = True
