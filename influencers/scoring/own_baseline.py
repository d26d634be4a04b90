"""Posts far above the creator's own baseline, tested against the peers' rate of such posts.

Engagement (or comments) bought per post lifts the posts it is bought for and leaves the
others where they were: a creator's posts split into a quiet group at its real level and a
group several times higher. Natural variation does not do that on many posts at once: a
viral post is one post, a giveaway is a contest post (left out), and an audience that grows
engages more on every post alike (values are per follower on the post's day).

For one per-post value (in logs), per creator:

* ``baseline``: the creator's ``quantile`` (20th percentile) over its eligible posts, the level of
  its quiet posts, which bought posts on up to ~80% of them do not move;
* ``scale``: how far posts stray from their own creator's median on the platform (robust SD:
  1.4826 x MAD of every eligible post's deviation, pooled over the platform's creators);
* a post is *far above* when ``value - baseline > z x scale``;
* ``peer_rate``: the share of all the platform's eligible posts that are far above their own
  creator's baseline. It includes every creator (the fraud too), so it errs towards the creator;
* ``p_value``: the binomial chance of at least ``count`` far-above posts out of ``n`` at the
  peer rate. A small p-value says the posts are not the platform's usual spread.

Pure numpy over flat post arrays (no loop per creator).
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy.stats import binom

from influencers.scoring import grouped
from influencers.scoring.grouped import MAD_TO_SD

DAY_KEY = 1_000_000


@dataclass
class OwnBaselineExcess:
    far_above: np.ndarray      # per post
    count: np.ndarray          # per creator: posts far above its baseline
    n: np.ndarray              # per creator: eligible posts
    share: np.ndarray          # count / n (nan without eligible posts)
    baseline: np.ndarray       # per creator, in the value's logs
    scale: np.ndarray          # per creator: its platform's robust SD of a post around its creator's median
    peer_rate: np.ndarray      # per creator: its platform's share of far-above posts
    peer_posts: np.ndarray     # per creator: eligible posts on its platform
    peer_creators: np.ndarray  # per creator: creators with eligible posts on its platform
    p_value: np.ndarray        # per creator: P(at least count of n at peer_rate)


def followers_on_post_day(inputs) -> np.ndarray:
    """Per post: the creator's followers on the post's day (the latest snapshot on or before
    it; else the first one after it; else the current count)."""
    creator = inputs.post_creator.astype(np.int64)
    followers = inputs.followers[creator].astype(float)
    if not len(creator) or not len(inputs.snapshot_creator):
        return followers
    snap_key = inputs.snapshot_creator.astype(np.int64) * DAY_KEY + inputs.snapshot_date.astype(np.int64)
    order = np.argsort(snap_key, kind="stable")
    snap_key, snap_creator = snap_key[order], inputs.snapshot_creator[order]
    snap_followers = inputs.snapshot_followers[order]
    post_key = creator * DAY_KEY + inputs.post_published_at.astype("datetime64[D]").astype(np.int64)
    before = np.searchsorted(snap_key, post_key, side="right") - 1
    after = np.minimum(before + 1, len(snap_key) - 1)
    before = np.maximum(before, 0)
    use_before = (snap_creator[before] == creator) & (snap_key[before] <= post_key)
    use_after = ~use_before & (snap_creator[after] == creator)
    out = followers.copy()
    out[use_before] = snap_followers[before[use_before]]
    out[use_after] = snap_followers[after[use_after]]
    return np.where(np.isfinite(out) & (out > 0), out, followers)


@dataclass
class OwnBaselinePosts:
    """What the platform statistics of :func:`excess_over_own_baseline` are computed from, for
    some creators: their eligible posts' platform, absolute deviation from their creator's
    median and excess over their creator's baseline, and the platform of each creator with
    eligible posts. Those of creator ranges concatenate into those of all their creators."""

    platform: np.ndarray        # per eligible post
    deviation: np.ndarray
    excess: np.ndarray
    creator_platform: np.ndarray  # per creator with eligible posts

    @classmethod
    def concatenate(cls, parts: list[OwnBaselinePosts]) -> OwnBaselinePosts:
        return cls(*(np.concatenate([getattr(p, name) for p in parts])
                     for name in ("platform", "deviation", "excess", "creator_platform")))

    def peers(self, n_platforms: int, z: float) -> OwnBaselinePeers:
        """The platform statistics of these posts."""
        scale = MAD_TO_SD * grouped.median(self.platform, self.deviation, n_platforms)
        far = self.excess > z * scale[self.platform]
        return OwnBaselinePeers(scale=scale, far_posts=grouped.counts(self.platform, n_platforms, far),
                                posts=grouped.counts(self.platform, n_platforms),
                                creators=np.bincount(self.creator_platform, minlength=n_platforms))


@dataclass
class OwnBaselinePeers:
    """Per platform: the robust spread of a post around its creator's median, the posts far
    above their creator's baseline, the eligible posts and the creators with any."""

    scale: np.ndarray
    far_posts: np.ndarray
    posts: np.ndarray
    creators: np.ndarray


