"""A scoring run's audience pass in a child process, on the run's own snapshot of the database.

The memberships and members of the latest samples are most of what a run reads
(4M rows + 0.9M rows at 20,000 creators), and classifying them, counting the
shares and building the sketches most of what it computes; none of it needs the
posts, snapshots or the graph. So a large run (``INFLUENCERS_SCORING_WORKER_MIN_CREATORS``
creators or more, on a database another process can open) starts this process,
which reads and computes the audience pass (:mod:`influencers.scoring.audience_pass`)
while the run's own process reads and scores the rest: two cores instead of one.

Both read one snapshot, so the pass belongs to the same state of the database as
the rest of the run:

* PostgreSQL: the run's REPEATABLE READ transaction exports its snapshot
  (``pg_export_snapshot``) and the worker's transaction adopts it
  (``SET TRANSACTION SNAPSHOT``);
* SQLite (WAL): a read transaction's snapshot starts at its first read, so the run
  holds the write lock (``BEGIN IMMEDIATE`` on a separate connection) from before its
  own first read until the worker has made its first read: no commit can fall
  between them. The run reads on meanwhile (a thread does the hand-over), so writers
  wait for about the time the worker takes to start (~1 s).

The protocol is one JSON object per line: the run writes the configuration and then
the go (with the snapshot id and the models) to the worker's stdin; the worker
answers ``ready``, ``reading``, then ``done`` (the result is in an ``.npz`` file in a
private temporary directory, read with ``allow_pickle=False``) or ``error``. The
worker's stdout is reserved for the protocol (stray output goes to stderr, which it
shares with the run). Nothing is pickled either way.
"""
from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from contextlib import ExitStack
from pathlib import Path

from sqlalchemy import select, text
from sqlalchemy.engine import make_url
from sqlalchemy.orm import Session

from influencers.creators.models import Creator
from influencers.db import Database

_PACKAGE_ROOT = str(Path(__file__).resolve().parents[2])


# What the worker hands over, each once, in an order that depends on the database (see _child).
_PARTS = ("audience", "shares", "sketches")


class AudienceWorkerError(RuntimeError):
    """The worker failed (its error) or died; the run fails with this message."""


def can_use_worker(db: Database) -> bool:
    """A worker needs a database another process can open (not an in-memory SQLite)."""
    if not db.is_sqlite:
        return True
    database = db.engine.url.database
    return database not in (None, "", ":memory:") and not database.startswith("file::memory:")


def begin_snapshot(session: Session) -> None:
    """Starts ``session``'s transaction as one snapshot for all its reads: REPEATABLE READ on
    PostgreSQL (which a worker can adopt); SQLite read transactions are snapshots already."""
    if session.get_bind().dialect.name == "postgresql":
        session.connection(execution_options={"isolation_level": "REPEATABLE READ"})


