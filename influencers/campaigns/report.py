"""Results rollups: per deliverable, per creator and per campaign, and the campaign report (JSON, CSV).

Money is never mixed across currencies implicitly. At each level the money
KPIs are computed in one currency: the only currency present, or the
campaign's currency when the campaign has an exchange rate for every other
one. Otherwise the level reports ``kpi_currency: null`` with money KPIs null,
and the campaign level adds ``kpis_by_currency``: the KPIs of the creators paid
in each currency, computed separately.
"""
from __future__ import annotations

import io
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from influencers import csv_export
from influencers.campaigns import kpis, money, transitions
from influencers.campaigns.deliverables import count_by_status, is_overdue, measured
from influencers.campaigns.kpis import METRICS, Metrics
from influencers.campaigns.models import Campaign, CampaignCreator, Deliverable, EmvRateCard
from influencers.campaigns.service import get_rate_card, spend
from influencers.creators.models import Creator
from influencers.db import utcnow


@dataclass
class Totals:
    metrics: Metrics = field(default_factory=Metrics)
    followers_basis: int = 0
    cost: dict[str, Decimal] = field(default_factory=dict)
    revenue: dict[str, Decimal] = field(default_factory=dict)
    emv: Decimal | None = None

    def absorb(self, other: Totals) -> None:
        self.metrics = self.metrics + other.metrics
        self.followers_basis += other.followers_basis
        for currency, amount in other.cost.items():
            money.add(self.cost, currency, amount)
        for currency, amount in other.revenue.items():
            money.add(self.revenue, currency, amount)
        if other.emv is not None:
            self.emv = (self.emv or Decimal(0)) + other.emv


def _one_currency(totals: Totals, campaign: Campaign) -> tuple[str | None, Decimal | None, Decimal | None]:
    """(currency, cost, revenue) in one currency, or (None, None, None) if that needs a missing rate."""
    currencies = set(totals.cost) | set(totals.revenue)
    if not currencies:
        return campaign.currency, None, None
    if len(currencies) == 1:
        (currency,) = currencies
        return currency, totals.cost.get(currency), totals.revenue.get(currency)
    rates = campaign.exchange_rates or {}
    cost = money.convert(totals.cost, campaign.currency, rates)
    revenue = money.convert(totals.revenue, campaign.currency, rates)
    if cost is None or revenue is None:
        return None, None, None
    return campaign.currency, cost if totals.cost else None, revenue if totals.revenue else None


def _amounts(total: dict[str, Decimal]) -> list[dict]:
    return [{"currency": c, "amount_minor": money.round_minor(v)} for c, v in sorted(total.items())]


def level(totals: Totals, campaign: Campaign, card: EmvRateCard | None) -> dict[str, Any]:
    currency, cost, revenue = _one_currency(totals, campaign)
    values = kpis.compute(totals.metrics, followers_basis=totals.followers_basis or None,
                          cost_minor=cost, revenue_minor=revenue, currency=currency)
    return {
        "metrics": totals.metrics.as_dict(),
        "followers_basis": totals.followers_basis,
        "cost_by_currency": _amounts(totals.cost),
        "revenue_by_currency": _amounts(totals.revenue),
        "kpi_currency": currency,
        "cost": None if cost is None or currency is None else kpis._money(cost, currency),
        "revenue": None if revenue is None or currency is None else kpis._money(revenue, currency),
        "kpis": values,
        "emv": None if card is None else {
            "amount": (totals.emv or Decimal(0)).quantize(kpis.MONEY_PLACES),
            "currency": card.currency,
            "rate_card_version": card.version,
        },
    }


def deliverable_totals(session: Session, deliverable: Deliverable, creator: Creator, cost_share: Decimal | None,
                       fee_currency: str, card: EmvRateCard | None) -> tuple[Totals, dict]:
    m = measured(session, deliverable)
    totals = Totals(metrics=m.metrics)
    has_results = bool(m.provenance)
    if has_results:
        totals.followers_basis = creator.followers or 0
    if cost_share is not None:
        money.add(totals.cost, fee_currency, cost_share)
    if m.revenue_minor is not None:
        money.add(totals.revenue, m.revenue_currency, m.revenue_minor)
    if card is not None:
        totals.emv = kpis.emv(m.metrics, (card.rates or {}).get(deliverable.platform))
    provenance = {
        name: {"source": p["source"], "as_of": p["as_of"]} for name, p in m.provenance.items()
    }
    return totals, provenance


def _committed_fee(cc: CampaignCreator) -> int | None:
    return cc.fee_minor if cc.status in transitions.COMMITTED_CREATOR_STATUSES else None


def deliverable_kpis(session: Session, deliverable: Deliverable, *, rate_card_version: int | None = None) -> dict:
    cc = session.get(CampaignCreator, deliverable.campaign_creator_id)
    campaign = session.get(Campaign, deliverable.campaign_id)
    creator = session.get(Creator, cc.creator_id)
    card = get_rate_card(session, deliverable.workspace_id, rate_card_version)
    count = len(session.scalars(select(Deliverable.id).where(Deliverable.campaign_creator_id == cc.id)).all())
    fee = _committed_fee(cc)
    share = None if fee is None or not count else Decimal(fee) / count
    totals, provenance = deliverable_totals(session, deliverable, creator, share, cc.currency, card)
    return {"deliverable_id": deliverable.id, **level(totals, campaign, card), "provenance": provenance}


