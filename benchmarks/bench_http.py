"""Benchmark the API end to end through gunicorn: request throughput against a bare Flask view,
and discovery latency under concurrency.

    python benchmarks/bench_http.py                          # 100,000 creators, temp SQLite file
    python benchmarks/bench_http.py --database-url postgresql://postgres@127.0.0.1:5432/test
    python benchmarks/bench_http.py --quick                  # 10,000 creators, short rounds

The data are ``bench_discovery.py``'s synthetic scored creators (creators, categories, current
and older scores with ~5.8 kB explanations, audience shares), bulk-inserted, with the planner
statistics the app refreshes after imports and scoring runs. Two gunicorn servers run the
API's shipped configuration (``influencers/serving/gunicorn_conf.py``: the buffering thread
worker, ``--workers`` processes x ``--threads`` threads): the app, and a bare Flask JSON view
(``benchmarks/bare_flask_app.py``), the ceiling. ``benchmarks/http_load.py`` drives them
(keep-alive connections, closed loop, like ``wrk``), one target at a time.

**Requests** (``--part requests``): ``GET /v1/creators/{id}``, ``GET /v1/creators/{id}/score``
and discovery (the three-filter searches of ``bench_discovery.py``, cycled), each against the
bare view, in ``--rounds`` interleaved rounds (the order rotates each round). Printed per
round: requests/s and the ratio to the bare view of the same round; then the median of the
ratios. Also the servers' CPU time per request (all gunicorn processes, read from /proc): on a
loaded machine throughput moves with the neighbours, CPU per request much less. On PostgreSQL
the database server's CPU is not in it. Aims (issue 22): >= 35%, >= 25%, >= 15% of the ceiling.

**Discovery** (``--part discovery``): every variant of ``bench_discovery.py`` (the low
audience-share threshold below the lookup index's minimum included) through HTTP at
``--concurrency`` connections, ``--rounds`` interleaved rounds; p50 / p90 / p99 of the
request latency as the client measures it (first byte sent to last byte received), pooled
over the rounds. Aim: p99 < 50 ms at 100,000 creators.
"""
from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.parse
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import numpy as np  # noqa: E402

from benchmarks.bench_discovery import build, variants  # noqa: E402
from benchmarks.common import Target, remove_workdir  # noqa: E402
from benchmarks.http_load import WRK, build_request, run_load, run_wrk  # noqa: E402
from influencers import row_security  # noqa: E402
from influencers.discovery import DiscoveryQuery  # noqa: E402
from influencers.workspaces.service import create_key  # noqa: E402

GUNICORN_CONF = ROOT / "influencers" / "serving" / "gunicorn_conf.py"
AIMS = {"creator": 0.35, "score": 0.25, "discovery": 0.15}
DISCOVERY_AIM_MS = 50.0


