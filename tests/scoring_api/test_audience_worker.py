"""A large scoring run computes its audience pass in a worker process on the run's snapshot.

The worker must change nothing a user sees: the same scores, explanations, shares and
sketches as a run in one process (down to the digests: a run after the other rewrites
nothing), read from the same state of the database as the rest of the run, and a
failure of the worker fails the run with its reason.
"""
import sys
import threading
import time

import pytest
from sqlalchemy import select

from influencers.creators.models import AudienceMember, AudienceSample, AudienceSampleMember, Creator
from influencers.scoring import runs
from influencers.scoring.audience_worker import AudienceWorker, AudienceWorkerError, begin_snapshot
from influencers.scoring.model import DEFAULT_MODEL
from influencers.scoring.runs import create_run, execute_run
from influencers.scoring.store import (
    AudienceShareDigest,
    CreatorScore,
    ScoringRun,
)
from tests.fixtures.scoring import import_demo, scores_of_run, stored_sketches
from tests.fixtures.scoring import stored_audience_shares as stored_shares


def run(database, workspace_id, worker_min_creators):
    run_id = create_run(database, workspace_id)
    return execute_run(database, workspace_id, run_id, worker_min_creators=worker_min_creators)


def test_a_run_with_the_worker_stores_what_a_run_in_one_process_stores(api, database):
    import_demo(api, creators=40, seed=6)
    alone = run(database, api.workspace_id, worker_min_creators=None)
    shares, sketches = stored_shares(database), stored_sketches(database)
    assert alone["audience_worker"] is False and len(shares) > 200 and len(sketches) == 40

    with_worker = run(database, api.workspace_id, worker_min_creators=1)
    assert with_worker["audience_worker"] is True and with_worker["audience_read_seconds"] >= 0
    assert scores_of_run(database, with_worker["run_id"]) == scores_of_run(database, alone["run_id"])
    # Same rows, and the same digests: nothing was rewritten (created_at of every sketch kept).
    assert stored_shares(database) == shares
    assert stored_sketches(database) == sketches


def test_a_worker_that_cannot_start_fails_the_run_with_the_reason(api, database, monkeypatch):
    import_demo(api, creators=8, seed=2)
    monkeypatch.setattr(sys, "executable", "/bin/false")
    run_id = create_run(database, api.workspace_id)
    with pytest.raises(AudienceWorkerError, match="exited with status 1"):
        execute_run(database, api.workspace_id, run_id, worker_min_creators=1)
    with database.transaction(write=False) as session:
        failed = session.get(ScoringRun, run_id)
        assert failed.status == "failed" and "audience worker exited" in failed.error
        assert session.scalar(select(CreatorScore.id).where(CreatorScore.run_id == run_id)) is None


def test_an_error_in_the_worker_is_reported_with_its_message(api, database):
    import_demo(api, creators=4, seed=2)
    with AudienceWorker(database, api.workspace_id, lg_k=12, seed=9001) as worker:
        with database.transaction(write=False) as session:
            begin_snapshot(session)
            worker.share_snapshot(session, model={"weights": "not a model"}, sketch_model=DEFAULT_MODEL.to_dict())
        with pytest.raises(AudienceWorkerError, match="audience worker: .*Error"):
            worker.audience()


