"""Benchmark a full scoring run against the time it takes just to read its inputs.

    python benchmarks/bench_scoring.py                     # 20,000 creators, temp SQLite file
    python benchmarks/bench_scoring.py --quick             # 2,000 creators
    python benchmarks/bench_scoring.py --database-url postgresql://postgres@127.0.0.1:5432/test

Steps (all in one run, so the figures are comparable). Every timed step, runs and floors
alike, starts the same way (``settle``): the database read once into the OS page cache (the
SQLite file; on PostgreSQL the schema's tables and indexes, with ``pg_prewarm``), then 2 s of
idleness, after which this machine's VM has handed freed memory back to its host, so each step
touches cold memory (the cost is measured and printed; the floor
repeated at once, on warm memory, is printed too, for comparison):

1. generate the demo data set (``influencers.demo.generator``: 200-member audience
   samples, 24 posts and 90 daily snapshots per creator) into a temporary NDJSON file,
   and import it with :func:`influencers.imports.run_import`; both run in subprocesses,
   so their time and memory are not part of the figures (the import time is printed);
2. the run: :func:`influencers.scoring.runs.create_run` then ``execute_run``: wall and
   CPU time, its own split as ``execute_run`` reports it (read / graph / compute / write /
   sketch ...), and ``ru_maxrss`` of this
   process (the run is the first big thing it does). ``--first-runs 2`` (default): the
   first scoring of the workspace, right after the import, then the same again after
   emptying what a run writes (``reset_scoring``: scores, explanations, audience shares
   and sketches), so that the first-run figure is a best of two like the floor's (the
   first one shares the machine's state after a multi-GB import, which slows CPU-bound
   steps by up to 40% on the VM these figures come from: both are printed). ``--runs 2``
   (default): the last first scoring, then a re-scoring, which also replaces the
   previous run's audience shares;
3. the floor: the very SELECTs ``load_inputs`` sends (captured from the engine while it
   runs) replayed on a raw driver connection (sqlite3 / psycopg), rows fetched into
   plain Python lists of tuples -- no SQLAlchemy result processing, no numpy, no
   scoring. ``load_inputs`` alone is timed too (as a run calls it: on PostgreSQL its
   reads go through ADBC as Arrow columns, see ``influencers.columnar``; the floor is
   captured from the plain driver path, whose SELECTs are the same). On PostgreSQL the
   same SELECTs read by ADBC into Arrow tables, nothing converted, are timed as well
   and printed for comparison (the "columnar floor"; not the reference). All are
   repeated (``--repeat``) and the best time is kept;
4. the ratio run / floor (aim: at most 2x), in wall time and in CPU time (the run's:
   this process plus its audience worker, a child process that reads and computes the
   audience pass in parallel from 5,000 creators up, see
   ``influencers.scoring.audience_worker``), and load_inputs / floor. The wall ratio is
   the aim; the CPU ratio says how much work the run does in all, whatever the cores;
5. one more run under ``tracemalloc`` for the run's peak of Python allocations
   (tracemalloc slows allocation-heavy code down, so that run is not timed).

On PostgreSQL the database is a fresh schema in the given database (selected with
``?options=-csearch_path%3D<schema>``), dropped at the end unless --keep.
"""
from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
import tracemalloc
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import numpy as np  # noqa: E402
from sqlalchemy import event, text  # noqa: E402

from benchmarks.common import Target, maxrss_mib, remove_workdir  # noqa: E402
from influencers.columnar import ColumnarReader, columnar_reads  # noqa: E402
from influencers.db import Database  # noqa: E402
from influencers.scoring.audience_worker import begin_snapshot  # noqa: E402
from influencers.scoring.loader import load_inputs  # noqa: E402
from influencers.scoring.runs import create_run, execute_run  # noqa: E402

SECRET = b"benchmark-pseudonym-secret"

GENERATE = """\
import sys, time
from influencers.demo.generator import DemoConfig, write_ndjson
t = time.perf_counter()
write_ndjson(DemoConfig(creators=int(sys.argv[1]), seed=int(sys.argv[2]), audience_size=200,
                        posts_per_creator=24, days=90), sys.argv[3])
print(time.perf_counter() - t)
"""

