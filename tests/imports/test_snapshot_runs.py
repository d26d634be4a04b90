"""Runs of snapshot lines (``imports/snapshot_runs.py``): a creator's consecutive snapshot lines
whose rows are still as those lines left them are skipped whole, without a step per line;
anything else is settled line by line, and the data always ends as importing every line would."""
from __future__ import annotations

import json
import random

import pytest
from sqlalchemy import text

from influencers.imports import digests, run_import, snapshot_runs
from influencers.imports.writer import ChunkWriter
from influencers.workspaces.models import Workspace

SECRET = b"snapshot-runs-test-secret"


def lines(*records) -> list[bytes]:
    return [json.dumps(r).encode() + b"\n" for r in records]


def creator(handle):
    return {"type": "creator", "platform": "instagram", "handle": handle, "followers": 100, "following": 10,
            "posts_count": 5}


def snapshot(handle, date, followers=100):
    return {"type": "snapshot", "platform": "instagram", "handle": handle, "date": date, "followers": followers}


def new_workspace(database, name: str) -> int:
    with database.transaction() as s:
        ws = Workspace(name=name)
        s.add(ws)
        s.flush()
        return ws.id


def state(database, workspace_id) -> dict[str, list]:
    """The workspace's snapshots (handle, date, followers, following, posts count), sorted."""
    with database.transaction(write=False) as s:
        rows = s.execute(text(
            "SELECT c.handle, s.date, s.followers, s.following, s.posts_count FROM follower_snapshots s "
            "JOIN creators c ON c.id = s.creator_id WHERE c.workspace_id = :ws"), {"ws": workspace_id})
        return {"snapshots": sorted((tuple(row) for row in rows), key=repr)}

DAYS = [f"2026-09-{d:02d}" for d in range(1, 31)]  # a run is at least MIN_RUN lines
assert len(DAYS) >= 2 * snapshot_runs.MIN_RUN - 2


def history(handle, changes=None) -> list[dict]:
    changes = changes or {}
    return [snapshot(handle, day, followers=changes.get((handle, day), 1000 + i)) for i, day in enumerate(DAYS)]


def a_file(changes=None) -> list[bytes]:
    return lines(creator("alice"), creator("bob"), *history("alice", changes), *history("bob", changes))


def followers_on(database, workspace_id, handle, day) -> int:
    return next(row[2] for row in state(database, workspace_id)["snapshots"] if row[0] == handle and str(row[1]) == day)


@pytest.fixture
def looked_up(monkeypatch) -> list[int]:
    """The snapshot line digests the import looks up one by one."""
    digests_seen: list[int] = []
    original = ChunkWriter.snapshots_by_digest
    monkeypatch.setattr(ChunkWriter, "snapshots_by_digest",
                        lambda self, ds: digests_seen.extend(ds) or original(self, ds))
    return digests_seen


def test_an_unchanged_run_is_skipped_without_a_step_per_line(database, workspace_id, looked_up):
    data = a_file()
    run_import(database, workspace_id, data, secret=SECRET)
    before = state(database, workspace_id)
    looked_up.clear()

    again = run_import(database, workspace_id, data, secret=SECRET)

    assert looked_up == []  # neither decoded nor looked up line by line
    assert not again.changed
    assert again.records["snapshot"] == 2 * len(DAYS)
    assert again.stored["snapshot"] == {"inserted": 0, "updated": 0, "unchanged": 2 * len(DAYS)}
    assert state(database, workspace_id) == before


def test_a_changed_snapshot_inside_an_otherwise_unchanged_run_is_written(database, workspace_id, looked_up):
    run_import(database, workspace_id, a_file(), secret=SECRET)
    looked_up.clear()

    # The same length as the line it replaces (1010): only its bytes differ.
    again = run_import(database, workspace_id, a_file({("alice", DAYS[10]): 2010}), secret=SECRET)

    assert followers_on(database, workspace_id, "alice", DAYS[10]) == 2010
    assert again.stored["snapshot"] == {"inserted": 0, "updated": 1, "unchanged": 2 * len(DAYS) - 1}
    assert len(looked_up) == len(DAYS)  # alice's lines one by one; bob's run skipped whole


