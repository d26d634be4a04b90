"""Campaigns, brief versions, creators in campaigns, spend and the audit trail.

Functions take a plain session and the caller's workspace id (and the calling
key's id for the audit trail); every query is scoped to the workspace, so
another workspace's objects are simply not found (None).

Writes are conditional on the row ``version`` read by the caller (``UPDATE ...
WHERE version = :expected``): a concurrent writer makes the loser's UPDATE
match no row, which raises :class:`StaleVersion` (HTTP 412).
"""
from __future__ import annotations

import json
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from sqlalchemy import Select, func, insert, select, update
from sqlalchemy.orm import Session

from influencers.campaigns import money, transitions
from influencers.campaigns.models import (
    Campaign,
    CampaignBrief,
    CampaignCreator,
    EmvRateCard,
)
from influencers.campaigns.transitions import IllegalTransition  # noqa: F401  (re-exported)
from influencers.creators.models import Creator
from influencers.db import utcnow
from influencers.errors import Conflict, InvalidInput, NotFound, StaleVersion
from influencers.webhooks import emit
from influencers.workspaces.models import AuditEvent, Workspace

# --- audit trail -----------------------------------------------------------------------------------

def record(
    session: Session, workspace_id: int, object_type: str, object_id: int, *,
    from_status: str | None, to_status: str, key_id: int | None, reason: str | None = None,
    action: str = "transition",
) -> None:
    session.add(AuditEvent(
        workspace_id=workspace_id, object_type=object_type, object_id=object_id, action=action,
        from_status=from_status, to_status=to_status, reason=reason, key_id=key_id, at=utcnow(),
    ))


def audit_select(workspace_id: int, object_type: str, object_id: int) -> Select:
    return (
        select(AuditEvent)
        .where(AuditEvent.workspace_id == workspace_id, AuditEvent.object_type == object_type,
               AuditEvent.object_id == object_id)
        .order_by(AuditEvent.id)
    )


def conditional_update(session: Session, model, object_id: int, workspace_id: int, expected_version: int,
                       values: dict[str, Any], *extra_conditions) -> None:
    result = session.execute(
        update(model)
        .where(model.id == object_id, model.workspace_id == workspace_id, model.version == expected_version,
               *extra_conditions)
        .values(**values, version=model.version + 1, updated_at=utcnow())
        .execution_options(synchronize_session=False)
    )
    if result.rowcount != 1:
        raise StaleVersion()


def _reload(session: Session, obj):
    session.refresh(obj)
    return obj


# --- campaigns -------------------------------------------------------------------------------------

def campaigns_select(workspace_id: int, status: str | None = None, q: str | None = None) -> Select:
    stmt = select(Campaign).where(Campaign.workspace_id == workspace_id)
    if status:
        stmt = stmt.where(Campaign.status == status)
    if q:
        escaped = q.lower().replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
        pattern = f"%{escaped}%"
        stmt = stmt.where(func.lower(Campaign.name).like(pattern, escape="\\")
                          | func.lower(Campaign.brand).like(pattern, escape="\\"))
    return stmt.order_by(Campaign.id.desc())


def get_campaign(session: Session, workspace_id: int, campaign_id: int) -> Campaign:
    campaign = session.scalar(select(Campaign).where(Campaign.id == campaign_id, Campaign.workspace_id == workspace_id))
    if campaign is None:
        raise NotFound(f"No campaign {campaign_id} in this workspace.")
    return campaign


def _check_dates(start, end) -> None:
    if start is not None and end is not None and end < start:
        raise InvalidInput("end_date", "must not be before start_date")


def create_campaign(session: Session, workspace_id: int, values: dict[str, Any], key_id: int | None) -> Campaign:
    _check_dates(values.get("start_date"), values.get("end_date"))
    campaign = Campaign(workspace_id=workspace_id, status="draft", brief_version=0, version=1, **values)
    session.add(campaign)
    session.flush()
    record(session, workspace_id, "campaign", campaign.id, from_status=None, to_status="draft",
           key_id=key_id, action="created")
    return campaign


