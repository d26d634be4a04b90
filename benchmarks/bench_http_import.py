"""An NDJSON import over HTTP against the CLI importing the same file.

    python benchmarks/bench_http_import.py                     # 64 MiB (the HTTP limit), SQLite
    python benchmarks/bench_http_import.py --mib 4 --database-url postgresql://postgres@127.0.0.1:5432/test
    python benchmarks/bench_http_import.py --mib 4 --server-repo /path/to/older/checkout --skip-cli

Steps:

1. generate the demo data set (``influencers.demo.generator``) into an NDJSON file of about
   ``--mib`` MiB (at most the HTTP import limit);
2. the CLI: ``influencers import`` of the file into a fresh database (wall time of the command);
3. HTTP: ``influencers serve`` (the default deployment) on a fresh database, the file POSTed
   to ``/v1/imports`` with its Content-Length from 127.0.0.1; the time until the import is
   done: the 200 report, or, for a body above the async threshold (202), until its job has
   succeeded;
4. prints both times, MiB/s and the ratio HTTP / CLI.

``--server-repo`` serves HTTP from another checkout (its ``venv``), e.g. an older commit, to
compare with what it did.
"""
from __future__ import annotations

import argparse
import http.client
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

MIB = 1024 * 1024


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def generate(path: Path, target_bytes: int) -> int:
    """An NDJSON file of at most ``target_bytes`` (whole demo creators, cut at a line end)."""
    from influencers.demo.generator import DemoConfig, write_ndjson

    sample = path.with_suffix(".sample")
    write_ndjson(DemoConfig(creators=50, seed=11), sample)
    per_creator = sample.stat().st_size / 50
    sample.unlink()
    write_ndjson(DemoConfig(creators=max(1, int(target_bytes / per_creator * 1.02)), seed=11), path)
    if path.stat().st_size > target_bytes:
        with open(path, "rb+") as fh:
            head = fh.read(target_bytes)
            fh.truncate(head.rfind(b"\n") + 1)
    return path.stat().st_size


class Database:
    """A fresh database: a SQLite file, or a PostgreSQL schema of its own (dropped by ``drop``)."""

    def __init__(self, base_url: str | None, workdir: Path, name: str):
        self.base_url, self.schema = base_url, None
        if base_url is None:
            self.url = f"sqlite:///{workdir / (name + '.db')}"
        else:
            from sqlalchemy import text

            from influencers.db import Database as Db

            self.schema = f"bench_http_{name}_{uuid.uuid4().hex[:8]}"
            admin = Db(base_url)
            with admin.engine.begin() as conn:
                conn.execute(text(f'CREATE SCHEMA "{self.schema}"'))
            admin.dispose()
            self.url = base_url + ("&" if "?" in base_url else "?") + f"options=-csearch_path%3D{self.schema}"

    def drop(self) -> None:
        if self.schema:
            from sqlalchemy import text

            from influencers.db import Database as Db

            admin = Db(self.base_url)
            with admin.engine.begin() as conn:
                conn.execute(text(f'DROP SCHEMA "{self.schema}" CASCADE'))
            admin.dispose()


def prepare(bin_dir: Path, env: dict) -> str:
    """Migrates the database and creates the workspace; returns its admin key."""
    subprocess.run([str(bin_dir / "influencers"), "db", "upgrade"], env=env, check=True, capture_output=True)
    out = subprocess.run([str(bin_dir / "influencers"), "workspace", "create", "bench"], env=env, check=True,
                         capture_output=True, text=True).stdout
    return out.strip().rsplit(" ", 1)[-1]


def cli_import(path: Path, env: dict) -> float:
    started = time.perf_counter()
    subprocess.run([str(REPO / "venv" / "bin" / "influencers"), "import", "--workspace", "bench", str(path)],
                   env=env, check=True, capture_output=True)
    return time.perf_counter() - started