IMPORT = """\
import json, sys, time
from influencers.db import Database
from influencers.imports import run_import
db = Database(sys.argv[1])
t = time.perf_counter()
with open(sys.argv[3], "rb") as fh:
    report = run_import(db, int(sys.argv[2]), fh, secret=sys.argv[4].encode())
print(json.dumps({"seconds": time.perf_counter() - t, "lines": report.lines_read,
                  "rejected": report.rejected_count}))
"""

COUNTED = ("creators", "posts", "follower_snapshots", "audience_samples", "audience_sample_members",
           "audience_members", "creator_edges")


SETTLE_SECONDS = 2.0


def settle(target: Target) -> None:
    """Puts every timed step (runs and floors alike) in the same state: the database's files in
    the OS page cache (``Target.warm_page_cache``), and anonymous memory as a step finds it
    after a moment of idleness.

    On a VM that hands freed guest memory back to the host (virtio-balloon free page
    reporting, as on the machine these figures come from), memory touched again after ~1 s
    of idleness costs a page fault served by the host (see ``first_touch_ms_per_mib``);
    memory freed and reused at once does not. A floor repeated back to back would run on
    warm memory and a run on cold memory; after ``SETTLE_SECONDS`` both start cold.

    PostgreSQL: a ``CHECKPOINT`` first, so that no step shares the machine with the writing
    out of what an earlier step (the import: gigabytes of WAL and dirty buffers) left behind.
    """
    target.checkpoint()
    target.warm_page_cache()
    time.sleep(SETTLE_SECONDS)


# What a scoring run writes: emptied between first scorings, so each one is a first one again.
# (scoring_runs last: creator_scores refer to it.)
SCORING_TABLES = ("creator_score_explanations", "creator_scores", "audience_shares", "audience_share_digests",
                  "audience_sketches", "scoring_runs")


def reset_scoring(target: Target) -> None:
    """Empties what scoring runs wrote (the benchmark's database holds one workspace), as right
    after the import: PostgreSQL ``TRUNCATE`` (empty files, as before the first run) and
    ``VACUUM (ANALYZE)`` as the import leaves its tables; SQLite ``DELETE`` then ``VACUUM``."""
    with target.db.engine.begin() as conn:
        if target.backend == "postgresql":
            conn.execute(text("TRUNCATE " + ", ".join(SCORING_TABLES)))
        else:
            for table in SCORING_TABLES:
                conn.execute(text(f"DELETE FROM {table}"))
    if target.backend == "postgresql":
        with target.db.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
            conn.execute(text("VACUUM (ANALYZE)"))
    else:
        # On the driver's connection: the engine's connections begin a transaction before every
        # statement, and VACUUM cannot run inside one.
        raw = target.db.engine.raw_connection()
        try:
            raw.driver_connection.commit()
            raw.driver_connection.execute("VACUUM")
        finally:
            raw.close()


def first_touch_ms_per_mib(mib: int = 256) -> tuple[float, float]:
    """(after idleness, at once): milliseconds per MiB to touch freshly allocated memory."""
    def touch() -> float:
        started = time.perf_counter()
        block = np.ones(mib << 20, dtype=np.uint8)  # writes every page
        del block
        return (time.perf_counter() - started) * 1000 / mib

    time.sleep(SETTLE_SECONDS)
    cold = touch()
    return cold, touch()


def cpu_seconds() -> float:
    """CPU time of this process and of its waited-for children (the run's audience worker)."""
    children = resource.getrusage(resource.RUSAGE_CHILDREN)
    return time.process_time() + children.ru_utime + children.ru_stime


def capture_loader_selects(db: Database, workspace_id: int) -> tuple[list[tuple[str, object]], float]:
    """Runs ``load_inputs`` once; returns the SELECTs it sent (driver SQL + parameters) and its time."""
    captured: list[tuple[str, object]] = []

    def record(conn, cursor, statement, parameters, context, executemany):
        if statement.lstrip().upper().startswith("SELECT"):
            captured.append((statement, parameters))

    event.listen(db.engine, "before_cursor_execute", record)
    try:
        started = time.perf_counter()
        with db.transaction(write=False) as session:
            load_inputs(session, workspace_id)
        seconds = time.perf_counter() - started
    finally:
        event.remove(db.engine, "before_cursor_execute", record)
    return captured, seconds


