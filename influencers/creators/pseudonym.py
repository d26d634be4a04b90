"""Pseudonymisation of audience member ids (personal data).

Each workspace gets its own key, derived from the deployment's secret (kept
outside the database, see ``config.py``). A member id is stored only as an HMAC
with that key: stable within a workspace and platform, so overlap works, and
useless for joining data across workspaces or re-identifying people from a dump.
"""
from __future__ import annotations

import hashlib
import hmac

try:  # OpenSSL's HMAC object, whose copy() is a C call (hmac.HMAC.copy is Python)
    from _hashlib import hmac_new as _hmac_new
except ImportError:  # pragma: no cover
    def _hmac_new(key, msg, digestmod):
        return hmac.new(key, msg, digestmod)


def workspace_key(secret: bytes, workspace_id: int) -> bytes:
    return hmac.new(secret, b"audience-member:workspace:%d" % workspace_id, hashlib.sha256).digest()


class MemberKeys:
    """:func:`member_key` for the ids of one platform, many at a time (an import's members):
    the HMAC state after ``"<platform>:"`` is computed once and copied for each id."""

    __slots__ = ("_prefix",)

    def __init__(self, key: bytes, platform: str):
        self._prefix = _hmac_new(key, f"{platform}:".encode(), "sha256")

    def __call__(self, raw_id: str) -> str:
        """32 hex characters (128 bits): collisions are negligible at any sample size."""
        state = self._prefix.copy()
        state.update(raw_id.encode())
        return state.hexdigest()[:32]

    def many(self, raw_ids) -> list[str]:
        """The keys of ``raw_ids``, in their order (one method call for all of them)."""
        copy = self._prefix.copy
        keys = []
        append = keys.append
        for raw_id in raw_ids:
            state = copy()
            state.update(raw_id.encode())
            append(state.hexdigest()[:32])
        return keys


def member_key(key: bytes, platform: str, raw_id: str) -> str:
    """32 hex characters (128 bits): collisions are negligible at any sample size."""
    return MemberKeys(key, platform)(raw_id)
