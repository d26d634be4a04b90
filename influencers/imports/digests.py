"""Digests of import lines: what lets a re-import skip the lines that did not change.

An import stores with each creator, post, follower snapshot and audience sample the digest of
the line that wrote it (the ``import_digest`` columns). A later import leaves the rows whose
stored digest is their line's alone, without decoding or validating the line, reading or
comparing the row's values (for an audience sample: without pseudonymising, reading or
comparing its members): creator, post and audience lines are read for their natural key only
and compared with their row's digest; snapshot lines are looked up by digest alone
(``docs/imports.md``). Edges and labels are compared value by value.

A digest is 64 bits of BLAKE2b over the raw line (without its line terminator or trailing
blanks) and the ids it was resolved to, keyed with the workspace's pseudonymisation key: it
says nothing about member ids to whoever lacks the deployment's secret. The same record
spelled otherwise (spacing, key order) has another digest: it is decoded and compared value
by value, found unchanged, and only its digest is written. A collision (a changed line with
the digest of the old one) has a probability of 2^-64 per changed line.
"""
from __future__ import annotations

import struct
from array import array
from hashlib import blake2b

import numpy as np

# Bump when what an import stores for the same line changes (every stored digest then
# differs, and the next import of each record compares and writes it again).
# 2: digests of the raw line (1: of the decoded record's msgpack encoding).
DIGEST_VERSION = 2
_PERSON = b"import-digest"
_ID = struct.Struct("<q")
_RUN = b"\x00snapshot-run"


class RecordDigests:
    """``digests(line, *ids)`` -> a signed 64-bit integer (it fits a ``BIGINT``)."""

    __slots__ = ("_keyed",)

    def __init__(self, workspace_key: bytes):
        # The key is a whole block of BLAKE2b's input: hashed once here, and each line's
        # digest goes on from a copy of that state (most lines are shorter than a block).
        self._keyed = blake2b(_ID.pack(DIGEST_VERSION), digest_size=8, key=workspace_key, person=_PERSON)

    def __call__(self, line: bytes, *ids: int) -> int:
        digest = self._keyed.copy()
        for i in ids:
            digest.update(_ID.pack(i))
        digest.update(line.rstrip())
        return int.from_bytes(digest.digest(), "big", signed=True)

    def many(self, lines: list[bytes], ids: list[int] | None = None) -> list[int]:
        """``[self(line) for line in lines]`` (or ``self(line, id)`` pairwise with ``ids``), without
        a call per line; the 8-byte digests become integers in one numpy conversion."""
        copy = self._keyed.copy
        digests = []
        append = digests.append
        if ids is None:
            for line in lines:
                state = copy()
                state.update(line.rstrip())
                append(state.digest())
        else:
            pack = _ID.pack
            for line, i in zip(lines, ids, strict=True):
                state = copy()
                state.update(pack(i))
                state.update(line.rstrip())
                append(state.digest())
        return np.frombuffer(b"".join(digests), dtype=">i8").tolist()

    def run(self, lines: list[bytes]) -> int:
        """The digest of a run of lines, as they are (terminators included): their lengths, then
        their bytes, so that no other split of the same bytes has it."""
        state = self._keyed.copy()
        state.update(_RUN)
        state.update(array("Q", map(len, lines)).tobytes())
        state.update(b"".join(lines))
        return int.from_bytes(state.digest(), "big", signed=True)