def update_campaign(session: Session, workspace_id: int, campaign: Campaign, expected_version: int,
                    changes: dict[str, Any]) -> Campaign:
    _check_dates(changes.get("start_date", campaign.start_date), changes.get("end_date", campaign.end_date))
    conditional_update(session, Campaign, campaign.id, workspace_id, expected_version, changes)
    return _reload(session, campaign)


def transition_campaign(session: Session, workspace_id: int, campaign: Campaign, expected_version: int,
                        to: str, reason: str | None, key_id: int | None) -> Campaign:
    current = campaign.status
    transitions.check("campaign", current, to)
    conditional_update(session, Campaign, campaign.id, workspace_id, expected_version, {"status": to},
                       Campaign.status == current)
    record(session, workspace_id, "campaign", campaign.id, from_status=current, to_status=to,
           key_id=key_id, reason=reason)
    emit(session, workspace_id, "campaign.status_changed", {
        "campaign": {"id": campaign.id, "name": campaign.name, "brand": campaign.brand, "status": to},
        "from_status": current, "to_status": to, "reason": reason})
    return _reload(session, campaign)


def require_open(campaign: Campaign, what: str) -> None:
    if campaign.status not in transitions.OPEN_CAMPAIGN_STATUSES:
        raise Conflict(f"The campaign is {campaign.status}: {what} is only possible while it is draft or active.")


# --- spend -----------------------------------------------------------------------------------------

@dataclass
class Spend:
    """Committed spend (contracted fees) against the budget; warnings instead of silent overruns."""

    budget_minor: int
    currency: str
    committed_by_currency: dict[str, Decimal] = field(default_factory=dict)
    committed_minor: int | None = None
    remaining_minor: int | None = None
    over_budget: bool | None = None
    warnings: list[str] = field(default_factory=list)

    def to_dict(self) -> dict:
        return {
            "budget_minor": self.budget_minor,
            "currency": self.currency,
            "committed_minor": self.committed_minor,
            "committed_by_currency": [
                {"currency": c, "amount_minor": int(v)} for c, v in sorted(self.committed_by_currency.items())
            ],
            "remaining_minor": self.remaining_minor,
            "over_budget": self.over_budget,
            "warnings": self.warnings,
        }


def spend(session: Session, campaign: Campaign) -> Spend:
    rows = session.execute(
        select(CampaignCreator.currency, func.sum(CampaignCreator.fee_minor))
        .where(CampaignCreator.campaign_id == campaign.id,
               CampaignCreator.status.in_(transitions.COMMITTED_CREATOR_STATUSES),
               CampaignCreator.fee_minor.is_not(None))
        .group_by(CampaignCreator.currency)
    ).all()
    by_currency = {currency: Decimal(total) for currency, total in rows if total}
    result = Spend(budget_minor=campaign.budget_minor, currency=campaign.currency, committed_by_currency=by_currency)
    converted = money.convert(by_currency, campaign.currency, campaign.exchange_rates or {})
    if converted is None:
        missing = money.missing_rates(by_currency, campaign.currency, campaign.exchange_rates or {})
        result.warnings.append(
            f"Committed fees in {', '.join(missing)} cannot be compared to the {campaign.currency} budget: "
            f"add exchange_rates for them to the campaign."
        )
        return result
    result.committed_minor = money.round_minor(converted)
    result.remaining_minor = campaign.budget_minor - result.committed_minor
    result.over_budget = result.committed_minor > campaign.budget_minor
    if result.over_budget:
        result.warnings.append(
            f"Committed spend {money.to_major(result.committed_minor, campaign.currency)} {campaign.currency} "
            f"exceeds the budget of {money.to_major(campaign.budget_minor, campaign.currency)} {campaign.currency} "
            f"by {money.to_major(-result.remaining_minor, campaign.currency)} {campaign.currency}."
        )
    return result


# --- briefs ----------------------------------------------------------------------------------------

def briefs_select(campaign_id: int) -> Select:
    return select(CampaignBrief).where(CampaignBrief.campaign_id == campaign_id).order_by(CampaignBrief.version.desc())


def get_brief(session: Session, campaign_id: int, version: int) -> CampaignBrief:
    brief = session.scalar(
        select(CampaignBrief).where(CampaignBrief.campaign_id == campaign_id, CampaignBrief.version == version)
    )
    if brief is None:
        raise NotFound(f"The campaign has no brief version {version}.")
    return brief


