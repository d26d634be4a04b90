"""Retry delays: exponential, capped, with jitter."""
import random

from influencers.webhooks.delivery import retry_delay


def test_delays_grow_exponentially_with_jitter_and_a_cap():
    rng = random.Random(7)
    for attempt in range(1, 10):
        nominal = min(30 * 4 ** (attempt - 1), 6 * 3600)
        delays = [retry_delay(attempt, base=30, cap=6 * 3600, rng=rng) for _ in range(200)]
        assert all(nominal / 2 <= d <= nominal for d in delays)
        assert len(set(delays)) > 100  # jittered, so retries of many deliveries spread out
