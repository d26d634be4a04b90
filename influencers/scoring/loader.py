"""Reads one workspace's scoring inputs from the database: a handful of set-based queries.

Each table is read once, column by column, into numpy arrays; database ids are
mapped to array positions with ``searchsorted`` (never a query per creator).
"""
from __future__ import annotations

import numpy as np
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from influencers.creators.models import (
    AudienceMember,
    AudienceSample,
    AudienceSampleMember,
    Creator,
    CreatorEdge,
    FollowerSnapshot,
    Post,
)
from influencers.scoring.inputs import PLATFORM_CODE, ScoringInputs, detect_contests


def _columns(session: Session, stmt, names: list[str]) -> dict[str, np.ndarray]:
    rows = session.execute(stmt).all()
    if not rows:
        return {name: np.array([], dtype=object) for name in names}
    transposed = list(zip(*rows))
    return {name: np.array(values, dtype=object) for name, values in zip(names, transposed)}


def _positions(sorted_ids: np.ndarray, ids: np.ndarray) -> np.ndarray:
    return np.searchsorted(sorted_ids, ids.astype(np.int64)) if len(ids) else np.array([], dtype=np.int64)


def _days(values: np.ndarray) -> np.ndarray:
    return np.array([np.datetime64(v, "D") if v is not None else np.datetime64("NaT", "D") for v in values],
                    dtype="datetime64[D]")


def _floats(values: np.ndarray) -> np.ndarray:
    return np.array([np.nan if v is None else v for v in values], dtype=float)


