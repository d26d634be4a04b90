"""Pseudonymisation of audience member ids (personal data).

Each workspace gets its own key, derived from the deployment's secret (kept
outside the database, see ``config.py``). A member id is stored only as an HMAC
with that key: stable within a workspace and platform, so overlap works, and
useless for joining data across workspaces or re-identifying people from a dump.
"""
from __future__ import annotations

import hashlib
import hmac


def workspace_key(secret: bytes, workspace_id: int) -> bytes:
    return hmac.new(secret, b"audience-member:workspace:%d" % workspace_id, hashlib.sha256).digest()


def member_key(key: bytes, platform: str, raw_id: str) -> str:
    """32 hex characters (128 bits): collisions are negligible at any sample size."""
    return hmac.new(key, f"{platform}:{raw_id}".encode(), hashlib.sha256).hexdigest()[:32]
