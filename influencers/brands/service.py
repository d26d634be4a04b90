"""Brands of a workspace: CRUD with conditional updates, competitor groups, the audit trail.

Functions take a session and the caller's workspace id; another workspace's brand
is simply not found. A change of a brand's matching rules bumps its
``rules_version`` and queues a re-matching job (:mod:`influencers.brands.rematch`);
the caller dispatches the job after its transaction commits.
"""
from __future__ import annotations

from typing import Any

from sqlalchemy import Select, delete, insert, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from influencers.brands.matching import fold, fold_handle, fold_hashtag
from influencers.brands.models import Brand, BrandAuditEvent, BrandCompetitor
from influencers.db import utcnow
from influencers.errors import Conflict, InvalidInput, NotFound, StaleVersion
from influencers.jobs import runner

RULE_FIELDS = ("handles", "hashtags", "keywords", "exclude_keywords")
MATCH_JOB = "brands.match"


class BrandExists(Conflict):
    """Another brand of the workspace has this name (as compared: case and accents folded)."""

    def __init__(self, name: str):
        super().__init__(f"A brand named {name!r} already exists in this workspace.")


def name_key(name: str) -> str:
    return " ".join(fold(name).split())


def _dedupe(values, key) -> list[str]:
    seen, out = set(), []
    for value in values:
        value = value.strip()
        k = key(value)
        if k and k not in seen:
            seen.add(k)
            out.append(value)
    return out


def normalise_rules(values: dict[str, Any]) -> dict[str, Any]:
    """Handles lower case without '@', hashtags without '#', duplicates (as compared) dropped."""
    out = {}
    if "handles" in values:
        out["handles"] = {platform: _dedupe((fold_handle(h) for h in handles), lambda h: h)
                          for platform, handles in sorted((values["handles"] or {}).items()) if handles}
    if "hashtags" in values:
        out["hashtags"] = [t.lstrip("#") for t in _dedupe(values["hashtags"] or [], fold_hashtag)]
    for name in ("keywords", "exclude_keywords"):
        if name in values:
            out[name] = _dedupe(values[name] or [], lambda k: " ".join(fold(k).split()))
    return out


# --- reading ---------------------------------------------------------------------------------------

def brands_select(workspace_id: int, q: str | None = None) -> Select:
    stmt = select(Brand).where(Brand.workspace_id == workspace_id)
    if q:
        escaped = name_key(q).replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
        stmt = stmt.where(Brand.name_key.like(f"%{escaped}%", escape="\\"))
    return stmt.order_by(Brand.name_key, Brand.id)


def get_brand(session: Session, workspace_id: int, brand_id: int) -> Brand:
    brand = session.scalar(select(Brand).where(Brand.id == brand_id, Brand.workspace_id == workspace_id))
    if brand is None:
        raise NotFound(f"No brand {brand_id} in this workspace.")
    return brand


def find_brand(session: Session, workspace_id: int, name: str) -> Brand | None:
    return session.scalar(select(Brand).where(Brand.workspace_id == workspace_id, Brand.name_key == name_key(name)))


def mentioned_brand_id(session: Session, workspace_id: int, name: str) -> int:
    """The id of the brand a ``mention`` filter names; InvalidInput when there is none."""
    brand = find_brand(session, workspace_id, name)
    if brand is None:
        raise InvalidInput("mention", f"no brand named {name!r}: define it (POST /v1/brands) to find the posts "
                                      "mentioning it", location="query")
    return brand.id


def competitors_of(session: Session, brand_ids: list[int]) -> dict[int, list[dict]]:
    """{brand id: [{"id", "name"}, ...]} for each of ``brand_ids`` (one query)."""
    out: dict[int, list[dict]] = {b: [] for b in brand_ids}
    if not brand_ids:
        return out
    rows = session.execute(
        select(BrandCompetitor.brand_id, Brand.id, Brand.name)
        .join(Brand, Brand.id == BrandCompetitor.competitor_id)
        .where(BrandCompetitor.brand_id.in_(brand_ids))
        .order_by(Brand.name_key)
    ).all()
    for brand_id, competitor_id, name in rows:
        out[brand_id].append({"id": competitor_id, "name": name})
    return out


def group_ids(session: Session, brand: Brand) -> list[int]:
    """The brand's competitor group: the brand first, then its competitors."""
    return [brand.id, *(c["id"] for c in competitors_of(session, [brand.id])[brand.id])]


