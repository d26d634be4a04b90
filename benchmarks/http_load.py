"""A small closed-loop HTTP/1.1 load generator (wrk-like), for the HTTP benchmarks.

``connections`` keep-alive connections spread over ``processes`` client processes; each
connection sends its next request as soon as the previous answer has fully arrived
(Content-Length bodies; the app and Flask send no chunked answers for these requests).
Requests are pre-built bytes; each process runs one ``selectors`` loop over its sockets,
so the client costs a few microseconds of Python per request rather than an HTTP library's
tens. Latency is measured per request from the first byte sent to the last byte received.

:func:`run_wrk` drives the same kind of load with ``wrk`` where it is installed (C, so the
client's own cost stays far below the servers'); the benchmarks fall back to the Python
client without it.
"""
from __future__ import annotations

import multiprocessing
import os
import selectors
import shutil
import socket
import subprocess
import tempfile
import time
from dataclasses import dataclass, field


def build_request(host: str, path: str, headers: dict[str, str] | None = None) -> bytes:
    lines = [f"GET {path} HTTP/1.1", f"Host: {host}", "Connection: keep-alive"]
    lines += [f"{name}: {value}" for name, value in (headers or {}).items()]
    return ("\r\n".join(lines) + "\r\n\r\n").encode()


@dataclass
class LoadResult:
    requests: int = 0
    seconds: float = 0.0
    latencies: list[float] = field(default_factory=list)  # seconds, per completed request
    statuses: dict[int, int] = field(default_factory=dict)
    cpu_seconds: float = 0.0  # the client's own CPU time (all its processes)

    @property
    def rate(self) -> float:
        return self.requests / self.seconds if self.seconds else 0.0

    def merge(self, other: LoadResult) -> None:
        self.requests += other.requests
        self.seconds = max(self.seconds, other.seconds)
        self.latencies += other.latencies
        for status, count in other.statuses.items():
            self.statuses[status] = self.statuses.get(status, 0) + count
        self.cpu_seconds += other.cpu_seconds


class _Connection:
    __slots__ = ("sock", "buffer", "sent_at", "next_index", "expected")

    def __init__(self, sock, start_index):
        self.sock, self.buffer, self.sent_at, self.next_index, self.expected = sock, b"", 0.0, start_index, None


def _header_length(head: bytes) -> int:
    for line in head.split(b"\r\n")[1:]:
        name, _, value = line.partition(b":")
        if name.strip().lower() == b"content-length":
            return int(value)
    return 0


def _client(address, requests: list[bytes], connections: int, duration: float, offset: int, queue) -> None:
    cpu = time.process_time()
    selector = selectors.DefaultSelector()
    result = LoadResult()
    conns = []
    for i in range(connections):
        sock = socket.create_connection(address)
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        sock.setblocking(False)
        conn = _Connection(sock, (offset + i * 7919) % len(requests))
        conns.append(conn)
        selector.register(sock, selectors.EVENT_READ, conn)
    started = time.perf_counter()
    deadline = started + duration

    def send(conn):
        request = requests[conn.next_index]
        conn.next_index = (conn.next_index + 1) % len(requests)
        conn.sent_at = time.perf_counter()
        conn.sock.sendall(request)

    for conn in conns:
        send(conn)
    active = len(conns)
    while active:
        for key, _ in selector.select(timeout=1.0):
            conn = key.data
            chunk = conn.sock.recv(262144)
            if not chunk:
                raise ConnectionError("the server closed a keep-alive connection")
            conn.buffer += chunk
            while True:
                if conn.expected is None:
                    end = conn.buffer.find(b"\r\n\r\n")
                    if end < 0:
                        break
                    conn.expected = end + 4 + _header_length(conn.buffer[:end])
                if len(conn.buffer) < conn.expected:
                    break
                now = time.perf_counter()
                status = int(conn.buffer[9:12])
                result.statuses[status] = result.statuses.get(status, 0) + 1
                result.latencies.append(now - conn.sent_at)
                result.requests += 1
                conn.buffer = conn.buffer[conn.expected:]
                conn.expected = None
                if now < deadline:
                    send(conn)
                else:
                    selector.unregister(conn.sock)
                    conn.sock.close()
                    active -= 1
                break
    result.seconds = time.perf_counter() - started
    result.cpu_seconds = time.process_time() - cpu
    queue.put(result)


def run_load(address: tuple[str, int], requests: list[bytes], *, connections: int, duration: float,
             processes: int = 2) -> LoadResult:
    """Drives ``requests`` (cycled) at ``address`` for ``duration`` seconds; merged result."""
    context = multiprocessing.get_context("fork")
    queue = context.Queue()
    processes = max(1, min(processes, connections))
    shares = [connections // processes + (1 if i < connections % processes else 0) for i in range(processes)]
    workers = [context.Process(target=_client, args=(address, requests, n, duration, i * 104729 + os.getpid(), queue))
               for i, n in enumerate(shares)]
    for worker in workers:
        worker.start()
    merged = LoadResult()
    for _ in workers:
        merged.merge(queue.get(timeout=duration + 120))
    for worker in workers:
        worker.join()
    return merged


WRK = shutil.which("wrk")
_WRK_SCRIPT = r"""
local paths = {%(paths)s}
local headers = {%(headers)s}
local index = 0
request = function()
  index = index %% #paths + 1
  return wrk.format("GET", paths[index], headers)
end
done = function(summary, latency, requests)
  io.write(string.format("requests %%d\nmicroseconds %%d\nstatus_errors %%d\nsocket_errors %%d\n",
    summary.requests, summary.duration, summary.errors.status,
    summary.errors.connect + summary.errors.read + summary.errors.write + summary.errors.timeout))
  for _, p in ipairs({50, 90, 99}) do io.write(string.format("p%%d %%d\n", p, latency:percentile(p))) end
end
"""


@dataclass
class WrkResult:
    requests: int
    seconds: float
    percentiles_ms: dict[int, float]  # 50, 90, 99
    errors: int

    @property
    def rate(self) -> float:
        return self.requests / self.seconds if self.seconds else 0.0


def run_wrk(address: tuple[str, int], paths: list[str], headers: dict[str, str], *, connections: int,
            duration: float, threads: int = 2) -> WrkResult:
    """``wrk`` (if installed) driving ``paths`` (cycled, by a Lua script) at ``address`` for ``duration`` s.
    Non-2xx/3xx answers and socket errors are counted in ``errors``."""
    def lua(text: str) -> str:
        return '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'

    script = _WRK_SCRIPT % {"paths": ", ".join(lua(p) for p in paths),
                            "headers": ", ".join(f"[{lua(k)}] = {lua(v)}" for k, v in headers.items())}
    with tempfile.NamedTemporaryFile("w", suffix=".lua", delete=False) as fh:
        fh.write(script)
    try:
        output = subprocess.run(
            [WRK, f"-t{max(1, min(threads, connections))}", f"-c{connections}", f"-d{max(1, round(duration))}s",
             "--timeout", "30s", "-s", fh.name, f"http://{address[0]}:{address[1]}/"],
            capture_output=True, text=True, check=True, timeout=duration + 120).stdout
    finally:
        os.unlink(fh.name)
    values = dict(line.split(" ", 1) for line in output.splitlines() if line.split(" ", 1)[0]
                  in ("requests", "microseconds", "status_errors", "socket_errors", "p50", "p90", "p99"))
    return WrkResult(int(values["requests"]), int(values["microseconds"]) / 1e6,
                     {p: int(values[f"p{p}"]) / 1000 for p in (50, 90, 99)},
                     int(values["status_errors"]) + int(values["socket_errors"]))