def creator_breakdown(session: Session, campaign: Campaign, cc: CampaignCreator, card: EmvRateCard | None,
                      *, with_deliverables: bool = True) -> tuple[Totals, dict]:
    creator = session.get(Creator, cc.creator_id)
    deliverables = session.scalars(
        select(Deliverable).where(Deliverable.campaign_creator_id == cc.id).order_by(Deliverable.id)
    ).all()
    fee = _committed_fee(cc)
    share = None if fee is None or not deliverables else Decimal(fee) / len(deliverables)
    totals = Totals()
    rows = []
    for d in deliverables:
        d_totals, provenance = deliverable_totals(session, d, creator, share, cc.currency, card)
        totals.absorb(d_totals)
        rows.append({
            "deliverable_id": d.id, "kind": d.kind, "platform": d.platform, "status": d.status,
            "due_date": d.due_date, "overdue": is_overdue(d), "post_external_id": d.post_external_id,
            **level(d_totals, campaign, card), "provenance": provenance,
        })
    if fee is not None and not deliverables:
        money.add(totals.cost, cc.currency, fee)
    out = {
        "campaign_creator_id": cc.id, "creator_id": creator.id, "handle": creator.handle,
        "platform": creator.platform, "followers": creator.followers, "status": cc.status,
        "fee_minor": cc.fee_minor, "currency": cc.currency, "deliverable_count": len(deliverables),
        "published_count": sum(1 for d in deliverables if d.status == "published"),
        **level(totals, campaign, card),
    }
    if with_deliverables:
        out["deliverables"] = rows
    return totals, out


def creator_kpis(session: Session, cc: CampaignCreator, *, rate_card_version: int | None = None) -> dict:
    campaign = session.get(Campaign, cc.campaign_id)
    card = get_rate_card(session, cc.workspace_id, rate_card_version)
    return creator_breakdown(session, campaign, cc, card, with_deliverables=False)[1]


def _target_actual(name: str, rollup: dict, campaign: Campaign):
    if name in kpis.VOLUME_TARGETS:
        return rollup["kpis"]["engagements"] if name == "engagements" else rollup["metrics"][name]
    if name == "emv":
        emv = rollup["emv"]
        return emv["amount"] if emv and emv["currency"] == campaign.currency else None
    if name == "revenue":
        return rollup["revenue"] if rollup["kpi_currency"] == campaign.currency else None
    if name in kpis.MONEY_KPIS and rollup["kpi_currency"] != campaign.currency:
        return None
    return rollup["kpis"].get(name)


def campaign_report(session: Session, campaign: Campaign, *, rate_card_version: int | None = None) -> dict:
    card = get_rate_card(session, campaign.workspace_id, rate_card_version)
    ccs = session.scalars(
        select(CampaignCreator).where(CampaignCreator.campaign_id == campaign.id).order_by(CampaignCreator.id)
    ).all()
    totals = Totals()
    per_currency: dict[str, Totals] = {}
    creators = []
    for cc in ccs:
        c_totals, row = creator_breakdown(session, campaign, cc, card)
        totals.absorb(c_totals)
        per_currency.setdefault(cc.currency, Totals()).absorb(c_totals)
        creators.append(row)
    rollup = level(totals, campaign, card)
    by_currency = []
    if rollup["kpi_currency"] is None:
        for currency, t in sorted(per_currency.items()):
            by_currency.append({"currency": currency, **level(t, campaign, card)})
    targets = []
    for name, target in sorted((campaign.target_kpis or {}).items()):
        targets.append(kpis.compare(name, Decimal(str(target)), _target_actual(name, rollup, campaign)))
    return {
        "campaign_id": campaign.id,
        "name": campaign.name,
        "brand": campaign.brand,
        "objective": campaign.objective,
        "status": campaign.status,
        "currency": campaign.currency,
        "generated_at": utcnow(),
        "budget": spend(session, campaign).to_dict(),
        "deliverables_by_status": count_by_status(session, campaign.id),
        "totals": rollup,
        "kpis_by_currency": by_currency,
        "targets": targets,
        "creators": creators,
    }


CSV_KPIS = ("engagements", *kpis.RATIO_KPIS, *kpis.MONEY_KPIS)
CSV_COLUMNS = (
    "level", "campaign_creator_id", "deliverable_id", "creator_id", "handle", "platform", "status",
    "fee_minor", "fee_currency", *METRICS, "followers_basis", "kpi_currency", "cost", "revenue",
    *CSV_KPIS, "emv", "emv_currency", "emv_rate_card_version",
)


def _csv_row(kind: str, data: dict, **ids) -> dict:
    row = {"level": kind, **ids, **data["metrics"], "followers_basis": data["followers_basis"],
           "kpi_currency": data["kpi_currency"], "cost": data["cost"], "revenue": data["revenue"]}
    row.update({name: data["kpis"][name] for name in CSV_KPIS})
    if data["emv"]:
        row.update(emv=data["emv"]["amount"], emv_currency=data["emv"]["currency"],
                   emv_rate_card_version=data["emv"]["rate_card_version"])
    return row


def report_csv(report: dict) -> str:
    """One row for the campaign, one per creator and one per deliverable (``level`` says which)."""
    out = io.StringIO()
    writer = csv_export.DictWriter(out, fieldnames=CSV_COLUMNS, extrasaction="ignore", lineterminator="\r\n")
    writer.writeheader()
    writer.writerow(_csv_row("campaign", report["totals"], status=report["status"]))
    for c in report["creators"]:
        common = {"campaign_creator_id": c["campaign_creator_id"], "creator_id": c["creator_id"],
                  "handle": c["handle"], "platform": c["platform"]}
        writer.writerow(_csv_row("creator", c, **common, status=c["status"], fee_minor=c["fee_minor"],
                                 fee_currency=c["currency"]))
        for d in c["deliverables"]:
            writer.writerow(_csv_row("deliverable", d, **common, deliverable_id=d["deliverable_id"],
                                     status=d["status"]))
    return out.getvalue()