def test_the_worker_reads_the_runs_snapshot_not_later_commits(api, database):
    """A sample member committed after the run started its snapshot is in neither half of the run."""
    import_demo(api, creators=6, seed=2)
    with database.transaction(write=False) as session:
        creator_id, sample_id = session.execute(select(AudienceSample.creator_id, AudienceSample.id)
                                                .order_by(AudienceSample.sampled_at.desc(), AudienceSample.id)
                                                .limit(1)).one()
    with AudienceWorker(database, api.workspace_id, lg_k=12, seed=9001, hold_after_snapshot=True) as worker:
        with database.transaction(write=False) as session:
            begin_snapshot(session)
            worker.share_snapshot(session, model=DEFAULT_MODEL.to_dict(), sketch_model=DEFAULT_MODEL.to_dict())
            before = session.scalar(select(AudienceSampleMember.member_id).where(
                AudienceSampleMember.sample_id == sample_id).order_by(AudienceSampleMember.member_id).limit(1))
            # Another writer commits a new member into that creator's latest sample, and a new creator.
            with database.transaction() as writer:
                creator = writer.get(Creator, creator_id)
                workspace_id = creator.workspace_id
                new_member = AudienceMember(workspace_id=workspace_id, platform=creator.platform,
                                            member_key="late-member-key", followers=10, following=10,
                                            posts_count=1, has_avatar=True)
                writer.add(new_member)
                writer.flush()
                writer.add(AudienceSampleMember(sample_id=sample_id, member_id=new_member.id))
                writer.add(Creator(workspace_id=workspace_id, platform="instagram", handle="late_creator",
                                   followers=5))
            worker.proceed()
            creators_seen_by_run = session.scalars(select(Creator.id).where(
                Creator.workspace_id == workspace_id).order_by(Creator.id)).all()
            assert before is not None
        audience = worker.audience()
        shares = worker.shares()
        sketches = worker.sketches()
    assert worker.creator_ids.tolist() == creators_seen_by_run  # not the late creator
    with database.transaction(write=False) as session:
        now = session.scalar(select(AudienceSampleMember.member_id).where(
            AudienceSampleMember.sample_id == sample_id).order_by(AudienceSampleMember.member_id.desc()).limit(1))
        size_now = len(session.scalars(select(AudienceSampleMember.member_id).where(
            AudienceSampleMember.sample_id == sample_id)).all())
    position = worker.creator_ids.tolist().index(creator_id)
    # The worker counted the sample as it was when the run's snapshot began: one member fewer.
    assert now == new_member.id and int(audience.sample_size[position]) == size_now - 1
    assert len(shares) > 0 and creator_id in sketches.creator_ids.tolist()


def test_on_postgresql_the_worker_adopts_the_runs_snapshot_even_after_later_commits(api, database):
    """PostgreSQL exports the run's snapshot: a creator committed after the run's first read is
    invisible to the worker too, although the worker's transaction starts after that commit."""
    if database.is_sqlite:
        pytest.skip("SQLite shares the snapshot by starting both reads under the write lock (test above)")
    import_demo(api, creators=4, seed=2)
    with AudienceWorker(database, api.workspace_id, lg_k=12, seed=9001) as worker:
        with database.transaction(write=False) as session:
            begin_snapshot(session)
            seen = session.scalars(select(Creator.id).where(Creator.workspace_id == api.workspace_id)
                                   .order_by(Creator.id)).all()
            with database.transaction() as writer:
                writer.add(Creator(workspace_id=api.workspace_id, platform="instagram", handle="late_creator",
                                   followers=5))
            worker.share_snapshot(session, model=DEFAULT_MODEL.to_dict(), sketch_model=DEFAULT_MODEL.to_dict())
        worker.audience()
    assert worker.creator_ids.tolist() == seen and len(seen) == 4


def test_commits_racing_the_start_of_a_run_land_in_neither_or_both_halves(api, database):
    """A writer commits creator after creator while the run and its worker start their reads:
    both must see the same set (SQLite: no commit can fall between the two first reads,
    because the run holds the write lock across them; PostgreSQL: one exported snapshot)."""
    import_demo(api, creators=4, seed=2)
    stop = threading.Event()
    committed = []

    def writer():
        k = 0
        while not stop.is_set():
            with database.transaction() as session:
                session.add(Creator(workspace_id=api.workspace_id, platform="instagram", handle=f"racer_{k}",
                                    followers=5))
            committed.append(k)
            k += 1

    thread = threading.Thread(target=writer)
    with AudienceWorker(database, api.workspace_id, lg_k=12, seed=9001, hold_after_snapshot=True) as worker:
        thread.start()
        try:
            while len(committed) < 3:  # the writer is going
                time.sleep(0.005)
            with database.transaction(write=False) as session:
                begin_snapshot(session)
                worker.share_snapshot(session, model=DEFAULT_MODEL.to_dict(), sketch_model=DEFAULT_MODEL.to_dict())
                seen_by_run = session.scalars(select(Creator.id).where(Creator.workspace_id == api.workspace_id)
                                              .order_by(Creator.id)).all()
            worker.proceed()
            worker.audience()
        finally:
            stop.set()
            thread.join()
    assert worker.creator_ids.tolist() == seen_by_run
    assert len(committed) > 3  # commits went on around the start


