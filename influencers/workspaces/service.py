"""Workspaces and API keys: creation, authentication, revocation.

A key looks like ``inf_<prefix>_<secret>``. The prefix is public (it identifies
the key in listings and logs); only a SHA-256 of the secret is stored, so the
full key is shown once, at creation, and never again.
"""
from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import secrets
from dataclasses import dataclass

from sqlalchemy import Select, delete, select, update
from sqlalchemy.orm import Session

from influencers.db import utcnow
from influencers.errors import Conflict, NotFound
from influencers.workspaces.models import ROLES, ApiKey, IdempotencyRecord, Workspace

KEY_SCHEME = "inf"

# What each role may do. Managers run the brand's work (creators, imports,
# shortlists, campaigns); analysts run and tune scoring; viewers read; admins
# also manage keys.
PERMISSIONS = {
    "viewer": {"read"},
    "analyst": {"read", "score"},
    "manager": {"read", "write", "score"},
    "admin": {"read", "write", "score", "admin"},
}
assert set(PERMISSIONS) == set(ROLES)


class WorkspaceExists(Conflict):
    def __init__(self, name: str):
        self.name = name
        super().__init__(f"A workspace named {name!r} exists.")


class UnknownWorkspace(NotFound):
    def __init__(self, name: str):
        self.name = name
        super().__init__(f"No workspace named {name!r}.")


@dataclass(frozen=True)
class Principal:
    """Who is calling: the workspace everything is scoped to, the key and its role."""

    workspace_id: int
    key_id: int
    role: str

    def can(self, permission: str) -> bool:
        return permission in PERMISSIONS[self.role]


def hash_secret(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


def create_workspace(session: Session, name: str) -> tuple[Workspace, ApiKey, str]:
    """Create a workspace and its first admin key; returns the key's plaintext once."""
    if session.scalar(select(Workspace.id).where(Workspace.name == name)) is not None:
        raise WorkspaceExists(name)
    workspace = Workspace(name=name)
    session.add(workspace)
    session.flush()
    key, plaintext = create_key(session, workspace.id, role="admin", name="first admin key")
    return workspace, key, plaintext


def find_workspace(session: Session, name: str) -> Workspace:
    workspace = session.scalar(select(Workspace).where(Workspace.name == name))
    if workspace is None:
        raise UnknownWorkspace(name)
    return workspace


def create_key(session: Session, workspace_id: int, *, role: str, name: str) -> tuple[ApiKey, str]:
    if role not in ROLES:
        raise ValueError(f"role must be one of {', '.join(ROLES)}")
    prefix = secrets.token_hex(6)
    secret = secrets.token_urlsafe(32)
    key = ApiKey(workspace_id=workspace_id, name=name, role=role, prefix=prefix, secret_hash=hash_secret(secret))
    session.add(key)
    session.flush()
    return key, f"{KEY_SCHEME}_{prefix}_{secret}"


def authenticate(session: Session, presented: str) -> Principal | None:
    """The principal for a presented key, or None if it is malformed, unknown or revoked."""
    parts = presented.split("_", 2)
    if len(parts) != 3 or parts[0] != KEY_SCHEME:
        return None
    _, prefix, secret = parts
    row = session.execute(
        select(ApiKey.id, ApiKey.workspace_id, ApiKey.role, ApiKey.secret_hash, ApiKey.revoked_at).where(
            ApiKey.prefix == prefix
        )
    ).first()
    if row is None or row.revoked_at is not None:
        return None
    if not hmac.compare_digest(row.secret_hash, hash_secret(secret)):
        return None
    return Principal(workspace_id=row.workspace_id, key_id=row.id, role=row.role)


def get_workspace(session: Session, workspace_id: int) -> Workspace:
    workspace = session.get(Workspace, workspace_id)
    if workspace is None:
        raise NotFound(f"No workspace {workspace_id}.")
    return workspace


def keys_select(workspace_id: int) -> Select:
    return select(ApiKey).where(ApiKey.workspace_id == workspace_id).order_by(ApiKey.id)


def get_key(session: Session, workspace_id: int, key_id: int) -> ApiKey:
    key = session.scalar(select(ApiKey).where(ApiKey.id == key_id, ApiKey.workspace_id == workspace_id))
    if key is None:
        raise NotFound(f"No API key {key_id} in this workspace.")
    return key


def revoke_key(session: Session, workspace_id: int, key_id: int, *, caller_key_id: int | None = None) -> ApiKey:
    """Revokes the key (again: nothing changes). A key cannot revoke itself (``caller_key_id``):
    that would lock its holder out mid-session; another admin key can."""
    if key_id == caller_key_id:
        raise Conflict("An API key cannot revoke itself; revoke it with another admin key.")
    key = get_key(session, workspace_id, key_id)
    if key.revoked_at is None:
        key.revoked_at = utcnow()
    return key


def touch_key(session: Session, key_id: int) -> None:
    session.execute(update(ApiKey).where(ApiKey.id == key_id).values(last_used_at=utcnow()))


def find_idempotency_record(session: Session, api_key_id: int, key: str, not_before: dt.datetime
                            ) -> IdempotencyRecord | None:
    """The API key's record for ``key`` created since ``not_before`` (another key's never replays)."""
    return session.scalar(select(IdempotencyRecord).where(
        IdempotencyRecord.api_key_id == api_key_id, IdempotencyRecord.key == key,
        IdempotencyRecord.created_at >= not_before))


def save_idempotency_record(session: Session, **values) -> None:
    session.add(IdempotencyRecord(**values))


def purge_expired_idempotency_records(session: Session, cutoff: dt.datetime, workspace_id: int | None = None) -> int:
    """Deletes ``Idempotency-Key`` records created before ``cutoff`` (one workspace's, or all); returns how many."""
    stmt = delete(IdempotencyRecord).where(IdempotencyRecord.created_at < cutoff)
    if workspace_id is not None:
        stmt = stmt.where(IdempotencyRecord.workspace_id == workspace_id)
    return session.execute(stmt).rowcount
