"""Peak memory, CPU and wall time of a scoring run, per workspace size (and per code tree).

    python benchmarks/bench_scoring_memory.py --sizes 5000,10000,20000
    python benchmarks/bench_scoring_memory.py --sizes 5000,10000 --tree before=/path/to/checkout --tree after=.

For each size a demo workspace (``influencers.demo.generator``, 200-member samples) is generated
and imported once into a SQLite file in ``--workdir`` (kept, so later invocations reuse it).
Each measurement is one scoring run in a fresh process on a fresh copy of that file:
``ru_maxrss`` of the run's process and of its children (the audience worker, from
``INFLUENCERS_SCORING_WORKER_MIN_CREATORS`` creators up) -- summed as "all processes", an
upper bound of the peak of both at once -- its CPU time (process + children) and wall time.
``--chunk-size`` runs chunked scoring runs (issue 22; each size measured like a tree, ``off``
the whole workspace at once); ``--base N`` builds each size by copying a generated
N-creator workspace (:func:`replicate`) instead of generating and importing it.
Trees are run interleaved (size by size, ``--rounds`` times each, the best kept), so ratios
between trees come from one invocation under the same load; the load average is printed.
Per size and tree it prints the figures, KiB per creator, and the ratio of each size's peak
to the first size's (the aim of issue 22: flat beyond the chunk size).
"""
from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]

PREPARE = """\
import sys
import influencers.models  # noqa: F401 -- every mapper
from influencers.db import Database
from influencers.demo.generator import DemoConfig, write_ndjson
from influencers.imports import run_import
from influencers.migrate import upgrade
from influencers.workspaces.models import Workspace
creators, data, path = int(sys.argv[1]), sys.argv[2], sys.argv[3]
write_ndjson(DemoConfig(creators=creators, seed=11, audience_size=200), data)
db = Database(f"sqlite:///{path}")
upgrade(db.engine)
with db.transaction() as session:
    workspace = Workspace(name="bench")
    session.add(workspace)
    session.flush()
    workspace_id = workspace.id
with open(data, "rb") as fh:
    run_import(db, workspace_id, fh, secret=b"benchmark-pseudonym-secret")
db.dispose()
print(workspace_id)
"""

UPGRADE = """\
import sys
from influencers.db import Database
from influencers.migrate import upgrade
db = Database(f"sqlite:///{sys.argv[1]}")
upgrade(db.engine)
db.dispose()
"""

RUN = """\
import json, resource, sys, time
from influencers.assembly import assemble
assemble()  # the scoring recalibration, as the CLI and the server have it
from influencers.db import Database
from influencers.scoring.runs import create_run, execute_run
db = Database(f"sqlite:///{sys.argv[1]}")
workspace_id, worker = int(sys.argv[2]), sys.argv[3]
wall, cpu = time.perf_counter(), time.process_time()
run_id = create_run(db, workspace_id)
timings = execute_run(db, workspace_id, run_id, worker_min_creators=None if worker == "off" else int(worker))
wall = time.perf_counter() - wall
children = resource.getrusage(resource.RUSAGE_CHILDREN)
me = resource.getrusage(resource.RUSAGE_SELF)
print(json.dumps({"wall": wall, "cpu": me.ru_utime + me.ru_stime + children.ru_utime + children.ru_stime,
                  "rss_self_mib": me.ru_maxrss / 1024, "rss_children_mib": children.ru_maxrss / 1024,
                  "creators": timings["creators_scored"], "timings": timings}))
"""


def prepare(workdir: Path, creators: int, python: str) -> Path:
    path = workdir / f"workspace-{creators}.db"
    if not path.exists():
        started = time.perf_counter()
        data = workdir / f"workspace-{creators}.ndjson"
        partial = path.with_suffix(".partial")
        subprocess.run([python, "-c", PREPARE, str(creators), str(data), str(partial)], check=True, cwd=ROOT)
        partial.rename(path)
        data.unlink()
        print(f"  prepared {creators:,} creators in {time.perf_counter() - started:.0f} s", flush=True)
    return path