def test_a_row_changed_since_its_run_was_stored_is_restored_by_the_run(database, workspace_id):
    data = a_file()
    run_import(database, workspace_id, data, secret=SECRET)
    run_import(database, workspace_id, lines(snapshot("alice", DAYS[10], followers=5)), secret=SECRET)

    again = run_import(database, workspace_id, data, secret=SECRET)

    assert followers_on(database, workspace_id, "alice", DAYS[10]) == 1010
    assert again.stored["snapshot"] == {"inserted": 0, "updated": 1, "unchanged": 2 * len(DAYS) - 1}


@pytest.mark.parametrize("other_line_first", [True, False])
def test_another_line_of_the_same_creator_in_the_chunk_still_loses_or_wins_by_its_place(
        database, workspace_id, other_line_first):
    data = a_file()
    run_import(database, workspace_id, data, secret=SECRET)
    other = lines(snapshot("alice", DAYS[10], followers=5))

    run_import(database, workspace_id, other + data if other_line_first else data + other, secret=SECRET)

    assert followers_on(database, workspace_id, "alice", DAYS[10]) == (1010 if other_line_first else 5)


def test_a_history_of_imports_with_runs_ends_as_importing_every_line_would(database, workspace_id, monkeypatch):
    """Random files in sequence (changed, moved, repeated and respelled snapshot lines, chunks
    that cut runs): the same data as a workspace where no line or run is ever found unchanged."""
    rnd = random.Random(3)
    files = []
    for _step in range(10):
        changes = {(rnd.choice(["alice", "bob"]), rnd.choice(DAYS)): rnd.randrange(50) for _ in range(rnd.randrange(3))}
        data = a_file(changes if rnd.random() < 0.7 else None)
        kind = rnd.choice(["as is", "repeat", "respell", "move", "interleave"])
        i = rnd.randrange(3, len(data))
        if kind == "repeat":  # a line of a run again, later or inside another run
            data.insert(rnd.randrange(i, len(data) + 1), data[i])
        elif kind == "respell":
            data[i] = json.dumps(json.loads(data[i]), indent=1).replace("\n", "").encode() + b"\n"
        elif kind == "move":
            data.insert(2, data.pop(i))
        elif kind == "interleave":
            handle = "alice" if i > 32 else "bob"
            data.insert(i, lines(snapshot(handle, rnd.choice(DAYS), followers=rnd.randrange(9)))[0])
        if rnd.random() < 0.4:  # a snapshot line on its own, between two files
            files.append((lines(snapshot(rnd.choice(["alice", "bob"]), rnd.choice(DAYS), followers=7)), 5000))
        files.append((data, rnd.choice([20, 45, 5000])))
    comparing = new_workspace(database, "every line written")
    for step, (data, chunk_size) in enumerate(files):
        run_import(database, workspace_id, data, secret=SECRET, chunk_size=chunk_size)
        with monkeypatch.context() as patched:  # the reference: no line or run digest is ever found
            patched.setattr(digests.RecordDigests, "many", lambda self, ls, ids=None: [rnd.getrandbits(63) for _ in ls])
            patched.setattr(digests.RecordDigests, "run", lambda self, ls: rnd.getrandbits(63))
            run_import(database, comparing, data, secret=SECRET, chunk_size=chunk_size)
        assert state(database, workspace_id)["snapshots"] == state(database, comparing)["snapshots"], step


def test_snapshot_lines_decoded_together_are_accepted_and_rejected_as_one_by_one(database, workspace_id):
    """Snapshot lines are decoded a chunk at a time; lines holding a line break of their own (a
    list given to run_import) are still judged one by one."""
    from influencers.imports.records import RecordError, decode_line

    good = lines(creator("alice"), *history("alice"))
    spread = json.dumps(snapshot("alice", "2026-10-01", followers=3), indent=1).encode()  # valid, on 7 lines
    two = lines(snapshot("alice", "2026-10-02"))[0] + lines(snapshot("alice", "2026-10-03"))[0]  # two values
    data = good[:5] + [spread] + good[5:9] + [two] + good[9:]
    expected = []
    for i, raw in enumerate(data, 1):
        try:
            decode_line(raw)
        except RecordError as error:
            expected.append({"line": i, "reason": str(error)})

    report = run_import(database, workspace_id, data, secret=SECRET)

    assert report.rejected == expected and len(expected) == 1
    assert followers_on(database, workspace_id, "alice", "2026-10-01") == 3
    assert report.records["snapshot"] == len(DAYS) + 1
