"""A chunked scoring run fanned out to Celery workers against the same run in one process (issue 22).

    python benchmarks/bench_fan_out.py --database-url postgresql://postgres@127.0.0.1:5432/test \\
        --broker-url redis://127.0.0.1:6379/0 --creators 3000 --chunk-size 500 --workers 1

A demo workspace (200-member samples) is imported into a fresh PostgreSQL schema, scored once
(warm-up), then scored ``--rounds`` times in each of three ways, interleaved, so the ratios
come from one invocation under the same load:

* ``in process``: no broker: the run scores its chunks itself, staging them in local files;
* ``fan-out, alone``: a broker and a queue no worker consumes: the run stages the first pass
  and every chunk through the database and scores every chunk itself (the cost of the
  staging, with nobody to share the work);
* ``fan-out, N workers``: the same with ``--workers`` Celery worker processes (one slot each)
  consuming the queue.

Per way it prints the best wall time, the CPU time of this process and of the workers
(``/proc``), how many chunks the workers scored, and each figure's ratio to ``in process``.
It also prints the first pass's typed blob: bytes per creator, encode and decode CPU time.
The load average is printed: on a machine with fewer free cores than workers + 1, wall times
show waiting for a core, CPU times do not.
"""
from __future__ import annotations

import argparse
import io
import os
import signal
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from benchmarks.common import Target, remove_workdir  # noqa: E402
from influencers.columnar import columnar_reads  # noqa: E402
from influencers.config import Settings  # noqa: E402
from influencers.demo.generator import DemoConfig, write_ndjson  # noqa: E402
from influencers.imports import run_import  # noqa: E402
from influencers.scoring import chunked_run, typed_blob  # noqa: E402
from influencers.scoring.active_model import active_scoring_model  # noqa: E402
from influencers.scoring.audience_worker import begin_snapshot  # noqa: E402
from influencers.scoring.runs import create_run, execute_run  # noqa: E402

SECRET = "bench-fan-out-secret"


