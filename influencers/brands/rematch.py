"""Storing which posts mention which brands: the re-matching job and the import hook.

Both read posts in batches with one query each, run the :class:`Matcher` of
every brand concerned over the batch in memory, read the stored mentions of the
same posts with one query, and write only the differences (one executemany per
kind of change). Re-running over unchanged posts and rules therefore writes
nothing; the job's result counts what was inserted, deleted, updated and left as
it was.
"""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import msgspec
from sqlalchemy import Text, bindparam, cast, func, select
from sqlalchemy.dialects.postgresql import insert as postgresql_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import Session

from influencers.brands.matching import BrandRules, Matcher
from influencers.brands.models import Brand, BrandMention
from influencers.config import Settings
from influencers.creators.models import Post
from influencers.db import Database

BATCH = 50_000
_ID_CHUNK = 5_000
_VALUE_COLUMNS = ("creator_id", "platform", "published_at", "sponsored", "matched_by", "matched_term",
                  "likes", "comments")
# What the matcher reads of every post (JSON lists as their stored text: the driver would decode
# every list, and most posts are ruled out on the text alone), and what a mention copies of the
# few posts that match.
_TEXT_COLUMNS = (Post.id, Post.platform, Post.caption, cast(Post.hashtags, Text), cast(Post.mentions, Text))
_DETAIL_COLUMNS = (Post.id, Post.creator_id, Post.platform, Post.published_at, Post.sponsored, Post.likes,
                   Post.comments)
_STORED = select(BrandMention.brand_id, BrandMention.post_id,
                 *(getattr(BrandMention, c) for c in _VALUE_COLUMNS))
_decode = msgspec.json.Decoder().decode


@dataclass
class Counts:
    posts: int = 0
    inserted: int = 0
    deleted: int = 0
    updated: int = 0
    unchanged: int = 0

    def to_dict(self) -> dict:
        return dict(self.__dict__)


def load_rules(session: Session, workspace_id: int, brand_ids: list[int] | None = None) -> list[BrandRules]:
    stmt = select(Brand.id, Brand.handles, Brand.hashtags, Brand.keywords, Brand.exclude_keywords).where(
        Brand.workspace_id == workspace_id)
    if brand_ids is not None:
        stmt = stmt.where(Brand.id.in_(brand_ids))
    return [BrandRules(brand_id=i, handles=h or {}, hashtags=t or [], keywords=k or [], exclude_keywords=x or [])
            for i, h, t, k, x in session.execute(stmt).all()]


def _json(value):
    if isinstance(value, str):
        return None if value == "[]" else _decode(value)
    return value or None


def _mentions_of(session: Session, matcher: Matcher, rows) -> dict[tuple[int, int], tuple]:
    """{(brand id, post id): stored values} for the posts ``rows`` (as selected by ``_TEXT_COLUMNS``)."""
    found = {}
    match, cannot_match = matcher.match_parts, matcher.cannot_match
    for post_id, platform, caption, hashtags, mentions in rows:
        # Most posts name no brand: the prefilter reads the lists as stored, undecoded.
        if (caption or hashtags or mentions) and not cannot_match(platform, caption, hashtags, mentions):
            matches = match(platform, caption, _json(hashtags), _json(mentions))
            if matches:
                found[post_id] = matches
    out = {}
    ids = sorted(found)
    for start in range(0, len(ids), _ID_CHUNK):
        for post_id, creator_id, platform, published_at, sponsored, likes, comments in session.execute(
                select(*_DETAIL_COLUMNS).where(Post.id.in_(ids[start:start + _ID_CHUNK]))):
            for brand_id, (matched_by, term) in found[post_id].items():
                out[(brand_id, post_id)] = (creator_id, platform, published_at, bool(sponsored), matched_by,
                                            term[:200], likes or 0, comments or 0)
    return out


