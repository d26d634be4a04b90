"""Errors gunicorn answers by itself, in the API's JSON error shape.

gunicorn refuses some requests before the application sees them (a request line over
``limit_request_line``: 414, headers over ``limit_request_field_size``: 431, an
unparsable request: 400) and writes an HTML page for them through
``gunicorn.util.write_error``. :func:`install` (called by the app factory, so in
every worker that loads the app) replaces that writer with one answering
``{"code", "status", "message"}`` as JSON.

Not covered, by design of the server: a worker killed by gunicorn's ``timeout``
cannot answer at all (the connection is closed); clients see a dropped connection,
which they treat as a retryable network error.
"""
from __future__ import annotations

import json

MAX_MESSAGE_CHARS = 200


def write_json_error(sock, status_int, reason, mesg):
    from gunicorn import util

    message = str(mesg)
    if len(message) > MAX_MESSAGE_CHARS:  # gunicorn's messages may echo the offending request
        message = message[:MAX_MESSAGE_CHARS - 3] + "..."
    body = json.dumps({"code": int(status_int), "status": reason, "message": message}).encode()
    head = (f"HTTP/1.1 {status_int} {reason}\r\nConnection: close\r\nContent-Type: application/json\r\n"
            f"Content-Length: {len(body)}\r\n\r\n")
    util.write_nonblock(sock, head.encode("latin1") + body)


def install() -> None:
    try:
        from gunicorn import util
    except ImportError:  # not served by gunicorn
        return
    util.write_error = write_json_error
