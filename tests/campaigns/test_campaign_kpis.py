"""KPI math: the formulas, and null (never an error or infinity) on every division by zero."""
from decimal import Decimal

import pytest

from influencers.campaigns import kpis, money
from influencers.campaigns.kpis import Metrics

FULL = Metrics(impressions=40_000, reach=30_000, views=20_000, likes=900, comments=100, shares=50, saves=50,
               clicks=400, conversions=20)


def compute(m=FULL, followers=10_000, cost=Decimal(300_000), revenue=Decimal(400_000), currency="EUR"):
    return kpis.compute(m, followers_basis=followers, cost_minor=cost, revenue_minor=revenue, currency=currency)


def test_formulas():
    k = compute()
    assert k["engagements"] == 1100
    assert k["engagement_rate_by_followers"] == Decimal("0.110000")
    assert k["engagement_rate_by_reach"] == Decimal("0.036667")
    assert k["ctr"] == Decimal("0.010000")
    assert k["cpm"] == Decimal("75.0000")
    assert k["cpe"] == Decimal("2.7273")
    assert k["cpc"] == Decimal("7.5000")
    assert k["cpv"] == Decimal("0.1500")
    assert k["cpa"] == Decimal("150.0000")
    assert k["roas"] == Decimal("1.333333")
    assert k["roi"] == Decimal("0.333333")
    assert not any(isinstance(v, float) for v in k.values())


def test_money_kpis_use_the_currency_exponent():
    k = compute(cost=Decimal(300_000), currency="JPY", revenue=None)
    assert k["cpc"] == Decimal("750.0000")  # 300000 yen / 400 clicks
    k = compute(cost=Decimal(300_000), currency="KWD", revenue=None)
    assert k["cpc"] == Decimal("0.7500")  # 300.000 dinar / 400 clicks


ZERO = Metrics(impressions=0, reach=0, views=0, likes=0, comments=0, shares=0, saves=0, clicks=0, conversions=0)


@pytest.mark.parametrize("kpi", ["engagement_rate_by_followers", "engagement_rate_by_reach", "ctr", "cpm", "cpe",
                                 "cpc", "cpv", "cpa"])
def test_zero_denominators_give_none(kpi):
    assert compute(m=ZERO, followers=0)[kpi] is None


def test_zero_cost_gives_none_for_roas_and_roi():
    k = compute(cost=Decimal(0))
    assert k["roas"] is None and k["roi"] is None
    assert k["cpe"] == Decimal("0.0000")  # a free deliverable costs nothing per engagement


def test_missing_inputs_give_none():
    k = kpis.compute(Metrics(), followers_basis=None, cost_minor=None, revenue_minor=None, currency="EUR")
    assert k["engagements"] is None
    assert all(v is None for v in k.values())


def test_no_currency_means_no_money_kpis():
    k = compute(currency=None)
    assert k["cpe"] is None and k["roas"] is None
    assert k["engagement_rate_by_reach"] == Decimal("0.036667")


@pytest.mark.parametrize("a,b", [(1, 0), (0, 0), (None, 1), (1, None), (Decimal("1"), Decimal("0.0"))])
def test_divide_never_raises(a, b):
    assert kpis.divide(a, b) is None


def test_emv():
    rates = {"like": "0.10", "comment": "0.50", "share": "1", "save": "1", "impression": "0.005"}
    assert kpis.emv(FULL, rates) == Decimal("440.000")
    assert kpis.emv(FULL, None) == 0
    assert kpis.emv(Metrics(), rates) == 0


def test_targets_direction():
    assert kpis.compare("reach", Decimal(50_000), 75_000)["met"] is True
    assert kpis.compare("cpe", Decimal("0.50"), Decimal("2.58"))["met"] is False
    assert kpis.compare("cpe", Decimal("3"), Decimal("2.58"))["met"] is True
    assert kpis.compare("roi", Decimal(0), Decimal("0.2"))["attainment"] is None  # 0.2 / 0
    assert kpis.compare("reach", Decimal(1), None) == {
        "kpi": "reach", "target": Decimal(1), "actual": None, "attainment": None, "met": None}


def test_money_conversion_needs_explicit_rates():
    total = {"EUR": Decimal(100_000), "USD": Decimal(50_000), "JPY": Decimal(10_000)}
    assert money.convert(total, "EUR", {"USD": "0.5"}) is None
    assert money.missing_rates(total, "EUR", {"USD": "0.5"}) == ["JPY"]
    # 1000.00 EUR + 500.00 USD x 0.5 + 10000 JPY x 0.006 = 1000 + 250 + 60 EUR
    assert money.convert(total, "EUR", {"USD": "0.5", "JPY": "0.006"}) == Decimal(131_000)
