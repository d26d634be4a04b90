"""Erasure requests, the audience retention, and what deleting a creator removes.

Audience members are personal data even pseudonymised (``creators.pseudonym``): a
person can ask to be erased, samples are kept only as long as the workspace's
retention, and a creator deleted takes the members gathered for it alone. Each is
recorded in the audit trail (``campaign_audit_events``, the project's one audit
table), without the raw id: the trail must not keep what was erased.

Every statement is set-based; nothing here reads a request.
"""
from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass

from sqlalchemy import ColumnElement, and_, delete, exists, func, insert, literal, or_, select, update
from sqlalchemy.orm import Session, aliased

from influencers.campaigns.models import CampaignCreator, Deliverable
from influencers.creators.models import AudienceMember, AudienceSample, AudienceSampleMember, Creator
from influencers.creators.pseudonym import member_key, workspace_key
from influencers.db import IMPORT_LOCK, lock_workspace_work, utcnow
from influencers.errors import StaleVersion
from influencers.scoring.store import AudienceShare, AudienceSketchRecord
from influencers.workspaces.models import AuditEvent

# Object types and actions this module writes to the audit trail.
AUDITED_OBJECTS = ("creator", "audience_member", "audience_sample")
AUDIT_ACTIONS = ("deleted", "erased", "expired")

def lock_workspace_audiences(session: Session, workspace_id: int) -> None:
    """Waits for an import into the workspace to finish (PostgreSQL; SQLite's write
    transactions are serialised already) and keeps imports out until the transaction ends:
    erasure and retention change audience members, which an import running meanwhile caches by id."""
    lock_workspace_work(session, IMPORT_LOCK, workspace_id)


def _delete_members_only_in(session: Session, doomed: Callable[[type[AudienceSample]], ColumnElement[bool]],
                            workspace_ids) -> int:
    """Deletes the members of ``workspace_ids`` every sample of which matches ``doomed`` (a
    condition on a sample), i.e. whom no other sample keeps. Call before deleting those samples."""
    member_of_doomed = (
        select(AudienceSampleMember.member_id)
        .join(AudienceSample, AudienceSample.id == AudienceSampleMember.sample_id)
        .where(doomed(AudienceSample))
    )
    other, other_sample = aliased(AudienceSampleMember), aliased(AudienceSample)
    kept_elsewhere = exists(
        select(literal(1)).select_from(other).join(other_sample, other_sample.id == other.sample_id)
        .where(other.member_id == AudienceMember.id, ~doomed(other_sample))
    )
    result = session.execute(delete(AudienceMember).where(
        AudienceMember.workspace_id.in_(workspace_ids), AudienceMember.id.in_(member_of_doomed), ~kept_elsewhere,
    ).execution_options(synchronize_session=False))
    return result.rowcount


# --- erasure requests -------------------------------------------------------------------------------

@dataclass(frozen=True)
class ErasureResult:
    platform: str
    member_found: bool
    samples_changed: int
    sketches_rebuilt: int
    audit_event_id: int
    erased_at: dt.datetime


def erase_member(session: Session, workspace_id: int, platform: str, raw_id: str, *, secret: bytes,
                 key_id: int | None) -> ErasureResult:
    """Removes the person ``raw_id`` of ``platform`` from every audience sample of the workspace.

    The id is pseudonymised as the importer does and never stored. Each sample that
    held the person loses one member (its ``member_count`` too), the member row goes,
    and the stored sketches of those samples are rebuilt without it. Aggregates of
    scores (audience shares, fake-follower shares) change with the next scoring run.
    """
    lock_workspace_audiences(session, workspace_id)
    now = utcnow()
    pseudonym = member_key(workspace_key(secret, workspace_id), platform, raw_id)
    member_id = session.scalar(select(AudienceMember.id).where(
        AudienceMember.workspace_id == workspace_id, AudienceMember.platform == platform,
        AudienceMember.member_key == pseudonym))
    sample_ids: list[int] = []
    rebuilt = 0
    if member_id is not None:
        sample_ids = list(session.scalars(select(AudienceSampleMember.sample_id).where(
            AudienceSampleMember.member_id == member_id)))
        if sample_ids:
            session.execute(update(AudienceSample).where(AudienceSample.id.in_(sample_ids))
                            .values(member_count=AudienceSample.member_count - 1, import_digest=None)
                            .execution_options(synchronize_session=False))
        session.execute(delete(AudienceSampleMember).where(AudienceSampleMember.member_id == member_id))
        session.execute(delete(AudienceMember).where(AudienceMember.id == member_id))
        sketched = sorted(set(session.scalars(select(AudienceSketchRecord.creator_id).where(
            AudienceSketchRecord.sample_id.in_(sample_ids))))) if sample_ids else []
        if sketched:
            from influencers.shortlists.sketches import build_sketches

            build_sketches(session, workspace_id, sketched)
            rebuilt = len(sketched)
    changed = len(sample_ids)
    event = AuditEvent(
        workspace_id=workspace_id, object_type="audience_member", object_id=member_id or 0, action="erased",
        from_status=None, to_status="erased", key_id=key_id, at=now,
        reason=f"erasure request ({platform}): removed from {changed} audience sample{'s' * (changed != 1)}"
               + ("" if member_id is not None else "; no such member in this workspace"),
    )
    session.add(event)
    session.flush()
    return ErasureResult(platform=platform, member_found=member_id is not None, samples_changed=changed,
                         sketches_rebuilt=rebuilt, audit_event_id=event.id, erased_at=now)


