"""Request bodies read whole before any work starts (bulk endpoints)."""
from __future__ import annotations

import tempfile

from flask import request
from flask_smorest import abort

# Large reads: werkzeug's stream iterated line by line reads one byte per call.
READ_BLOCK = 1024 * 1024


def spool_request_body(*, memory_bytes: int) -> tuple[tempfile.SpooledTemporaryFile, int]:
    """Reads the whole body into a temporary file (in memory up to ``memory_bytes``), returns it
    rewound with its size.

    Read before the caller opens a transaction or takes a lock, so a slow client holds
    neither. The body limit (``request.max_content_length``) answers 413. A body that ends
    before its declared ``Content-Length`` (the client went away) answers 400: it is not
    the request the client meant, so nothing of it may be stored.
    """
    declared = request.content_length
    stream = request.stream
    spool = tempfile.SpooledTemporaryFile(max_size=memory_bytes)
    received = 0
    try:
        while block := stream.read(READ_BLOCK):
            spool.write(block)
            received += len(block)
    except BaseException:
        spool.close()
        raise
    if declared is not None and received < declared:
        spool.close()
        abort(400, message=(f"The body ended after {received} of the {declared} bytes its Content-Length "
                            f"declared (the connection was cut short); nothing was imported. Send it again."),
              errors={"body": {"_schema": [f"truncated: {received} of {declared} bytes"]}})
    spool.seek(0)
    return spool, received


def prefers_async() -> bool:
    """Whether the ``Prefer`` header asks for ``respond-async`` (RFC 7240)."""
    preferences = ",".join(request.headers.getlist("Prefer"))
    return any(token.split(";")[0].split("=")[0].strip().lower() == "respond-async"
               for token in preferences.split(","))