def _own_values(creator, values, eligible, n_creators, quantile):
    eligible = eligible & np.isfinite(values)
    v = np.where(eligible, values, np.nan)
    median = grouped.median(creator, v, n_creators)
    baseline = grouped.quantile(creator, v, n_creators, quantile)
    return eligible, v, np.abs(v - median[creator]), baseline


def own_baseline_posts(creator: np.ndarray, platform_of_post: np.ndarray, values: np.ndarray,
                       eligible: np.ndarray, n_creators: int, quantile: float = 0.2) -> OwnBaselinePosts:
    """The :class:`OwnBaselinePosts` of these creators (arguments as :func:`excess_over_own_baseline`'s)."""
    return _posts(creator, platform_of_post, n_creators, *_own_values(creator, values, eligible, n_creators, quantile))


def _posts(creator, platform_of_post, n_creators, eligible, v, deviation, baseline) -> OwnBaselinePosts:
    has = grouped.counts(creator, n_creators, eligible) > 0
    creator_platform = np.zeros(n_creators, dtype=np.int64)
    creator_platform[creator[eligible]] = platform_of_post[eligible]
    # Platform codes (< 128) in a byte: a chunked run's first pass keeps these for every post.
    return OwnBaselinePosts(platform=platform_of_post[eligible].astype(np.int8), deviation=deviation[eligible],
                            excess=(v - baseline[creator])[eligible],
                            creator_platform=creator_platform[has].astype(np.int8))


def excess_over_own_baseline(creator: np.ndarray, platform_of_post: np.ndarray, values: np.ndarray,
                             eligible: np.ndarray, n_creators: int, n_platforms: int, z: float,
                             quantile: float = 0.2, peers: OwnBaselinePeers | None = None) -> OwnBaselineExcess:
    """See the module docstring. ``values``: per post, in logs; ``eligible``: posts that count.
    ``peers``: the platform statistics of the whole workspace (a chunk of a chunked run), else
    those of these posts."""
    eligible, v, deviation, baseline = _own_values(creator, values, eligible, n_creators, quantile)
    if peers is None:
        peers = _posts(creator, platform_of_post, n_creators, eligible, v, deviation, baseline).peers(n_platforms, z)
    scale_p = peers.scale
    post_scale = scale_p[platform_of_post]
    far = eligible & (v - baseline[creator] > z * post_scale)
    count = grouped.counts(creator, n_creators, far)
    n = grouped.counts(creator, n_creators, eligible)
    rate_p = peers.far_posts / np.maximum(peers.posts, 1)
    posts_p, creators_p = peers.posts, peers.creators
    has = n > 0
    creator_platform = np.zeros(n_creators, dtype=np.int64)
    creator_platform[creator[eligible]] = platform_of_post[eligible]
    peer_rate = np.where(has, rate_p[creator_platform], np.nan)
    with np.errstate(invalid="ignore", divide="ignore"):
        share = np.where(has, count / np.maximum(n, 1), np.nan)
        p_value = np.where(has & (count > 0), binom.sf(count - 1, n, np.clip(np.nan_to_num(peer_rate), 1e-6, 1)),
                           1.0)
    return OwnBaselineExcess(
        far_above=far, count=count, n=n, share=share, baseline=baseline,
        scale=np.where(has, scale_p[creator_platform], np.nan), peer_rate=peer_rate,
        peer_posts=np.where(has, posts_p[creator_platform], 0),
        peer_creators=np.where(has, creators_p[creator_platform], 0),
        p_value=p_value)


