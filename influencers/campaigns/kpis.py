"""Campaign KPIs as pure functions: the formulas, in one place.

Inputs are measured results (sums over the deliverables of the level being
reported: one deliverable, one creator, the campaign), the cost and the
revenue in one currency (minor units), and the followers basis.

    engagements                  = likes + comments + shares + saves
    engagement_rate_by_followers = engagements / followers_basis
        followers_basis is the sum, over the measured deliverables, of their
        creator's current follower count (so for one creator with three posts it
        is 3 x followers: the average per-post rate)
    engagement_rate_by_reach     = engagements / reach
    ctr                          = clicks / impressions
    cpm                          = cost / impressions x 1000
    cpe                          = cost / engagements
    cpc                          = cost / clicks
    cpv                          = cost / views
    cpa                          = cost / conversions
    roas                         = revenue / cost
    roi                          = (revenue - cost) / cost
    emv                          = sum over deliverables and actions of count(action) x rate(platform, action)
        actions: impression, view, like, comment, share, save, click; rates come
        from the workspace's EMV rate card (its version is returned with the EMV)

Costs are contracted fees: a creator's fee is shared equally between that
creator's deliverables. Money KPIs are in major units of the reported currency
(4 decimal places); ratios have 6 decimal places. Any division by zero, or a
missing input (e.g. no clicks recorded), gives ``None`` (JSON null): never an
error, never infinity. Everything is ``Decimal``; nothing is a float.
"""
from __future__ import annotations

from dataclasses import dataclass, fields
from decimal import ROUND_HALF_EVEN, Decimal, InvalidOperation

from influencers.campaigns import money

METRICS = ("impressions", "reach", "views", "likes", "comments", "shares", "saves", "clicks", "conversions")
ENGAGEMENT_ACTIONS = ("likes", "comments", "shares", "saves")
EMV_ACTIONS = {
    "impression": "impressions", "view": "views", "like": "likes", "comment": "comments",
    "share": "shares", "save": "saves", "click": "clicks",
}
RATIO_KPIS = ("engagement_rate_by_followers", "engagement_rate_by_reach", "ctr", "roas", "roi")
MONEY_KPIS = ("cpm", "cpe", "cpc", "cpv", "cpa")
# Lower is better for costs; higher is better for everything else.
LOWER_IS_BETTER = frozenset(MONEY_KPIS)
VOLUME_TARGETS = ("impressions", "reach", "views", "engagements", "clicks", "conversions")
TARGETABLE = (*VOLUME_TARGETS, *RATIO_KPIS, *MONEY_KPIS, "revenue", "emv")

MONEY_PLACES = Decimal("0.0001")
RATIO_PLACES = Decimal("0.000001")


@dataclass
class Metrics:
    impressions: int | None = None
    reach: int | None = None
    views: int | None = None
    likes: int | None = None
    comments: int | None = None
    shares: int | None = None
    saves: int | None = None
    clicks: int | None = None
    conversions: int | None = None

    def __add__(self, other: Metrics) -> Metrics:
        return Metrics(**{f.name: _add(getattr(self, f.name), getattr(other, f.name)) for f in fields(self)})

    def as_dict(self) -> dict:
        return {f.name: getattr(self, f.name) for f in fields(self)}


def _add(a, b):
    if a is None:
        return b
    if b is None:
        return a
    return a + b


def divide(numerator, denominator) -> Decimal | None:
    """numerator / denominator, or None when either is missing or the denominator is zero."""
    if numerator is None or denominator is None:
        return None
    try:
        denominator = Decimal(denominator)
        if denominator == 0:
            return None
        result = Decimal(numerator) / denominator
    except (InvalidOperation, ArithmeticError):
        return None
    return result if result.is_finite() else None


def engagements(m: Metrics) -> int | None:
    values = [getattr(m, name) for name in ENGAGEMENT_ACTIONS]
    if all(v is None for v in values):
        return None
    return sum(v for v in values if v is not None)


def _ratio(value: Decimal | None) -> Decimal | None:
    return None if value is None else value.quantize(RATIO_PLACES, rounding=ROUND_HALF_EVEN)


def _money(value_minor: Decimal | None, currency: str | None) -> Decimal | None:
    if value_minor is None or currency is None:
        return None
    return money.to_major(value_minor, currency).quantize(MONEY_PLACES, rounding=ROUND_HALF_EVEN)


def compute(
    m: Metrics,
    *,
    followers_basis: int | None,
    cost_minor: Decimal | None,
    revenue_minor: Decimal | None,
    currency: str | None,
) -> dict[str, Decimal | int | None]:
    """Every KPI of one level. ``cost_minor``/``revenue_minor`` are in ``currency`` (None: not comparable)."""
    eng = engagements(m)
    cost = cost_minor if currency is not None else None
    revenue = revenue_minor if currency is not None else None
    cpm_minor = divide(cost, m.impressions)
    return {
        "engagements": eng,
        "engagement_rate_by_followers": _ratio(divide(eng, followers_basis)),
        "engagement_rate_by_reach": _ratio(divide(eng, m.reach)),
        "ctr": _ratio(divide(m.clicks, m.impressions)),
        "cpm": _money(None if cpm_minor is None else cpm_minor * 1000, currency),
        "cpe": _money(divide(cost, eng), currency),
        "cpc": _money(divide(cost, m.clicks), currency),
        "cpv": _money(divide(cost, m.views), currency),
        "cpa": _money(divide(cost, m.conversions), currency),
        "roas": _ratio(divide(revenue, cost)),
        "roi": _ratio(divide(None if revenue is None or cost is None else revenue - cost, cost)),
    }


def emv(m: Metrics, platform_rates: dict[str, str] | None) -> Decimal:
    """Earned media value in major units of the rate card's currency (0 without rates)."""
    total = Decimal(0)
    for action, metric in EMV_ACTIONS.items():
        count = getattr(m, metric)
        rate = (platform_rates or {}).get(action)
        if count is not None and rate is not None:
            total += Decimal(count) * Decimal(str(rate))
    return total


def compare(kpi: str, target: Decimal, actual: Decimal | int | None) -> dict:
    """Target against actual: attainment = actual / target; met per the KPI's direction."""
    if actual is None:
        return {"kpi": kpi, "target": target, "actual": None, "attainment": None, "met": None}
    actual = Decimal(actual)
    met = actual <= target if kpi in LOWER_IS_BETTER else actual >= target
    return {"kpi": kpi, "target": target, "actual": actual, "attainment": _ratio(divide(actual, target)), "met": met}
