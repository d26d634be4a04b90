"""A chunked run fans its chunks out to Celery workers when a broker is configured and gathers
them: it stores exactly what the same run stores with its chunks in one process."""
import dataclasses
import datetime as dt
import signal
import subprocess
import sys
import tempfile
import time
import uuid
from contextlib import contextmanager
from pathlib import Path

import numpy as np
import pytest
import redis
import scipy.sparse as sp
from sqlalchemy import delete, func, select, update

from influencers.app import create_app
from influencers.cli.context import Context
from influencers.columnar import columnar_reads
from influencers.config import Settings, load_settings
from influencers.db import utcnow
from influencers.jobs import broker, runner
from influencers.jobs.models import Job
from influencers.jobs.reaper import reap
from influencers.scoring import chunked_run, fan_out, typed_blob
from influencers.scoring.active_model import active_scoring_model
from influencers.scoring.audience_worker import begin_snapshot
from influencers.scoring.runs import RunNotHeld, create_run, execute_run
from influencers.scoring.store import (
    AudienceShare,
    AudienceShareDigest,
    AudienceSketchRecord,
    CreatorScore,
    ScoringRun,
    StagedBlob,
)
from influencers.workspaces.models import Workspace
from tests.fixtures.api import ApiClient
from tests.fixtures.celery_worker import BROKER, celery_worker
from tests.fixtures.cli import SAMPLE, invoke
from tests.fixtures.database import TEST_SECRET
from tests.fixtures.helpers import wait_for_job
from tests.fixtures.scoring import import_demo, scores_of_run, stored_sketches, wait_for
from tests.fixtures.scoring import stored_audience_shares as stored_shares
from tests.scoring_api.chunk_faults import failing_chunk


def same(a, b, where="value"):
    """Deep equality of decoded values: types, dataclass fields, dict items, arrays (nan equal)."""
    assert type(a) is type(b), (where, type(a), type(b))
    if dataclasses.is_dataclass(a):
        for f in dataclasses.fields(a):
            same(getattr(a, f.name), getattr(b, f.name), f"{where}.{f.name}")
    elif isinstance(a, dict):
        assert list(a) == list(b), where
        for key in a:
            same(a[key], b[key], f"{where}[{key!r}]")
    elif isinstance(a, (list, tuple)):
        assert len(a) == len(b), where
        for k, (x, y) in enumerate(zip(a, b)):
            same(x, y, f"{where}[{k}]")
    elif isinstance(a, np.ndarray):
        assert a.dtype == b.dtype and a.shape == b.shape, (where, a.dtype, b.dtype)
        if a.dtype == object:
            assert a.tolist() == b.tolist(), where
        else:
            assert np.array_equal(a, b, equal_nan=a.dtype.kind in "fc"), where
    elif sp.issparse(a):
        assert (a != b).nnz == 0 and a.shape == b.shape, where
    elif isinstance(a, float) and a != a:
        assert b != b, where
    else:
        assert a == b, where


def test_a_first_pass_goes_through_a_typed_blob_unchanged(api, database):
    import_demo(api, creators=40, seed=5)
    with database.transaction(write=False) as session, tempfile.TemporaryDirectory() as staging:
        begin_snapshot(session)
        model, _version = active_scoring_model(session, api.workspace_id)
        with columnar_reads(session):
            first = chunked_run.first_pass(session, api.workspace_id, model, model, 9, Path(staging))
    blob = typed_blob.encode(first)
    same(typed_blob.decode(blob), first)
    assert b"pickle" not in blob


def test_a_value_without_a_typed_encoding_is_refused():
    with pytest.raises(typed_blob.BlobFormatError, match="object array"):
        typed_blob.encode({"x": np.array([object()], dtype=object)})
    with pytest.raises(typed_blob.BlobFormatError, match="no typed encoding"):
        typed_blob.encode(Path("/"))


