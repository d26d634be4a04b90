"""Money as integer minor units with a currency; conversion only through explicit rates.

``Money`` totals are ``{currency: minor units}`` dicts. Turning a total into one
currency needs a rate for every other currency in it; when one is missing the
total stays per currency (``convert`` returns ``None``) instead of being mixed.
"""
from __future__ import annotations

from decimal import ROUND_HALF_EVEN, Decimal

# ISO 4217 minor-unit exponents that are not 2.
_EXPONENTS = {
    **dict.fromkeys(
        ("BIF", "CLP", "DJF", "GNF", "ISK", "JPY", "KMF", "KRW", "PYG", "RWF", "UGX", "UYI",
         "VND", "VUV", "XAF", "XOF", "XPF"), 0),
    **dict.fromkeys(("BHD", "IQD", "JOD", "KWD", "LYD", "OMR", "TND"), 3),
    **dict.fromkeys(("CLF", "UYW"), 4),
}


def exponent(currency: str) -> int:
    return _EXPONENTS.get(currency.upper(), 2)


def to_major(minor: int | Decimal, currency: str) -> Decimal:
    return Decimal(minor).scaleb(-exponent(currency))


def to_minor(major: Decimal, currency: str) -> Decimal:
    return Decimal(major).scaleb(exponent(currency))


def round_minor(amount: Decimal) -> int:
    return int(amount.quantize(Decimal(1), rounding=ROUND_HALF_EVEN))


def add(total: dict[str, Decimal], currency: str, minor: int | Decimal | None) -> None:
    if minor is None:
        return
    total[currency] = total.get(currency, Decimal(0)) + Decimal(minor)


def convert(total: dict[str, Decimal], target: str, rates: dict[str, str | Decimal]) -> Decimal | None:
    """``total`` in minor units of ``target``, or None if a currency in it has no rate.

    ``rates[c]`` is the value of one unit (major) of ``c`` in units of ``target``.
    """
    result = Decimal(0)
    for currency, minor in total.items():
        if currency == target:
            result += Decimal(minor)
            continue
        rate = rates.get(currency)
        if rate is None:
            return None
        result += to_minor(to_major(minor, currency) * Decimal(str(rate)), target)
    return result


def missing_rates(total: dict[str, Decimal], target: str, rates: dict) -> list[str]:
    return sorted(c for c in total if c != target and c not in rates)
