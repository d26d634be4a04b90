"""What an import holds on PostgreSQL while it runs: the workspace's import lock (its own
schema's only) and the planner settings of its transaction (as it found them)."""
from __future__ import annotations

import json
import threading

from sqlalchemy import text

from influencers.imports import run_import
from influencers.imports.backends import PostgresBackend
from influencers.workspaces.models import Workspace
from tests.fixtures.database import open_database

SECRET = b"import-lock-test-secret"


def creator(handle):
    line = {"type": "creator", "platform": "instagram", "handle": handle, "followers": 1, "following": 1,
            "posts_count": 1}
    return json.dumps(line).encode() + b"\n"


def new_workspace(db) -> int:
    with db.transaction() as session:
        ws = Workspace(name="acme")
        session.add(ws)
        session.flush()
        return ws.id


def still_running_after(seconds, db, workspace_id, while_importing_into) -> bool:
    """Whether an import of one line into ``workspace_id`` of ``db`` is still waiting after
    ``seconds`` while another import, into ``while_importing_into`` (db, workspace id), has
    started and holds its lock; both are let finish."""
    reading, release = threading.Event(), threading.Event()

    def held_open():
        yield creator("alice")
        reading.set()
        release.wait(60)

    first = threading.Thread(target=run_import, args=(*while_importing_into, held_open()),
                             kwargs={"secret": SECRET})
    first.start()
    try:
        assert reading.wait(30)
        second = threading.Thread(target=run_import, args=(db, workspace_id, [creator("bob")]),
                                  kwargs={"secret": SECRET})
        second.start()
        second.join(seconds)
        waiting = second.is_alive()
    finally:
        release.set()
        first.join(60)
    second.join(60)
    return waiting


def test_an_import_does_not_wait_for_one_into_a_workspace_of_the_same_id_in_another_schema(
        database, workspace_id, tmp_path):
    """Tenants (or test runs) in schemas of one PostgreSQL database number their workspaces
    alike: an import into workspace 1 of one schema must not hold up workspace 1 of another."""
    (tmp_path / "other").mkdir()
    with open_database(tmp_path / "other") as other:
        other_workspace = new_workspace(other)
        assert other_workspace == workspace_id

        assert not still_running_after(10, other, other_workspace, while_importing_into=(database, workspace_id))
        with other.transaction() as session:
            assert session.execute(text("SELECT handle FROM creators")).scalars().all() == ["bob"]


def test_an_import_into_the_same_workspace_waits_for_the_one_running(database, workspace_id):
    # Not held up, a one-line import ends in tens of milliseconds; held up, it waits as long as the first.
    assert still_running_after(1, database, workspace_id, while_importing_into=(database, workspace_id))
    with database.transaction() as session:
        assert sorted(session.execute(text("SELECT handle FROM creators")).scalars()) == ["alice", "bob"]


def test_probing_snapshot_digests_leaves_the_transactions_seqscan_setting_as_it_was(database):
    if database.is_sqlite:
        return  # a PostgreSQL planner setting
    with database.transaction(write=True) as session:
        backend = PostgresBackend(session)
        for setting in ("off", "on"):
            session.execute(text(f"SET LOCAL enable_seqscan = {setting}"))
            backend.rows_by_digest("t.import_digest", "follower_snapshots", [1, 2])
            assert session.execute(text("SHOW enable_seqscan")).scalar() == setting