# Workspace-scoped tables copied by ``replicate``, with the columns that must differ per copy.
_ID_TABLES = ("creators", "posts", "audience_samples", "audience_members", "creator_edges")


def replicate(base: Path, copies: int, path: Path, tag: str = "r") -> None:
    """``path``: the workspace of ``base`` (one workspace, ids from 1) with ``copies - 1`` more
    copies of every creator and its posts, snapshots, categories, latest and older samples,
    members and edges (ids offset, handles and keys suffixed: each copy is an independent
    audience), by INSERT ... SELECT inside SQLite: minutes for 200,000 creators, where
    generating and importing them takes hours. ``tag``: the suffix's letter (another for a base
    that is itself a replica)."""
    import sqlite3

    partial = path.with_suffix(".partial")
    shutil.copy(base, partial)
    conn = sqlite3.connect(partial)
    top = {table: conn.execute(f"SELECT max(id) FROM {table}").fetchone()[0] or 0 for table in _ID_TABLES}

    def columns(table):
        return [row[1] for row in conn.execute(f"PRAGMA table_info({table})")]

    def copy_sql(table, k, replaced):
        cols = columns(table)
        select = ", ".join(replaced.get(c, c) for c in cols)
        limit = f"WHERE id <= {top[table]}" if table in _ID_TABLES else ""
        return f"INSERT INTO {table} ({', '.join(cols)}) SELECT {select} FROM {table} {limit}"

    conn.execute("PRAGMA journal_mode=OFF")
    conn.execute("PRAGMA synchronous=OFF")
    base_creators = top["creators"]
    for k in range(1, copies):
        c, p, s, m, e = (top[t] * k for t in _ID_TABLES)
        conn.execute("BEGIN")
        conn.execute(copy_sql("creators", k, {"id": f"id + {c}", "handle": f"handle || '-{tag}{k}'"}))
        conn.execute(f"INSERT INTO creator_categories SELECT creator_id + {c}, category FROM creator_categories "
                     f"WHERE creator_id <= {base_creators}")
        conn.execute(copy_sql("posts", k, {"id": f"id + {p}", "creator_id": f"creator_id + {c}",
                                           "external_id": f"external_id || '-{tag}{k}'"}))
        snapshot_columns = columns("follower_snapshots")
        copied = ", ".join(f"creator_id + {c}" if col == "creator_id" else col for col in snapshot_columns)
        conn.execute(f"INSERT INTO follower_snapshots ({', '.join(snapshot_columns)}) SELECT {copied}"
                     f" FROM follower_snapshots WHERE creator_id <= {base_creators}")
        conn.execute(copy_sql("audience_samples", k, {"id": f"id + {s}", "creator_id": f"creator_id + {c}"}))
        conn.execute(copy_sql("audience_members", k, {"id": f"id + {m}", "member_key": f"member_key || '-{tag}{k}'"}))
        conn.execute(f"INSERT INTO audience_sample_members SELECT sample_id + {s}, member_id + {m} "
                     f"FROM audience_sample_members WHERE sample_id <= {top['audience_samples']}")
        conn.execute(copy_sql("creator_edges", k, {"id": f"id + {e}", "source_id": f"source_id + {c}",
                                                   "target_id": f"target_id + {c}"}))
        conn.execute("COMMIT")
    conn.execute("ANALYZE")
    conn.close()
    partial.rename(path)