def _write(session: Session, workspace_id: int, new: dict, old: dict, counts: Counts) -> None:
    inserts = [k for k in new if k not in old]
    deletes = [k for k in old if k not in new]
    updates = [k for k in new if k in old and old[k] != new[k]]
    counts.inserted += len(inserts)
    counts.deleted += len(deletes)
    counts.updated += len(updates)
    counts.unchanged += len(new) - len(inserts) - len(updates)
    table = BrandMention.__table__
    key = (table.c.brand_id == bindparam("b")) & (table.c.post_id == bindparam("p"))
    connection = session.connection()
    if deletes:
        connection.execute(table.delete().where(key), [{"b": b, "p": p} for b, p in deletes])
    if updates:
        connection.execute(table.update().where(key).values({c: bindparam(c) for c in _VALUE_COLUMNS}),
                           [{"b": b, "p": p, **dict(zip(_VALUE_COLUMNS, new[(b, p)]))} for b, p in updates])
    if inserts:
        # ON CONFLICT DO NOTHING: an import matching the posts it writes may have stored the same
        # mention since this batch read them (PostgreSQL, READ COMMITTED); it is the same row.
        dialect_insert = sqlite_insert if connection.dialect.name == "sqlite" else postgresql_insert
        connection.execute(dialect_insert(table).on_conflict_do_nothing(), [
            {"brand_id": b, "post_id": p, "workspace_id": workspace_id, **dict(zip(_VALUE_COLUMNS, new[(b, p)]))}
            for b, p in inserts])


def rematch(db: Database, workspace_id: int, brand_ids: list[int], report_progress=None,
            batch: int = BATCH) -> dict:
    """Re-matches every post of the workspace against ``brand_ids``, one transaction per batch of posts."""
    with db.transaction(write=False) as session:
        rules = load_rules(session, workspace_id, brand_ids)
        versions = dict(session.execute(select(Brand.id, Brand.rules_version).where(
            Brand.id.in_([r.brand_id for r in rules]))).all())
        total = session.scalar(select(func.count()).where(Post.workspace_id == workspace_id))
    counts = Counts()
    if not rules:
        return {**counts.to_dict(), "brand_ids": []}
    ids = sorted(versions)
    matcher = Matcher(rules)
    after = 0
    while True:
        with db.transaction() as session:
            rows = session.execute(select(*_TEXT_COLUMNS).where(Post.workspace_id == workspace_id, Post.id > after)
                                   .order_by(Post.id).limit(batch)).all()
            if not rows:
                break
            low, high = rows[0][0], rows[-1][0]
            new = _mentions_of(session, matcher, rows)
            old = {(r[0], r[1]): tuple(r[2:]) for r in session.execute(_STORED.where(
                BrandMention.brand_id.in_(ids), BrandMention.post_id.between(low, high)))}
            _write(session, workspace_id, new, old, counts)
            counts.posts += len(rows)
            after = high
        if report_progress is not None and total:
            report_progress(counts.posts / total)
    with db.transaction() as session:
        # Only where the rules did not change meanwhile (a newer job then covers them); one
        # executemany, not a statement per brand.
        brands = Brand.__table__
        session.connection().execute(
            brands.update().where(brands.c.id == bindparam("b"), brands.c.rules_version == bindparam("v"))
            .values(matched_rules_version=bindparam("v")),
            [{"b": brand_id, "v": version} for brand_id, version in versions.items()])
    return {**counts.to_dict(), "brand_ids": ids}


def match_job(db: Database, settings: Settings, workspace_id: int, params: dict, report_progress) -> dict:
    return rematch(db, workspace_id, list(params["brand_ids"]), report_progress)


def match_written_posts(session: Session, workspace_id: int, since: dt.datetime) -> Counts:
    """The import hook: re-matches the posts the import wrote (``updated_at >= since``) against every brand."""
    counts = Counts()
    rules = load_rules(session, workspace_id)
    if not rules:
        return counts
    matcher = Matcher(rules)
    result = session.execute(select(*_TEXT_COLUMNS).where(
        Post.workspace_id == workspace_id, Post.updated_at >= since).order_by(Post.id))
    while rows := result.fetchmany(_ID_CHUNK):
        new = _mentions_of(session, matcher, rows)
        old = {(r[0], r[1]): tuple(r[2:]) for r in session.execute(_STORED.where(
            BrandMention.post_id.in_([r[0] for r in rows])))}
        _write(session, workspace_id, new, old, counts)
        counts.posts += len(rows)
    return counts
