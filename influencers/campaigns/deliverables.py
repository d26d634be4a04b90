"""Deliverables: planning, submission and review rounds, publication, results and compliance.

A published deliverable names its post by ``external_id``; the post is looked
up at read time in the workspace's ``posts`` on the deliverable's platform, so
engagement imported later flows into results and KPIs automatically.
"""
from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Select, func, select
from sqlalchemy.orm import Session

from influencers.campaigns import transitions
from influencers.campaigns.kpis import METRICS, Metrics
from influencers.campaigns.models import (
    Campaign,
    CampaignBrief,
    CampaignCreator,
    Deliverable,
    DeliverableResult,
    DeliverableSubmission,
)
from influencers.campaigns.service import (
    IllegalTransition,
    conditional_update,
    record,
    require_open,
)
from influencers.creators.models import Creator, Post
from influencers.db import utcnow
from influencers.errors import Conflict, InvalidInput, NotFound
from influencers.webhooks import emit

OPEN_DELIVERABLE_STATUSES = transitions.OPEN_DELIVERABLE_STATUSES
POST_METRICS = ("views", "likes", "comments", "shares", "saves")


def today() -> dt.date:
    return utcnow().date()


def is_overdue(deliverable: Deliverable, on: dt.date | None = None) -> bool:
    """Past its due date and neither published nor marked missed."""
    if on is None:
        return deliverable.overdue
    return (deliverable.due_date is not None and deliverable.due_date < on
            and deliverable.status in OPEN_DELIVERABLE_STATUSES)


def deliverables_select(workspace_id: int, *, campaign_id: int | None = None,
                        campaign_creator_id: int | None = None, status: str | None = None,
                        overdue: bool | None = None, on: dt.date | None = None) -> Select:
    stmt = select(Deliverable).where(Deliverable.workspace_id == workspace_id)
    if campaign_id is not None:
        stmt = stmt.where(Deliverable.campaign_id == campaign_id)
    if campaign_creator_id is not None:
        stmt = stmt.where(Deliverable.campaign_creator_id == campaign_creator_id)
    if status:
        stmt = stmt.where(Deliverable.status == status)
    if overdue is not None:
        late = (Deliverable.due_date < (on or today())) & Deliverable.status.in_(OPEN_DELIVERABLE_STATUSES)
        stmt = stmt.where(late if overdue else ~late | Deliverable.due_date.is_(None))
    return stmt.order_by(Deliverable.due_date.asc().nulls_last(), Deliverable.id.asc())


def get_deliverable(session: Session, workspace_id: int, deliverable_id: int) -> Deliverable:
    deliverable = session.scalar(select(Deliverable).where(
        Deliverable.id == deliverable_id, Deliverable.workspace_id == workspace_id
    ))
    if deliverable is None:
        raise NotFound(f"No deliverable {deliverable_id} in this workspace.")
    return deliverable


def _creator_of(session: Session, cc: CampaignCreator) -> Creator:
    return session.get(Creator, cc.creator_id)


def create_deliverable(session: Session, workspace_id: int, cc: CampaignCreator, values: dict[str, Any],
                       key_id: int | None) -> Deliverable:
    campaign = session.get(Campaign, cc.campaign_id)
    require_open(campaign, "planning deliverables")
    if cc.status in ("declined", "removed", "completed"):
        raise Conflict(f"The creator is {cc.status} in this campaign: no new deliverables.")
    values = dict(values)
    values.setdefault("platform", None)
    if values["platform"] is None:
        values["platform"] = _creator_of(session, cc).platform
    brief_version = values.pop("brief_version", None)
    if brief_version is None:
        brief_version = campaign.brief_version
    elif brief_version > campaign.brief_version or brief_version < 1:
        raise InvalidInput("brief_version", f"the campaign's brief versions are 1 to {campaign.brief_version}")
    now = utcnow()
    deliverable = Deliverable(
        workspace_id=workspace_id, campaign_id=cc.campaign_id, campaign_creator_id=cc.id, status="planned",
        brief_version=brief_version, created_at=now, updated_at=now, version=1, **values,
    )
    session.add(deliverable)
    session.flush()
    record(session, workspace_id, "deliverable", deliverable.id, from_status=None, to_status="planned",
           key_id=key_id, action="created")
    return deliverable


