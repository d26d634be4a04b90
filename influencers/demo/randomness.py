"""Seeded random streams, stable ids and date strings: the same seed always gives the same data."""
from __future__ import annotations

import base64
import datetime

import numpy as np


def mix64(x: np.ndarray) -> np.ndarray:
    """splitmix64 finaliser: a bijection on uint64 (distinct inputs -> distinct ids)."""
    z = x.astype(np.uint64) + np.uint64(0x9E3779B97F4A7C15)
    z = (z ^ (z >> np.uint64(30))) * np.uint64(0xBF58476D1CE4E5B9)
    z = (z ^ (z >> np.uint64(27))) * np.uint64(0x94D049BB133111EB)
    return z ^ (z >> np.uint64(31))


_SALTS: dict[tuple[int, int], np.uint64] = {}


def stream_salt(seed: int, stream: int) -> np.uint64:
    key = (seed, stream)
    v = _SALTS.get(key)
    if v is None:
        v = _SALTS[key] = np.uint64(int(np.random.default_rng([seed, 99, stream]).integers(0, 2**63)))
    return v


def shortcodes(values: np.ndarray) -> list[str]:
    """Instagram/YouTube-like 11-character ids, one per distinct uint64 (a bijection)."""
    raw = np.zeros((len(values), 9), dtype=np.uint8)
    raw[:, :8] = values.astype("<u8").view(np.uint8).reshape(-1, 8)
    text = base64.urlsafe_b64encode(raw.tobytes()).decode()
    return [text[k:k + 11] for k in range(0, len(text), 12)]


def seeded_rng(seed: int, *stream: int) -> np.random.Generator:
    return np.random.default_rng([seed, *stream])


def choice_index(rng: np.random.Generator, weights, size=None):
    """Indices drawn with probabilities proportional to ``weights``."""
    cdf = np.cumsum(np.asarray(weights, dtype=float))
    if size is None:
        return min(int(np.searchsorted(cdf, rng.random() * cdf[-1], side="right")), len(cdf) - 1)
    out = np.searchsorted(cdf, rng.random(size) * cdf[-1], side="right")
    return np.minimum(out, len(cdf) - 1)


class DayDates:
    """Date strings for day offsets before ``as_of`` (cached)."""

    def __init__(self, as_of: datetime.date):
        self.ordinal = as_of.toordinal()
        self._cache: dict[int, str] = {}

    def window(self, days: int) -> list[str]:
        """Dates of the ``days``-day window ending at ``as_of``, oldest first."""
        return [self.ago(days - 1 - k) for k in range(days)]

    def ago(self, days: int) -> str:
        s = self._cache.get(days)
        if s is None:
            s = datetime.date.fromordinal(self.ordinal - days).isoformat()
            self._cache[days] = s
        return s