def time_load_inputs(db: Database, workspace_id: int) -> float:
    """``load_inputs`` as a run without a worker calls it: one snapshot, columnar reads on PostgreSQL."""
    started = time.perf_counter()
    with db.transaction(write=False) as session:
        begin_snapshot(session)
        with columnar_reads(session):
            load_inputs(session, workspace_id)
    return time.perf_counter() - started


def columnar_floor(db: Database, selects: list[tuple[str, object]]) -> float:
    """PostgreSQL: the same SELECTs read through ADBC into Arrow tables (no numpy, no Python
    values), in one transaction: how fast the columnar read method itself goes. Printed for
    comparison; the aim is judged against :func:`raw_floor`, a plain driver read."""
    import psycopg

    raw = db.engine.raw_connection()
    reader = ColumnarReader.connect(db.engine.url)
    try:
        bind = psycopg.ClientCursor(raw.driver_connection)
        sqls = [bind.mogrify(statement, parameters) for statement, parameters in selects]
        started = time.perf_counter()
        reader.begin()
        for sql in sqls:
            reader.arrow(sql)
        reader.close()  # ends the transaction
        return time.perf_counter() - started
    finally:
        reader.close()
        raw.close()


def raw_floor(db: Database, selects: list[tuple[str, object]]) -> tuple[float, float, list[tuple[int, float]]]:
    """The same SELECTs on the raw driver connection, fetched into lists of tuples, in one transaction.

    Returns (total seconds, CPU seconds of this process, [(rows, seconds) per statement])."""
    raw = db.engine.raw_connection()
    per_statement = []
    try:
        conn = raw.driver_connection
        cursor = conn.cursor()
        started, cpu = time.perf_counter(), cpu_seconds()
        if db.is_sqlite:
            cursor.execute("BEGIN")
        for statement, parameters in selects:
            t = time.perf_counter()
            cursor.execute(statement, parameters)
            rows = cursor.fetchall()
            per_statement.append((len(rows), time.perf_counter() - t))
            del rows
        if db.is_sqlite:
            cursor.execute("COMMIT")
        else:
            conn.rollback()
        total, cpu = time.perf_counter() - started, cpu_seconds() - cpu
        cursor.close()
    finally:
        raw.close()
    return total, cpu, per_statement


