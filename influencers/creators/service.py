"""Creator store operations: filtered listings, CRUD with conditional updates, audience summaries.

Functions take a session and the caller's workspace id; every query is scoped
to that workspace, so another workspace's creator is simply not found.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import Select, bindparam, delete, func, insert, or_, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, joinedload

from influencers.creators.models import (
    AudienceMember,
    AudienceSample,
    AudienceSampleMember,
    Creator,
    CreatorCategory,
    FollowerSnapshot,
    normalise_handle,
)
from influencers.db import utcnow
from influencers.errors import Conflict, NotFound, StaleVersion


class CreatorExists(Conflict):
    """A creator with this platform and handle exists in the workspace."""

    def __init__(self, platform_handle: str):
        super().__init__(f"Creator {platform_handle} already exists in this workspace.")


SORTABLE_COLUMNS = {
    "followers": Creator.followers,
    "handle": Creator.handle,
    "created_at": Creator.created_at,
    "updated_at": Creator.updated_at,
    "id": Creator.id,
}


@dataclass
class CreatorFilters:
    platform: str | None = None
    country: str | None = None
    language: str | None = None
    category: str | None = None
    min_followers: int | None = None
    max_followers: int | None = None
    q: str | None = None
    sort: str = "-followers"


def apply_creator_filters(stmt: Select, filters: CreatorFilters) -> Select:
    """Adds the store-level filters to a select over ``Creator`` (discovery reuses this)."""
    if filters.platform:
        stmt = stmt.where(Creator.platform == filters.platform)
    if filters.country:
        stmt = stmt.where(Creator.country == filters.country.upper())
    if filters.language:
        stmt = stmt.where(Creator.language == filters.language.lower())
    if filters.category:
        # An uncorrelated IN (not a correlated EXISTS): the database can then drive
        # from the category index instead of probing it once per candidate creator.
        stmt = stmt.where(Creator.id.in_(
            select(CreatorCategory.creator_id).where(CreatorCategory.category == filters.category.lower())))
    if filters.min_followers is not None:
        stmt = stmt.where(Creator.followers >= filters.min_followers)
    if filters.max_followers is not None:
        stmt = stmt.where(Creator.followers <= filters.max_followers)
    if filters.q:
        # Escape LIKE wildcards so "%" searches for a percent sign.
        escaped = filters.q.lower().replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
        pattern = f"%{escaped}%"
        stmt = stmt.where(
            or_(
                Creator.handle.like(pattern, escape="\\"),
                func.lower(Creator.display_name).like(pattern, escape="\\"),
                func.lower(Creator.bio).like(pattern, escape="\\"),
            )
        )
    return stmt


def order_by_sort(stmt: Select, sort: str, columns: dict) -> Select:
    descending = sort.startswith("-")
    column = columns[sort.lstrip("-")]
    # The id tie-breaker makes pages stable when many rows share a value.
    return stmt.order_by(column.desc() if descending else column.asc(), Creator.id.asc())


def list_creators_select(workspace_id: int, filters: CreatorFilters) -> Select:
    stmt = select(Creator).where(Creator.workspace_id == workspace_id)
    stmt = apply_creator_filters(stmt, filters)
    return order_by_sort(stmt, filters.sort, SORTABLE_COLUMNS)


# Built once (a statement's construction costs more than its cached compilation); categories
# joined into the same statement: one round trip for a creator read.
_CREATOR_BY_ID = (select(Creator).options(joinedload(Creator.category_rows))
                  .where(Creator.id == bindparam("creator_id"), Creator.workspace_id == bindparam("workspace_id")))


def find_creator(session: Session, workspace_id: int, creator_id: int) -> Creator | None:
    return session.scalars(_CREATOR_BY_ID, {"creator_id": creator_id, "workspace_id": workspace_id}).unique().first()


# The read endpoint's statement: the creator's columns with one row per category (or one with
# none), as plain rows. Loading a Creator object with its joined category collection costs as
# much again as the statement itself, for a profile that is only serialised.
_CATEGORIES = CreatorCategory.__table__
_PROFILE_BY_ID = (select(Creator.__table__, _CATEGORIES.c.category)
                  .outerjoin(_CATEGORIES, _CATEGORIES.c.creator_id == Creator.__table__.c.id)
                  .where(Creator.__table__.c.id == bindparam("creator_id"),
                         Creator.__table__.c.workspace_id == bindparam("workspace_id"))
                  .order_by(_CATEGORIES.c.category))


def creator_profile(session: Session, workspace_id: int, creator_id: int) -> dict[str, Any]:
    """The workspace's creator as a dict of its columns and ``categories`` (sorted, as
    ``Creator.categories``), in one statement; NotFound otherwise."""
    rows = session.execute(_PROFILE_BY_ID, {"creator_id": creator_id, "workspace_id": workspace_id}).all()
    if not rows:
        raise creator_not_found(creator_id)
    profile = dict(rows[0]._mapping)
    profile["categories"] = [row.category for row in rows if row.category is not None]
    return profile


def get_creator(session: Session, workspace_id: int, creator_id: int, *, field: str | None = None) -> Creator:
    """The workspace's creator; NotFound otherwise (``field``: the input that named it)."""
    creator = find_creator(session, workspace_id, creator_id)
    if creator is None:
        raise creator_not_found(creator_id, field=field)
    return creator