class AudienceWorker:
    """The run's side: start the child, share the snapshot, collect the result."""

    def __init__(self, db: Database, workspace_id: int, *, lg_k: int, seed: int, hold_after_snapshot: bool = False):
        """``hold_after_snapshot`` (for tests): the worker waits for :meth:`proceed` between
        starting its snapshot and reading, so that a test can commit a change in between."""
        self._db = db
        self._tempdir = tempfile.TemporaryDirectory(prefix="influencers-audience-")
        self._directory = Path(self._tempdir.name)
        self.timings: dict[str, float] = {}
        self.creator_ids = None
        self._handshake: threading.Thread | None = None
        self._handshake_error: BaseException | None = None
        # The parts (audience, shares, sketches) as the worker announces them, in whatever
        # order it finishes them; threads of the run may wait for different parts at once.
        self._parts_arrived: dict[str, dict] = {}
        self._parts_failure: BaseException | None = None
        self._parts_reading = False
        self._parts_changed = threading.Condition()
        env = dict(os.environ)
        env["PYTHONPATH"] = os.pathsep.join(p for p in (_PACKAGE_ROOT, env.get("PYTHONPATH")) if p)
        self._process = subprocess.Popen(
            [sys.executable, "-m", "influencers.scoring.audience_worker"],
            stdin=subprocess.PIPE, stdout=subprocess.PIPE, env=env, text=True,
        )
        # The URL goes through the pipe, not argv: it may hold a password.
        try:
            self._send({"database_url": db.url, "workspace_id": workspace_id, "directory": str(self._directory),
                        "lg_k": lg_k, "seed": seed, "hold_after_snapshot": hold_after_snapshot})
        except BaseException:  # no `with` will close a worker that failed to start: close it here
            self.close()
            raise

    def __enter__(self) -> AudienceWorker:
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    def _send(self, message: dict) -> None:
        try:
            self._process.stdin.write(json.dumps(message) + "\n")
            self._process.stdin.flush()
        except BrokenPipeError:
            self._fail()

    def _receive(self, expected: str | None) -> dict:
        line = self._process.stdout.readline()
        if not line:
            self._fail()
        message = json.loads(line)
        if "error" in message:
            raise AudienceWorkerError(f"audience worker: {message['error']}")
        if expected is not None and message.get("status") != expected:
            raise AudienceWorkerError(f"audience worker: expected {expected!r}, got {message!r}")
        return message

    def _fail(self):
        code = self._process.wait()
        raise AudienceWorkerError(f"audience worker exited with status {code} (see its log on stderr)")

    def share_snapshot(self, session: Session, *, model: dict, sketch_model: dict) -> None:
        """:meth:`start_sharing_snapshot`, then :meth:`wait_snapshot_shared`."""
        self.start_sharing_snapshot(session, model=model, sketch_model=sketch_model)
        self.wait_snapshot_shared()

    def start_sharing_snapshot(self, session: Session, *, model: dict, sketch_model: dict) -> None:
        """Fixes the snapshot of ``session``'s transaction (begun with :func:`begin_snapshot`,
        nothing read in it yet) and has the worker adopt it as soon as it is ready, while
        the run goes on reading. The run must call :meth:`wait_snapshot_shared` before its
        transaction ends.

        SQLite: the write lock is held from here until the worker has made its first read
        (about the time the worker takes to start, ~1 s: writers wait that long).
        """
        go = {"model": model, "sketch_model": sketch_model, "snapshot": None}
        lock = None
        if session.get_bind().dialect.name == "postgresql":
            go["snapshot"] = session.execute(text("SELECT pg_export_snapshot()")).scalar_one()
        else:
            lock = self._db.engine.raw_connection()
            try:
                lock.cursor().execute("BEGIN IMMEDIATE")  # no commit until both snapshots have started
                session.execute(select(Creator.id).limit(1))  # the run's snapshot starts here
            except BaseException:
                lock.close()
                raise
        self._handshake = threading.Thread(target=self._hand_over, args=(go, lock), daemon=True,
                                           name="audience-worker-handshake")
        self._handshake.start()

    def _hand_over(self, go: dict, lock) -> None:
        try:
            self._receive("ready")
            self._send(go)
            self._receive("reading")
        except BaseException as error:  # noqa: BLE001 -- re-raised by wait_snapshot_shared
            self._handshake_error = error
        finally:
            if lock is not None:
                try:
                    lock.cursor().execute("ROLLBACK")
                finally:
                    lock.close()

    def wait_snapshot_shared(self) -> None:
        """Waits until the worker reads the run's snapshot (and, on SQLite, the lock is released)."""
        self._handshake.join()
        if self._handshake_error is not None:
            raise self._handshake_error

    def proceed(self) -> None:
        self._send({"proceed": True})

    def _part(self, name: str):
        """Waits until the worker has announced part ``name``; returns its file.

        One waiting thread at a time reads the worker's next message (without holding the
        lock, so the others can see what arrived), files it and wakes the others: a thread
        waiting for the shares gets them while another still waits for the audience.
        A worker error fails every waiting thread.
        """
        with self._parts_changed:
            while name not in self._parts_arrived:
                if self._parts_failure is not None:
                    raise self._parts_failure
                if self._parts_reading:
                    self._parts_changed.wait()
                    continue
                self._parts_reading = True
                self._parts_changed.release()
                try:
                    message = self._receive(None)
                except BaseException as error:  # noqa: BLE001 -- raised to every waiting thread
                    message = error
                finally:
                    self._parts_changed.acquire()
                    self._parts_reading = False
                    self._parts_changed.notify_all()
                if isinstance(message, BaseException):
                    self._parts_failure = message
                    raise message
                if message.get("status") not in _PARTS or message["status"] in self._parts_arrived:
                    self._parts_failure = AudienceWorkerError(f"audience worker: unexpected {message!r}")
                    raise self._parts_failure
                self._parts_arrived[message["status"]] = message
            message = self._parts_arrived[name]
        self.timings.update(message.get("timings", {}))
        return self._directory / f"{name}.npz"

    def audience(self):
        """The audience types per creator (:class:`~influencers.scoring.audience.AudienceResult`);
        waits for the worker to have read and classified the memberships."""
        from influencers.scoring.audience_pass import load_audience

        creator_ids, audience = load_audience(self._part("audience"))
        self.creator_ids = creator_ids
        return audience

    def shares(self):
        from influencers.scoring.audience_pass import load_shares

        return load_shares(self._part("shares"))

    def sketches(self):
        from influencers.scoring.audience_pass import load_sketches

        return load_sketches(self._part("sketches"))

    def close(self) -> None:
        if self._process.poll() is None:
            self._process.kill()
        self._process.wait()
        if self._handshake is not None:
            self._handshake.join()  # it ends with the process (and releases the SQLite lock)
        for stream in (self._process.stdin, self._process.stdout):
            try:
                stream.close()
            except OSError:  # the pipe may be broken already
                pass
        self._tempdir.cleanup()