# ---- Through Redis and a real Celery worker process (PostgreSQL: SQLite runs never fan out).

WORKER_TIMEOUT = 180


def _broker_and_postgresql(database):
    if not BROKER:
        pytest.skip("set INFLUENCERS_TEST_BROKER_URL (CI does) to test a Celery worker")
    if database.is_sqlite:
        pytest.skip("a run on SQLite never fans out (docs/fan-out.md)")


def _chunk_jobs(database, workspace_id):
    with database.transaction(write=False) as session:
        return session.scalars(select(Job).where(Job.workspace_id == workspace_id, Job.kind == "score_chunk")
                               .order_by(Job.id)).all()


def _staged(database):
    with database.transaction(write=False) as session:
        return session.scalar(select(func.count()).select_from(StagedBlob))


@contextmanager
def _worker(database, workspace_id, log, **env):
    """A Celery worker process (one slot) consuming its own queue: the settings sending to it."""
    with celery_worker(database.url, log, **env) as queue:
        settings = Settings(database_url=database.url, pseudonym_secret=TEST_SECRET, broker_url=BROKER,
                            job_queue=queue)
        # A no-op job through the worker: it is consuming its queue once that succeeded.
        job_id = runner.submit(database, settings, workspace_id, "test.sleep", {"seconds": 0})
        assert wait_for_job(database, job_id, timeout=WORKER_TIMEOUT).status == "succeeded", log.read_text()[-3000:]
        yield settings


def _stored(database, run_id):
    """The run's scores and explanations, every stored share, every sketch (without its time)."""
    return (scores_of_run(database, run_id), stored_shares(database),
            {cid: row[:4] for cid, row in stored_sketches(database).items()})


def _in_process_chunked_run(api, database, chunk_size):
    """A chunked run with no broker: what it stores, which the test then removes."""
    run_id = create_run(database, api.workspace_id)
    result = execute_run(database, api.workspace_id, run_id, worker_min_creators=None, chunk_size=chunk_size,
                         settings=Settings(database_url=database.url, pseudonym_secret=TEST_SECRET))
    assert result["chunks"] > 2 and "chunks_scored_by_other_workers" not in result
    assert not _chunk_jobs(database, api.workspace_id)
    stored = _stored(database, run_id)
    _forget_stored(database)
    return stored


def _forget_stored(database):
    with database.transaction() as session:
        session.execute(update(CreatorScore).values(is_current=False))
        for table in (AudienceShare, AudienceShareDigest, AudienceSketchRecord):
            session.execute(delete(table))


def test_a_chunked_run_fans_out_to_celery_workers_and_stores_what_an_in_process_run_stores(
        api, database, tmp_path, monkeypatch):
    _broker_and_postgresql(database)
    import_demo(api, creators=60, seed=4)
    in_process = _in_process_chunked_run(api, database, chunk_size=8)
    log = tmp_path / "worker.log"
    with _worker(database, api.workspace_id, log, INFLUENCERS_SCORING_CHUNK_SIZE="8",
                 INFLUENCERS_SCORING_WORKER_MIN_CREATORS="off") as settings:

        # The run's job on the worker's only slot: nobody else takes its chunks, so it scores
        # them itself instead of waiting for them.
        app = create_app(settings, database=database)
        client = ApiClient(app.test_client(), api.key, api.workspace_id)
        started = client.post("/v1/scoring-runs")
        assert started.status_code == 202, started.json
        on_worker = wait_for(client, started.headers["Location"], timeout=WORKER_TIMEOUT)
        assert on_worker["status"] == "succeeded", (on_worker, log.read_text()[-3000:])
        with database.transaction(write=False) as session:
            timings = session.get(ScoringRun, on_worker["id"]).timings
        assert timings["chunks"] == 8 and timings["chunks_scored_by_other_workers"] == 0
        assert _stored(database, on_worker["id"]) == in_process
        assert [job.status for job in _chunk_jobs(database, api.workspace_id)] == ["succeeded"] * 8
        _forget_stored(database)

        # The run here, its chunks sent twice each (a duplicate delivery): the worker takes
        # chunks from the first while this process takes them from the last.
        send = broker.send

        def send_twice(settings, job_id, countdown=None):
            send(settings, job_id, countdown)
            send(settings, job_id, countdown)

        monkeypatch.setattr(broker, "send", send_twice)
        run_id = create_run(database, api.workspace_id)
        here = execute_run(database, api.workspace_id, run_id, worker_min_creators=None, chunk_size=8,
                           settings=settings)
    assert here["chunks"] == 8 and here["chunks_scored_by_other_workers"] >= 1, log.read_text()[-3000:]
    assert _stored(database, run_id) == in_process
    chunks = _chunk_jobs(database, api.workspace_id)[8:]
    assert [(job.status, job.attempts, job.params["chunk"]) for job in chunks] == [
        ("succeeded", 1, k) for k in range(8)]
    assert {job.worker for job in chunks} - {runner.worker_name()}  # some ran in the worker process
    assert _staged(database) == 0


