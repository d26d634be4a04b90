"""Discovery's brand, contact and growth filters (query fields shared by discovery and the optimiser's search)."""
from __future__ import annotations

import marshmallow as ma
from marshmallow import fields, validate

from influencers.api import unit_of_work
from influencers.api.auth import current_workspace_id
from influencers.api.schemas import QueryCount, QuerySchema, one_of
from influencers.brands.discovery import MENTION_KINDS, unknown_brand_names

BRAND_NAME = validate.Length(min=1, max=200)
DAYS = validate.Range(min=1, max=3650)
BRAND_NAME_FIELDS = ("mentions_brand", "not_sponsored_by", "not_sponsored_by_group")


def _growth(bound: str, days: int):
    return fields.Float(validate=validate.Range(min=-1, max=1000), metadata={"description": (
        f"{bound} follower growth over the last {days} days (0.1 = +10%), measured on follower snapshots; "
        "creators with fewer than two snapshots in the window are left out")})


class BrandDiscoveryArgs(QuerySchema):
    mentions_brand = fields.String(validate=BRAND_NAME, metadata={
        "description": "A brand's name: creators whose posts mentioned it within mention_within_days"})
    mention_kind = fields.String(load_default="any", validate=one_of(MENTION_KINDS),
                                 metadata={"description": "With mentions_brand: any, organic or sponsored posts"})
    mention_within_days = QueryCount(load_default=90, validate=DAYS)
    not_sponsored_by = fields.String(validate=BRAND_NAME, metadata={
        "description": "A brand's name: leaves out creators with a sponsored post mentioning it within "
                       "sponsored_within_days (exclusivity)"})
    not_sponsored_by_group = fields.String(validate=BRAND_NAME, metadata={
        "description": "A brand's name: leaves out creators sponsored by it or any of its competitors within "
                       "sponsored_within_days"})
    sponsored_within_days = QueryCount(load_default=90, validate=DAYS)
    has_contact = fields.Boolean(metadata={"description": "true: only creators with an e-mail on file; false: without"})
    min_growth_30d = _growth("Minimum", 30)
    max_growth_30d = _growth("Maximum", 30)
    min_growth_90d = _growth("Minimum", 90)
    max_growth_90d = _growth("Maximum", 90)

    @ma.validates_schema
    def _known_brands(self, data, **_kwargs):
        names = {f: data[f] for f in BRAND_NAME_FIELDS if data.get(f)}
        unknown = unknown_brand_names(unit_of_work.session(), current_workspace_id(), names) if names else {}
        if unknown:
            raise ma.ValidationError({f: [f"no brand named {n!r} in this workspace"] for f, n in unknown.items()})