# -- the child -----------------------------------------------------------------------------------

def _import_computing_modules() -> None:
    # pandas, scipy (via the overlap loader) and DataSketches: imports the read
    # does not need. A thread imports them while the read waits on the database, instead
    # of delaying the read (the worker's start is on the run's critical path).
    import influencers.scoring.audience_pass  # noqa: F401


def _child(config: dict, stdin, protocol) -> None:
    from influencers.columnar import ColumnarReader

    computing_modules = threading.Thread(target=_import_computing_modules, daemon=True,
                                         name="audience-worker-imports")
    computing_modules.start()
    # PostgreSQL: the columnar reader (influencers.columnar) connects in a thread of its own
    # (its driver's imports and the connection) while this one imports the models and connects.
    with ThreadPoolExecutor(max_workers=1, thread_name_prefix="audience-worker-reader") as connecting:
        pending_reader = (connecting.submit(ColumnarReader.connect, config["database_url"])
                          if make_url(config["database_url"]).get_backend_name() == "postgresql" else None)
        try:
            _read_and_compute(config, stdin, protocol, pending_reader, computing_modules)
        finally:
            # columnar_reads closes the reader it is given; one the read never got to is closed here
            # (closing twice does nothing).
            if pending_reader is not None and pending_reader.exception() is None:
                pending_reader.result().close()