def test_a_run_failing_after_its_shares_were_sent_stores_none_of_them(api, database, monkeypatch):
    """On PostgreSQL the run's write transaction begins before the scores are computed, and a
    thread stores the worker's audience shares meanwhile: a run failing after that still
    leaves nothing behind (one transaction), and says why."""
    import_demo(api, creators=12, seed=3)
    shares_sent = threading.Event()
    write_audience_shares = runs.write_audience_shares

    def write_and_signal(*args, **kwargs):
        result = write_audience_shares(*args, **kwargs)
        shares_sent.set()
        return result

    def failing_score_rows(*args, **kwargs):
        # PostgreSQL: only once the shares are in the (open) write transaction.
        assert database.is_sqlite or shares_sent.wait(60)
        raise RuntimeError("scoring failed after the shares were sent")

    monkeypatch.setattr(runs, "write_audience_shares", write_and_signal)
    monkeypatch.setattr(runs, "score_rows", failing_score_rows)
    run_id = create_run(database, api.workspace_id)
    with pytest.raises(RuntimeError, match="after the shares were sent"):
        execute_run(database, api.workspace_id, run_id, worker_min_creators=1)
    with database.transaction(write=False) as session:
        assert session.get(ScoringRun, run_id).status == "failed"
        assert session.scalar(select(CreatorScore.id).where(CreatorScore.run_id == run_id)) is None
        assert session.scalar(select(AudienceShareDigest.creator_id)) is None
    assert stored_shares(database) == set() and stored_sketches(database) == {}


class _Announcements:
    """Stands in for the worker process: its protocol lines, released one at a time."""

    def __init__(self, lines):
        self._lines = list(lines)
        self._released = threading.Semaphore(0)
        self.stdout = self

    def release(self):
        self._released.release()

    def readline(self):
        self._released.acquire()
        return self._lines.pop(0) if self._lines else ""

    def wait(self):
        return 1

    def poll(self):
        return 1


def _worker_reading(lines, tmp_path):
    """An AudienceWorker past its handshake, reading ``lines`` as the worker's announcements."""
    worker = AudienceWorker.__new__(AudienceWorker)
    worker._process = _Announcements(lines)
    worker._directory = tmp_path
    worker.timings = {}
    worker._parts_arrived, worker._parts_failure, worker._parts_reading = {}, None, False
    worker._parts_changed = threading.Condition()
    return worker


def test_threads_waiting_for_different_parts_each_get_theirs_whatever_the_order(tmp_path):
    # PostgreSQL's worker announces the shares before the audience; the run's main thread
    # waits for the audience while its write thread waits for the shares.
    worker = _worker_reading(['{"status": "shares", "timings": {"audience_shares_seconds": 0.5}}\n',
                              '{"status": "audience", "timings": {"audience_seconds": 0.25}}\n'], tmp_path)
    got = {}
    waiting = [threading.Thread(target=lambda name=name: got.__setitem__(name, worker._part(name)))
               for name in ("audience", "shares")]
    for thread in waiting:
        thread.start()
    worker._process.release()  # the shares only: the thread waiting for them must not wait for the audience
    deadline = time.monotonic() + 5
    while "shares" not in got and time.monotonic() < deadline:
        time.sleep(0.01)
    assert got == {"shares": tmp_path / "shares.npz"}
    worker._process.release()
    for thread in waiting:
        thread.join(5)
    assert got == {"shares": tmp_path / "shares.npz", "audience": tmp_path / "audience.npz"}
    assert worker.timings == {"audience_shares_seconds": 0.5, "audience_seconds": 0.25}


def test_a_worker_error_fails_every_thread_waiting_for_a_part(tmp_path):
    worker = _worker_reading(['{"error": "ValueError: bad member"}\n'], tmp_path)
    errors = []

    def wait(name):
        try:
            worker._part(name)
        except AudienceWorkerError as error:
            errors.append((name, str(error)))

    waiting = [threading.Thread(target=wait, args=(name,)) for name in ("audience", "shares")]
    for thread in waiting:
        thread.start()
    worker._process.release()
    for thread in waiting:
        thread.join(5)
    assert sorted(errors) == [("audience", "audience worker: ValueError: bad member"),
                              ("shares", "audience worker: ValueError: bad member")]
