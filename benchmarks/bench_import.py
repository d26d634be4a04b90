"""Benchmark the NDJSON importer against the database's own bulk-insert "floor".

    python benchmarks/bench_import.py                      # 20,000 creators, temp SQLite file
    python benchmarks/bench_import.py --quick              # 1,000 creators
    python benchmarks/bench_import.py --database-url postgresql://postgres@127.0.0.1:5432/test

Steps (all in one run, so the figures are comparable):

1. generate the demo data set (``influencers.demo.generator``, in a subprocess so its
   memory does not count) into a temporary NDJSON file;
2. import it with :func:`influencers.imports.run_import` into an empty database:
   wall time, lines/s, rows/s, peak resident memory of this process (``ru_maxrss``;
   the import is the first big thing the process does);
3. import the same file again: must change nothing (its cost against the import's, wall and
   CPU time); then a copy with one record in ``--change-every`` (100) of each type changed;
4. the floor: the very rows the import stored, read back and inserted into a second,
   empty copy of the same tables with the driver's bulk path -- ``executemany`` on
   sqlite3 (same PRAGMAs as the import), ``COPY ... FROM STDIN`` on psycopg -- in one
   transaction, timing only the inserts and the commit;
5. the ratio import / floor, in wall time, and on SQLite (where the database works
   inside this process) also in CPU time of the process, which is the steadier figure
   on a busy machine. ``--repeat N`` alternates N imports and N floors into fresh
   tables and also compares the best and the median of each.

On PostgreSQL each database is a fresh schema in the given database, dropped at the
end (unless --keep). ``--data FILE`` imports an existing NDJSON file instead.

What the ratio measures: the floor is only the inserts of finished rows; the import
also reads and validates the JSON, pseudonymises member ids (HMAC), resolves
handles, de-duplicates, and checks which rows already exist (so a re-import writes
nothing).
"""
from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from sqlalchemy import JSON  # noqa: E402

from benchmarks.common import Target, maxrss_mib, remove_workdir  # noqa: E402
from influencers.db import Base, Database  # noqa: E402
from influencers.imports import run_import  # noqa: E402

SECRET = b"benchmark-pseudonym-secret"

# Parents before children (foreign keys), with the columns of each table.
TABLES = (
    "workspaces", "creators", "creator_categories", "posts", "follower_snapshots", "snapshot_runs",
    "audience_members", "audience_samples", "audience_sample_members", "creator_edges",
)
DATA_TABLES = TABLES[1:]


def generate(creators: int, seed: int, path: Path) -> float:
    code = (
        "import sys\n"
        "from influencers.demo.generator import DemoConfig, write_ndjson\n"
        f"write_ndjson(DemoConfig(creators={creators}, seed={seed}), sys.argv[1])\n"
    )
    started = time.perf_counter()
    subprocess.run([sys.executable, "-c", code, str(path)], check=True, cwd=ROOT)
    return time.perf_counter() - started


def change_every(source: Path, dest: Path, every: int) -> int:
    """Writes ``source`` to ``dest`` with one creator, post, snapshot and audience record in
    ``every`` of each type changed (a count, or the first member's followers); -> records changed."""
    seen: dict[str, int] = {}
    edited = 0
    with source.open("rb") as src, dest.open("wb") as out:
        for line in src:
            record = json.loads(line)
            kind = record["type"]
            seen[kind] = seen.get(kind, 0) + 1
            if seen[kind] % every == 0 and kind in ("creator", "post", "snapshot", "audience"):
                if kind == "audience":
                    record["members"][0]["followers"] += 1
                else:
                    record["followers" if kind != "post" else "likes"] += 1
                line = (json.dumps(record) + "\n").encode()
                edited += 1
            out.write(line)
    return edited


def columns(db: Database, table: str) -> list[str]:
    return [c.name for c in Base.metadata.tables[table].columns]