def create_brief_version(session: Session, workspace_id: int, campaign: Campaign, expected_brief_version: int,
                         values: dict[str, Any], key_id: int | None) -> CampaignBrief:
    """Adds version ``expected_brief_version + 1``; StaleVersion if someone added one meanwhile.

    Required hashtags and mentions default to the campaign's tracking defaults.
    """
    require_open(campaign, "changing the brief")
    result = session.execute(
        update(Campaign)
        .where(Campaign.id == campaign.id, Campaign.workspace_id == workspace_id,
               Campaign.brief_version == expected_brief_version)
        .values(brief_version=Campaign.brief_version + 1)
        .execution_options(synchronize_session=False)
    )
    if result.rowcount != 1:
        raise StaleVersion()
    requirements = dict(values.get("requirements") or {})
    tracking = campaign.tracking or {}
    requirements.setdefault("hashtags", list(tracking.get("hashtags") or []))
    requirements.setdefault("mentions", list(tracking.get("mentions") or []))
    brief = CampaignBrief(
        campaign_id=campaign.id, version=expected_brief_version + 1, message=values["message"],
        requirements=requirements, timeline=values.get("timeline") or [],
        usage_rights=values.get("usage_rights") or {}, change_note=values.get("change_note"),
        exclusivity_days=values.get("exclusivity_days"),
        created_by_key_id=key_id, created_at=utcnow(),
    )
    session.add(brief)
    session.flush()
    session.refresh(campaign)
    return brief


# --- creators in a campaign ------------------------------------------------------------------------

def campaign_creators_select(workspace_id: int, campaign_id: int, status: str | None = None) -> Select:
    stmt = select(CampaignCreator).where(
        CampaignCreator.workspace_id == workspace_id, CampaignCreator.campaign_id == campaign_id
    )
    if status:
        stmt = stmt.where(CampaignCreator.status == status)
    return stmt.order_by(CampaignCreator.id)


def get_campaign_creator(session: Session, workspace_id: int, campaign_creator_id: int) -> CampaignCreator:
    cc = session.scalar(select(CampaignCreator).where(
        CampaignCreator.id == campaign_creator_id, CampaignCreator.workspace_id == workspace_id
    ))
    if cc is None:
        raise NotFound(f"No campaign creator {campaign_creator_id} in this workspace.")
    return cc


def add_creators(session: Session, workspace_id: int, campaign: Campaign, items: list[dict[str, Any]],
                 key_id: int | None, *, source: str = "manual", skip_existing: bool = False
                 ) -> tuple[list[CampaignCreator], list[int]]:
    """Adds creators (shortlisted). Returns (added, creator ids already in the campaign).

    Unknown creator ids (or another workspace's) raise InvalidInput; a creator already
    in the campaign raises Conflict unless ``skip_existing``.
    """
    require_open(campaign, "adding creators")
    ids = [item["creator_id"] for item in items]
    if len(set(ids)) != len(ids):
        raise InvalidInput("creator_ids", "contains duplicates")
    known = set(session.scalars(select(Creator.id).where(Creator.workspace_id == workspace_id, Creator.id.in_(ids))))
    unknown = [i for i in ids if i not in known]
    if unknown:
        raise InvalidInput("creator_ids", f"no such creators in this workspace: {', '.join(map(str, unknown))}")
    existing = set(session.scalars(select(CampaignCreator.creator_id).where(
        CampaignCreator.campaign_id == campaign.id, CampaignCreator.creator_id.in_(ids)
    )))
    if existing and not skip_existing:
        raise Conflict(f"Already in the campaign: creators {', '.join(map(str, sorted(existing)))}.")
    added = []
    now = utcnow()
    for item in items:
        if item["creator_id"] in existing:
            continue
        cc = CampaignCreator(
            workspace_id=workspace_id, campaign_id=campaign.id, creator_id=item["creator_id"],
            status="shortlisted", fee_minor=item.get("fee_minor"),
            currency=item.get("currency") or campaign.currency, notes=item.get("notes"),
            source=source, created_at=now, updated_at=now, version=1,
        )
        session.add(cc)
        added.append(cc)
    session.flush()
    if added:
        session.execute(insert(AuditEvent), [
            {"workspace_id": workspace_id, "object_type": "campaign_creator", "object_id": cc.id,
             "action": "created", "from_status": None, "to_status": "shortlisted", "reason": None,
             "key_id": key_id, "at": now}
            for cc in added
        ])
    return added, sorted(existing)


