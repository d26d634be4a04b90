"""EMV rate cards: per platform, the value of one action."""
from __future__ import annotations

import marshmallow as ma
from marshmallow import fields, validate

from influencers.api.campaigns.schemas.fields import CURRENCY, DecimalText
from influencers.api.schemas import BodySchema, one_of
from influencers.campaigns import kpis
from influencers.creators.models import PLATFORMS

# Per platform, one rate per EMV action (kpis.EMV_ACTIONS: impression, view, like, ...).
PlatformRatesSchema = BodySchema.from_dict({action: DecimalText() for action in kpis.EMV_ACTIONS}, name="PlatformRates")
PlatformRatesOut = ma.Schema.from_dict({action: fields.String() for action in kpis.EMV_ACTIONS},
                                       name="PlatformRatesOut")


class RateCardCreateSchema(BodySchema):
    currency = fields.String(required=True, validate=CURRENCY)
    rates = fields.Dict(keys=fields.String(validate=one_of(PLATFORMS)), values=fields.Nested(PlatformRatesSchema),
                        required=True, metadata={"description": "Per platform, the value of one action in major "
                                                                "units of currency: "
                                                                "{\"instagram\": {\"like\": \"0.10\"}}"})
    note = fields.String(validate=validate.Length(max=500))


class RateCardSchema(ma.Schema):
    version = fields.Integer(required=True)
    currency = fields.String(required=True)
    rates = fields.Dict(keys=fields.String(), values=fields.Nested(PlatformRatesOut), required=True)
    note = fields.String(allow_none=True, required=True)
    created_by_key_id = fields.Integer(allow_none=True, required=True)
    created_at = fields.DateTime(required=True)