def resolve_group(session: Session, workspace_id: int, name: str) -> list[int] | None:
    brand = find_brand(session, workspace_id, name)
    return None if brand is None else group_ids(session, brand)


# --- writing ---------------------------------------------------------------------------------------

def _check_competitors(session: Session, workspace_id: int, brand_id: int | None, ids: list[int]) -> list[int]:
    ids = list(dict.fromkeys(ids))
    if brand_id is not None and brand_id in ids:
        raise InvalidInput("competitor_ids", "a brand cannot compete with itself")
    found = set(session.scalars(select(Brand.id).where(Brand.workspace_id == workspace_id, Brand.id.in_(ids))))
    unknown = [i for i in ids if i not in found]
    if unknown:
        raise InvalidInput("competitor_ids", f"no such brands in this workspace: {', '.join(map(str, unknown))}")
    return ids


def _set_competitors(session: Session, brand_id: int, ids: list[int]) -> None:
    session.execute(delete(BrandCompetitor).where(BrandCompetitor.brand_id == brand_id))
    if ids:
        session.execute(insert(BrandCompetitor), [{"brand_id": brand_id, "competitor_id": c} for c in ids])


def audit(session: Session, workspace_id: int, brand_id: int, action: str, changes: dict,
          key_id: int | None) -> None:
    session.add(BrandAuditEvent(workspace_id=workspace_id, brand_id=brand_id, action=action, changes=changes,
                                key_id=key_id, at=utcnow()))


def audit_select(workspace_id: int, brand_id: int) -> Select:
    return (select(BrandAuditEvent)
            .where(BrandAuditEvent.workspace_id == workspace_id, BrandAuditEvent.brand_id == brand_id)
            .order_by(BrandAuditEvent.id))


def audit_trail_select(session: Session, workspace_id: int, brand_id: int) -> Select:
    """The brand's trail, oldest first. A deleted brand's trail stays readable; NotFound when
    the workspace never had the brand."""
    trail = audit_select(workspace_id, brand_id)
    brand_exists = session.scalar(select(Brand.id).where(Brand.id == brand_id, Brand.workspace_id == workspace_id))
    if brand_exists is None and session.scalar(trail.limit(1)) is None:
        raise NotFound(f"No brand {brand_id} in this workspace.")
    return trail


def queue_match(session: Session, workspace_id: int, brand_ids: list[int]) -> int:
    """Queues a job re-matching every post of the workspace against ``brand_ids`` (dispatch after commit)."""
    job_id = runner.enqueue(session, workspace_id, MATCH_JOB, {"brand_ids": sorted(brand_ids)})
    session.execute(update(Brand).where(Brand.id.in_(brand_ids)).values(match_job_id=job_id)
                    .execution_options(synchronize_session=False))
    return job_id


def create_brand(session: Session, workspace_id: int, values: dict[str, Any], key_id: int | None,
                 *, action: str = "created", queue: bool = True) -> Brand:
    values = dict(values)
    competitor_ids = _check_competitors(session, workspace_id, None, values.pop("competitor_ids", None) or [])
    rules = normalise_rules({f: values.get(f) or ([] if f != "handles" else {}) for f in RULE_FIELDS})
    key = name_key(values["name"])
    if not key:
        raise InvalidInput("name", "must contain a letter or digit")
    if find_brand(session, workspace_id, values["name"]) is not None:
        raise BrandExists(values["name"])
    now = utcnow()
    brand = Brand(workspace_id=workspace_id, name=values["name"].strip(), name_key=key, **rules,
                  rules_version=1, matched_rules_version=0, created_at=now, updated_at=now, version=1)
    session.add(brand)
    try:
        session.flush()
    except IntegrityError as error:
        raise BrandExists(values["name"]) from error
    _set_competitors(session, brand.id, competitor_ids)
    audit(session, workspace_id, brand.id, action,
          {"name": brand.name, **rules, "competitor_ids": competitor_ids}, key_id)
    if queue:
        queue_match(session, workspace_id, [brand.id])
    session.refresh(brand)
    return brand