def measure(tree: Path, database: Path, worker: str, python: str, chunk_size: str = "off") -> dict:
    with tempfile.TemporaryDirectory(prefix="bench-scoring-memory-") as scratch:
        copy = Path(scratch) / "run.db"
        shutil.copy(database, copy)
        env = {**os.environ, "PYTHONPATH": str(tree), "INFLUENCERS_SCORING_CHUNK_SIZE": chunk_size}
        # A workspace prepared by an older tree gets the measured tree's later tables first.
        subprocess.run([python, "-c", UPGRADE, str(copy)], check=True, cwd=tree, env=env)
        out = subprocess.run([python, "-c", RUN, str(copy), "1", worker], check=True, cwd=tree, env=env,
                             capture_output=True, text=True)
    return json.loads(out.stdout.strip().splitlines()[-1])


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--sizes", default="5000,10000,20000", help="comma-separated creator counts")
    parser.add_argument("--tree", action="append", default=[], metavar="NAME=PATH",
                        help="a source tree to measure (default: this one)")
    parser.add_argument("--worker", default="5000", help="audience worker from this many creators ('off': never)")
    parser.add_argument("--rounds", type=int, default=1)
    parser.add_argument("--chunk-size", action="append", default=[], metavar="SIZE",
                        help="INFLUENCERS_SCORING_CHUNK_SIZE of a run ('off': the whole workspace at once); "
                             "repeat to compare (each is measured like a tree)")
    parser.add_argument("--base", type=int, default=0,
                        help="build each size by copying a generated workspace of this many creators "
                             "(sizes must be multiples; see replicate) instead of generating it whole")
    parser.add_argument("--workdir", type=Path, default=Path(tempfile.gettempdir()) / "bench-scoring-memory")
    args = parser.parse_args(argv)
    sizes = [int(s) for s in args.sizes.split(",")]
    trees = dict(t.split("=", 1) for t in args.tree) or {"this": str(ROOT)}
    chunk_sizes = args.chunk_size or ["off"]
    if len(chunk_sizes) > 1 or chunk_sizes != ["off"]:
        # Each chunk size measured as its own "tree" (the same source tree).
        trees = {f"{name}/chunk={size}": f"{tree}\0{size}" for name, tree in trees.items() for size in chunk_sizes}
    args.workdir.mkdir(parents=True, exist_ok=True)
    python = sys.executable
    print(f"load average before: {os.getloadavg()}", flush=True)
    best: dict[tuple[str, int], dict] = {}
    for creators in sizes:
        if args.base:
            base = prepare(args.workdir, args.base, python)
            database = args.workdir / f"workspace-{creators}-from-{args.base}.db"
            if not database.exists():
                started = time.perf_counter()
                replicate(base, creators // args.base, database)
                print(f"  replicated {creators:,} creators in {time.perf_counter() - started:.0f} s", flush=True)
        else:
            database = prepare(args.workdir, creators, python)
        for _round in range(args.rounds):
            for name, tree in trees.items():
                tree, _, chunk_size = tree.partition("\0")
                figures = measure(Path(tree).resolve(), database, args.worker, python, chunk_size or "off")
                figures["total_mib"] = figures["rss_self_mib"] + figures["rss_children_mib"]
                key = (name, creators)
                if key not in best or figures["total_mib"] < best[key]["total_mib"]:
                    best[key] = figures
                print(f"  {name:>8} {creators:>8,} creators: peak {figures['rss_self_mib']:7.0f} MiB run"
                      f" + {figures['rss_children_mib']:6.0f} MiB worker = {figures['total_mib']:7.0f} MiB,"
                      f" cpu {figures['cpu']:6.1f} s, wall {figures['wall']:6.1f} s, load {os.getloadavg()[0]:.1f}",
                      flush=True)
    print("\nbest of rounds (all processes):")
    for name in trees:
        first = best[(name, sizes[0])]
        for creators in sizes:
            f = best[(name, creators)]
            print(f"  {name:>8} {creators:>8,}: {f['total_mib']:7.0f} MiB ({f['total_mib'] * 1024 / creators:5.1f} KiB"
                  f"/creator, x{f['total_mib'] / first['total_mib']:.2f} of {sizes[0]:,}),"
                  f" cpu {f['cpu'] * 1000 / creators:5.2f} ms/creator, wall {f['wall']:6.1f} s")
    if len(trees) > 1:
        names = list(trees)
        print(f"\nratios {names[-1]} / {names[0]}:")
        for creators in sizes:
            a, b = best[(names[0], creators)], best[(names[-1], creators)]
            print(f"  {creators:>8,}: memory x{b['total_mib'] / a['total_mib']:.2f}, cpu x{b['cpu'] / a['cpu']:.2f}")
    print(f"load average after: {os.getloadavg()}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