def _process_group_cpu(pgid: int) -> float:
    """User + system CPU seconds of the live processes of process group ``pgid`` (Linux /proc)."""
    ticks = os.sysconf("SC_CLK_TCK")
    total = 0
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            fields = Path(f"/proc/{entry}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if int(fields[2]) == pgid:  # fields[2]: pgrp (after pid, comm, state)
            total += int(fields[11]) + int(fields[12])  # utime, stime
    return total / ticks


def _start_worker(url: str, broker: str, queue: str, log_path: Path) -> subprocess.Popen:
    env = {**os.environ, "INFLUENCERS_DATABASE_URL": url, "INFLUENCERS_BROKER_URL": broker,
           "INFLUENCERS_JOB_QUEUE": queue, "INFLUENCERS_PSEUDONYM_SECRET": SECRET, "PYTHONPATH": str(ROOT)}
    celery = Path(sys.executable).with_name("celery")
    with open(log_path, "w") as log:
        return subprocess.Popen([str(celery), "-A", "influencers.jobs.celery_app", "worker", "--concurrency=1",
                                 "--without-gossip", "--without-mingle", "--loglevel=WARNING"],
                                cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True)


def _run(target: Target, chunk_size: int, settings: Settings, workers: list[subprocess.Popen]) -> dict:
    run_id = create_run(target.db, target.workspace_id)
    workers_before = sum(_process_group_cpu(w.pid) for w in workers)
    cpu, wall = time.process_time(), time.perf_counter()
    result = execute_run(target.db, target.workspace_id, run_id, worker_min_creators=None, chunk_size=chunk_size,
                         settings=settings)
    return {"wall": time.perf_counter() - wall, "cpu": time.process_time() - cpu,
            "workers_cpu": sum(_process_group_cpu(w.pid) for w in workers) - workers_before,
            "by_workers": result.get("chunks_scored_by_other_workers", 0), "chunks": result["chunks"]}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--database-url", help="PostgreSQL (a run on SQLite never fans out); required")
    parser.add_argument("--broker-url", help="required")
    parser.add_argument("--creators", type=int, default=3000)
    parser.add_argument("--chunk-size", type=int, default=500)
    parser.add_argument("--workers", type=int, default=1)
    parser.add_argument("--rounds", type=int, default=2)
    parser.add_argument("--quick", action="store_true",
                        help="600 creators in chunks of 200, 1 round; without the two URLs, says so and stops")
    args = parser.parse_args()
    if args.quick:
        args.creators, args.chunk_size, args.rounds = 600, 200, 1
    if not (args.database_url and args.broker_url):
        if args.quick:  # run_all.py --quick passes no URLs
            print("skipped: a fan-out needs --database-url (PostgreSQL) and --broker-url")
            return 0
        parser.error("--database-url and --broker-url are required")

    workdir = Path(tempfile.mkdtemp(prefix="bench-fan-out-"))
    target = Target(args.database_url, workdir, "fanout")
    workers: list[subprocess.Popen] = []
    try:
        data = io.StringIO()
        write_ndjson(DemoConfig(creators=args.creators, seed=11, audience_size=200), data)
        run_import(target.db, target.workspace_id, io.BytesIO(data.getvalue().encode()), secret=SECRET.encode())

        with target.db.transaction(write=False) as session, tempfile.TemporaryDirectory() as staging:
            begin_snapshot(session)
            model, _version = active_scoring_model(session, target.workspace_id)
            with columnar_reads(session):
                first = chunked_run.first_pass(session, target.workspace_id, model, model, args.chunk_size,
                                               Path(staging))
        cpu = time.process_time()
        blob = typed_blob.encode(first)
        encode_cpu = time.process_time() - cpu
        cpu = time.process_time()
        typed_blob.decode(blob)
        decode_cpu = time.process_time() - cpu

        alone_queue, workers_queue = (f"bench-{kind}-{uuid.uuid4().hex[:8]}" for kind in ("alone", "workers"))
        workers = [_start_worker(target.url, args.broker_url, workers_queue, workdir / f"worker-{k}.log")
                   for k in range(args.workers)]
        ways = {
            "in process": Settings(database_url=target.url),
            "fan-out, alone": Settings(database_url=target.url, broker_url=args.broker_url, job_queue=alone_queue),
            f"fan-out, {args.workers} worker(s)": Settings(database_url=target.url, broker_url=args.broker_url,
                                                          job_queue=workers_queue),
        }
        time.sleep(15)  # the workers import the application
        _run(target, args.chunk_size, ways["in process"], [])  # warm-up: the first run writes every share
        best: dict[str, dict] = {}
        for _round in range(args.rounds):
            for name, settings in ways.items():
                target.checkpoint()
                figures = _run(target, args.chunk_size, settings, workers)
                if name not in best or figures["wall"] < best[name]["wall"]:
                    best[name] = figures
        load = os.getloadavg()
        print(f"{args.creators} creators, chunks of {args.chunk_size} ({best['in process']['chunks']} chunks), "
              f"{args.rounds} rounds, best wall kept; load average {load[0]:.2f} {load[1]:.2f} {load[2]:.2f} "
              f"on {os.cpu_count()} cores")
        print(f"first pass as a typed blob: {len(blob) / args.creators:.0f} bytes per creator "
              f"({len(blob) / 2**20:.1f} MiB), encode {encode_cpu:.3f} s CPU, decode {decode_cpu:.3f} s CPU")
        base = best["in process"]
        print(f"{'way':<22} {'wall s':>8} {'x':>6} {'run CPU s':>10} {'x':>6} {'workers CPU s':>14} "
              f"{'all CPU x':>10} {'chunks by workers':>18}")
        for name, f in best.items():
            print(f"{name:<22} {f['wall']:8.2f} {f['wall'] / base['wall']:6.2f} {f['cpu']:10.2f} "
                  f"{f['cpu'] / base['cpu']:6.2f} {f['workers_cpu']:14.2f} "
                  f"{(f['cpu'] + f['workers_cpu']) / base['cpu']:10.2f} {f['by_workers']:>18}")
    finally:
        for worker in workers:
            os.killpg(worker.pid, signal.SIGTERM)
            try:
                worker.wait(timeout=20)
            except subprocess.TimeoutExpired:
                os.killpg(worker.pid, signal.SIGKILL)
        import redis

        connection = redis.Redis.from_url(args.broker_url)
        for queue in (locals().get("alone_queue"), locals().get("workers_queue")):
            if queue:
                connection.delete(queue)
        target.drop()
        remove_workdir(workdir)
    return 0


if __name__ == "__main__":
    sys.exit(main())