def floor(source: Target, dest: Target, batch: int = 50_000) -> tuple[float, float]:
    """Copy the imported rows into ``dest`` with the driver's bulk insert.

    Returns (wall seconds, CPU seconds of this process) of the inserts and the commit only.
    """
    elapsed = cpu = 0.0
    src = source.db.engine.raw_connection()
    dst = dest.db.engine.raw_connection()
    try:
        sqlite = dest.db.is_sqlite
        dconn = dst.driver_connection
        # PostgreSQL: a server-side cursor, so the source rows stream.
        scur = src.cursor() if sqlite else src.driver_connection.cursor(name="floor_source")
        if sqlite:
            dconn.execute("PRAGMA cache_size = -262144")  # as the importer does
            t, c = time.perf_counter(), time.process_time()
            dconn.execute("BEGIN IMMEDIATE")
            elapsed += time.perf_counter() - t
            cpu += time.process_time() - c
        else:
            dcur = dconn.cursor()
        for table in DATA_TABLES:
            cols = columns(dest.db, table)
            order = "rowid" if sqlite else ", ".join(
                c.name for c in Base.metadata.tables[table].primary_key.columns
            )
            # Workspace ids differ between the two databases: map them.
            json_cols = {c.name for c in Base.metadata.tables[table].columns if isinstance(c.type, JSON)}
            select = ", ".join(
                str(dest.workspace_id) if c == "workspace_id"
                else f"{c}::text" if c in json_cols and not sqlite  # JSON as its text for COPY
                else c
                for c in cols
            )
            scur.execute(f"SELECT {select} FROM {table} ORDER BY {order}")
            while True:
                rows = scur.fetchmany(batch)
                if not rows:
                    break
                t, c = time.perf_counter(), time.process_time()
                if sqlite:
                    marks = ", ".join("?" * len(cols))
                    dconn.executemany(f"INSERT INTO {table} ({', '.join(cols)}) VALUES ({marks})", rows)
                else:
                    with dcur.copy(f"COPY {table} ({', '.join(cols)}) FROM STDIN") as copy:
                        for row in rows:
                            copy.write_row(row)
                elapsed += time.perf_counter() - t
                cpu += time.process_time() - c
        t, c = time.perf_counter(), time.process_time()
        dconn.commit() if not sqlite else dconn.execute("COMMIT")
        elapsed += time.perf_counter() - t
        cpu += time.process_time() - c
    finally:
        src.close()
        dst.close()
    return elapsed, cpu


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--creators", type=int, default=20_000)
    parser.add_argument("--quick", action="store_true", help="1,000 creators")
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--database-url", default=None, help="default: a temporary SQLite file")
    parser.add_argument("--data", type=Path, default=None, help="import this NDJSON file instead of generating")
    parser.add_argument("--chunk-size", type=int, default=None)
    parser.add_argument("--no-reimport", action="store_true")
    parser.add_argument("--change-every", type=int, default=100,
                        help="the changed re-import changes one record in N of each type (default 100)")
    parser.add_argument("--repeat", type=int, default=1,
                        help="time N imports and N floors (alternating) and compare the best and medians")
    parser.add_argument("--keep", action="store_true", help="keep the databases and the data file")
    args = parser.parse_args(argv)
    creators = 1_000 if args.quick else args.creators

    workdir = Path(tempfile.mkdtemp(prefix="bench_import_"))
    data = args.data
    if data is None:
        data = workdir / f"creators_{creators}.ndjson"
        print(f"generating {creators:,} creators ...", flush=True)
        seconds = generate(creators, args.seed, data)
        print(f"  {data.stat().st_size / 2**20:,.1f} MiB in {seconds:.1f} s", flush=True)

    print(f"load average before: {' '.join(f'{x:.2f}' for x in os.getloadavg())}")
    backend = "sqlite" if not args.database_url or args.database_url.startswith("sqlite") else "postgresql"
    imported = Target(args.database_url, workdir, "import")
    copied = None
    try:
        rss_before = maxrss_mib()
        kw = {"chunk_size": args.chunk_size} if args.chunk_size else {}
        t, cpu = time.perf_counter(), time.process_time()
        with data.open("rb") as fh:
            report = run_import(imported.db, imported.workspace_id, fh, secret=SECRET, **kw)
        seconds, cpu = time.perf_counter() - t, time.process_time() - cpu
        rss_after = maxrss_mib()
        rows = imported.row_counts(DATA_TABLES)
        total_rows = sum(rows.values())
        print(f"\nimport ({backend}): {report.lines_read:,} lines, {report.bytes_read / 2**20:,.1f} MiB "
              f"in {seconds:.2f} s (CPU of this process: {cpu:.2f} s)")
        print(f"  {report.lines_read / seconds:,.0f} lines/s, {total_rows / seconds:,.0f} rows/s "
              f"({total_rows:,} rows), rejected {report.rejected_count}")
        print(f"  peak RSS {rss_after:,.0f} MiB (before the import: {rss_before:,.0f} MiB)")
        print("  rows: " + ", ".join(f"{t} {n:,}" for t, n in rows.items()))

        if not args.no_reimport:
            t, c = time.perf_counter(), time.process_time()
            with data.open("rb") as fh:
                again = run_import(imported.db, imported.workspace_id, fh, secret=SECRET, **kw)
            re_seconds, re_cpu = time.perf_counter() - t, time.process_time() - c
            same = imported.row_counts(DATA_TABLES) == rows and not again.changed
            print(f"re-import, unchanged file: {re_seconds:.2f} s (CPU {re_cpu:.2f} s), "
                  f"{'changed nothing' if same else 'CHANGED SOMETHING'}; "
                  f"re-import / import: {re_seconds / seconds:.1%} wall time, {re_cpu / cpu:.1%} CPU time")
            changed_file = workdir / "changed.ndjson"
            edited = change_every(data, changed_file, args.change_every)
            t, c = time.perf_counter(), time.process_time()
            with changed_file.open("rb") as fh:
                changed = run_import(imported.db, imported.workspace_id, fh, secret=SECRET, **kw)
            ch_seconds, ch_cpu = time.perf_counter() - t, time.process_time() - c
            print(f"re-import, 1 record in {args.change_every} changed ({edited:,} records): {ch_seconds:.2f} s "
                  f"(CPU {ch_cpu:.2f} s), re-import / import: {ch_seconds / seconds:.1%} wall time, "
                  f"{ch_cpu / cpu:.1%} CPU time; written: "
                  + ", ".join(f"{kind} {n:,}" for kind, n in changed.written.items() if n))

        copied = Target(args.database_url, workdir, "floor")
        floor_seconds, floor_cpu = floor(imported, copied)
        # (the changed re-import may have stored other snapshot runs: compare with the rows now)
        assert copied.row_counts(DATA_TABLES) == imported.row_counts(DATA_TABLES), "the floor copy does not match"
        floor_name = "sqlite3 executemany" if backend == "sqlite" else "psycopg COPY"
        print(f"floor ({floor_name}): "
              f"{floor_seconds:.2f} s (CPU {floor_cpu:.2f} s), {total_rows / floor_seconds:,.0f} rows/s")
        print(f"ratio import / floor: {seconds / floor_seconds:.2f}x wall time"
              + (f", {cpu / floor_cpu:.2f}x CPU time" if backend == "sqlite" else ""))

        if args.repeat > 1:
            # On a busy machine single timings swing a lot: alternate more imports
            # and floors, each into fresh tables, and compare the best of each.
            runs = {"import": [(seconds, cpu)], "floor": [(floor_seconds, floor_cpu)]}
            for i in range(args.repeat - 1):
                target = Target(args.database_url, workdir, f"import{i}")
                try:
                    t, c = time.perf_counter(), time.process_time()
                    with data.open("rb") as fh:
                        run_import(target.db, target.workspace_id, fh, secret=SECRET, **kw)
                    runs["import"].append((time.perf_counter() - t, time.process_time() - c))
                finally:
                    target.drop()
                target = Target(args.database_url, workdir, f"floor{i}")
                try:
                    runs["floor"].append(floor(imported, target))
                finally:
                    target.drop()
            best = {k: (min(w for w, _ in v), min(c for _, c in v)) for k, v in runs.items()}
            med = {k: (statistics.median(w for w, _ in v), statistics.median(c for _, c in v))
                   for k, v in runs.items()}
            for k in runs:
                print(f"{k} x{len(runs[k])}: best {best[k][0]:.2f} s (CPU {best[k][1]:.2f} s), "
                      f"median {med[k][0]:.2f} s (CPU {med[k][1]:.2f} s)")
            print(f"ratio of the best: {best['import'][0] / best['floor'][0]:.2f}x wall time"
                  + (f", {best['import'][1] / best['floor'][1]:.2f}x CPU time" if backend == "sqlite" else ""))
            print(f"ratio of the medians: {med['import'][0] / med['floor'][0]:.2f}x wall time"
                  + (f", {med['import'][1] / med['floor'][1]:.2f}x CPU time" if backend == "sqlite" else ""))
        print(f"load average after: {' '.join(f'{x:.2f}' for x in os.getloadavg())}")
    finally:
        if not args.keep:
            imported.drop()
            if copied is not None:
                copied.drop()
            remove_workdir(workdir)
        else:
            print(f"kept: {workdir}" + (f", schemas {imported.schema}" if imported.schema else ""))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
