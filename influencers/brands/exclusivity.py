"""Exclusivity: creators sponsored by a competitor of a campaign's brand within the brief's window.

The campaign's ``brand`` is matched by name to a monitored brand of the workspace;
its competitors are that brand's competitor group minus the brand itself. The
window is the latest brief's ``exclusivity_days`` (none: no check). The answer is
a warning naming the posts, never a refusal: the brand manager decides.
"""
from __future__ import annotations

import datetime as dt
from collections import defaultdict

from sqlalchemy import select, true
from sqlalchemy.orm import Session

from influencers.brands.models import Brand, BrandMention
from influencers.brands.service import competitors_of, find_brand
from influencers.creators.models import Post


def exclusivity_warnings(session: Session, workspace_id: int, campaign, creator_ids: list[int]
                         ) -> dict[int, list[dict]]:
    """{creator id: [warning, ...]} for ``creator_ids`` (every id present, most with no warning)."""
    from influencers.campaigns.service import get_brief

    out: dict[int, list[dict]] = {c: [] for c in creator_ids}
    brief = get_brief(session, campaign.id, campaign.brief_version) if campaign.brief_version else None
    days = brief.exclusivity_days if brief is not None else None
    brand = find_brand(session, workspace_id, campaign.brand) if days is not None else None
    if brand is None or not creator_ids:
        return out
    competitors = {c["id"]: c["name"] for c in competitors_of(session, [brand.id])[brand.id]}
    if not competitors:
        return out
    since = dt.datetime.now(dt.UTC) - dt.timedelta(days=days)
    rows = session.execute(
        select(BrandMention.creator_id, BrandMention.brand_id, Post.id, Post.external_id, Post.platform,
               BrandMention.published_at)
        .join(Post, Post.id == BrandMention.post_id)
        .join(Brand, Brand.id == BrandMention.brand_id)
        .where(BrandMention.brand_id.in_(list(competitors)), BrandMention.creator_id.in_(creator_ids),
               BrandMention.sponsored == true(), BrandMention.published_at >= since,
               Brand.workspace_id == workspace_id)
        .order_by(BrandMention.creator_id, BrandMention.brand_id, BrandMention.published_at.desc())).all()
    grouped: dict[tuple[int, int], list[dict]] = defaultdict(list)
    for creator_id, brand_id, post_id, external_id, platform, published_at in rows:
        grouped[(creator_id, brand_id)].append({"post_id": post_id, "external_id": external_id,
                                                "platform": platform, "published_at": published_at})
    for (creator_id, brand_id), posts in grouped.items():
        name = competitors[brand_id]
        out[creator_id].append({
            "creator_id": creator_id, "brand_id": brand_id, "brand": name, "exclusivity_days": days,
            "posts": posts,
            "message": (f"Creator {creator_id} published {len(posts)} sponsored post(s) for {name}, a competitor "
                        f"of {brand.name}, within the brief's {days}-day exclusivity window: "
                        f"{', '.join(p['external_id'] for p in posts)}."),
        })
    return out
