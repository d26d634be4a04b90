"""A campaign's brief: disclosure, requirements, milestones, usage rights."""
from __future__ import annotations

import marshmallow as ma
from marshmallow import fields, post_load, validate

from influencers.api.campaigns.schemas.fields import TagListsBody, hashtag_list, mention_list
from influencers.api.schemas import BodySchema, Count, Pattern, StrictInteger, one_of
from influencers.campaigns.models import DELIVERABLE_KINDS


class DisclosureSchema(TagListsBody):
    hashtags = hashtag_list("Accepted disclosure hashtags, e.g. #ad, #sponsored", max_items=20)
    paid_partnership_label = fields.Boolean(
        metadata={"description": "The platform's paid-partnership label is accepted as disclosure"})


class RequirementsSchema(TagListsBody):
    formats = fields.List(fields.String(validate=one_of(DELIVERABLE_KINDS)), validate=validate.Length(max=20))
    counts = fields.Dict(keys=fields.String(validate=one_of(DELIVERABLE_KINDS)), values=Count(),
                         metadata={"description": "How many of each format"})
    hashtags = hashtag_list("Hashtags the caption must include (default: the campaign's)")
    mentions = mention_list("Accounts the caption must mention (default: the campaign's)")
    dos = fields.List(fields.String(validate=validate.Length(min=1, max=1000)), validate=validate.Length(max=50))
    donts = fields.List(fields.String(validate=validate.Length(min=1, max=1000)), validate=validate.Length(max=50))
    disclosure = fields.Nested(DisclosureSchema)


class MilestoneSchema(BodySchema):
    milestone = fields.String(required=True, validate=validate.Length(min=1, max=200))
    date = fields.Date(required=True)

    @post_load
    def _json_safe(self, data, **_kwargs):
        return {**data, "date": data["date"].isoformat()}


class UsageRightsSchema(BodySchema):
    channels = fields.List(fields.String(validate=validate.Length(min=1, max=100)), validate=validate.Length(max=30),
                           metadata={"description": "Where the brand may reuse the content "
                                                     "(organic, paid ads, web...)"})
    duration_days = Count(metadata={"description": "How long the brand may use the content"})
    territories = fields.List(fields.String(validate=Pattern(r"^[A-Z]{2}$")), validate=validate.Length(max=250))
    exclusivity_days = Count()
    whitelisting = fields.Boolean(metadata={"description": "The brand may run ads from the creator's account"})
    notes = fields.String(validate=validate.Length(max=5000))


class BriefCreateSchema(BodySchema):
    message = fields.String(required=True, validate=validate.Length(min=1, max=20000),
                            metadata={"description": "The key message and context for creators"})
    requirements = fields.Nested(RequirementsSchema, load_default=dict)
    timeline = fields.List(fields.Nested(MilestoneSchema), validate=validate.Length(max=50), load_default=list)
    usage_rights = fields.Nested(UsageRightsSchema, load_default=dict)
    change_note = fields.String(validate=validate.Length(max=500), metadata={"description": "What changed"})
    exclusivity_days = StrictInteger(allow_none=True, validate=validate.Range(min=0, max=3650), metadata={
        "description": "Adding a creator sponsored by a competitor of the campaign's brand within this many days "
                       "answers with an exclusivity warning (the brand and its competitors: /v1/brands)"})


class DisclosureOut(ma.Schema):
    hashtags = fields.List(fields.String())
    paid_partnership_label = fields.Boolean()


class RequirementsOut(ma.Schema):
    formats = fields.List(fields.String())
    counts = fields.Dict(keys=fields.String(), values=fields.Integer())
    hashtags = fields.List(fields.String())
    mentions = fields.List(fields.String())
    dos = fields.List(fields.String())
    donts = fields.List(fields.String())
    disclosure = fields.Nested(DisclosureOut)


class MilestoneOut(ma.Schema):
    milestone = fields.String(required=True)
    date = fields.String(required=True, metadata={"format": "date"})


class UsageRightsOut(ma.Schema):
    channels = fields.List(fields.String())
    duration_days = fields.Integer()
    territories = fields.List(fields.String())
    exclusivity_days = fields.Integer()
    whitelisting = fields.Boolean()
    notes = fields.String()


class BriefSchema(ma.Schema):
    campaign_id = fields.Integer(required=True)
    version = fields.Integer(required=True)
    message = fields.String(required=True)
    requirements = fields.Nested(RequirementsOut, required=True)
    timeline = fields.List(fields.Nested(MilestoneOut), required=True)
    usage_rights = fields.Nested(UsageRightsOut, required=True)
    change_note = fields.String(allow_none=True, required=True)
    exclusivity_days = fields.Integer(allow_none=True, required=True)
    created_by_key_id = fields.Integer(allow_none=True, required=True)
    created_at = fields.DateTime(required=True)