def free_port() -> int:
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Server:
    """A gunicorn with the shipped configuration serving ``app_spec`` on a loopback port."""

    def __init__(self, app_spec: str, env: dict, log: Path, workers: int, threads: int):
        self.port = free_port()
        self.log = open(log, "w")
        self.process = subprocess.Popen(
            [sys.executable, "-m", "gunicorn", "-c", str(GUNICORN_CONF), "--workers", str(workers),
             "--threads", str(threads), "--bind", f"127.0.0.1:{self.port}", app_spec],
            cwd=ROOT, env={**os.environ, **env}, stdout=subprocess.DEVNULL, stderr=self.log)

    def wait_until_up(self, path: str, headers: dict | None = None) -> None:
        deadline = time.time() + 300
        while True:
            try:
                request = urllib.request.Request(f"http://127.0.0.1:{self.port}{path}", headers=headers or {})
                urllib.request.urlopen(request, timeout=5).read()
                return
            except OSError:
                if time.time() > deadline or self.process.poll() is not None:
                    raise RuntimeError("gunicorn did not start: " + Path(self.log.name).read_text()[-2000:]) from None
                time.sleep(0.3)

    def wait_until_idle(self, quiet: float = 0.02, interval: float = 0.25, limit: float = 120.0) -> None:
        """Until the servers' processes use less than ``quiet`` s of CPU per ``interval``: ``wrk``
        closes its connections at its deadline, and the requests it leaves behind are still
        being answered (a backlog the next target would otherwise pay for)."""
        deadline = time.time() + limit
        before = self.cpu_seconds()
        while time.time() < deadline:
            time.sleep(interval)
            now = self.cpu_seconds()
            if now - before < quiet:
                return
            before = now

    def cpu_seconds(self) -> float:
        """User + system CPU of the master and its workers so far."""
        ticks = os.sysconf("SC_CLK_TCK")
        total = 0.0
        pids = [self.process.pid]
        try:
            children = Path(f"/proc/{self.process.pid}/task/{self.process.pid}/children").read_text().split()
            pids += [int(p) for p in children]
        except OSError:
            pass
        for pid in pids:
            try:
                fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
                total += (int(fields[11]) + int(fields[12])) / ticks
            except OSError:
                continue
        return total

    def stop(self) -> None:
        self.process.terminate()
        try:
            self.process.wait(timeout=60)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()
        self.log.close()


def discovery_params(query: DiscoveryQuery) -> list[tuple[str, str]]:
    """The query string ``GET /v1/discovery/creators`` takes for ``query`` (the filters the variants use)."""
    params = []
    for name in ("platform", "country", "language", "category", "min_followers", "max_followers", "q"):
        value = getattr(query.creator, name, None)
        if value is not None:
            params.append((name, str(value)))
    for name in ("min_engagement_rate", "max_engagement_rate", "min_authenticity", "max_fake_follower_share",
                 "min_score"):
        value = getattr(query, name)
        if value is not None:
            params.append((name, repr(value)))
    params += [("flag", flag) for flag in query.with_flags]
    params += [("without_flag", flag) for flag in query.without_flags]
    params += [("audience", f"{c.dimension}:{c.value}:{c.min_share}") for c in query.audience]
    if query.mentions_brand:
        params += [("mentions_brand", query.mentions_brand), ("mention_kind", query.mention_kind),
                   ("mention_within_days", str(query.mention_within_days))]
    for name in ("not_sponsored_by", "not_sponsored_by_group"):
        if getattr(query, name):
            params += [(name, getattr(query, name)), ("sponsored_within_days", str(query.sponsored_within_days))]
    if query.has_contact is not None:
        params.append(("has_contact", "true" if query.has_contact else "false"))
    for name in ("min_growth_30d", "max_growth_30d", "min_growth_90d", "max_growth_90d"):
        if getattr(query, name) is not None:
            params.append((name, repr(getattr(query, name))))
    params += [("sort", query.sort), ("page_size", "20")]
    return params


def percentile_ms(values: list[float], q: float) -> float:
    return float(np.percentile(np.array(values) * 1000, q)) if values else float("nan")


def measure(server: Server, requests: list[bytes], args, duration: float, connections: int):
    cpu_before = server.cpu_seconds()
    result = run_load(("127.0.0.1", server.port), requests, connections=connections, duration=duration,
                      processes=args.client_processes)
    cpu = server.cpu_seconds() - cpu_before
    bad = {status: n for status, n in result.statuses.items() if status != 200}
    if bad:
        raise RuntimeError(f"non-200 answers: {bad}")
    return result, cpu


def measure_wrk(server: Server, paths: list[str], headers: dict, args, duration: float, connections: int):
    cpu_before = server.cpu_seconds()
    result = run_wrk(("127.0.0.1", server.port), paths, headers, connections=connections, duration=duration,
                     threads=args.client_processes)
    # The requests in flight at wrk's deadline are answered to nobody: their CPU is counted here
    # (at most ``connections`` requests' worth, against thousands), not in the next target's.
    server.wait_until_idle()
    cpu = server.cpu_seconds() - cpu_before
    if result.errors:
        raise RuntimeError(f"wrk counted {result.errors} non-2xx answers or socket errors")
    return result, cpu