def test_a_chunk_failing_on_a_worker_fails_the_run_and_stores_nothing(api, database, tmp_path, monkeypatch):
    _broker_and_postgresql(database)
    import_demo(api, creators=30, seed=2)
    # Chunk 2 fails wherever it runs: in the worker process and in this one.
    monkeypatch.setattr(chunked_run, "score_chunk", failing_chunk(2))
    log = tmp_path / "worker.log"
    with _worker(database, api.workspace_id, log, INFLUENCERS_TEST_FAILING_CHUNK="2",
                 INFLUENCERS_JOB_MODULES="tests.jobs.job_kinds,tests.scoring_api.chunk_faults") as settings:
        run_id = create_run(database, api.workspace_id)
        with pytest.raises(fan_out.ChunkFailed, match="chunk 2 of 5 .* failed: RuntimeError: chunk 2 broke"):
            execute_run(database, api.workspace_id, run_id, worker_min_creators=None, chunk_size=7,
                        settings=settings)
        # A chunk the worker was scoring meanwhile finishes, and writes nothing for the failed run.
        chunks = [wait_for_job(database, job.id, timeout=WORKER_TIMEOUT)
                  for job in _chunk_jobs(database, api.workspace_id)]
    assert {job.status for job in chunks} <= {"succeeded", "failed"}
    with database.transaction(write=False) as session:
        failed = session.get(ScoringRun, run_id)
        assert failed.status == "failed" and "chunk 2 of 5" in failed.error and "chunk 2 broke" in failed.error
        assert session.scalar(select(CreatorScore.id).where(CreatorScore.run_id == run_id)) is None
    assert not stored_shares(database) and not stored_sketches(database) and _staged(database) == 0


def test_a_chunk_scored_twice_stores_one_copy_and_a_run_nobody_helps_scores_its_chunks_itself(
        api, database, monkeypatch):
    _broker_and_postgresql(database)
    import_demo(api, creators=30, seed=2)
    in_process = _in_process_chunked_run(api, database, chunk_size=7)
    # Every chunk job runs twice in a row: a redelivery after a worker died having written.
    real = runner.KINDS["score_chunk"].handler

    def twice(*args):
        real(*args)
        return real(*args)

    monkeypatch.setitem(runner.KINDS, "score_chunk", runner.JobKind(twice))
    # A queue no worker consumes: the run scores its chunks itself rather than wait.
    queue = f"test-unconsumed-{uuid.uuid4().hex[:12]}"
    settings = Settings(database_url=database.url, pseudonym_secret=TEST_SECRET, broker_url=BROKER, job_queue=queue)
    try:
        run_id = create_run(database, api.workspace_id)
        result = execute_run(database, api.workspace_id, run_id, worker_min_creators=None, chunk_size=7,
                             settings=settings)
    finally:
        redis.Redis.from_url(BROKER).delete(queue)
    assert result["chunks"] == 5 and result["chunks_scored_by_other_workers"] == 0
    assert _stored(database, run_id) == in_process
    assert _staged(database) == 0


