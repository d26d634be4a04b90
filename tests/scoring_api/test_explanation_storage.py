"""How a scoring run stores its explanations on PostgreSQL (~5 kB of JSON per creator)."""
import pytest
from sqlalchemy import text

from influencers.scoring.runs import create_run, execute_run
from tests.fixtures.scoring import import_demo


def run(database, workspace_id, worker_min_creators):
    run_id = create_run(database, workspace_id)
    return execute_run(database, workspace_id, run_id, worker_min_creators=worker_min_creators)


def test_on_postgresql_explanations_are_stored_with_lz4_where_the_server_has_it(api, database):
    if database.is_sqlite:
        pytest.skip("PostgreSQL storage detail")
    with database.transaction(write=False) as session:
        lz4 = session.scalar(text(
            "SELECT 'lz4' = ANY(enumvals) FROM pg_settings WHERE name = 'default_toast_compression'"))
    if not lz4:
        pytest.skip("this server has no lz4 (PostgreSQL < 14, or built without it)")
    import_demo(api, creators=6, seed=2)
    run_id = run(database, api.workspace_id, worker_min_creators=None)["run_id"]
    with database.transaction(write=False) as session:
        methods = set(session.scalars(text(
            "SELECT pg_column_compression(e.explanation) FROM creator_score_explanations e "
            "JOIN creator_scores s ON s.id = e.score_id WHERE s.run_id = :run"), {"run": run_id}))
        setting = session.scalar(text("SHOW default_toast_compression"))
    # Explanations over ~2 kB are compressed, with lz4; the setting was for the run's transaction only.
    assert "lz4" in methods and "pglz" not in methods
    assert setting == "pglz"