def requests_part(app: Server, bare: Server, auth: dict, creator_ids, discovery_queries, args) -> None:
    host = "127.0.0.1"
    paths = {
        "bare": (bare, ["/bare"], {}),
        "creator": (app, [f"/v1/creators/{i}" for i in creator_ids], auth),
        "score": (app, [f"/v1/creators/{i}/score" for i in creator_ids], auth),
        "discovery": (app, ["/v1/discovery/creators?" + urllib.parse.urlencode(p) for p in discovery_queries], auth),
    }
    if args.use_wrk:
        targets = {name: (server, (urls, headers)) for name, (server, urls, headers) in paths.items()}

        def run(server, reqs, args, duration, connections):
            return measure_wrk(server, reqs[0], reqs[1], args, duration, connections)
    else:
        targets = {name: (server, [build_request(host, url, headers) for url in urls])
                   for name, (server, urls, headers) in paths.items()}
        run = measure
    names = list(targets)
    rates = {name: [] for name in names}
    cpu_per_request = {name: [] for name in names}
    ratios = {name: [] for name in names if name != "bare"}
    client = "wrk" if args.use_wrk else "the Python client (http_load.py)"
    print(f"\nrequests: {args.rounds} rounds x {args.duration:.0f} s per target, {args.connections} connections "
          f"({client}), {args.workers} workers x {args.threads} threads "
          f"(load average {os.getloadavg()[0]:.1f} before, {time.strftime('%Y-%m-%d %H:%M:%S UTC', time.gmtime())})")
    for server, reqs in targets.values():  # warm-up: caches, connections, imports
        run(server, reqs, args, 1.0, args.connections)
    for round_index in range(args.rounds):
        order = names[round_index % len(names):] + names[:round_index % len(names)]
        round_rates = {}
        for name in order:
            server, reqs = targets[name]
            result, cpu = run(server, reqs, args, args.duration, args.connections)
            round_rates[name] = result.rate
            rates[name].append(result.rate)
            cpu_per_request[name].append(cpu / max(result.requests, 1))
        for name in ratios:
            ratios[name].append(round_rates[name] / round_rates["bare"])
        print(f"  round {round_index + 1} (order {', '.join(order)}; load {os.getloadavg()[0]:.1f}): "
              + ", ".join(f"{n} {round_rates[n]:,.0f}/s" + (f" ({round_rates[n] / round_rates['bare']:.0%})"
                                                             if n != "bare" else "") for n in names))
    print(f"\n{'target':<10} {'req/s (median)':>15} {'of bare (median, per round)':>28} {'aim':>5} "
          f"{'server CPU ms/req':>18} {'CPU ratio bare/target':>22}")
    bare_cpu = statistics.median(cpu_per_request["bare"])
    for name in names:
        median_rate = statistics.median(rates[name])
        cpu_ms = statistics.median(cpu_per_request[name]) * 1000
        if name == "bare":
            print(f"{name:<10} {median_rate:>15,.0f} {'':>28} {'':>5} {cpu_ms:>18.2f}")
            continue
        per_round = ", ".join(f"{r:.0%}" for r in ratios[name])
        median_ratio = statistics.median(ratios[name])
        print(f"{name:<10} {median_rate:>15,.0f} {median_ratio:>9.0%} ({per_round}) {AIMS[name]:>5.0%} "
              f"{cpu_ms:>18.2f} {bare_cpu * 1000 / cpu_ms:>22.0%}")
    verdict = {name: "meets" if statistics.median(ratios[name]) >= AIMS[name] else "MISSES" for name in ratios}
    print("summary: requests " + "; ".join(
        f"{name} {statistics.median(ratios[name]):.0%} of bare ({verdict[name]} {AIMS[name]:.0%})" for name in ratios))