def test_a_chunk_whose_worker_went_silent_fails_the_run(database, workspace_id):
    settings = Settings(database_url=database.url, pseudonym_secret=TEST_SECRET, job_timeout_seconds=60)
    with database.transaction() as session:
        job_ids = [runner.enqueue(session, workspace_id, "score_chunk", {"run_id": 1, "chunk": k}) for k in range(3)]
        session.execute(update(Job).where(Job.id == job_ids[0]).values(status="succeeded"))
        session.execute(update(Job).where(Job.id == job_ids[1]).values(
            status="running", worker="elsewhere:1", heartbeat_at=utcnow() - dt.timedelta(seconds=30)))
    assert fan_out._check(database, settings, 1, job_ids) is False  # still beating: wait
    with database.transaction() as session:
        session.execute(update(Job).where(Job.id == job_ids[1]).values(
            heartbeat_at=utcnow() - dt.timedelta(seconds=61)))
    with pytest.raises(fan_out.ChunkFailed, match=r"chunk 1 of 3 .* was lost: its worker elsewhere:1 sent no "
                                                  r"heartbeat for more than 60 s"):
        fan_out._check(database, settings, 1, job_ids)


def test_a_run_the_reaper_fails_leaves_nothing_staged(database, workspace_id):
    run_id = create_run(database, workspace_id)
    with database.transaction() as session:
        job_id = session.get(ScoringRun, run_id).job_id
        # Its coordinator died after staging: its job's heartbeat stopped.
        session.execute(update(Job).where(Job.id == job_id).values(
            status="running", heartbeat_at=utcnow() - dt.timedelta(seconds=5)))
        session.add(StagedBlob(run_id=run_id, chunk=fan_out.RUN_WIDE, name="coordination", format_version=1,
                               data=b"{}"))
    settings = Settings(database_url=database.url, pseudonym_secret=TEST_SECRET, job_timeout_seconds=1)
    assert reap(database, settings) == [job_id]
    assert _staged(database) == 0


def test_the_cli_fans_a_chunked_run_out_when_a_broker_is_configured(cli_env, database, monkeypatch):
    """`influencers score` with a broker on PostgreSQL sends its chunks to the workers, as an API run
    does (its Database carries the settings naming the broker); on SQLite it scores them itself."""
    if not BROKER:
        pytest.skip("set INFLUENCERS_TEST_BROKER_URL (CI does) to configure a broker")
    # A queue no worker consumes: the run scores its chunks itself once it has sent them.
    queue = f"test-unconsumed-{uuid.uuid4().hex[:12]}"
    monkeypatch.setenv("INFLUENCERS_BROKER_URL", BROKER)
    monkeypatch.setenv("INFLUENCERS_JOB_QUEUE", queue)
    assert Context().db.settings == load_settings()
    invoke(cli_env, "workspace", "create", "cli")
    invoke(cli_env, "import", "--workspace", "cli", str(SAMPLE))
    try:
        assert "2 creators scored" in invoke(cli_env, "score", "--workspace", "cli", "--chunk-size", "1")
        sent = redis.Redis.from_url(BROKER).llen(queue)
    finally:
        redis.Redis.from_url(BROKER).delete(queue)
    with database.transaction(write=False) as session:
        workspace_id = session.scalar(select(Workspace.id).where(Workspace.name == "cli"))
    chunks = [job.status for job in _chunk_jobs(database, workspace_id)]
    if database.is_sqlite:
        assert chunks == [] and sent == 0
    else:
        assert chunks == ["succeeded", "succeeded"] and sent == 2
    assert _staged(database) == 0