def http_import(path: Path, env: dict, bin_dir: Path, key: str, workdir: Path) -> tuple[float, str]:
    port = free_port()
    log = open(workdir / "server.log", "w")
    server = subprocess.Popen([str(bin_dir / "influencers"), "serve", "--port", str(port)], env=env, cwd=workdir,
                              stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
    try:
        deadline = time.monotonic() + 180
        while True:
            try:
                connection = http.client.HTTPConnection("127.0.0.1", port, timeout=2)
                connection.request("GET", "/health")
                if connection.getresponse().status == 200:
                    break
            except OSError:
                pass
            if time.monotonic() > deadline:
                raise RuntimeError("the server did not start")
            time.sleep(0.2)
        headers = {"Authorization": f"Bearer {key}", "Content-Type": "application/x-ndjson"}
        started = time.perf_counter()
        connection = http.client.HTTPConnection("127.0.0.1", port, timeout=1800)
        with open(path, "rb") as body:
            try:
                connection.request("POST", "/v1/imports", body=body, headers={
                    **headers, "Content-Length": str(path.stat().st_size)})
                response = connection.getresponse()
                answer = response.read()
            except (OSError, http.client.HTTPException) as error:
                return time.perf_counter() - started, f"failed: {type(error).__name__}: {error}"
        if response.status == 202:
            location = response.getheader("Location")
            while True:
                connection = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
                connection.request("GET", location, headers=headers)
                job = json.loads(connection.getresponse().read())
                if job["status"] in ("succeeded", "failed"):
                    break
                time.sleep(0.2)
            return time.perf_counter() - started, f"202, job {job['status']}" + (
                f": {job['error']}" if job["error"] else f", {job['result']['lines_read']} lines")
        if response.status != 200:
            return time.perf_counter() - started, f"failed: {response.status} {answer[:200]!r}"
        return time.perf_counter() - started, f"200, {json.loads(answer)['lines_read']} lines"
    finally:
        os.killpg(server.pid, signal.SIGTERM)
        server.wait(timeout=60)


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--mib", type=float, default=64.0, help="Size of the file (at most the HTTP limit)")
    parser.add_argument("--database-url", default=None, help="PostgreSQL URL (default: SQLite files)")
    parser.add_argument("--server-repo", type=Path, default=REPO, help="Checkout (with venv/) serving HTTP")
    parser.add_argument("--skip-cli", action="store_true")
    args = parser.parse_args(argv)
    from influencers.config import Settings

    workdir = Path(tempfile.mkdtemp(prefix="bench-http-import-"))
    try:
        path = workdir / "data.ndjson"
        size = generate(path, min(int(args.mib * MIB), Settings.max_import_bytes))
        lines = sum(1 for _ in open(path, "rb"))
        print(f"file: {size / MIB:.1f} MiB, {lines:,} lines; backend: "
              f"{'PostgreSQL' if args.database_url else 'SQLite'}; server: {args.server_repo}", flush=True)
        base_env = {**os.environ, "INFLUENCERS_PSEUDONYM_SECRET": "bench", "INFLUENCERS_RATE_LIMIT": "100000/minute"}
        cli_seconds = None
        if not args.skip_cli:
            db = Database(args.database_url, workdir, "cli")
            try:
                env = {**base_env, "INFLUENCERS_DATABASE_URL": db.url}
                prepare(REPO / "venv" / "bin", env)
                cli_seconds = cli_import(path, env)
            finally:
                db.drop()
            print(f"CLI:  {cli_seconds:7.1f} s  ({size / MIB / cli_seconds:5.2f} MiB/s)", flush=True)
        db = Database(args.database_url, workdir, "http")
        try:
            env = {**base_env, "INFLUENCERS_DATABASE_URL": db.url}
            bin_dir = args.server_repo / "venv" / "bin"
            key = prepare(bin_dir, env)
            http_seconds, outcome = http_import(path, env, bin_dir, key, workdir)
        finally:
            db.drop()
        print(f"HTTP: {http_seconds:7.1f} s  ({size / MIB / http_seconds:5.2f} MiB/s)  {outcome}", flush=True)
        if cli_seconds:
            print(f"ratio HTTP / CLI: {http_seconds / cli_seconds:.2f}x", flush=True)
    finally:
        shutil.rmtree(workdir, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
