"""HTTP routes for the workspace's versioned EMV rate cards."""
from __future__ import annotations

from influencers.api import unit_of_work
from influencers.api.auth import current_workspace_id, requires
from influencers.api.base import Blueprint, Listing, SQLPage
from influencers.api.campaigns import schemas as s
from influencers.api.campaigns.common import key_id
from influencers.campaigns import service

blp = Blueprint("emv_rate_cards", __name__, url_prefix="/v1/emv-rate-cards",
                description="Earned media value rate cards (per workspace, versioned)")


@blp.route("", methods=["GET"], operation_id="listEmvRateCards",
           summary="List the EMV rate card versions, newest first")
@requires("read")
@blp.response(200, s.RateCardSchema(many=True))
@blp.paginate(SQLPage)
def list_rate_cards():
    return Listing(unit_of_work.session(), service.rate_cards_select(current_workspace_id()))


@blp.route("", methods=["POST"], operation_id="createEmvRateCard",
           summary="Publish a new EMV rate card version (used by default from now on)")
@requires("write")
@blp.arguments(s.RateCardCreateSchema)
@blp.response(201, s.RateCardSchema)
@blp.alt_response(200, schema=s.RateCardSchema,
                  description="The card is identical to the latest version: nothing was published, "
                              "the latest is returned")
def create_rate_card(body):
    card, created = service.create_rate_card(unit_of_work.session(), current_workspace_id(), body, key_id())
    return card, 201 if created else 200, {"Location": f"/v1/emv-rate-cards/{card.version}"}


@blp.route("/<id:rate_card_version>", methods=["GET"], operation_id="getEmvRateCard",
           summary="Read one EMV rate card version")
@requires("read")
@blp.response(200, s.RateCardSchema)
def get_rate_card(rate_card_version):
    return service.get_rate_card_version(unit_of_work.session(), current_workspace_id(), rate_card_version)