def update_deliverable(session: Session, workspace_id: int, deliverable: Deliverable, expected_version: int,
                       changes: dict[str, Any]) -> Deliverable:
    if "brief_version" in changes:
        campaign = session.get(Campaign, deliverable.campaign_id)
        if not 1 <= changes["brief_version"] <= campaign.brief_version:
            raise InvalidInput("brief_version", f"the campaign's brief versions are 1 to {campaign.brief_version}")
    conditional_update(session, Deliverable, deliverable.id, workspace_id, expected_version, changes)
    session.refresh(deliverable)
    return deliverable


def submissions_select(deliverable_id: int) -> Select:
    return select(DeliverableSubmission).where(
        DeliverableSubmission.deliverable_id == deliverable_id
    ).order_by(DeliverableSubmission.number)


def _latest_submission(session: Session, deliverable_id: int) -> DeliverableSubmission | None:
    return session.scalar(submissions_select(deliverable_id).order_by(None)
                          .order_by(DeliverableSubmission.number.desc()).limit(1))


def find_post(session: Session, deliverable: Deliverable) -> Post | None:
    if not deliverable.post_external_id:
        return None
    return session.scalar(select(Post).where(
        Post.workspace_id == deliverable.workspace_id, Post.platform == deliverable.platform,
        Post.external_id == deliverable.post_external_id,
    ))


def transition_deliverable(session: Session, workspace_id: int, deliverable: Deliverable, expected_version: int,
                           body: dict[str, Any], key_id: int | None) -> Deliverable:
    """Moves a deliverable along its workflow; each step takes its own fields:

    - ``submitted``: ``draft_url`` and/or ``draft_text`` (a new submission round);
    - ``changes_requested``: ``comments`` (required); ``approved``: ``comments`` (optional);
    - ``published``: ``post_external_id`` of the published post;
    - ``missed``: ``reason``.
    """
    current, to = deliverable.status, body["to"]
    transitions.check("deliverable", current, to)
    values: dict[str, Any] = {"status": to}
    now = utcnow()
    if to == "submitted":
        if not body.get("draft_url") and not body.get("draft_text"):
            raise InvalidInput("draft_url", "a submission needs draft_url or draft_text")
        campaign = session.get(Campaign, deliverable.campaign_id)
        previous = _latest_submission(session, deliverable.id)
        session.add(DeliverableSubmission(
            deliverable_id=deliverable.id, number=(previous.number if previous else 0) + 1,
            brief_version=campaign.brief_version, draft_url=body.get("draft_url"),
            draft_text=body.get("draft_text"), submitted_at=now, submitted_by_key_id=key_id,
        ))
    elif to in ("changes_requested", "approved"):
        if to == "changes_requested" and not body.get("comments"):
            raise InvalidInput("comments", "say what should change")
        submission = _latest_submission(session, deliverable.id)
        submission.decision = to
        submission.review_comments = body.get("comments")
        submission.reviewed_at = now
        submission.reviewed_by_key_id = key_id
    elif to == "published":
        external_id = body.get("post_external_id")
        if not external_id:
            raise InvalidInput("post_external_id", "the external id of the published post is required")
        values["post_external_id"] = external_id
        post = session.scalar(select(Post).where(
            Post.workspace_id == workspace_id, Post.platform == deliverable.platform, Post.external_id == external_id
        ))
        cc = session.get(CampaignCreator, deliverable.campaign_creator_id)
        if post is not None and post.creator_id != cc.creator_id:
            raise IllegalTransition("deliverable", current, to,
                                    f"Post {external_id} on {deliverable.platform} belongs to another creator.")
        values["published_at"] = post.published_at if post is not None else now
    conditional_update(session, Deliverable, deliverable.id, workspace_id, expected_version, values,
                       Deliverable.status == current)
    record(session, workspace_id, "deliverable", deliverable.id, from_status=current, to_status=to,
           key_id=key_id, reason=body.get("reason"))
    if to in ("submitted", "approved", "published"):
        emit(session, workspace_id, f"deliverable.{to}", {
            "deliverable": {"id": deliverable.id, "campaign_id": deliverable.campaign_id,
                            "campaign_creator_id": deliverable.campaign_creator_id, "kind": deliverable.kind,
                            "platform": deliverable.platform, "status": to, "brief_version": deliverable.brief_version,
                            "post_external_id": values.get("post_external_id", deliverable.post_external_id),
                            "published_at": values.get("published_at")},
            "from_status": current, "to_status": to, "reason": body.get("reason")})
    session.flush()
    session.refresh(deliverable)
    return deliverable