def load_inputs(session: Session, workspace_id: int, platform: str | None = None) -> ScoringInputs:
    creator_filter = [Creator.workspace_id == workspace_id]
    if platform:
        creator_filter.append(Creator.platform == platform)
    creators = _columns(
        session,
        select(Creator.id, Creator.platform, Creator.handle, Creator.followers, Creator.following,
               Creator.posts_count, Creator.updated_at).where(*creator_filter).order_by(Creator.id),
        ["id", "platform", "handle", "followers", "following", "posts_count", "updated_at"],
    )
    creator_ids = creators["id"].astype(np.int64)
    in_scope = select(Creator.id).where(*creator_filter)

    posts = _columns(
        session,
        select(Post.creator_id, Post.published_at, Post.likes, Post.comments, Post.views, Post.caption,
               Post.external_id).where(Post.creator_id.in_(in_scope)),
        ["creator_id", "published_at", "likes", "comments", "views", "caption", "external_id"],
    )
    snapshots = _columns(
        session,
        select(FollowerSnapshot.creator_id, FollowerSnapshot.date, FollowerSnapshot.followers,
               FollowerSnapshot.following).where(FollowerSnapshot.creator_id.in_(in_scope)),
        ["creator_id", "date", "followers", "following"],
    )
    latest = (
        select(AudienceSample.creator_id, func.max(AudienceSample.sampled_at).label("sampled_at"))
        .where(AudienceSample.creator_id.in_(in_scope))
        .group_by(AudienceSample.creator_id)
        .subquery()
    )
    samples = _columns(
        session,
        select(AudienceSample.id, AudienceSample.creator_id, AudienceSample.sampled_at).join(
            latest,
            (latest.c.creator_id == AudienceSample.creator_id) & (latest.c.sampled_at == AudienceSample.sampled_at),
        ),
        ["id", "creator_id", "sampled_at"],
    )
    sample_ids = samples["id"].astype(np.int64)
    memberships = _columns(
        session,
        select(AudienceSampleMember.sample_id, AudienceSampleMember.member_id).where(
            AudienceSampleMember.sample_id.in_(latest_sample_ids_subquery(latest))
        ),
        ["sample_id", "member_id"],
    )
    member_ids_used = np.unique(memberships["member_id"].astype(np.int64))
    members = _columns(
        session,
        select(AudienceMember.id, AudienceMember.followers, AudienceMember.following, AudienceMember.posts_count,
               AudienceMember.has_avatar, AudienceMember.bio_length, AudienceMember.created_at,
               AudienceMember.last_post_at, AudienceMember.country, AudienceMember.language,
               AudienceMember.gender, AudienceMember.age_range)
        .where(AudienceMember.workspace_id == workspace_id)
        .where(AudienceMember.id.in_(select(AudienceSampleMember.member_id).where(
            AudienceSampleMember.sample_id.in_(latest_sample_ids_subquery(latest)))))
        .order_by(AudienceMember.id),
        ["id", "followers", "following", "posts_count", "has_avatar", "bio_length", "created_at",
         "last_post_at", "country", "language", "gender", "age_range"],
    )
    member_ids = members["id"].astype(np.int64)
    assert len(member_ids) == len(member_ids_used)
    comment_edges = _columns(
        session,
        select(CreatorEdge.source_id, CreatorEdge.target_id, CreatorEdge.weight).where(
            CreatorEdge.workspace_id == workspace_id, CreatorEdge.kind == "comments",
            CreatorEdge.source_id.in_(in_scope), CreatorEdge.target_id.in_(in_scope)),
        ["source_id", "target_id", "weight"],
    )

    sample_date = np.full(len(creator_ids), np.datetime64("NaT", "D"))
    if len(sample_ids):
        sample_date[_positions(creator_ids, samples["creator_id"])] = _days(samples["sampled_at"])
    sample_order = np.argsort(sample_ids)
    sample_creator_ids = samples["creator_id"].astype(np.int64)[sample_order]
    membership_sample_pos = _positions(sample_ids[sample_order], memberships["sample_id"])

    return ScoringInputs(
        creator_ids=creator_ids,
        platform=np.array([PLATFORM_CODE[p] for p in creators["platform"]], dtype=np.int64),
        handles=creators["handle"],
        followers=creators["followers"].astype(float),
        following=creators["following"].astype(float),
        posts_count=creators["posts_count"].astype(float),
        as_of=_days([v.date() if v is not None else None for v in creators["updated_at"]])
        if len(creator_ids) else np.array([], dtype="datetime64[D]"),
        sample_date=sample_date,
        post_creator=_positions(creator_ids, posts["creator_id"]),
        post_published_at=np.array(
            [np.datetime64(v.replace(tzinfo=None), "s") for v in posts["published_at"]], dtype="datetime64[s]"),
        post_likes=posts["likes"].astype(float),
        post_comments=posts["comments"].astype(float),
        post_views=_floats(posts["views"]),
        post_is_contest=detect_contests(posts["caption"]),
        post_external_id=posts["external_id"],
        snapshot_creator=_positions(creator_ids, snapshots["creator_id"]),
        snapshot_date=_days(snapshots["date"]),
        snapshot_followers=snapshots["followers"].astype(float),
        snapshot_following=_floats(snapshots["following"]),
        member_followers=members["followers"].astype(float),
        member_following=members["following"].astype(float),
        member_posts_count=members["posts_count"].astype(float),
        member_has_avatar=members["has_avatar"].astype(bool),
        member_bio_length=_floats(members["bio_length"]),
        member_created_at=_days(members["created_at"]),
        member_last_post_at=_days(members["last_post_at"]),
        member_country=members["country"],
        member_language=members["language"],
        member_gender=members["gender"],
        member_age_range=members["age_range"],
        sample_creator=_positions(creator_ids, sample_creator_ids[membership_sample_pos])
        if len(membership_sample_pos) else np.array([], dtype=np.int64),
        sample_member=_positions(member_ids, memberships["member_id"]),
        comment_source=_positions(creator_ids, comment_edges["source_id"]),
        comment_target=_positions(creator_ids, comment_edges["target_id"]),
        comment_weight=comment_edges["weight"].astype(float),
    )


def latest_sample_ids_subquery(latest):
    return select(AudienceSample.id).join(
        latest,
        (latest.c.creator_id == AudienceSample.creator_id) & (latest.c.sampled_at == AudienceSample.sampled_at),
    )
