"""Bulk work refreshes the query planner's statistics (discovery's plans depend on them)."""
import io

import pytest
from sqlalchemy import text

from influencers.demo.generator import DemoConfig, write_ndjson
from influencers.imports.importer import run_import
from influencers.scoring.runs import score_workspace
from tests.fixtures.database import TEST_SECRET


def analysed_tables(database) -> set[str]:
    with database.engine.connect() as conn:
        if database.is_sqlite:
            exists = conn.execute(text("SELECT 1 FROM sqlite_master WHERE name = 'sqlite_stat1'")).first()
            return {row[0] for row in conn.execute(text("SELECT tbl FROM sqlite_stat1"))} if exists else set()
        return {row[0] for row in conn.execute(text(
            "SELECT DISTINCT tablename FROM pg_stats WHERE schemaname = current_schema()"))}


def vacuumed_tables(database) -> set[str]:
    with database.engine.connect() as conn:
        return {row[0] for row in conn.execute(text(
            "SELECT relname FROM pg_stat_user_tables WHERE schemaname = current_schema() AND last_vacuum IS NOT NULL"))}


@pytest.mark.slow
def test_a_bulk_import_and_a_scoring_run_refresh_planner_statistics(database, workspace_id):
    assert "audience_sample_members" not in analysed_tables(database)
    buffer = io.BytesIO()
    with io.TextIOWrapper(buffer, encoding="utf-8", write_through=True) as text_out:
        write_ndjson(DemoConfig(creators=1000, seed=5, days=30, audience_size=20, posts_per_creator=6), text_out)
        lines = buffer.getvalue().splitlines()
    report = run_import(database, workspace_id, lines, secret=TEST_SECRET)
    assert report.rejected_count == 0
    assert {"creators", "posts", "audience_sample_members"} <= analysed_tables(database)
    assert "creator_scores" not in analysed_tables(database)
    # PostgreSQL: vacuumed too, so the next scoring run's reads find all-visible pages.
    assert database.is_sqlite or {"posts", "audience_members", "audience_sample_members"} <= vacuumed_tables(database)
    score_workspace(database, workspace_id)
    assert {"creator_scores", "audience_shares"} <= analysed_tables(database)


def test_a_small_import_leaves_statistics_alone(database, workspace_id):
    lines = [b'{"type": "creator", "platform": "instagram", "handle": "solo", "followers": 10, "following": 5, '
             b'"posts_count": 1}']
    report = run_import(database, workspace_id, lines, secret=TEST_SECRET)
    assert report.accepted == 1
    assert "creators" not in analysed_tables(database)
