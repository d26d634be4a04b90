"""Alembic migrations build exactly the schema the models describe."""
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext

from influencers import migrate
from influencers.db import Base


def test_upgrade_from_empty_matches_models(empty_database):
    db = empty_database
    migrate.upgrade(db.engine)
    with db.engine.connect() as connection:
        diff = compare_metadata(MigrationContext.configure(connection), Base.metadata)
    assert diff == [], "models changed without a migration: " + repr(diff[:5])
    assert migrate.current_revision(db.engine) is not None


def test_scoring_runs_keep_their_status_error_and_times_once_their_job_holds_them(empty_database):
    """0012 moves a run's status, error and times onto its job row (a CLI run without a job gets
    one): the runs read the same values after the upgrade, and a downgrade puts them back."""
    import datetime as dt

    from sqlalchemy import text

    from influencers.scoring.store import ScoringRun

    db = empty_database
    migrate.upgrade(db.engine, "0011_creator_scores_reach_index")
    t0 = dt.datetime(2026, 3, 1, 9, 0, tzinfo=dt.UTC)
    times = [t0 + dt.timedelta(minutes=m) for m in range(6)]
    with db.engine.begin() as connection:
        connection.execute(text("INSERT INTO workspaces (id, name, created_at) VALUES (1, 'acme', :t)"), {"t": t0})
        connection.execute(text(
            "INSERT INTO scoring_models (id, workspace_id, version, source, parameters, is_active, created_at) "
            "VALUES (1, 1, 'default-2', 'shipped', '{}', :yes, :t)"), {"t": t0, "yes": True})
        # The API's run: its job says "succeeded" a little later than the run did, without the run's error.
        connection.execute(text(
            "INSERT INTO jobs (id, workspace_id, kind, status, params, progress, attempts, created_at, started_at, "
            "finished_at) VALUES (7, 1, 'score', 'failed', '{\"run_id\": 1}', 0, 1, :c, :s, :f)"),
            {"c": times[0], "s": times[1], "f": times[5]})
        for run_id, job_id, status, error, (created, started, finished) in [
                (1, 7, "failed", "ValueError: boom", times[0:3]), (2, None, "succeeded", None, times[3:6])]:
            connection.execute(text(
                "INSERT INTO scoring_runs (id, workspace_id, job_id, model_id, model_version, status, "
                "creators_scored, error, superseded, created_at, started_at, finished_at) VALUES "
                "(:id, 1, :job, 1, 'default-2', :status, 3, :error, :no, :c, :s, :f)"),
                {"id": run_id, "job": job_id, "status": status, "error": error, "no": False,
                 "c": created, "s": started, "f": finished})

    migrate.upgrade(db.engine)
    with db.session() as session:
        runs = {run.id: run for run in session.query(ScoringRun)}
        seen = {run_id: (run.status, run.error, run.created_at, run.started_at, run.finished_at, run.job.kind)
                for run_id, run in runs.items()}
    assert seen == {1: ("failed", "ValueError: boom", *times[0:3], "score"),
                    2: ("succeeded", None, *times[3:6], "score")}

    command_downgrade(db, "0011_creator_scores_reach_index")
    with db.engine.connect() as connection:
        rows = connection.execute(text(
            "SELECT id, status, error FROM scoring_runs ORDER BY id")).all()
    assert [tuple(row) for row in rows] == [(1, "failed", "ValueError: boom"), (2, "succeeded", None)]


def test_comparisons_keep_their_status_error_and_created_at_once_their_job_holds_them(empty_database):
    """0016 moves a comparison's status, error and creation time onto its job row (one made by the
    CLI or a training job, without a job, gets one): the same values read back after the upgrade,
    and a downgrade puts them back."""
    import datetime as dt

    from sqlalchemy import text

    from influencers.calibration.models import ModelComparison

    db = empty_database
    migrate.upgrade(db.engine, "0015_scoring_staged_blobs")
    t0 = dt.datetime(2026, 3, 1, 9, 0, tzinfo=dt.UTC)
    times = [t0 + dt.timedelta(minutes=m) for m in range(4)]
    with db.engine.begin() as connection:
        connection.execute(text("INSERT INTO workspaces (id, name, created_at) VALUES (1, 'acme', :t)"), {"t": t0})
        connection.execute(text(
            "INSERT INTO scoring_models (id, workspace_id, version, source, parameters, is_active, created_at) "
            "VALUES (1, 1, 'default-4', 'shipped', '{}', :yes, :t)"), {"t": t0, "yes": True})
        # The API's comparisons: one whose row says failed (its job a little later, without the error),
        # one still queued while its job runs, one whose job the reaper failed.
        for job_id, status, error, created in [(7, "failed", None, times[1]), (8, "running", None, times[2]),
                                               (9, "failed", "The worker stopped", times[3])]:
            connection.execute(text(
                "INSERT INTO jobs (id, workspace_id, kind, status, params, error, progress, attempts, created_at) "
                "VALUES (:id, 1, 'compare', :status, '{}', :error, 0, 1, :c)"),
                {"id": job_id, "status": status, "error": error, "c": created})
        for comparison_id, job_id, status, error, created in [
                (1, 7, "failed", "ValueError: boom", times[0]), (2, 8, "queued", None, times[1]),
                (3, 9, "queued", None, times[2]), (4, None, "succeeded", None, times[3])]:
            connection.execute(text(
                "INSERT INTO model_comparisons (id, workspace_id, candidate_id, baseline_id, job_id, status, "
                "result, error, created_at) VALUES (:id, 1, 1, 1, :job, :status, NULL, :error, :c)"),
                {"id": comparison_id, "job": job_id, "status": status, "error": error, "c": created})

    migrate.upgrade(db.engine)
    with db.session() as session:
        seen = {row.id: (row.status, row.error, row.created_at, row.job.kind)
                for row in session.query(ModelComparison)}
    assert seen == {1: ("failed", "ValueError: boom", times[0], "compare"),
                    2: ("running", None, times[1], "compare"),
                    3: ("failed", "The worker stopped", times[2], "compare"),
                    4: ("succeeded", None, times[3], "compare")}

    command_downgrade(db, "0015_scoring_staged_blobs")
    with db.engine.connect() as connection:
        rows = connection.execute(text("SELECT id, status, error FROM model_comparisons ORDER BY id")).all()
    assert [tuple(row) for row in rows] == [(1, "failed", "ValueError: boom"), (2, "running", None),
                                            (3, "failed", "The worker stopped"), (4, "succeeded", None)]


def command_downgrade(db, revision: str) -> None:
    from alembic import command

    with db.engine.begin() as connection:
        command.downgrade(migrate.alembic_config(connection=connection), revision)
