"""A gunicorn worker that does not let slow or idle clients occupy its threads.

gunicorn's threaded worker hands a connection to a thread as soon as its first bytes
arrive; the thread then blocks reading the rest of the headers and the body, as
slowly as the client likes, so a few clients trickling bytes can hold every thread.
:class:`BufferingThreadWorker` keeps the worker's event loop reading each request --
headers and the whole body (``Content-Length`` or chunked), spooled to a temporary
file past 1 MiB -- and gives it to a thread only once it has fully arrived, the way
a buffering proxy (nginx's default) does. So:

* idle and slow connections cost a socket and a buffer, never a thread;
* headers must arrive within ``INFLUENCERS_HEADER_TIMEOUT`` seconds and a body may
  pause at most ``INFLUENCERS_BODY_TIMEOUT`` seconds between reads, else the
  connection is answered 408 and closed;
* a client that disconnects before the end of its body never reaches the
  application (nothing of a truncated import is stored);
* bodies above the import limit are handed over at once (the application answers 413
  without reading them).

TLS connections (gunicorn ``certfile``) are served by the plain threaded worker.
"""
from __future__ import annotations

import errno
import json
import os
import selectors
import tempfile
import time
from functools import partial

from gunicorn.http import get_parser
from gunicorn.http.unreader import Unreader
from gunicorn.workers.gthread import TConn, ThreadWorker

from influencers.config import Settings

HEADER_TIMEOUT = float(os.environ.get("INFLUENCERS_HEADER_TIMEOUT") or 10)
BODY_TIMEOUT = float(os.environ.get("INFLUENCERS_BODY_TIMEOUT") or 30)
# Bodies larger than the largest the application accepts are not buffered.
MAX_BUFFERED_BODY = int(os.environ.get("INFLUENCERS_MAX_IMPORT_BYTES") or Settings.max_import_bytes) + 65536
MAX_HEAD = 64 * 1024
MEMORY_BYTES = 1024 * 1024
RECV_BYTES = 256 * 1024
# Once a thread has the request: how long a read or write on the socket may block.
SOCKET_TIMEOUT = float(os.environ.get("INFLUENCERS_SOCKET_TIMEOUT") or 60)

REQUEST_TIMEOUT_RESPONSE = (
    b"HTTP/1.1 408 Request Timeout\r\nConnection: close\r\nContent-Type: application/json\r\nContent-Length: %d\r\n\r\n"
)


class _ChunkedEnd:
    """Finds where a chunked body ends, fed its bytes piece by piece (RFC 9112 section 7.1)."""

    def __init__(self):
        self.state = "size"
        self.line = bytearray()
        self.remaining = 0

    def feed(self, data: memoryview) -> bool:
        i, n = 0, len(data)
        while i < n:
            if self.state == "data":
                take = min(self.remaining, n - i)
                i += take
                self.remaining -= take
                if not self.remaining:
                    self.state = "size"
                continue
            end = bytes(data[i:]).find(b"\n")
            if end < 0:
                self.line += data[i:]
                if len(self.line) > 8192:
                    raise ValueError("chunk line too long")
                return False
            self.line += data[i:i + end]
            i += end + 1
            line = bytes(self.line).rstrip(b"\r")
            self.line.clear()
            if self.state == "size":
                size = int(line.split(b";")[0].strip(), 16)
                if size < 0:
                    raise ValueError("negative chunk size")
                self.state, self.remaining = ("trailer", 0) if size == 0 else ("data", size + 2)
            elif not line:  # the empty line after the trailers
                self.state = "done"
                return True
        return False


class _Incoming:
    """One request being received by the event loop."""

    def __init__(self, leftover: bytes = b""):
        self.raw = tempfile.SpooledTemporaryFile(max_size=MEMORY_BYTES)
        self.head = bytearray()
        self.head_length = None  # bytes of the request line and headers, once complete
        self.body_length = None  # Content-Length
        self.chunked = None
        self.received = 0
        self.deadline = time.monotonic() + HEADER_TIMEOUT
        self.continue_sent = False
        self.expects_continue = False
        self.hand_over_now = False
        if leftover:
            self.feed(leftover)

    def feed(self, data: bytes) -> bool:
        """Adds bytes; True once the request is complete (or must go to the application as it is)."""
        self.raw.write(data)
        self.received += len(data)
        if self.head_length is None:
            self.head += data
            end = self.head.find(b"\r\n\r\n")
            if end < 0:
                if len(self.head) > MAX_HEAD:
                    self.hand_over_now = True  # gunicorn's parser answers the limit error
                return self.hand_over_now
            self.head_length = end + 4
            body_start = memoryview(bytes(self.head[self.head_length:]))
            self._parse_head(bytes(self.head[:end]))
            self.head = bytearray()
            if self.hand_over_now:
                return True
            self.deadline = time.monotonic() + BODY_TIMEOUT
            if self.chunked is not None:
                return self._feed_chunked(body_start)
        elif self.chunked is not None:
            self.deadline = time.monotonic() + BODY_TIMEOUT
            return self._feed_chunked(memoryview(data))
        else:
            self.deadline = time.monotonic() + BODY_TIMEOUT
        return self.received >= self.head_length + (self.body_length or 0)

    def _feed_chunked(self, data: memoryview) -> bool:
        try:
            done = self.chunked.feed(data)
        except ValueError:
            return True  # malformed: gunicorn's parser answers 400
        if self.received - self.head_length > MAX_BUFFERED_BODY:
            return True  # the application answers 413
        return done

    def _parse_head(self, head: bytes) -> None:
        lengths, chunked = [], False
        for line in head.split(b"\r\n")[1:]:
            name, _, value = line.partition(b":")
            name, value = name.strip().lower(), value.strip().lower()
            if name == b"content-length":
                lengths.append(value)
            elif name == b"transfer-encoding":
                chunked = chunked or value.endswith(b"chunked")
            elif name == b"expect" and value == b"100-continue":
                self.expects_continue = True
        if chunked:
            if lengths:
                self.hand_over_now = True  # ambiguous framing: gunicorn refuses it
            self.chunked = _ChunkedEnd()
            return
        if not lengths:
            self.body_length = 0
            return
        if len(set(lengths)) != 1 or not lengths[0].isdigit():
            self.hand_over_now = True
            return
        self.body_length = int(lengths[0])
        if self.body_length > MAX_BUFFERED_BODY:
            self.hand_over_now = True

    def take(self) -> tempfile.SpooledTemporaryFile:
        self.raw.seek(0)
        return self.raw