def warm_discovery_index(app: Server, auth: dict, queries: list, args, limit: float = 300.0) -> None:
    """Searches until every worker answers from its columnar index: each builds it in the background
    on its first search (answering in SQL meanwhile). Done when a 2-second window's p90 is under a
    third of the first window's and the next window agrees within 25%, or after ``limit`` seconds."""
    requests = [build_request("127.0.0.1", "/v1/discovery/creators?" + urllib.parse.urlencode(p), auth)
                for p in queries]
    started = time.perf_counter()
    first = previous = None
    while time.perf_counter() - started < limit:
        result, _cpu = measure(app, requests, args, 2.0, args.concurrency)
        p90 = percentile_ms(result.latencies, 90)
        first = p90 if first is None else first
        if previous is not None and p90 < first / 3 and abs(p90 - previous) <= 0.25 * previous:
            break
        previous = p90
    print(f"  discovery index warm-up: {time.perf_counter() - started:.1f} s (p90 {first:.1f} ms in SQL -> "
          f"{previous:.1f} ms)", flush=True)


def discovery_part(app: Server, auth: dict, queries_by_variant: dict[str, list], args) -> None:
    host = "127.0.0.1"
    requests = {name: [build_request(host, "/v1/discovery/creators?" + urllib.parse.urlencode(p), auth)
                       for p in params] for name, params in queries_by_variant.items()}
    latencies = {name: [] for name in requests}
    counts = {name: 0 for name in requests}
    cpu_seconds = {name: 0.0 for name in requests}
    names = list(requests)
    print(f"\ndiscovery through HTTP: {args.rounds} rounds x {args.discovery_duration:.0f} s per variant, "
          f"{args.concurrency} connections, the Python client (load average {os.getloadavg()[0]:.1f} before, "
          f"{time.strftime('%Y-%m-%d %H:%M:%S UTC', time.gmtime())})")
    for name in names:
        measure(app, requests[name], args, 1.0, args.concurrency)
    for round_index in range(args.rounds):
        order = names[round_index % len(names):] + names[:round_index % len(names)]
        for name in order:
            result, cpu = measure(app, requests[name], args, args.discovery_duration, args.concurrency)
            latencies[name] += result.latencies
            counts[name] += result.requests
            cpu_seconds[name] += cpu
        print(f"  round {round_index + 1} done (load {os.getloadavg()[0]:.1f})")
    header = (f"{'variant':<52} {'requests':>9} {'p50':>7} {'p90':>7} {'p99':>7} {'max':>7} "
              f"{'server CPU ms/req':>18}")
    print(f"\n{header}\n{'-' * len(header)}")
    worst = 0.0
    for name in names:
        values = latencies[name]
        worst = max(worst, percentile_ms(values, 99))
        print(f"{name:<52} {counts[name]:>9,} {percentile_ms(values, 50):>7.1f} {percentile_ms(values, 90):>7.1f} "
              f"{percentile_ms(values, 99):>7.1f} {max(values) * 1000:>7.1f} "
              f"{cpu_seconds[name] * 1000 / max(counts[name], 1):>18.1f}")
    verdict = "meets" if worst < DISCOVERY_AIM_MS else "MISSES"
    print(f"summary: discovery through HTTP ({args.backend}), {args.creators:,} creators, {args.concurrency} "
          f"connections: worst p99 {worst:.1f} ms ({verdict} the {DISCOVERY_AIM_MS:.0f} ms aim)")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--creators", type=int, default=100_000)
    parser.add_argument("--quick", action="store_true", help="10,000 creators, 2 rounds of 2 s")
    parser.add_argument("--database-url", default=None, help="default: a temporary SQLite file")
    parser.add_argument("--part", choices=("requests", "discovery", "both"), default="both")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--duration", type=float, default=5.0, help="seconds per target per round (requests)")
    parser.add_argument("--discovery-duration", type=float, default=8.0, help="seconds per variant per round")
    parser.add_argument("--connections", type=int, default=32, help="connections for the throughput part")
    parser.add_argument("--concurrency", type=int, default=4, help="connections for the discovery latency part")
    parser.add_argument("--client-processes", type=int, default=2, help="client processes (wrk: threads)")
    parser.add_argument("--client", choices=("auto", "wrk", "python"), default="auto",
                        help="throughput client: wrk where installed (auto), else the Python one")
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--threads", type=int, default=8)
    parser.add_argument("--history", type=int, default=1, help="older, non-current scoring runs per creator")
    parser.add_argument("--seed", type=int, default=11)
    parser.add_argument("--keep", action="store_true", help="keep the database")
    parser.add_argument("--sql-only", action="store_true",
                        help="no columnar index: every search in SQL (the path before issue 22's index)")
    args = parser.parse_args(argv)
    if args.quick:
        args.creators, args.rounds, args.duration, args.discovery_duration = 10_000, 2, 2.0, 2.0
    if args.client == "wrk" and not WRK:
        parser.error("wrk is not installed")
    args.use_wrk = args.client == "wrk" or (args.client == "auto" and WRK is not None)

    workdir = Path(tempfile.mkdtemp(prefix="bench_http_"))
    target = Target(args.database_url, workdir, "http")
    args.backend = target.backend
    servers = []
    try:
        print(f"building {args.creators:,} synthetic scored creators in {target.backend} ...", flush=True)
        started = time.perf_counter()
        build(target, args.creators, args.history, args.seed, 5800, True)
        row_security.install(target.db.engine)  # what the migration does: requests run as the restricted role
        with target.db.transaction() as session:
            _key, secret = create_key(session, target.workspace_id, role="viewer", name="bench")
        print(f"  {time.perf_counter() - started:.1f} s", flush=True)
        target.warm_page_cache()
        auth = {"Authorization": f"Bearer {secret}"}
        env = {"INFLUENCERS_DATABASE_URL": target.url, "INFLUENCERS_PSEUDONYM_SECRET": "bench-secret",
               "INFLUENCERS_RATE_LIMIT": "1000000000/minute", "INFLUENCERS_JOB_REAPER_SECONDS": "0",
               **({"INFLUENCERS_DISCOVERY_INDEX_MIN_CREATORS": "off"} if args.sql_only else {})}
        app = Server("influencers.app:create_app()", env, workdir / "app.log", args.workers, args.threads)
        servers.append(app)
        bare = Server("benchmarks.bare_flask_app:app", env, workdir / "bare.log", args.workers, args.threads)
        servers.append(bare)
        app.wait_until_up("/v1/creators/1", auth)
        bare.wait_until_up("/bare")

        rng = np.random.default_rng(args.seed + 2)
        creator_ids = rng.integers(1, args.creators + 1, 1000).tolist()
        made = variants(np.random.default_rng(args.seed + 1))
        if not args.sql_only:
            every = list(made.values())
            warm_discovery_index(app, auth, [discovery_params(every[i % len(every)]()) for i in range(200)], args)
        if args.part in ("requests", "both"):
            every = list(made.values())
            discovery_queries = [discovery_params(every[i % len(every)]()) for i in range(700)]
            requests_part(app, bare, auth, creator_ids, discovery_queries, args)
        if args.part in ("discovery", "both"):
            queries = {name: [discovery_params(make()) for _ in range(300)] for name, make in made.items()}
            discovery_part(app, auth, queries, args)
        print(f"load average at the end: {' '.join(f'{x:.1f}' for x in os.getloadavg())} on {os.cpu_count()} CPUs")
    finally:
        for server in servers:
            server.stop()
        if not args.keep:
            target.drop()
            remove_workdir(workdir)
        else:
            print(f"kept: {target.url}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