# --- retention --------------------------------------------------------------------------------------

@dataclass(frozen=True)
class RetentionResult:
    cutoff: dt.date
    samples_deleted: int
    members_deleted: int
    workspaces: int


def enforce_retention(session: Session, retention_days: int, *, today: dt.date | None = None) -> RetentionResult:
    """Deletes every audience sample (of every workspace) taken before ``today - retention_days``,
    with the members no remaining sample holds, and one audit event per sample deleted.

    Spans workspaces: run by operators (``influencers privacy enforce-retention``) or the
    scheduled task, never on behalf of an API key.
    """
    if retention_days < 1:
        raise ValueError("the retention must be at least one day")
    cutoff = (today or utcnow().date()) - dt.timedelta(days=retention_days)

    def expired(sample) -> ColumnElement[bool]:
        return sample.sampled_at < cutoff

    workspace_ids = sorted(session.scalars(
        select(Creator.workspace_id).distinct().join(AudienceSample, AudienceSample.creator_id == Creator.id)
        .where(expired(AudienceSample))))
    if not workspace_ids:
        return RetentionResult(cutoff=cutoff, samples_deleted=0, members_deleted=0, workspaces=0)
    for workspace_id in workspace_ids:  # in id order: two runs cannot deadlock
        lock_workspace_audiences(session, workspace_id)
    reason = f"sampled before {cutoff.isoformat()}: older than the {retention_days}-day retention"
    session.execute(insert(AuditEvent).from_select(
        ["workspace_id", "object_type", "object_id", "action", "to_status", "reason", "at"],
        select(Creator.workspace_id, literal("audience_sample"), AudienceSample.id, literal("expired"),
               literal("deleted"), literal(reason), literal(utcnow(), AuditEvent.at.type))
        .join(Creator, Creator.id == AudienceSample.creator_id).where(expired(AudienceSample))
        .order_by(AudienceSample.id)))
    members = _delete_members_only_in(session, expired, workspace_ids)
    # Their member lists and sketches go with them (ON DELETE CASCADE).
    samples = session.execute(delete(AudienceSample).where(expired(AudienceSample))
                              .execution_options(synchronize_session=False)).rowcount
    return RetentionResult(cutoff=cutoff, samples_deleted=samples, members_deleted=members,
                           workspaces=len(workspace_ids))


# --- deleting a creator -----------------------------------------------------------------------------

def forget_creator(session: Session, workspace_id: int, creator_id: int, *, key_id: int | None) -> None:
    """What deleting a creator removes beyond its own rows' cascades: the audience members
    gathered for it alone, and the audit trails of its campaign memberships and deliverables
    (their rows go by cascade). Records the deletion. Call before deleting the creator's row."""
    lock_workspace_audiences(session, workspace_id)
    members = _delete_members_only_in(session, lambda sample: sample.creator_id == creator_id, [workspace_id])
    memberships = select(CampaignCreator.id).where(CampaignCreator.workspace_id == workspace_id,
                                                   CampaignCreator.creator_id == creator_id)
    deliverables = select(Deliverable.id).where(Deliverable.campaign_creator_id.in_(memberships))
    n_memberships = session.scalar(select(func.count()).select_from(memberships.subquery()))
    session.execute(delete(AuditEvent).where(AuditEvent.workspace_id == workspace_id, or_(
        and_(AuditEvent.object_type == "campaign_creator", AuditEvent.object_id.in_(memberships)),
        and_(AuditEvent.object_type == "deliverable", AuditEvent.object_id.in_(deliverables)),
    )).execution_options(synchronize_session=False))
    session.add(AuditEvent(
        workspace_id=workspace_id, object_type="creator", object_id=creator_id, action="deleted",
        from_status=None, to_status="deleted", key_id=key_id, at=utcnow(),
        reason=f"deleted with its data: {members} audience members no other sample holds, "
               f"{n_memberships} campaign membership{'s' * (n_memberships != 1)}",
    ))


def delete_creator(session: Session, workspace_id: int, creator_id: int, expected_version: int, *,
                   key_id: int | None = None) -> None:
    """Deletes the creator with everything derived from it (see :func:`forget_creator`).

    Raises :class:`influencers.errors.StaleVersion` when the creator changed since the
    caller read ``expected_version``."""
    current = select(Creator.id).where(
        Creator.id == creator_id, Creator.workspace_id == workspace_id, Creator.version == expected_version)
    if session.scalar(current.with_for_update()) is None:
        raise StaleVersion.of("creator")
    forget_creator(session, workspace_id, creator_id, key_id=key_id)
    # After locking the creator's row: a scoring run writing this creator's shares holds a
    # lock on it until it commits, so by now its rows are visible to this statement
    # (PostgreSQL, READ COMMITTED). Before deleting the row: under row-level security a
    # creator's shares are visible through the creator only. audience_shares has no
    # foreign key (see AudienceShare).
    session.execute(delete(AudienceShare).where(AudienceShare.creator_id == creator_id))
    result = session.execute(
        delete(Creator).where(
            Creator.id == creator_id, Creator.workspace_id == workspace_id, Creator.version == expected_version
        )
    )
    if result.rowcount != 1:
        raise StaleVersion.of("creator")


def audit_events_select(workspace_id: int, object_type: str | None = None):
    stmt = select(AuditEvent).where(AuditEvent.workspace_id == workspace_id)
    if object_type is not None:
        stmt = stmt.where(AuditEvent.object_type == object_type)
    return stmt.order_by(AuditEvent.id)