# --- results ---------------------------------------------------------------------------------------

def results_select(deliverable_id: int) -> Select:
    return select(DeliverableResult).where(DeliverableResult.deliverable_id == deliverable_id).order_by(
        DeliverableResult.as_of.desc(), DeliverableResult.id.desc()
    )


def add_result(session: Session, deliverable: Deliverable, values: dict[str, Any], source: str,
               key_id: int | None, default_currency: str) -> DeliverableResult:
    values = dict(values)
    if values.get("revenue_minor") is not None:
        values["revenue_currency"] = values.get("revenue_currency") or default_currency
    else:
        values["revenue_currency"] = None
    if values.get("as_of") is None:
        values["as_of"] = utcnow()
    if not any(values.get(name) is not None for name in (*METRICS, "revenue_minor")):
        raise InvalidInput("_schema", "give at least one metric")
    result = DeliverableResult(deliverable_id=deliverable.id, source=source, created_by_key_id=key_id,
                               created_at=utcnow(), **values)
    session.add(result)
    session.flush()
    return result


def import_results(session: Session, workspace_id: int, campaign: Campaign, items: list[dict[str, Any]],
                   key_id: int | None) -> list[DeliverableResult]:
    """Adds each item's result to its ``deliverable_id`` (source bulk_import); every deliverable
    must be the campaign's, else nothing is added."""
    ids = {item["deliverable_id"] for item in items}
    found = {d.id: d for d in session.scalars(
        deliverables_select(workspace_id, campaign_id=campaign.id).where(Deliverable.id.in_(ids)))}
    unknown = sorted(ids - set(found))
    if unknown:
        raise InvalidInput("results", f"unknown deliverable ids: {', '.join(map(str, unknown))}",
                           message="Some deliverables are not in this campaign.")
    return [add_result(session, found[item["deliverable_id"]],
                       {k: v for k, v in item.items() if k != "deliverable_id"}, "bulk_import", key_id,
                       campaign.currency)
            for item in items]


@dataclass
class Measured:
    """The effective value of each metric, with the source and as-of date it comes from."""

    metrics: Metrics
    revenue_minor: int | None
    revenue_currency: str | None
    provenance: dict[str, dict]  # metric -> {"source", "as_of", "result_id"?}
    post: Post | None


def measured(session: Session, deliverable: Deliverable) -> Measured:
    """Merge the sources: for each metric the most recent as-of wins.

    The linked imported post is read live: its values are as of the import that
    last changed them (``posts.updated_at``) and win for the metrics it carries
    (views, likes, comments, shares, saves); stored manual or bulk rows supply
    the rest.
    """
    values: dict[str, Any] = {}
    provenance: dict[str, dict] = {}
    rows = session.scalars(results_select(deliverable.id)).all()  # newest first
    for row in rows:
        for name in METRICS:
            value = getattr(row, name)
            if value is not None and name not in values:
                values[name] = value
                provenance[name] = {"source": row.source, "as_of": row.as_of, "result_id": row.id}
        if row.revenue_minor is not None and "revenue" not in values:
            values["revenue"] = (row.revenue_minor, row.revenue_currency)
            provenance["revenue"] = {"source": row.source, "as_of": row.as_of, "result_id": row.id}
    post = find_post(session, deliverable) if deliverable.status == "published" else None
    if post is not None:
        for name in POST_METRICS:
            value = getattr(post, name)
            if value is not None:
                values[name] = value
                provenance[name] = {"source": "imported_post", "as_of": post.updated_at, "result_id": None}
    revenue = values.pop("revenue", (None, None))
    return Measured(
        metrics=Metrics(**{k: v for k, v in values.items() if k in METRICS}),
        revenue_minor=revenue[0], revenue_currency=revenue[1], provenance=provenance, post=post,
    )