def test_a_chunked_run_on_sqlite_scores_its_chunks_in_its_process_even_with_a_broker(api, database):
    if not BROKER:
        pytest.skip("set INFLUENCERS_TEST_BROKER_URL (CI does) to configure a broker")
    if not database.is_sqlite:
        pytest.skip("PostgreSQL runs fan out (the tests above)")
    import_demo(api, creators=30, seed=2)
    in_process = _in_process_chunked_run(api, database, chunk_size=7)
    queue = f"test-unconsumed-{uuid.uuid4().hex[:12]}"
    settings = Settings(database_url=database.url, pseudonym_secret=TEST_SECRET, broker_url=BROKER, job_queue=queue)
    run_id = create_run(database, api.workspace_id)
    result = execute_run(database, api.workspace_id, run_id, worker_min_creators=None, chunk_size=7,
                         settings=settings)
    assert result["chunks"] == 5 and "chunks_scored_by_other_workers" not in result
    assert not _chunk_jobs(database, api.workspace_id) and not redis.Redis.from_url(BROKER).exists(queue)
    assert _stored(database, run_id) == in_process


def test_a_run_waiting_on_a_worker_reports_progress_as_its_chunks_finish(api, database, tmp_path, monkeypatch):
    """The coordinator's progress moves while it waits for chunks another worker holds."""
    _broker_and_postgresql(database)
    import_demo(api, creators=30, seed=2)
    log = tmp_path / "worker.log"
    with _worker(database, api.workspace_id, log, INFLUENCERS_TEST_LAST_CHUNK="0",
                 INFLUENCERS_JOB_MODULES="tests.jobs.job_kinds,tests.scoring_api.chunk_faults") as settings:
        # This process starts on its chunks once the worker holds chunk 0, which the worker scores
        # once the others have finished: this process scores four chunks, then waits for it.
        real_run_job = runner.run_job

        def run_job_once_the_worker_holds_chunk_0(db, job_settings, job_id):
            deadline = time.monotonic() + WORKER_TIMEOUT
            while _chunk_jobs(database, api.workspace_id)[0].status == "queued" and time.monotonic() < deadline:
                time.sleep(0.02)
            return real_run_job(db, job_settings, job_id)

        monkeypatch.setattr(runner, "run_job", run_job_once_the_worker_holds_chunk_0)
        reported = []
        run_id = create_run(database, api.workspace_id)
        result = execute_run(database, api.workspace_id, run_id, reported.append, worker_min_creators=None,
                             chunk_size=7, settings=settings)
    assert result["chunks"] == 5 and result["chunks_scored_by_other_workers"] == 1, log.read_text()[-3000:]
    chunks = reported[reported.index(0.3) + 1:]
    # Its own four chunks, then the worker's: every count of finished chunks shown once, in order.
    assert chunks == [pytest.approx(0.3 + 0.5 * done / 5) for done in range(1, 6)]


#: The first delivery of a run's coordinator, in a process that is killed (SIGKILL, as a worker
#: killed by the OOM killer) while it scores its third chunk: two chunks staged, one claimed by the
#: dead process, two still queued, all five sent to the broker.
DYING_COORDINATOR = """
import os, signal, sys
from influencers.assembly import assemble
from influencers.config import Settings
from influencers.db import Database
from influencers.jobs import runner
from influencers.scoring import chunked_run

assemble()
url, broker, queue, secret, job_id = sys.argv[1:]
real, calls = chunked_run.score_chunk, []

def dying(*args, **kwargs):
    calls.append(args[4])
    if len(calls) == 3:
        os.kill(os.getpid(), signal.SIGKILL)
    return real(*args, **kwargs)

chunked_run.score_chunk = dying
settings = Settings(database_url=url, pseudonym_secret=secret.encode(), broker_url=broker, job_queue=queue,
                    scoring_chunk_size=7, scoring_worker_min_creators=None)
runner.run_job(Database(url), settings, int(job_id))
"""


