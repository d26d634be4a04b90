"""What the discovery generation's triggers cost a big write: the bulk inserts of a first scoring
run's rows (the largest writes discovery watches) with the triggers and without them.

    python benchmarks/bench_discovery_triggers.py                  # 20,000 creators, temp SQLite file
    python benchmarks/bench_discovery_triggers.py --database-url postgresql://postgres@127.0.0.1:5432/test

Creators are inserted once; then, ``--rounds`` times, alternately with the triggers installed and
dropped (the order swaps each round): ``creator_scores`` (one current row per creator) and
``audience_shares`` (``--shares`` rows per creator) through the app's bulk path
(``influencers.db.bulk_insert``: sqlite3 ``executemany`` / psycopg ``COPY``) in one transaction,
timed with the commit, then deleted (untimed). SQLite fires one row trigger per row (an upsert of
the workspace's counter); PostgreSQL one statement trigger per statement (a
``discovery_changes`` row per workspace and transaction, the workspace found through the
transition table). Printed: wall and CPU time of this process per round, and the median ratio
with / without.
"""
from __future__ import annotations

import argparse
import os
import statistics
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from sqlalchemy import text  # noqa: E402

from benchmarks.common import Target, Timed, load_average, scratch_target  # noqa: E402
from influencers.brands.discovery_generation import drop_statements, install_discovery_triggers  # noqa: E402
from influencers.db import bulk_insert  # noqa: E402
from influencers.jobs.models import Job  # noqa: E402
from influencers.scoring.active_model import active_model  # noqa: E402
from influencers.scoring.store import ScoringRun  # noqa: E402


def timed_write(target: Target, n: int, shares: int, run_id: int) -> tuple[float, float]:
    with Timed() as write, target.db.transaction() as session:
        bulk_insert(session, "creator_scores",
                    ["workspace_id", "run_id", "creator_id", "is_current", "model_version", "score", "authenticity",
                     "sample_size", "flag_bits", "flags"],
                    ((target.workspace_id, run_id, i, True, "bench", 50.0, 80.0, 200, 0, "[]")
                     for i in range(1, n + 1)))
        bulk_insert(session, "audience_shares", ["creator_id", "attribute", "share", "sample_size"],
                    ((i, a, 0.01 * (a % 50), 200) for i in range(1, n + 1) for a in range(shares)))
    return write.wall, write.cpu


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--creators", type=int, default=20_000)
    parser.add_argument("--shares", type=int, default=37, help="audience shares per creator (a run's average)")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--database-url", default=None, help="default: a temporary SQLite file")
    parser.add_argument("--quick", action="store_true", help="2,000 creators, 1 round")
    args = parser.parse_args(argv)
    if args.quick:
        args.creators, args.rounds = 2_000, 1
    with scratch_target(args.database_url, "triggers") as (target, _workdir):
        with target.db.transaction() as session:
            bulk_insert(session, "creators", ["workspace_id", "platform", "handle", "followers", "following",
                                              "posts_count", "verified", "version", "created_at", "updated_at"],
                        ((target.workspace_id, "instagram", f"c{i}", 1000, 10, 10, False, 1,
                          "2026-01-01 00:00:00", "2026-01-01 00:00:00") for i in range(1, args.creators + 1)))
        with target.db.transaction() as session:
            model = active_model(session, target.workspace_id)
            job = Job(workspace_id=target.workspace_id, kind="score", status="succeeded", params={})
            session.add(job)
            session.flush()
            run = ScoringRun(workspace_id=target.workspace_id, job_id=job.id, model_id=model.id,
                             model_version=model.version)
            session.add(run)
            session.flush()
            run_id = run.id
        rows = args.creators * (1 + args.shares)
        print(f"{target.backend}: {args.creators:,} creators, {rows:,} rows per write "
              f"(load average {os.getloadavg()[0]:.1f})", flush=True)
        results = {"with triggers": [], "without": []}
        installed = True
        for round_index in range(args.rounds):
            order = ["with triggers", "without"] if round_index % 2 == 0 else ["without", "with triggers"]
            for label in order:
                want = label == "with triggers"
                if want != installed:
                    with target.db.engine.begin() as connection:
                        if want:
                            install_discovery_triggers(connection)
                        else:
                            for statement in drop_statements(connection.dialect.name):
                                connection.exec_driver_sql(statement)
                    installed = want
                wall, cpu = timed_write(target, args.creators, args.shares, run_id)
                results[label].append((wall, cpu))
                print(f"  round {round_index + 1} {label:<14} {wall:6.2f} s wall, {cpu:6.2f} s CPU", flush=True)
                with target.db.transaction() as session:
                    session.execute(text("DELETE FROM audience_shares"))
                    session.execute(text("DELETE FROM creator_scores"))
        for k, name in ((0, "wall"), (1, "CPU")):
            ratios = [w[k] / o[k] for w, o in zip(results["with triggers"], results["without"])]
            print(f"with / without triggers, {name}: median {statistics.median(ratios):.2f}x "
                  f"({', '.join(f'{r:.2f}' for r in ratios)})")
        print(f"at the end: {load_average()}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