# --- compliance ------------------------------------------------------------------------------------

def _tag_present(text: str, tags: list[str], sigil: str, structured: list[str]) -> dict[str, bool]:
    found = {}
    listed = {t.lower().lstrip(sigil) for t in structured}
    for tag in tags:
        bare = tag.strip().lstrip(sigil)
        pattern = rf"(?<![\w{re.escape(sigil)}]){re.escape(sigil)}{re.escape(bare)}(?![\w])"
        found[tag] = bool(re.search(pattern, text, flags=re.IGNORECASE)) or bare.lower() in listed
    return found


def compliance(session: Session, deliverable: Deliverable) -> dict[str, Any]:
    """Are the brief's required hashtags, mentions and disclosure in the published caption?

    Checked against the brief version the deliverable answers. Hashtags and
    mentions match whole words, case-insensitively, in the caption or in the
    post's hashtag/mention lists. Disclosure is satisfied by any of the brief's
    disclosure hashtags, or by the platform's paid-partnership label (the post's
    ``sponsored`` flag) when the brief accepts it.
    """
    if deliverable.status != "published":
        raise Conflict(f"The deliverable is {deliverable.status}: compliance is checked once it is published.")
    brief = session.scalar(select(CampaignBrief).where(
        CampaignBrief.campaign_id == deliverable.campaign_id, CampaignBrief.version == deliverable.brief_version
    ))
    requirements = brief.requirements if brief is not None else {}
    post = find_post(session, deliverable)
    base = {"deliverable_id": deliverable.id, "brief_version": brief.version if brief else None,
            "post_external_id": deliverable.post_external_id, "post_found": post is not None}
    if post is None:
        return {**base, "compliant": None, "caption": None, "hashtags": [], "mentions": [],
                "disclosure": {"required": False, "present": None, "accepted": [], "found": []},
                "note": "The published post has not been imported yet."}
    caption = post.caption or ""
    hashtags = _tag_present(caption, requirements.get("hashtags") or [], "#", post.hashtags or [])
    mentions = _tag_present(caption, requirements.get("mentions") or [], "@", post.mentions or [])
    disclosure = requirements.get("disclosure") or {}
    accepted = list(disclosure.get("hashtags") or [])
    label_ok = bool(disclosure.get("paid_partnership_label"))
    required = bool(accepted) or label_ok
    found = [tag for tag, ok in _tag_present(caption, accepted, "#", post.hashtags or []).items() if ok]
    if label_ok and post.sponsored:
        found.append("paid_partnership_label")
    present = bool(found) if required else True
    compliant = all(hashtags.values()) and all(mentions.values()) and present
    return {
        **base,
        "compliant": compliant,
        "caption": caption,
        "hashtags": [{"value": k, "present": v} for k, v in hashtags.items()],
        "mentions": [{"value": k, "present": v} for k, v in mentions.items()],
        "disclosure": {"required": required, "present": present, "accepted": accepted
                       + (["paid_partnership_label"] if label_ok else []), "found": found},
        "note": None,
    }


def count_by_status(session: Session, campaign_id: int) -> dict[str, int]:
    rows = session.execute(select(Deliverable.status, func.count()).where(
        Deliverable.campaign_id == campaign_id).group_by(Deliverable.status)).all()
    return dict(rows)