def test_a_redelivered_coordinator_scores_each_chunk_once_and_stores_one_result(api, database, monkeypatch):
    _broker_and_postgresql(database)
    import_demo(api, creators=30, seed=2)
    in_process = _in_process_chunked_run(api, database, chunk_size=7)
    queue = f"test-unconsumed-{uuid.uuid4().hex[:12]}"
    settings = Settings(database_url=database.url, pseudonym_secret=TEST_SECRET, broker_url=BROKER, job_queue=queue,
                        scoring_chunk_size=7, scoring_worker_min_creators=None)
    run_id = create_run(database, api.workspace_id)
    with database.transaction(write=False) as session:
        job_id = session.get(ScoringRun, run_id).job_id
    try:
        first = subprocess.run([sys.executable, "-c", DYING_COORDINATOR, database.url, BROKER, queue,
                                TEST_SECRET.decode(), str(job_id)], capture_output=True, text=True, timeout=120)
        assert first.returncode == -signal.SIGKILL, first.stderr[-3000:]
        earlier = _chunk_jobs(database, api.workspace_id)[-5:]
        assert [job.status for job in earlier] == ["queued", "queued", "running", "succeeded", "succeeded"]

        # The broker delivers the run again (its worker was lost), and, while that delivery scores its
        # first chunk, the earlier delivery's chunk messages: those still queued and the one whose
        # process died.
        real, scored = chunked_run.score_chunk, []

        def score_chunk(*args, **kwargs):
            scored.append(args[4])
            if len(scored) == 1:
                for job in earlier[:3]:
                    runner.run_job(database, settings, job.id)
            return real(*args, **kwargs)

        monkeypatch.setattr(chunked_run, "score_chunk", score_chunk)
        assert runner.run_job(database, settings, job_id) == runner.SUCCEEDED
    finally:
        redis.Redis.from_url(BROKER).delete(queue)
    assert sorted(scored) == [0, 1, 2, 3, 4]  # each chunk once, by the second delivery
    with database.transaction(write=False) as session:
        run = session.get(ScoringRun, run_id)
        assert (run.status, run.job.attempts) == ("succeeded", 2)
        assert session.scalar(select(func.count()).select_from(CreatorScore).where(CreatorScore.run_id == run_id)) == 30
    assert _stored(database, run_id) == in_process
    assert [job.status for job in _chunk_jobs(database, api.workspace_id)[-10:-5]][:3] == ["failed"] * 3
    assert _staged(database) == 0


@pytest.mark.parametrize("chunk_size", [None, 7])
def test_a_delivery_taken_over_by_a_later_one_writes_nothing(api, database, chunk_size):
    """Two deliveries of one run both reach their write (the first was taken for dead while it
    still ran): the one whose claim is older writes nothing and leaves the run to the other."""
    import_demo(api, creators=30, seed=2)
    run_id = create_run(database, api.workspace_id)
    with database.transaction(write=False) as session:
        job_id = session.get(ScoringRun, run_id).job_id

    def claimed_by_another_delivery(fraction):
        if fraction == (0.3 if chunk_size else 0.4):
            with database.transaction() as session:
                session.execute(update(Job).where(Job.id == job_id).values(attempts=Job.attempts + 1,
                                                                             worker="elsewhere:1"))

    with pytest.raises(RunNotHeld, match="no longer this delivery's to write"):
        execute_run(database, api.workspace_id, run_id, claimed_by_another_delivery, worker_min_creators=None,
                    chunk_size=chunk_size, settings=Settings(database_url=database.url, pseudonym_secret=TEST_SECRET))
    with database.transaction(write=False) as session:
        job = session.get(Job, job_id)
        assert (job.status, job.error, job.attempts, job.worker) == ("running", None, 1, "elsewhere:1")
        assert session.scalar(select(func.count()).select_from(CreatorScore).where(CreatorScore.run_id == run_id)) == 0
    assert _staged(database) == 0