class _BufferedUnreader(Unreader):
    """What gunicorn's parser reads: the buffered request first, then the socket (with a timeout)."""

    def __init__(self, raw, sock):
        super().__init__()
        self.raw = raw
        self.sock = sock

    def chunk(self, size_hint=None):
        if self.raw is not None:
            data = self.raw.read(max(min(size_hint or 0, 1024 * 1024), 65536))
            if data:
                return data
            self.raw.close()
            self.raw = None
        if self.sock.gettimeout() is None:  # a body drain sets its own deadline
            self.sock.settimeout(SOCKET_TIMEOUT)
        return self.sock.recv(max(min(size_hint or 0, 1024 * 1024), 8192))

    def spill(self) -> None:
        """Moves what is still buffered (a pipelined request) into ``buf``."""
        if self.raw is not None:
            rest = self.raw.read()
            self.raw.close()
            self.raw = None
            if rest:
                self.buf.seek(0, os.SEEK_END)
                self.buf.write(rest)


class BufferingThreadWorker(ThreadWorker):
    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.receiving: dict[TConn, _Incoming] = {}

    def accept(self, listener):
        if self.cfg.is_ssl:
            return super().accept(listener)
        try:
            client_sock, client_addr = listener.accept()
        except OSError as error:
            if error.errno not in (errno.EAGAIN, errno.ECONNABORTED, errno.EWOULDBLOCK):
                raise
            return
        self.nr_conns += 1
        conn = TConn(self.cfg, client_sock, client_addr, listener.getsockname())  # non-blocking
        self._receive(conn, _Incoming())

    def on_client_socket_readable(self, conn, client):
        """A kept-alive connection speaks again: receive its next request here too."""
        if self.cfg.is_ssl:
            return super().on_client_socket_readable(conn, client)
        self.poller.unregister(client)
        self.keepalived_conns.remove(conn)
        self._receive(conn, _Incoming())
        self._on_readable(conn, client)

    def _receive(self, conn, incoming: _Incoming) -> None:
        self.receiving[conn] = incoming
        self.poller.register(conn.sock, selectors.EVENT_READ, partial(self._on_readable, conn))

    def _on_readable(self, conn, sock) -> None:
        incoming = self.receiving.get(conn)
        if incoming is None:
            return
        try:
            data = sock.recv(RECV_BYTES)
        except (BlockingIOError, InterruptedError):
            return
        except OSError:
            data = b""
        if not data:  # the client went away: nothing it sent reaches the application
            self._drop(conn)
            return
        if incoming.feed(data):
            self._hand_over(conn)
        elif incoming.head_length is not None and incoming.expects_continue and not incoming.continue_sent:
            incoming.continue_sent = True
            try:
                sock.send(b"HTTP/1.1 100 Continue\r\n\r\n")
            except OSError:
                pass

    def _hand_over(self, conn) -> None:
        incoming = self.receiving.pop(conn)
        self.poller.unregister(conn.sock)
        conn.initialized = conn.data_ready = True
        conn.parser = get_parser(self.cfg, conn.sock, conn.client)
        conn.parser.unreader = _BufferedUnreader(incoming.take(), conn.sock)
        conn.continue_sent = incoming.continue_sent
        self.enqueue_req(conn)

    def _drop(self, conn, answer: bytes | None = None) -> None:
        incoming = self.receiving.pop(conn, None)
        if incoming is not None:
            incoming.raw.close()
        try:
            self.poller.unregister(conn.sock)
        except (KeyError, ValueError, OSError):
            pass
        if answer:
            try:
                conn.sock.send(answer)
            except OSError:
                pass
        self.nr_conns -= 1
        conn.close()

    def murder_pending(self):
        super().murder_pending()
        now = time.monotonic()
        for conn, incoming in list(self.receiving.items()):
            if not self.alive and incoming.head_length is None:
                # Stopping: a request whose headers have not arrived is not waited for.
                self._drop(conn)
            elif incoming.deadline <= now:
                phase = "headers" if incoming.head_length is None else "body"
                body = json.dumps({"code": 408, "status": "Request Timeout", "errors": {},
                                   "message": f"The request's {phase} did not arrive in time."}).encode()
                # Nothing was read yet on an idle connection: close it silently (no request to answer).
                self._drop(conn, None if incoming.received == 0 else REQUEST_TIMEOUT_RESPONSE % len(body) + body)

    def finish_request(self, conn, fs):
        parser = getattr(conn, "parser", None)
        if parser is not None and isinstance(parser.unreader, _BufferedUnreader):
            parser.unreader.spill()
        super().finish_request(conn, fs)

    def handle_request(self, req, conn):
        # Writes of the answer must not block a thread forever on a client that stopped reading.
        conn.sock.settimeout(SOCKET_TIMEOUT)
        if getattr(conn, "continue_sent", False):
            req._expected_100_continue = False  # this loop answered it already
        return super().handle_request(req, conn)
