"""Authentication without a database round trip per request, revocation within a second.

Each server process keeps the keys it has authenticated: prefix -> (SHA-256 of the secret,
principal, the key-change generation it was read at). A presented key is accepted from the
cache only if its secret hashes to the cached digest and the entry was read at the
generation the process last confirmed in the database (``api_key_generation``, bumped by
triggers on every change to a key: revocation, role, deletion; see ``workspaces.models``).
The process confirms that generation at most every ``revalidate_seconds`` (one indexed
one-row SELECT, not one per request), so a change made anywhere reaches every process
within that interval plus a request's time. Unknown, revoked or mistyped keys are never
cached: every failure is checked in the database (and counted by the failed-authentication
limit).

This is what API servers that verify opaque keys do (a short-lived in-process cache of
the verified key) with an invalidation signal instead of a long TTL. The cache holds
digests, never secrets.
"""
from __future__ import annotations

import hmac
import threading
import time
from typing import NamedTuple

from sqlalchemy import select

from influencers.db import retry_on_disconnect
from influencers.workspaces.models import ApiKey, ApiKeyGeneration
from influencers.workspaces.service import KEY_SCHEME, Principal, hash_secret

REVALIDATE_SECONDS = 0.5
MAX_ENTRIES = 10_000


class _Entry(NamedTuple):
    secret_hash: str
    principal: Principal
    generation: int


class KeyCache:
    def __init__(self, database, *, revalidate_seconds: float = REVALIDATE_SECONDS, max_entries: int = MAX_ENTRIES):
        self._database = database
        self._revalidate_seconds = revalidate_seconds
        self._max_entries = max_entries
        self._entries: dict[str, _Entry] = {}
        self._generation: int | None = None
        self._confirmed_at = float("-inf")
        self._lock = threading.Lock()

    def authenticate(self, presented: str) -> Principal | None:
        """The principal for a presented key, or None if it is malformed, unknown or revoked."""
        parts = presented.split("_", 2)
        if len(parts) != 3 or parts[0] != KEY_SCHEME:
            return None
        _, prefix, secret = parts
        digest = hash_secret(secret)
        generation = self._current_generation()
        entry = self._entries.get(prefix)
        if entry is not None and entry.generation == generation:
            return entry.principal if hmac.compare_digest(entry.secret_hash, digest) else None
        return self._load(prefix, digest)

    def expire(self) -> None:
        """The next authentication confirms the generation first (after this process changed a key)."""
        self._confirmed_at = float("-inf")

    def _current_generation(self) -> int | None:
        if time.monotonic() - self._confirmed_at < self._revalidate_seconds:
            return self._generation
        with self._lock:
            started = time.monotonic()
            if started - self._confirmed_at < self._revalidate_seconds:  # another thread just did
                return self._generation
            generation = retry_on_disconnect(self._read_generation)
            if generation != self._generation:
                self._entries = {}
                self._generation = generation
            # The time the SELECT was sent: a change committed after it is seen by the next check.
            self._confirmed_at = started
            return generation

    def _read_generation(self) -> int:
        with self._database.engine.connect() as connection:
            return connection.execute(
                select(ApiKeyGeneration.generation).where(ApiKeyGeneration.id == 1)).scalar_one()

    def _read_key(self, prefix: str):
        # The key and the generation in one statement, so one snapshot: an entry never carries
        # a generation older than the key row it was read with.
        generation = select(ApiKeyGeneration.generation).where(ApiKeyGeneration.id == 1).scalar_subquery()
        with self._database.session() as session:
            return session.execute(
                select(ApiKey.id, ApiKey.workspace_id, ApiKey.role, ApiKey.secret_hash, ApiKey.revoked_at,
                       generation.label("generation")).where(ApiKey.prefix == prefix)
            ).first()

    def _load(self, prefix: str, digest: str) -> Principal | None:
        row = retry_on_disconnect(lambda: self._read_key(prefix))
        if row is None or row.revoked_at is not None or not hmac.compare_digest(row.secret_hash, digest):
            return None
        principal = Principal(workspace_id=row.workspace_id, key_id=row.id, role=row.role)
        if len(self._entries) >= self._max_entries:
            self._entries = {}
        self._entries[prefix] = _Entry(row.secret_hash, principal, row.generation)
        return principal