def _read_and_compute(config: dict, stdin, protocol, pending_reader, computing_modules) -> None:
    # The tables the worker reads and those their foreign keys name (the whole schema is not needed).
    import influencers.creators.models  # noqa: F401
    import influencers.workspaces.models  # noqa: F401
    from influencers.columnar import columnar_reads, set_transaction_snapshot
    from influencers.gcpause import gc_paused
    from influencers.scoring.audience import audience_authenticity, classify_memberships
    from influencers.scoring.loader import add_member_details, load_audience_inputs
    from influencers.scoring.model import ScoringModel

    def send(status: str, **fields) -> None:
        protocol.write(json.dumps({"status": status, **fields}) + "\n")
        protocol.flush()

    directory = Path(config["directory"])
    db = Database(config["database_url"])
    try:
        with db.engine.connect():  # connect now, not on the critical path
            pass
        send("ready")
        go = json.loads(stdin.readline() or "null")
        if go is None:
            return  # the run gave up before the go
        with gc_paused():
            with db.transaction(write=False) as session, ExitStack() as stack:
                started = time.perf_counter()
                if go["snapshot"] is not None:
                    begin_snapshot(session)
                    session.execute(text(set_transaction_snapshot(go["snapshot"])))
                session.execute(select(Creator.id).limit(1))  # SQLite: the snapshot starts here
                send("reading")
                if config.get("hold_after_snapshot"):
                    stdin.readline()
                # PostgreSQL: the big reads as Arrow columns, on this transaction's snapshot.
                if pending_reader is not None:
                    stack.enter_context(columnar_reads(session, pending_reader.result()))
                # SQLite: what the classification needs first (the run waits for it), the member
                # details (gender, keys) after, in the same transaction. PostgreSQL:
                # all of it in one read; a second read of the members by ~10^6 ids (the id array
                # sent and joined again) costs more server and client time than the run
                # gains by getting the classification that much sooner.
                details_first = session.get_bind().dialect.name == "postgresql"
                inputs, member_ids = load_audience_inputs(session, config["workspace_id"], details=details_first)
                read_seconds = round(time.perf_counter() - started, 3)
                computing_modules.join()
                from influencers.scoring import audience_pass
                model = ScoringModel.from_dict(go["model"])
                sketch_model = ScoringModel.from_dict(go["sketch_model"])

                def hand_over_shares(**timings) -> None:
                    started = time.perf_counter()
                    audience_pass.save_shares(audience_pass.audience_shares(inputs), directory / "shares.npz")
                    send("shares", timings={**timings,
                                            "audience_shares_seconds": round(time.perf_counter() - started, 3)})

                # Each part is handed over as soon as it is ready. PostgreSQL: the shares first:
                # they do not depend on the classification, and the run has the server store them
                # (its longest write) while this process classifies and the run computes.
                if details_first:
                    hand_over_shares()
                started = time.perf_counter()
                classified = classify_memberships(inputs, model)
                audience_pass.save_audience(inputs.creator_ids, audience_authenticity(inputs, model, classified),
                                            directory / "audience.npz")
                send("audience", timings={"audience_read_seconds": read_seconds,
                                          "audience_seconds": round(time.perf_counter() - started, 3)})
                keys_seconds = 0.0
                if not details_first:
                    # SQLite: the details after handing over the audience types (the shares need
                    # the demographics), the keys (for the sketches) after the shares.
                    started = time.perf_counter()
                    inputs = add_member_details(session, config["workspace_id"], inputs, member_ids, ("gender",))
                    hand_over_shares(audience_details_read_seconds=round(time.perf_counter() - started, 3))
                    started = time.perf_counter()
                    inputs = add_member_details(session, config["workspace_id"], inputs, member_ids,
                                                ("member_key",))
                    keys_seconds = round(time.perf_counter() - started, 3)
            started = time.perf_counter()
            # The sketches count the members the sketch model calls authentic: usually the run's
            # own model, whose classification is at hand then.
            sketch_classified = classified if go["sketch_model"] == go["model"] else None
            audience_pass.save_sketches(audience_pass.sketch_batch(inputs, sketch_model, lg_k=config["lg_k"],
                                                                   seed=config["seed"], classified=sketch_classified),
                                        directory / "sketches.npz")
            send("sketches", timings={"audience_keys_read_seconds": keys_seconds,
                                      "audience_sketches_seconds": round(time.perf_counter() - started, 3),
                                      "audience_worker_maxrss_mib": _maxrss_mib()})
    finally:
        db.dispose()


def _maxrss_mib() -> float:
    import resource

    # Linux reports kibibytes (macOS bytes; this is a figure for benchmarks, not a limit).
    return round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1)


def main() -> int:
    # The protocol gets its own copy of stdout; fd 1 then points at stderr, so that
    # anything else written to stdout (a library's print, a C extension) cannot garble it.
    protocol = os.fdopen(os.dup(1), "w")
    os.dup2(2, 1)
    sys.stdout = sys.stderr
    try:
        _child(json.loads(sys.stdin.readline()), sys.stdin, protocol)
    except Exception as error:  # noqa: BLE001 -- reported to the run, which fails with it
        import traceback

        traceback.print_exc()
        protocol.write(json.dumps({"error": f"{type(error).__name__}: {error}"}) + "\n")
        protocol.flush()
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