def update_brand(session: Session, workspace_id: int, brand: Brand, expected_version: int,
                 changes: dict[str, Any], key_id: int | None, *, action: str = "updated",
                 queue: bool = True) -> Brand:
    """Conditional update; a change of the rules queues a re-matching job (``brand.match_job_id``)."""
    changes = dict(changes)
    diff: dict[str, dict] = {}
    values: dict[str, Any] = {}
    if "competitor_ids" in changes:
        ids = _check_competitors(session, workspace_id, brand.id, changes.pop("competitor_ids") or [])
        old = [c["id"] for c in competitors_of(session, [brand.id])[brand.id]]
        if sorted(old) != sorted(ids):
            diff["competitor_ids"] = {"from": old, "to": ids}
            _set_competitors(session, brand.id, ids)
    if "name" in changes and changes["name"].strip() != brand.name:
        key = name_key(changes["name"])
        if not key:
            raise InvalidInput("name", "must contain a letter or digit")
        other = find_brand(session, workspace_id, changes["name"])
        if other is not None and other.id != brand.id:
            raise BrandExists(changes["name"])
        values.update(name=changes["name"].strip(), name_key=key)
        diff["name"] = {"from": brand.name, "to": values["name"]}
    rules = normalise_rules({f: changes[f] for f in RULE_FIELDS if f in changes})
    for name, value in rules.items():
        if value != getattr(brand, name):
            values[name] = value
            diff[name] = {"from": getattr(brand, name), "to": value}
    if not values and not diff:
        # Nothing changes (e.g. the same file imported again): the row, its ETag and the trail stay.
        if session.scalar(select(Brand.version).where(Brand.id == brand.id)) != expected_version:
            raise StaleVersion.of("brand")
        return brand
    rules_changed = any(name in values for name in RULE_FIELDS)
    if rules_changed:
        values["rules_version"] = Brand.rules_version + 1
    result = session.execute(
        update(Brand)
        .where(Brand.id == brand.id, Brand.workspace_id == workspace_id, Brand.version == expected_version)
        .values(**values, version=Brand.version + 1, updated_at=utcnow())
        .execution_options(synchronize_session=False))
    if result.rowcount != 1:
        raise StaleVersion.of("brand")
    if diff:
        audit(session, workspace_id, brand.id, action, diff, key_id)
    if rules_changed and queue:
        queue_match(session, workspace_id, [brand.id])
    session.refresh(brand)
    return brand


def delete_brand(session: Session, workspace_id: int, brand: Brand, expected_version: int,
                 key_id: int | None) -> None:
    result = session.execute(delete(Brand).where(
        Brand.id == brand.id, Brand.workspace_id == workspace_id, Brand.version == expected_version))
    if result.rowcount != 1:
        raise StaleVersion.of("brand")
    audit(session, workspace_id, brand.id, "deleted", {"name": brand.name}, key_id)


def import_brands(session: Session, workspace_id: int, items: list[dict], key_id: int | None = None) -> dict:
    """Creates or updates brands by name (the CLI's file) and queues one job re-matching them all.

    Competitors are brand names, in the file or already stored. Returns
    {"created": [names], "updated": [names], "unchanged": [names], "job_id": id}.
    """
    names = [name_key(item["name"]) for item in items]
    if len(set(names)) != len(names):
        raise InvalidInput("name", "a brand is named twice in the file")
    report: dict[str, Any] = {"created": [], "updated": [], "unchanged": []}
    brands: dict[str, Brand] = {}
    for item in items:
        rules = {f: item.get(f) or ([] if f != "handles" else {}) for f in RULE_FIELDS}
        existing = find_brand(session, workspace_id, item["name"])
        if existing is None:
            brand = create_brand(session, workspace_id, {"name": item["name"], **rules}, key_id,
                                 action="imported", queue=False)
            report["created"].append(brand.name)
        else:
            before = _rules_of(existing)
            brand = update_brand(session, workspace_id, existing, existing.version, {"name": item["name"], **rules},
                                 key_id, action="imported", queue=False)
            report["updated" if _rules_of(brand) != before else "unchanged"].append(brand.name)
        brands[name_key(item["name"])] = brand
    for item in items:
        if "competitors" not in item:
            continue
        ids = []
        for competitor in item["competitors"] or []:
            found = brands.get(name_key(competitor)) or find_brand(session, workspace_id, competitor)
            if found is None:
                raise InvalidInput("competitors", f"{item['name']}: no brand named {competitor!r}")
            ids.append(found.id)
        brand = brands[name_key(item["name"])]
        update_brand(session, workspace_id, brand, brand.version, {"competitor_ids": ids}, key_id,
                     action="imported", queue=False)
    report["job_id"] = queue_match(session, workspace_id, [b.id for b in brands.values()]) if brands else None
    return report


def _rules_of(brand: Brand) -> tuple:
    return (brand.name, *(getattr(brand, f) for f in RULE_FIELDS))