def describe(statement: str) -> str:
    """``audience_sample_members`` etc.: the table a captured SELECT reads (first FROM)."""
    words = statement.replace("\n", " ").split()
    try:
        return words[[w.upper() for w in words].index("FROM") + 1]
    except (ValueError, IndexError):
        return statement[:30]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--creators", type=int, default=20_000)
    parser.add_argument("--quick", action="store_true", help="2,000 creators")
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--database-url", default=None, help="default: a temporary SQLite file")
    parser.add_argument("--data", type=Path, default=None, help="import this NDJSON file instead of generating")
    parser.add_argument("--first-runs", type=int, default=2,
                        help="first scorings of the workspace: right after the import, then again after emptying "
                             "what a scoring run writes (the best one is the first-run figure)")
    parser.add_argument("--runs", type=int, default=2,
                        help="timed scoring runs after the first-runs: the last first scoring, then re-scorings "
                             "(which also replace the audience shares the previous run wrote)")
    parser.add_argument("--repeat", type=int, default=3, help="repetitions of the floor and of load_inputs")
    parser.add_argument("--no-tracemalloc", action="store_true", help="skip the extra run measuring the peak")
    parser.add_argument("--keep", action="store_true", help="keep the database and the data file")
    args = parser.parse_args(argv)
    creators = 2_000 if args.quick else args.creators

    workdir = Path(tempfile.mkdtemp(prefix="bench_scoring_"))
    data = args.data
    if data is None:
        data = workdir / f"creators_{creators}.ndjson"
        print(f"generating {creators:,} creators (subprocess) ...", flush=True)
        out = subprocess.run([sys.executable, "-c", GENERATE, str(creators), str(args.seed), str(data)],
                             check=True, cwd=ROOT, capture_output=True, text=True)
        print(f"  {data.stat().st_size / 2**20:,.1f} MiB in {float(out.stdout):.1f} s", flush=True)

    target = Target(args.database_url, workdir, "scoring")
    try:
        print(f"importing into {target.backend} (subprocess, not part of the figures) ...", flush=True)
        out = subprocess.run([sys.executable, "-c", IMPORT, target.url, str(target.workspace_id), str(data),
                              SECRET.decode()], check=True, cwd=ROOT, capture_output=True, text=True)
        imported = json.loads(out.stdout)
        counts = target.row_counts(COUNTED)
        print(f"  {imported['lines']:,} lines in {imported['seconds']:.1f} s, rejected {imported['rejected']}; "
              + ", ".join(f"{t} {n:,}" for t, n in counts.items()), flush=True)
        if target.backend == "postgresql":
            with target.db.engine.begin() as conn:
                conn.execute(text("ANALYZE"))

        # -- the runs: first scorings of the workspace, then re-scorings -----------------------
        rss_before = maxrss_mib()
        runs = []  # (label, wall seconds, CPU seconds of this process, timings)
        first_runs = max(args.first_runs, 1)
        for k in range(first_runs + max(args.runs, 1) - 1):
            if 0 < k < first_runs:
                reset_scoring(target)
            run_id = create_run(target.db, target.workspace_id)
            settle(target)
            started, cpu = time.perf_counter(), cpu_seconds()
            timings = execute_run(target.db, target.workspace_id, run_id)
            seconds, cpu = time.perf_counter() - started, cpu_seconds() - cpu
            label = ("first run" if k == 0 else f"first {k + 1}" if k < first_runs
                     else f"re-run {k - first_runs + 1}")
            runs.append((label, seconds, cpu, timings))
            print(f"  run {run_id}: {seconds:.2f} s (CPU {cpu:.2f} s): "
                  + ", ".join(f"{key[:-8]} {value:.2f}" for key, value in timings.items() if key.endswith("_seconds")),
                  flush=True)
        rss_after_run = maxrss_mib()

        # -- the floor and load_inputs -----------------------------------------------------
        selects, first_load = capture_loader_selects(target.db, target.workspace_id)
        floors, warm_floors, loads, columnar_floors = [], [], [first_load], []
        per_statement = None
        for _ in range(max(args.repeat, 1)):
            settle(target)
            total, cpu, stmts = raw_floor(target.db, selects)
            if not floors or total < min(f for f, _ in floors):
                per_statement = stmts
            floors.append((total, cpu))
            warm_floors.append(raw_floor(target.db, selects)[0])  # right after: memory just freed, still warm
            settle(target)
            loads.append(time_load_inputs(target.db, target.workspace_id))
            if target.backend != "sqlite":
                settle(target)
                columnar_floors.append(columnar_floor(target.db, selects))
        floor_seconds, floor_cpu = min(f for f, _ in floors), min(c for _, c in floors)
        load_seconds = min(loads)

        peak_mib = None
        if not args.no_tracemalloc:
            run_id = create_run(target.db, target.workspace_id)
            tracemalloc.start()
            execute_run(target.db, target.workspace_id, run_id)
            peak_mib = tracemalloc.get_traced_memory()[1] / 2**20
            tracemalloc.stop()

        # -- report --------------------------------------------------------------------------
        driver = "sqlite3" if target.backend == "sqlite" else "psycopg"
        print(f"\nfloor: the {len(selects)} SELECTs of load_inputs on the raw {driver} connection "
              f"(best of {len(floors)}):")
        for (statement, _), (rows, secs) in zip(selects, per_statement):
            print(f"  {describe(statement):<26} {rows:>10,} rows  {secs:7.2f} s")
        memberships = counts["audience_sample_members"]
        # The run's own stages, as execute_run reports them (read, graph, compute, write, sketch ...).
        stages = list(dict.fromkeys(key for _, _, _, timings in runs for key in timings if key.endswith("_seconds")))
        header = (f"{'backend':<10} {'run':<9} {'creators':>8} {'memberships':>11} {'run s':>7} "
                  + " ".join(f"{key[:-8]:>7}" for key in stages)
                  + f" {'floor s':>7} {'ratio':>6} {'CPU ratio':>9} {'peak MB':>7} {'maxrss MB':>9}")
        print("\n" + header)
        print("-" * len(header))
        for label, seconds, cpu, timings in runs:
            print(f"{target.backend:<10} {label:<9} {counts['creators']:>8,} {memberships:>11,} {seconds:>7.2f} "
                  + " ".join(f"{timings.get(key, float('nan')):>7.2f}" for key in stages)
                  + f" {floor_seconds:>7.2f} {seconds / floor_seconds:>5.2f}x {cpu / floor_cpu:>8.2f}x "
                  f"{peak_mib if peak_mib is not None else float('nan'):>7.0f} {rss_after_run:>9.0f}")
        cold_ms, warm_ms = first_touch_ms_per_mib()
        print(f"\nmemory: touching fresh memory costs {cold_ms:.2f} ms/MiB after {SETTLE_SECONDS:.0f} s idle, "
              f"{warm_ms:.2f} ms/MiB right after freeing some; every timed step starts after that idle")
        print(f"floor repeated at once (warm memory, not the reference): {min(warm_floors):.2f} s "
              f"(run / that: " + ", ".join(f"{r[1] / min(warm_floors):.2f}x {r[0]}" for r in runs) + ")")
        print(f"floor: {floor_seconds:.2f} s wall, {floor_cpu:.2f} s CPU; load_inputs alone "
              f"{load_seconds:.2f} s ({load_seconds / floor_seconds:.2f}x the floor)")
        if columnar_floors:
            print(f"columnar floor (for comparison, not the reference): the same SELECTs read by ADBC into Arrow "
                  f"tables, nothing converted: {min(columnar_floors):.2f} s (run / that: "
                  + ", ".join(f"{r[1] / min(columnar_floors):.2f}x" for r in runs) + ")")
        print("ratio: run wall time / floor wall time (aim <= 2x). CPU ratio: CPU time of the run (this process and "
              "its audience worker) / of the floor" + ("" if target.backend == "sqlite" else
                                                       " (client side only: the server's work is not in it)"))
        workers = [t for _, _, _, t in runs if t.get("audience_worker")]
        if workers:
            print("audience worker: read " + ", ".join(f"{t['audience_read_seconds']:.2f} s" for t in workers)
                  + "; peak RSS " + ", ".join(f"{t.get('audience_worker_maxrss_mib', 0):,.0f} MB" for t in workers)
                  + " (a process of its own, not in maxrss above)")
        print(f"peak MB: tracemalloc peak of one more run's Python allocations; maxrss: ru_maxrss of this process "
              f"after the timed runs (before them: {rss_before:,.0f} MB)")
        print(f"load average during the benchmark: {os.getloadavg()[0]:.1f} on {os.cpu_count()} CPUs")
        # The first-run figure is the best first scoring, as the floor is its best of --repeat;
        # every sample is in the table above and in the summary.
        firsts, reruns = runs[:first_runs], runs[first_runs:]
        label, seconds, cpu, timings = min(firsts, key=lambda run: run[1])
        ratio = seconds / floor_seconds
        verdict = "meets" if ratio <= 2 else "MISSES"
        samples = ", ".join(f"{r[1]:.2f} s = {r[1] / floor_seconds:.2f}x" for r in firsts)
        best_rerun = min((r[1] for r in reruns), default=None)
        rerun = f"; re-run {best_rerun:.2f} s = {best_rerun / floor_seconds:.2f}x" if reruns else ""
        print(f"\nsummary: scoring run ({target.backend}) {counts['creators']:,} creators, {memberships:,} "
              "memberships: "
              f"first run {seconds:.2f} s vs floor {floor_seconds:.2f} s = {ratio:.2f}x ({verdict} the 2x aim; CPU "
              f"{cpu / floor_cpu:.2f}x; best of {len(firsts)}: {samples}, the first right after the import)"
              f"{rerun}; peak {peak_mib or 0:.0f} MB traced / {rss_after_run:.0f} MB RSS")
    finally:
        if not args.keep:
            target.drop()
            remove_workdir(workdir)
        else:
            print(f"kept: {workdir}" + (f", schema {target.schema}" if target.schema else ""))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
