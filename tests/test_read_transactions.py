"""On SQLite a read session is one transaction (the engine emits its own BEGIN, as the driver's
transaction handling is off): every statement it runs sees the same snapshot, so a page and its
total never mix before and after another commit. (PostgreSQL's sessions are read committed.)"""
import pytest
from sqlalchemy import func, select

from influencers.workspaces.models import Workspace


def test_a_read_session_sees_one_snapshot_while_another_session_commits(database, workspace_id):
    if not database.is_sqlite:
        pytest.skip("PostgreSQL's transactions are read committed")
    with database.transaction(write=False) as reader:
        before = reader.scalar(select(func.count()).select_from(Workspace))
        with database.transaction() as writer:
            writer.add(Workspace(name="committed-meanwhile"))
        assert reader.scalar(select(func.count()).select_from(Workspace)) == before
    with database.transaction(write=False) as later:
        assert later.scalar(select(func.count()).select_from(Workspace)) == before + 1
