"""Workspaces (one brand or agency), their API keys, idempotency records and audit log."""
from __future__ import annotations

import datetime as dt

from sqlalchemy import JSON, BigInteger, ForeignKey, Index, Integer, String, Text, UniqueConstraint, event
from sqlalchemy.orm import Mapped, mapped_column, relationship

from influencers.db import Base, utcnow

ROLES = ("admin", "manager", "analyst", "viewer")


class Workspace(Base):
    __tablename__ = "workspaces"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(100), unique=True)
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)

    keys: Mapped[list[ApiKey]] = relationship(back_populates="workspace", cascade="all, delete-orphan")


class ApiKey(Base):
    """An API key. Only a SHA-256 of the secret part is stored.

    Keys are 256-bit random tokens, so a fast hash is enough: there is nothing
    to brute-force, and authentication stays one indexed lookup by ``prefix``.
    """

    __tablename__ = "api_keys"

    id: Mapped[int] = mapped_column(primary_key=True)
    workspace_id: Mapped[int] = mapped_column(ForeignKey("workspaces.id", ondelete="CASCADE"), index=True)
    name: Mapped[str] = mapped_column(String(100))
    role: Mapped[str] = mapped_column(String(20))
    prefix: Mapped[str] = mapped_column(String(32), unique=True)
    secret_hash: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    last_used_at: Mapped[dt.datetime | None]
    revoked_at: Mapped[dt.datetime | None]

    workspace: Mapped[Workspace] = relationship(back_populates="keys")


class ApiKeyGeneration(Base):
    """One row, counting the changes to API keys that a cached authentication must not outlive.

    Database triggers bump it whenever a key's role, secret, prefix, workspace or revocation
    changes and whenever a key is deleted (a workspace's deletion included), whoever makes
    the change: the API, the CLI or an operator's SQL. Each server process caches
    authenticated keys and compares this number with the one its cache was filled at
    (``influencers.workspaces.key_cache``). It holds no workspace's data.
    """

    __tablename__ = "api_key_generation"

    id: Mapped[int] = mapped_column(primary_key=True)
    generation: Mapped[int] = mapped_column(BigInteger, default=0)


# The columns whose change must end a cached authentication (last_used_at is not one).
KEY_IDENTITY_COLUMNS = "role, revoked_at, secret_hash, prefix, workspace_id"
GENERATION_TRIGGERS = {
    "sqlite": [
        "INSERT INTO api_key_generation (id, generation) VALUES (1, 0)",
        f"CREATE TRIGGER api_keys_changed AFTER UPDATE OF {KEY_IDENTITY_COLUMNS} ON api_keys "
        "BEGIN UPDATE api_key_generation SET generation = generation + 1; END",
        "CREATE TRIGGER api_keys_deleted AFTER DELETE ON api_keys "
        "BEGIN UPDATE api_key_generation SET generation = generation + 1; END",
    ],
    "postgresql": [
        "INSERT INTO api_key_generation (id, generation) VALUES (1, 0)",
        "CREATE FUNCTION api_key_generation_bump() RETURNS trigger LANGUAGE plpgsql AS "
        "$$ BEGIN UPDATE api_key_generation SET generation = generation + 1; RETURN NULL; END $$",
        f"CREATE TRIGGER api_keys_changed AFTER UPDATE OF {KEY_IDENTITY_COLUMNS} OR DELETE ON api_keys "
        "FOR EACH STATEMENT EXECUTE FUNCTION api_key_generation_bump()",
    ],
}


def install_generation_triggers(connection) -> None:
    """The generation's row and its triggers (after both tables exist: the migration and ``create_all``)."""
    for statement in GENERATION_TRIGGERS.get(connection.dialect.name, []):
        connection.exec_driver_sql(statement)


@event.listens_for(Base.metadata, "after_create")
def _after_create(_metadata, connection, tables=(), **_kw):
    # Once every table exists (create_all: the tests' databases); migrations call it themselves.
    if ApiKeyGeneration.__table__ in tables:
        install_generation_triggers(connection)


class IdempotencyRecord(Base):
    """The first answer to a creating request sent with an ``Idempotency-Key``.

    It is written in the same transaction as the resource it created, and the
    unique constraint makes concurrent repeats create exactly one resource.
    Keys are scoped to the API key that sent them (as Stripe scopes them to the
    account and key), records expire (``Settings.idempotency_ttl_hours``), and
    ``response_body`` never holds a secret (routes name the fields a replay omits).
    """

    __tablename__ = "idempotency_records"
    __table_args__ = (UniqueConstraint("api_key_id", "key"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    workspace_id: Mapped[int] = mapped_column(ForeignKey("workspaces.id", ondelete="CASCADE"), index=True)
    api_key_id: Mapped[int] = mapped_column(ForeignKey("api_keys.id", ondelete="CASCADE"))
    key: Mapped[str] = mapped_column(String(255))
    method: Mapped[str] = mapped_column(String(10))
    path: Mapped[str] = mapped_column(String(500))
    request_fingerprint: Mapped[str] = mapped_column(String(64))
    status_code: Mapped[int] = mapped_column(Integer)
    response_body: Mapped[str] = mapped_column(Text)
    response_headers: Mapped[dict] = mapped_column(JSON)
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow, index=True)


class AuditEvent(Base):
    """The workspace's audit log: a state change of an audited object (a campaign, a campaign
    creator, a deliverable, a webhook endpoint, an erasure): who, when, from, to, why.

    One log for every domain that audits (the table keeps its first user's name)."""

    __tablename__ = "campaign_audit_events"
    __table_args__ = (Index("ix_campaign_audit_events_object", "workspace_id", "object_type", "object_id", "id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    workspace_id: Mapped[int] = mapped_column(ForeignKey("workspaces.id", ondelete="CASCADE"))
    object_type: Mapped[str] = mapped_column(String(20))
    object_id: Mapped[int] = mapped_column(BigInteger)
    action: Mapped[str] = mapped_column(String(20))  # created | transition
    from_status: Mapped[str | None] = mapped_column(String(20))
    to_status: Mapped[str] = mapped_column(String(20))
    reason: Mapped[str | None] = mapped_column(String(1000))
    key_id: Mapped[int | None] = mapped_column(ForeignKey("api_keys.id", ondelete="SET NULL"))
    at: Mapped[dt.datetime] = mapped_column(default=utcnow)