def far_above_posts(excess: OwnBaselineExcess, creator: np.ndarray, flagged: np.ndarray, refs) -> dict[int, list]:
    """Per flagged creator: its far-above posts (``refs(row)`` names one), in post order."""
    out: dict[int, list] = {}
    for row in np.flatnonzero(excess.far_above & flagged[creator]).tolist():
        out.setdefault(int(creator[row]), []).append(refs(row))
    return out


def own_excess_signal(name: str, excess: OwnBaselineExcess, c: int, thresholds, description: str,
                      platform: str, posts: list | None = None) -> dict:
    """The test for creator ``c`` as an explanation signal: measured, its sample size, the peer
    group it is judged against and the thresholds (``thresholds``: the model's ``threshold``)."""
    def num(x):
        x = float(x)
        return None if x != x or x in (float("inf"), float("-inf")) else x

    z = thresholds("own_excess_z")
    signal = {
        "name": name, "value": num(excess.share[c]), "kind": "measured", "n": int(excess.n[c]),
        "posts_far_above": int(excess.count[c]),
        "description": f"share of the recent non-contest posts ({description}) more than z x the platform's"
                       " robust spread above the creator's own 20th-percentile post",
        "baseline": num(np.exp(excess.baseline[c])),
        "far_above_factor": num(np.exp(z * excess.scale[c])),
        "peer_group": {"platform": platform, "posts": int(excess.peer_posts[c]),
                       "creators": int(excess.peer_creators[c]), "rate_far_above": num(excess.peer_rate[c]),
                       "spread": num(excess.scale[c]), "kind": "measured"},
        "p_value": num(excess.p_value[c]),
        "threshold": {"z": z, "p_value_below": thresholds("own_excess_max_p"),
                      "share_at_least": thresholds("own_excess_min_share")},
    }
    if posts is not None:
        signal["posts"] = posts
    return signal


def _floats(values) -> list:
    """JSON-able floats (None for nan and infinities)."""
    return [x if np.isfinite(x) else None for x in np.asarray(values, dtype=float).tolist()]


class OwnBaselineColumns:
    """One own-baseline test (:class:`~influencers.scoring.own_baseline.OwnBaselineExcess`) as
    the explanation's signals section columns: share of posts far above, count out of n, the
    platform's rate of such posts, the binomial p-value and the thresholds (``th``: by name)."""

    def __init__(self, excess: OwnBaselineExcess | None, platform: np.ndarray, n: int, platform_names):
        nan = np.full(n, np.nan)
        zeros = np.zeros(n, dtype=np.int64)
        get = (lambda name, default: getattr(excess, name)) if excess is not None else (lambda name, default: default)
        self.share = _floats(get("share", nan))
        self.count = np.asarray(get("count", zeros), dtype=np.int64).tolist()
        self.n = np.asarray(get("n", zeros), dtype=np.int64).tolist()
        self.peer_rate = _floats(get("peer_rate", nan))
        self.peer_posts = np.asarray(get("peer_posts", zeros), dtype=np.int64).tolist()
        self.peer_creators = np.asarray(get("peer_creators", zeros), dtype=np.int64).tolist()
        self.p_value = _floats(np.where(np.asarray(get("n", zeros)) > 0, get("p_value", nan), np.nan))
        self.platform = [platform_names[p] for p in np.asarray(platform).astype(np.int64).tolist()]

    def section(self, i: int, th: dict) -> dict:
        return {"value": self.share[i], "kind": "measured", "n": self.n[i], "posts_far_above": self.count[i],
                "peer_group": {"of": "platform", "platform": self.platform[i], "posts": self.peer_posts[i],
                               "creators": self.peer_creators[i], "rate_far_above": self.peer_rate[i]},
                "p_value": self.p_value[i],
                "threshold": {"z": th["own_excess_z"], "p_value_below": th["own_excess_max_p"],
                              "share_at_least": th["own_excess_min_share"]}}
