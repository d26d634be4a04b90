"""Creator resources: profiles, posts, follower snapshots, audience summaries."""
from __future__ import annotations

import marshmallow as ma
from marshmallow import fields, validate

from influencers.api.schemas import BodySchema, Count, Pattern, QueryCount, QuerySchema, one_of
from influencers.creators.models import AGE_RANGES, GENDERS, HANDLE_INPUT_PATTERN, HANDLE_RULE, PLATFORMS, POST_KINDS
from influencers.creators.service import SORTABLE_COLUMNS

COUNTRY = Pattern(r"^[A-Za-z]{2}$", error="must be an ISO 3166-1 alpha-2 code")
LANGUAGE = Pattern(r"^[A-Za-z]{2}$", error="must be an ISO 639-1 code")
# The importer's rule too (influencers.creators.models.is_valid_handle after normalising).
HANDLE = Pattern(HANDLE_INPUT_PATTERN, error=HANDLE_RULE)
CATEGORY = Pattern(r"^[A-Za-z0-9 &_\-]{1,50}$", error="a niche name of up to 50 letters")


class CreatorProfileFields(BodySchema):
    display_name = fields.String(allow_none=True, validate=validate.Length(max=200))
    bio = fields.String(allow_none=True, validate=validate.Length(max=5000))
    country = fields.String(allow_none=True, validate=COUNTRY)
    language = fields.String(allow_none=True, validate=LANGUAGE)
    categories = fields.List(fields.String(validate=CATEGORY), validate=validate.Length(max=20))
    followers = Count(metadata={"description": "Current follower count as reported by the platform"})
    following = Count()
    posts_count = Count()
    verified = fields.Boolean()
    email = fields.Email(allow_none=True, validate=validate.Length(max=320))
    website = fields.URL(allow_none=True, validate=validate.Length(max=2000))
    avatar_url = fields.URL(allow_none=True, validate=validate.Length(max=2000))
    joined_at = fields.Date(allow_none=True)


class CreatorCreateSchema(CreatorProfileFields):
    platform = fields.String(required=True, validate=one_of(PLATFORMS))
    handle = fields.String(required=True, validate=HANDLE)
    followers = Count(required=True)
    following = Count(load_default=0)
    posts_count = Count(load_default=0)


class CreatorUpdateSchema(CreatorProfileFields):
    """Every field optional; platform and handle are the creator's identity and cannot change."""


class CreatorSchema(ma.Schema):
    id = fields.Integer(required=True)
    platform = fields.String(required=True)
    handle = fields.String(required=True)
    display_name = fields.String(allow_none=True)
    bio = fields.String(allow_none=True)
    country = fields.String(allow_none=True)
    language = fields.String(allow_none=True)
    categories = fields.List(fields.String(), required=True)
    followers = fields.Integer(required=True, metadata={"description": "Measured: follower count as imported"})
    following = fields.Integer(required=True)
    posts_count = fields.Integer(required=True)
    verified = fields.Boolean(required=True)
    email = fields.String(allow_none=True)
    website = fields.String(allow_none=True)
    avatar_url = fields.String(allow_none=True)
    joined_at = fields.Date(allow_none=True)
    created_at = fields.DateTime(required=True)
    updated_at = fields.DateTime(required=True,
                                 metadata={"description": "When the profile counts were last written (as-of date)"})
    version = fields.Integer(required=True, metadata={"description": "Row version; the ETag is derived from it"})


SORT_VALUES = [name for column in SORTABLE_COLUMNS for name in (column, f"-{column}")]


class CreatorListArgs(QuerySchema):
    platform = fields.String(validate=one_of(PLATFORMS))
    country = fields.String(validate=COUNTRY)
    language = fields.String(validate=LANGUAGE)
    category = fields.String(validate=CATEGORY)
    min_followers = QueryCount()
    max_followers = QueryCount()
    q = fields.String(validate=validate.Length(min=1, max=100), metadata={"description": "Text in handle, name or bio"})
    sort = fields.String(load_default="-followers", validate=one_of(SORT_VALUES),
                         metadata={"description": "A field name; prefix with '-' for descending"})

    @ma.validates_schema
    def _range(self, data, **_kwargs):
        low, high = data.get("min_followers"), data.get("max_followers")
        if low is not None and high is not None and low > high:
            raise ma.ValidationError("must not exceed max_followers", field_name="min_followers")


class PostSchema(ma.Schema):
    id = fields.Integer(required=True)
    external_id = fields.String(required=True)
    platform = fields.String(required=True)
    published_at = fields.DateTime(required=True)
    kind = fields.String(allow_none=True, validate=one_of(POST_KINDS))
    likes = fields.Integer(required=True)
    comments = fields.Integer(required=True)
    views = fields.Integer(allow_none=True)
    shares = fields.Integer(allow_none=True)
    saves = fields.Integer(allow_none=True)
    sponsored = fields.Boolean(allow_none=True)
    caption = fields.String(allow_none=True)
    hashtags = fields.List(fields.String(), allow_none=True)
    mentions = fields.List(fields.String(), allow_none=True)
    updated_at = fields.DateTime(required=True, metadata={
        "description": "When these values were last written (the import that last changed them): their as-of"})


class SnapshotSchema(ma.Schema):
    date = fields.Date(required=True)
    followers = fields.Integer(required=True)
    following = fields.Integer(allow_none=True)
    posts_count = fields.Integer(allow_none=True)


class ShareSchema(ma.Schema):
    value = fields.String(required=True)
    count = fields.Integer(required=True)
    share = fields.Float(required=True, metadata={"description": "count / known members of the sample"})


class DistributionSchema(ma.Schema):
    known = fields.Integer(required=True, metadata={"description": "Sampled members whose value is known"})
    unknown = fields.Integer(required=True)
    shares = fields.List(fields.Nested(ShareSchema), required=True)


class AudienceSummarySchema(ma.Schema):
    creator_id = fields.Integer(required=True)
    basis = fields.String(required=True, metadata={"description": "Always 'measured on the latest audience sample'"})
    sample_size = fields.Integer(required=True, metadata={"description": "Members in the latest sample"})
    sampled_at = fields.Date(allow_none=True, required=True)
    sample_count = fields.Integer(required=True, metadata={"description": "How many samples are stored"})
    distributions = fields.Dict(
        keys=fields.String(validate=one_of(["country", "language", "gender", "age_range"])),
        values=fields.Nested(DistributionSchema),
        required=True,
    )


GENDER_VALUES, AGE_VALUES = GENDERS, AGE_RANGES


class PostListArgs(QuerySchema):
    mention = fields.String(validate=validate.Length(min=1, max=200), metadata={
        "description": "A brand's name: only posts mentioning it (its handles, hashtags or keywords)"})
    sponsored = fields.Boolean(metadata={"description": "true: sponsored posts only; false: the others"})
