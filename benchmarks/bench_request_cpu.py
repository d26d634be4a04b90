"""In-process CPU of one API request per endpoint, per code tree (no server, no network).

    python benchmarks/bench_request_cpu.py
    python benchmarks/bench_request_cpu.py --tree before=/path/to/old/checkout --tree after=. --rounds 4

The demo workspace (``influencers demo``) is written once to a temporary SQLite file. Each
measurement is a fresh process of one tree: the app from that tree's ``create_app``, a Flask
test client, and per endpoint the best of ``--batches`` batches of 100 requests (CPU time of
the process). Trees alternate ``--rounds`` times, so their figures come from one run under
the same load; every round is printed, then each tree's best. The rate limit is lifted so
that it never answers 429 (its bookkeeping still runs).
"""
from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]

MEASURE = """\
import json, logging, sys, time
logging.disable(logging.INFO)
from influencers.app import create_app
app = create_app()
client = app.test_client()
headers = {"Authorization": "Bearer " + sys.argv[1]}
creator_id = client.get("/v1/creators?page_size=1", headers=headers).json[0]["id"]
paths = {"creator": f"/v1/creators/{creator_id}", "score": f"/v1/creators/{creator_id}/score",
         "list": "/v1/creators?page_size=20"}
best = {}
for _ in range(int(sys.argv[2])):
    for name, path in paths.items():
        for _ in range(5):
            client.get(path, headers=headers)
        start = time.process_time()
        for _ in range(100):
            response = client.get(path, headers=headers)
        assert response.status_code == 200, (path, response.status_code)
        best[name] = min(best.get(name, 1e9), (time.process_time() - start) * 10)
print(json.dumps(best))
"""


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--tree", action="append", default=[], help="NAME=PATH (default: this tree)")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--batches", type=int, default=6)
    parser.add_argument("--quick", action="store_true", help="one round of two batches")
    args = parser.parse_args()
    if args.quick:
        args.rounds, args.batches = 1, 2
    trees = dict(item.split("=", 1) for item in args.tree) or {"this": str(ROOT)}
    with tempfile.TemporaryDirectory(prefix="bench-request-cpu-") as workdir:
        env = {**os.environ, "INFLUENCERS_DATABASE_URL": f"sqlite:///{workdir}/demo.db",
               "INFLUENCERS_RATE_LIMIT": "100000000/minute"}
        cli = [sys.executable, "-c", "from influencers.cli import main; main()"]
        subprocess.run([*cli, "db", "upgrade"], env={**env, "PYTHONPATH": str(ROOT)}, check=True,
                       capture_output=True)
        demo = subprocess.run([*cli, "demo"], env={**env, "PYTHONPATH": str(ROOT)}, check=True,
                              capture_output=True, text=True).stdout
        key = next(line.split(": ", 1)[1] for line in demo.splitlines() if line.startswith("admin key: "))
        print(f"load average {os.getloadavg()[0]:.1f} at the start")
        best: dict[str, dict[str, float]] = {name: {} for name in trees}
        for round_ in range(1, args.rounds + 1):
            for name, path in trees.items():
                out = subprocess.run([sys.executable, "-c", MEASURE, key, str(args.batches)], cwd=path,
                                     env={**env, "PYTHONPATH": str(Path(path).resolve())}, check=True,
                                     capture_output=True, text=True).stdout
                figures = json.loads(out.splitlines()[-1])
                for endpoint, ms in figures.items():
                    best[name][endpoint] = min(best[name].get(endpoint, 1e9), ms)
                print(f"round {round_} {name:>10}: " + ", ".join(f"{e} {ms:.3f} ms" for e, ms in figures.items()),
                      flush=True)
        print(f"load average {os.getloadavg()[0]:.1f} at the end; best per tree:")
        for name, figures in best.items():
            print(f"{name:>10}: " + ", ".join(f"{e} {ms:.3f} ms" for e, ms in figures.items()))


if __name__ == "__main__":
    main()