def creator_not_found(creator_id: int, *, field: str | None = None) -> NotFound:
    """The error of a creator id the workspace does not have (``field``: the input that named it)."""
    return NotFound(f"No creator {creator_id} in this workspace.", field=field,
                    reason="no such creator in this workspace")


def _normalise_profile(values: dict[str, Any]) -> dict[str, Any]:
    values = dict(values)
    if values.get("country"):
        values["country"] = values["country"].upper()
    if values.get("language"):
        values["language"] = values["language"].lower()
    return values


def _set_categories(session: Session, creator_id: int, categories: list[str]) -> None:
    session.execute(delete(CreatorCategory).where(CreatorCategory.creator_id == creator_id))
    unique = sorted({c.strip().lower() for c in categories if c.strip()})
    if unique:
        session.execute(insert(CreatorCategory), [{"creator_id": creator_id, "category": c} for c in unique])


def create_creator(session: Session, workspace_id: int, values: dict[str, Any]) -> Creator:
    values = _normalise_profile(values)
    categories = values.pop("categories", None) or []
    values["handle"] = normalise_handle(values["handle"])
    taken = session.scalar(
        select(Creator.id).where(
            Creator.workspace_id == workspace_id,
            Creator.platform == values["platform"],
            Creator.handle == values["handle"],
        )
    )
    if taken is not None:
        raise CreatorExists(f"{values['platform']}/{values['handle']}")
    creator = Creator(workspace_id=workspace_id, **values)
    session.add(creator)
    try:
        session.flush()
    except IntegrityError as error:
        raise CreatorExists(f"{values['platform']}/{values['handle']}") from error
    _set_categories(session, creator.id, categories)
    session.expire(creator, ["category_rows"])
    return creator


def update_creator(
    session: Session, workspace_id: int, creator_id: int, expected_version: int, changes: dict[str, Any]
) -> Creator:
    """Conditional update: applies only if the row is still at ``expected_version``.

    The version check is in the UPDATE itself, so two concurrent writers with
    the same ETag cannot both succeed (compare-then-write would let them).
    """
    changes = _normalise_profile(changes)
    categories = changes.pop("categories", None)
    result = session.execute(
        update(Creator)
        .where(Creator.id == creator_id, Creator.workspace_id == workspace_id, Creator.version == expected_version)
        .values(**changes, version=Creator.version + 1, updated_at=utcnow(), import_digest=None)
        .execution_options(synchronize_session=False)
    )
    if result.rowcount != 1:
        raise StaleVersion.of("creator")
    if categories is not None:
        _set_categories(session, creator_id, categories)
    creator = get_creator(session, workspace_id, creator_id)
    session.refresh(creator)
    return creator


def snapshots_select(creator_id: int) -> Select:
    return (
        select(FollowerSnapshot)
        .where(FollowerSnapshot.creator_id == creator_id)
        .order_by(FollowerSnapshot.date.desc())
    )


def latest_sample(session: Session, creator_id: int) -> AudienceSample | None:
    return session.scalar(
        select(AudienceSample)
        .where(AudienceSample.creator_id == creator_id)
        .order_by(AudienceSample.sampled_at.desc())
        .limit(1)
    )


AUDIENCE_DIMENSIONS = {
    "country": AudienceMember.country,
    "language": AudienceMember.language,
    "gender": AudienceMember.gender,
    "age_range": AudienceMember.age_range,
}


def audience_summary(session: Session, creator_id: int) -> dict[str, Any]:
    """Distributions of the latest audience sample, as measured shares of the sample.

    Each distribution's shares are over the members whose value is known;
    ``unknown`` counts the others, so a reader sees how much the shares rest on.
    """
    sample = latest_sample(session, creator_id)
    if sample is None:
        return {"sample_size": 0, "sampled_at": None, "sample_count": 0, "distributions": {}}
    sample_count = session.scalar(select(func.count()).where(AudienceSample.creator_id == creator_id))
    distributions = {}
    for name, column in AUDIENCE_DIMENSIONS.items():
        rows = session.execute(
            select(column, func.count())
            .select_from(AudienceSampleMember)
            .join(AudienceMember, AudienceMember.id == AudienceSampleMember.member_id)
            .where(AudienceSampleMember.sample_id == sample.id)
            .group_by(column)
        ).all()
        known = {value: count for value, count in rows if value is not None}
        unknown = sum(count for value, count in rows if value is None)
        total_known = sum(known.values())
        distributions[name] = {
            "known": total_known,
            "unknown": unknown,
            "shares": [
                {"value": value, "count": count, "share": round(count / total_known, 4)}
                for value, count in sorted(known.items(), key=lambda kv: (-kv[1], kv[0]))
            ],
        }
    return {
        "sample_size": sample.member_count,
        "sampled_at": sample.sampled_at,
        "sample_count": sample_count,
        "distributions": distributions,
    }