def update_campaign_creator(session: Session, workspace_id: int, cc: CampaignCreator, expected_version: int,
                            changes: dict[str, Any]) -> CampaignCreator:
    conditional_update(session, CampaignCreator, cc.id, workspace_id, expected_version, changes)
    return _reload(session, cc)


def transition_campaign_creator(session: Session, workspace_id: int, cc: CampaignCreator, expected_version: int,
                                to: str, reason: str | None, key_id: int | None) -> CampaignCreator:
    current = cc.status
    transitions.check("campaign_creator", current, to)
    if to == "contracted" and cc.fee_minor is None:
        raise IllegalTransition("campaign_creator", current, to,
                                "Set the creator's fee_minor before contracting them.")
    conditional_update(session, CampaignCreator, cc.id, workspace_id, expected_version, {"status": to},
                       CampaignCreator.status == current)
    record(session, workspace_id, "campaign_creator", cc.id, from_status=current, to_status=to,
           key_id=key_id, reason=reason)
    return _reload(session, cc)


# --- EMV rate cards --------------------------------------------------------------------------------

def rate_cards_select(workspace_id: int) -> Select:
    return select(EmvRateCard).where(EmvRateCard.workspace_id == workspace_id).order_by(EmvRateCard.version.desc())


def get_rate_card(session: Session, workspace_id: int, version: int | None = None) -> EmvRateCard | None:
    stmt = select(EmvRateCard).where(EmvRateCard.workspace_id == workspace_id)
    if version is None:
        stmt = stmt.order_by(EmvRateCard.version.desc()).limit(1)
    else:
        stmt = stmt.where(EmvRateCard.version == version)
    return session.scalar(stmt)


def get_rate_card_version(session: Session, workspace_id: int, version: int) -> EmvRateCard:
    card = get_rate_card(session, workspace_id, version)
    if card is None:
        raise NotFound(f"No EMV rate card version {version} in this workspace.")
    return card


def check_rate_card_version(session: Session, workspace_id: int, version: int | None) -> None:
    """InvalidInput (a filter of the caller's) unless ``version`` is None or one of the workspace's."""
    if version is not None and get_rate_card(session, workspace_id, version) is None:
        raise InvalidInput("rate_card_version", "no such rate card version", location="query",
                           message=f"No EMV rate card version {version} in this workspace.")


def _same_card(card: EmvRateCard, values: dict[str, Any]) -> bool:
    def canonical(rates) -> str:
        return json.dumps(rates, sort_keys=True, default=str)

    return (card.currency == values["currency"] and card.note == values.get("note")
            and canonical(card.rates) == canonical(values["rates"]))


def create_rate_card(session: Session, workspace_id: int, values: dict[str, Any],
                     key_id: int | None) -> tuple[EmvRateCard, bool]:
    """Publishes ``values`` as version latest + 1; returns ``(card, created)``.

    Publications of one workspace are serialised (its row is locked on PostgreSQL; SQLite
    writers are serialised already), so concurrent publications each get the next version
    instead of colliding. Publishing a card identical to the latest version changes nothing:
    the latest is returned with ``created`` False (a retried or doubled publication makes one
    version).
    """
    session.execute(select(Workspace.id).where(Workspace.id == workspace_id).with_for_update())
    latest = session.scalar(select(EmvRateCard).where(EmvRateCard.workspace_id == workspace_id)
                            .order_by(EmvRateCard.version.desc()).limit(1))
    if latest is not None and _same_card(latest, values):
        return latest, False
    card = EmvRateCard(workspace_id=workspace_id, version=(latest.version if latest else 0) + 1,
                       created_by_key_id=key_id, created_at=utcnow(), **values)
    session.add(card)
    session.flush()
    return card, True
