"""Digests of import records: what lets a re-import skip the records that did not change.

An import stores with each creator, post and audience sample the digest of the record
that wrote it (the ``import_digest`` columns); a later import computes the digest of each
record again and leaves the rows whose stored digest is the same alone, without reading
or comparing their values (for an audience sample: without pseudonymising, reading or
comparing its members). Snapshots and edges are compared value by value instead: their
few numbers are as cheap to compare as a digest.

A digest is 64 bits of BLAKE2b over the record's canonical encoding (msgpack of the
decoded record, so JSON spacing and key order do not matter) and the ids it was resolved
to, keyed with the workspace's pseudonymisation key: it says nothing about member ids to
whoever lacks the deployment's secret. A collision (a changed record with the digest of
the old one) has a probability of 2^-64 per changed record.
"""
from __future__ import annotations

import hashlib

import msgspec

# Bump when what an import stores for the same record changes (every stored digest then
# differs, and the next import of each record writes it again).
DIGEST_VERSION = 1
_PERSON = b"import-digest"


class RecordDigests:
    """``digests(record, *ids)`` -> a signed 64-bit integer (it fits a ``BIGINT``)."""

    __slots__ = ("_key", "_encode")

    def __init__(self, workspace_key: bytes):
        self._key = workspace_key
        self._encode = msgspec.msgpack.Encoder().encode

    def __call__(self, record: msgspec.Struct, *ids: int) -> int:
        payload = self._encode((DIGEST_VERSION, ids, record))
        digest = hashlib.blake2b(payload, digest_size=8, key=self._key, person=_PERSON).digest()
        return int.from_bytes(digest, "big", signed=True)
