"""Default-2 flags for fraud that hides, and the rules' abstentions.

* ``drip_followers``: followers bought gradually. Over windows of 2-10 weeks the
  creator's daily growth is far above its platform x tier peers' (robust z of the same
  statistic) and several times its own growth outside the window, the gain is spread
  (no three days hold most of it: that is a spike, judged by ``follower_spike``), and
  engagement does not follow (engagement elasticity: the Theil-Sen slope of log engagement
  on log followers on the post's day over every recent post, ~1 when an audience grows, ~0
  when followers are bought). When neither engagement nor the audience sample can tell, the
  rule abstains and says why (``FlagResult.undecided``).
* ``suspicious_audience``: aged bots and bot farms, from the audience signals
  (:mod:`influencers.scoring.audience_signals`): a farm-shared or a foreign-and-dormant
  share whose Wilson lower bound is above ``suspicious_audience_share``.
* ``bought_engagement``: likes and comments bought together (so comments per like look
  normal): engagement per view far above the tier, or engagement per follower far above
  it on most posts; posts out of line counted against the tier, the share of posts affected.

A rule whose input the platform lacks (:data:`~influencers.scoring.model.RULE_INPUTS`)
abstains and says why, instead of firing on zeros.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy.stats import binom, norm, theilslopes

from influencers.scoring import grouped
from influencers.scoring.audience import AudienceResult, wilson_interval
from influencers.scoring.benchmarks import TIERS
from influencers.scoring.engagement import EngagementResult
from influencers.scoring.grouped import MAD_TO_SD
from influencers.scoring.inputs import PLATFORMS, ScoringInputs
from influencers.scoring.model import PLATFORM_LACKS, RULE_INPUTS, ScoringModel
from influencers.scoring.own_baseline import (
    excess_over_own_baseline,
    far_above_posts,
    followers_on_post_day,
    own_excess_signal,
)

DAY_KEY = 1_000_000
_LACK_REASONS = {
    "comments": "the platform's posts carry no comments here (no post has any): a comments-per-like rule"
                " would fire on zeros",
    "follower_growth": "the platform's count is not a buyable follower audience (LinkedIn connections,"
                       " blogs without a follower graph)",
}


def _post_ref(inputs: ScoringInputs, row: int) -> str:
    return str(inputs.post_external_id[row]) if inputs.post_external_id is not None else f"post#{row}"


def _f(x):
    x = float(x)
    return None if x != x or x in (float("inf"), float("-inf")) else x


def abstentions(inputs: ScoringInputs, eng: EngagementResult) -> dict[str, tuple[np.ndarray, str]]:
    """Per rule: the creators for which it abstains, and why."""
    lacks = {}
    for need in ("comments", "follower_growth"):
        platforms = [PLATFORMS.index(p) for p, missing in PLATFORM_LACKS.items() if need in missing]
        lacks[need] = np.isin(inputs.platform, platforms)
    # Comments: also any creator with posts but not a single comment (the input is absent, not zero).
    with_comments = grouped.counts(inputs.post_creator, inputs.n_creators, inputs.post_comments > 0)
    lacks["comments"] |= (eng.post_count > 0) & (with_comments == 0)
    out = {}
    for rule, needs in RULE_INPUTS.items():
        mask = np.zeros(inputs.n_creators, bool)
        reasons = []
        for need in needs:
            mask |= lacks[need]
            reasons.append(_LACK_REASONS[need])
        out[rule] = (mask, "; ".join(reasons))
    return out


# --------------------------------------------------------------------------- drip-fed followers


def _windows(model: ScoringModel) -> list[int]:
    t = model.threshold
    low, high = int(t("drip_min_window_days")), int(t("drip_max_window_days"))
    return list(range(low, high + 1, 7)) or [low]


@dataclass
class DripPeers:
    """One growth window's peer statistics per platform x tier group (``platform * len(TIERS) +
    tier``): the median and MAD of the creators' best daily growth rate, and their number."""

    median: np.ndarray
    mad: np.ndarray
    count: np.ndarray

    @classmethod
    def of(cls, group: np.ndarray, best: np.ndarray) -> DripPeers:
        """The statistics of these creators' best rates (each creator's group and rate)."""
        n_groups = len(PLATFORMS) * len(TIERS)
        med, mad = grouped.median_and_mad(group, best, n_groups)
        return cls(med, mad, np.bincount(group, minlength=n_groups))


def _sorted_growth(inputs: ScoringInputs):
    key = inputs.snapshot_creator * DAY_KEY + inputs.snapshot_date.astype(np.int64)
    order = np.argsort(key, kind="stable")
    creator = inputs.snapshot_creator[order]
    day = inputs.snapshot_date[order].astype(np.int64)
    followers = inputs.snapshot_followers[order]
    return order, creator, day, followers, key[order]


def _window_rates(w, n, rows, creator, day, key, logf, group_creators, group_starts):
    """Per snapshot row: the start row of its ``w``-day window and the daily log growth over it
    (-inf without one); per creator: its best such rate."""
    start = rows - w
    ok = (start >= 0)
    start = np.maximum(start, 0)
    ok &= (creator[start] == creator) & (day - day[start] == w)
    gaps = np.flatnonzero(~ok)
    if len(gaps):  # not daily there: the first snapshot at least w days back
        found = np.searchsorted(key, key[gaps] - w, side="right") - 1
        found = np.maximum(found, 0)
        good = (creator[found] == creator[gaps]) & (day[gaps] - day[found] >= w) & (day[gaps] - day[found] <= 2 * w)
        start[gaps[good]] = found[good]
        ok[gaps[good]] = True
    span = np.maximum(day - day[start], 1)
    rate = np.where(ok, (logf - logf[start]) / span, -np.inf)
    best = np.full(n, -np.inf)
    best[group_creators] = np.maximum.reduceat(rate, group_starts)  # rows are sorted by creator
    return start, rate, best


def drip_best_rates(inputs: ScoringInputs, eng: EngagementResult, model: ScoringModel
                    ) -> list[tuple[np.ndarray, np.ndarray]]:
    """Per growth window: the group (platform x tier) and best daily growth rate of each creator
    that has one: what the window's :class:`DripPeers` are computed from."""
    n = inputs.n_creators
    _order, creator, day, followers, key = _sorted_growth(inputs)
    if not len(creator):
        return [(np.zeros(0, dtype=np.int64), np.zeros(0)) for _w in _windows(model)]
    logf = np.log(np.maximum(followers, 1.0))
    group_creators, group_starts = np.unique(creator, return_index=True)
    group = inputs.platform * len(TIERS) + eng.tier
    out = []
    for w in _windows(model):
        _start, _rate, best = _window_rates(w, n, np.arange(len(creator)), creator, day, key, logf,
                                            group_creators, group_starts)
        has = np.isfinite(best)
        out.append((group[has], best[has]))
    return out


def drip_signals(inputs: ScoringInputs, eng: EngagementResult, model: ScoringModel) -> dict[str, np.ndarray]:
    """Per creator: the growth window with the highest daily growth z against its peers."""
    t = model.threshold
    n = inputs.n_creators
    order, creator, day, followers, key = _sorted_growth(inputs)
    rows = np.arange(len(creator))
    out = {name: np.full(n, np.nan) for name in ("rate", "z", "gain_share", "own_rate", "window", "start", "end",
                                                 "peer_median", "peer_scale")}
    out["peer_n"] = np.zeros(n, dtype=np.int64)
    out["_day"], out["_followers"], out["_creator"] = day, inputs.snapshot_followers[order], creator
    if not len(creator):
        return out
    logf = np.log(np.maximum(followers, 1.0))
    group_creators, group_starts = np.unique(creator, return_index=True)
    group = inputs.platform * len(TIERS) + eng.tier
    short_far = None  # per creator: the daily growth far above the peers over the shortest window
    for k, w in enumerate(_windows(model)):
        start, rate, best = _window_rates(w, n, rows, creator, day, key, logf, group_creators, group_starts)
        has = np.isfinite(best)
        peers = eng.peers.drip[k] if eng.peers is not None else DripPeers.of(group[has], best[has])
        med, mad, count = peers.median, peers.mad, peers.count
        enough = count[group] >= t("peer_min_creators")
        peer_med = np.where(enough, med[group], t("prior_daily_growth"))
        peer_scale = np.where(enough, np.maximum(MAD_TO_SD * np.nan_to_num(mad[group]), 0.0005),
                              t("prior_daily_growth_scale"))
        z = np.where(has, (best - peer_med) / peer_scale, np.nan)
        if short_far is None:
            short_far = peer_med + t("drip_peer_z") * peer_scale
        # A drip is judged over its whole length, and no longer: a longer window far above the
        # peers replaces a shorter one only when the days it adds still grow far above the
        # peers' growth over the shortest window (a drip going on), not when they are the quiet
        # weeks around it, which would dilute the drip's rate and move its posts into the
        # window. Among windows not far above the peers: the highest z.
        z_new, z_old = np.nan_to_num(z, nan=-np.inf), np.nan_to_num(out["z"], nan=-np.inf)
        far_new, far_old = z_new >= t("drip_peer_z"), z_old >= t("drip_peer_z")
        old_gain = np.nan_to_num(out["rate"] * out["window"], nan=-np.inf)
        added_days = np.maximum(w - np.nan_to_num(out["window"], nan=0.0), 1.0)
        with np.errstate(invalid="ignore"):  # no window yet: -inf - -inf
            goes_on = (best * w - old_gain) / added_days >= short_far
        better = has & ((far_new & (~far_old | goes_on)) | (~far_new & ~far_old & (z_new > z_old)))
        if not better.any():
            continue
        # The window's end: the first row reaching the creator's best rate.
        hit = np.flatnonzero(rate == best[creator])
        first_c, first_idx = np.unique(creator[hit], return_index=True)
        end_row = np.full(n, -1)
        end_row[first_c] = hit[first_idx]
        sel = np.flatnonzero(better & (end_row >= 0))
        e = end_row[sel]
        s = start[e]
        out["rate"][sel] = best[sel]
        out["z"][sel] = z[sel]
        out["gain_share"][sel] = followers[e] / np.maximum(followers[s], 1) - 1
        out["window"][sel] = day[e] - day[s]
        out["start"][sel], out["end"][sel] = s, e
        out["peer_median"][sel], out["peer_scale"][sel] = peer_med[sel], peer_scale[sel]
        out["peer_n"][sel] = count[group[sel]]
    out["own_rate"] = _own_growth_outside(creator, day, logf, key, out["start"], out["end"], n)
    return out


def _own_growth_outside(creator, day, logf, key, start_row, end_row, n: int) -> np.ndarray:
    """Per creator: its typical daily growth outside the window, the median of its weekly
    growth rates before and after it (at least 14 days of them). A median, so that a stretch
    of the drip left outside a shorter window, or a viral day, does not pass for the
    creator's own history."""
    out = np.full(n, np.nan)
    have = ~np.isnan(start_row)
    if not have.any():
        return out
    week = np.searchsorted(key, key - 7, side="right") - 1  # the latest snapshot a week or more back
    ok = week >= 0
    week = np.maximum(week, 0)
    gap = day - day[week]
    ok &= (creator[week] == creator) & (gap >= 7) & (gap <= 14)
    s_day = np.full(n, np.iinfo(np.int64).max)
    e_day = np.full(n, np.iinfo(np.int64).min)
    s_day[have] = day[start_row[have].astype(int)]
    e_day[have] = day[end_row[have].astype(int)]
    outside = ok & have[creator] & ((day <= s_day[creator]) | (day[week] >= e_day[creator]))
    weekly = np.where(outside, (logf - logf[week]) / np.maximum(gap, 1), np.nan)
    median = grouped.median(creator, weekly, n)
    covered = grouped.sums(creator, np.where(outside, 1.0, np.nan), n)
    first_day = np.full(n, 0)
    last_day = np.full(n, 0)
    c_unique, c_first = np.unique(creator, return_index=True)
    first_day[c_unique] = day[c_first]
    last_day[c_unique] = day[np.r_[c_first[1:] - 1, len(creator) - 1]]
    outside_days = np.where(have, np.maximum(s_day - first_day, 0) + np.maximum(last_day - e_day, 0), 0)
    out[have & (outside_days >= 14) & (covered >= 2)] = median[have & (outside_days >= 14) & (covered >= 2)]
    return out


def _elasticity(rows: np.ndarray, eng: EngagementResult, start_day: int, end_day: int,
                followers_on: callable, min_posts: int, z: float) -> tuple[float, float, int, int]:
    """How engagement follows followers over every recent post: the Theil-Sen slope of log
    engagement on log followers on the post's day (~1 when an audience grows, ~0 when
    followers are bought), and its standard error (half its two-sided interval at the
    confidence matching ``z`` over ``z``). Posts after the window count too: a bought audience
    stays at its new level while engagement stays at the old one. A median of pairwise slopes,
    so that a viral post does not move it. Nan when fewer than ``min_posts`` posts stand
    before the window's end and after its start, or the posts' followers differ by under 5%
    (a small gain under noisy posts says nothing). Also: the posts before and in the window."""
    days = eng.posts.day[rows].astype(np.int64)
    n_before = int((days < start_day).sum())
    n_inside = int(((days >= start_day) & (days <= end_day)).sum())
    nan = float("nan")
    if int((days <= end_day).sum()) < min_posts or int((days >= start_day).sum()) < min_posts:
        return nan, nan, n_before, n_inside
    log_f = np.log(np.maximum(followers_on(days), 1.0))
    if log_f.max() - log_f.min() < np.log(1.05):
        return nan, nan, n_before, n_inside
    log_e = np.log(eng.posts.engagement[rows])
    confidence = 2 * norm.cdf(z) - 1
    slope, _, low, high = theilslopes(log_e, log_f, alpha=confidence)
    return float(slope), float((high - low) / (2 * z)), n_before, n_inside


def drip_followers(inputs: ScoringInputs, eng: EngagementResult, model: ScoringModel, abstain: np.ndarray):
    from influencers.scoring.fraud import FlagResult

    t = model.threshold
    n = inputs.n_creators
    d = drip_signals(inputs, eng, model)
    elasticity = np.full(n, np.nan)
    elasticity_se = np.full(n, np.nan)
    jump_share = np.full(n, np.nan)
    own = d["own_rate"]
    candidate = (~abstain & (np.nan_to_num(d["gain_share"]) >= t("drip_min_gain_share"))
                 & (np.nan_to_num(d["z"]) >= t("drip_peer_z"))
                 & (np.isnan(own) | (d["rate"] >= t("drip_own_ratio") * np.maximum(np.nan_to_num(own), 0.0005))))
    day, followers, creator = d["_day"], d["_followers"], d["_creator"]
    posts_before = np.zeros(n, dtype=np.int64)
    posts_inside = np.zeros(n, dtype=np.int64)
    # Each candidate's posts: one sort of the post rows by creator.
    usable = eng.posts.recent & ~inputs.post_is_contest & (eng.posts.engagement > 0)
    post_order = np.flatnonzero(usable)
    post_order = post_order[np.argsort(inputs.post_creator[post_order], kind="stable")]
    post_bounds = np.searchsorted(inputs.post_creator[post_order], np.arange(n + 1))
    for c in np.flatnonzero(candidate):
        s, e = int(d["start"][c]), int(d["end"][c])
        f = followers[s:e + 1]
        gain = f[-1] - f[0]
        three = f[3:] - f[:-3] if len(f) > 3 else np.array([gain])
        jump_share[c] = float(three.max() / gain) if gain > 0 else 1.0
        rows_c = slice(np.searchsorted(creator, c), np.searchsorted(creator, c, side="right"))
        days_c, fol_c = day[rows_c], followers[rows_c]

        def followers_on(days, days_c=days_c, fol_c=fol_c):
            return np.interp(days, days_c, fol_c)

        elasticity[c], elasticity_se[c], posts_before[c], posts_inside[c] = _elasticity(
            post_order[post_bounds[c]:post_bounds[c + 1]], eng, int(day[s]), int(day[e]), followers_on,
            int(t("drip_min_posts")), t("drip_elasticity_z"))
    # Engagement does not follow: the elasticity is low, and even its upper bound is below 1 (an
    # audience that grows engages in proportion).
    z_se = t("drip_elasticity_z") * np.nan_to_num(elasticity_se, nan=np.inf)
    spread = candidate & (jump_share <= t("drip_max_jump_share"))
    flagged = (spread & (np.nan_to_num(elasticity, nan=np.inf) < t("drip_max_elasticity"))
               & (np.nan_to_num(elasticity, nan=np.inf) + z_se < 1.0))
    # Engagement not measurable (too few posts, too small a change for the posts' noise: the
    # interval reaches both below drip_max_elasticity and 1): the audience decides (see
    # corroborate_drip), once the audience pass has run.
    unmeasured = spread & ~flagged & (np.isnan(elasticity) | (elasticity - z_se < t("drip_max_elasticity")))
    floor = t("drip_peer_z")
    strength = np.where(flagged, np.clip(0.5 * (d["z"] - floor) / floor + 0.5 * (1 - np.clip(elasticity, 0, 1)),
                                         0.1, 1.0), 0.0)
    result = FlagResult("drip_followers", "Followers growing far above the peers and the creator's own history"
                        " for weeks, while engagement does not follow", flagged, np.nan_to_num(strength))
    for c in np.flatnonzero(flagged):
        c = int(c)
        result.evidence[c] = {"signals": [
            growth_signal(inputs, eng, d, c, model),
            {"name": "window_gain_share", "value": _f(d["gain_share"][c]), "kind": "measured",
             "threshold": t("drip_min_gain_share")},
            {"name": "own_daily_growth_outside_window", "value": _f(own[c]), "kind": "measured",
             "threshold": {"window_growth_at_least_times": t("drip_own_ratio")}},
            {"name": "largest_3_day_share_of_gain", "value": _f(jump_share[c]), "kind": "measured",
             "threshold": t("drip_max_jump_share"),
             "description": "a gain held by a few days is a spike (follower_spike), not a drip"},
            {"name": "engagement_elasticity", "value": _f(elasticity[c]), "kind": "measured",
             "standard_error": _f(elasticity_se[c]),
             "threshold": {"below": t("drip_max_elasticity"), "upper_bound_below": 1.0,
                           "upper_bound_z": t("drip_elasticity_z")}, "n_posts_before": int(posts_before[c]),
             "n_posts_in_window": int(posts_inside[c]),
             "description": "log(median engagement change) / log(follower change), posts before vs in the window"},
        ]}
    result.signals = {"drip": d, "elasticity": elasticity, "elasticity_se": elasticity_se,
                      "unmeasured": unmeasured, "jump_share": jump_share,
                      "posts_before": posts_before, "posts_inside": posts_inside}
    return result


def corroborate_drip(result, inputs: ScoringInputs, eng: EngagementResult, aud: AudienceResult,
                     model: ScoringModel):
    """Drip candidates whose engagement change could not be measured (or not precisely enough)
    are flagged when the audience sample holds the bought followers: a fake share above the
    platform's median sampled creator by at least ``drip_audience_share`` x the share of today's
    followers the window added (bought followers are in the sample in that proportion)."""
    t = model.threshold
    s = result.signals
    if "unmeasured" not in s:
        return result
    d = s["drip"]
    sampled = aud.sample_size > 0
    n_platforms = len(PLATFORMS)
    if aud.peers is not None:  # a range of the workspace's creators: the whole workspace's medians
        peer_median, peer_n = aud.peers.platform_fake_median, aud.peers.platform_sampled
    else:
        peer_median = grouped.median(inputs.platform, np.where(sampled, aud.fake_share, np.nan), n_platforms)
        peer_n = grouped.counts(inputs.platform, n_platforms, sampled)
    baseline = np.where(peer_n[inputs.platform] >= t("peer_min_creators"), peer_median[inputs.platform],
                        t("prior_fake_share"))
    gain = np.nan_to_num(d["gain_share"])
    added_share = gain / (1 + gain)
    excess = np.nan_to_num(aud.fake_share) - np.nan_to_num(baseline)
    # The sample is dirtier than the peers' beyond chance (binomial at the peers' median share) ...
    size = aud.sample_size
    fake_count = np.round(np.nan_to_num(aud.fake_share) * size)
    p_value = np.where(sampled & (fake_count > 0),
                       binom.sf(fake_count - 1, np.maximum(size, 1), np.clip(np.nan_to_num(baseline), 1e-6, 1)), 1.0)
    # ... by a material part of what the window added (the classifier sees the foreign, dormant
    # and farm-shared bots, not those that pass for local lurkers).
    add = (s["unmeasured"] & ~result.flagged & sampled & (p_value < t("drip_audience_max_p"))
           & (excess >= t("drip_audience_share") * added_share))
    if result.abstained is not None:
        add &= ~result.abstained
    for c in np.flatnonzero(add):
        c = int(c)
        result.flagged[c] = True
        result.strength[c] = float(np.clip(0.5 * (d["z"][c] - t("drip_peer_z")) / t("drip_peer_z"), 0.1, 1.0))
        result.evidence[c] = {"signals": [
            growth_signal(inputs, eng, d, c, model),
            {"name": "window_gain_share", "value": _f(d["gain_share"][c]), "kind": "measured",
             "threshold": t("drip_min_gain_share")},
            {"name": "largest_3_day_share_of_gain", "value": _f(s["jump_share"][c]), "kind": "measured",
             "threshold": t("drip_max_jump_share")},
            {"name": "engagement_elasticity", "value": _f(s["elasticity"][c]), "kind": "measured",
             "standard_error": _f(s["elasticity_se"][c]),
             "n_posts_before": int(s["posts_before"][c]), "n_posts_in_window": int(s["posts_inside"][c]),
             "description": "not measurable, or not precisely enough to tell a drip from an audience that grows:"
                            " too few posts, or too small a follower change for the posts' spread"},
            {"name": "fake_follower_share", "value": _f(aud.fake_share[c]), "kind": "estimated",
             "n": int(aud.sample_size[c]),
             "peer_group": {"platform": PLATFORMS[int(inputs.platform[c])], "n": int(peer_n[inputs.platform[c]]),
                            "median": _f(baseline[c]),
                            "source": "workspace" if peer_n[inputs.platform[c]] >= t("peer_min_creators")
                            else "model prior"},
             "share_of_followers_added_in_window": _f(added_share[c]), "p_value": _f(p_value[c]),
             "description": "binomial chance of at least this many fake members at the peers' median share",
             "threshold": {"p_value_below": t("drip_audience_max_p"),
                           "above_peer_median_by_at_least_times_added_share": t("drip_audience_share")}},
        ]}
    # Still undecided: the growth is a drip's, but neither engagement nor the sample can tell
    # bought followers from an audience that grows. The rule abstains and says why.
    undecided = s["unmeasured"] & ~result.flagged
    if result.abstained is not None:
        undecided &= ~result.abstained
    for c in np.flatnonzero(undecided):
        c = int(c)
        el, se = s["elasticity"][c], s["elasticity_se"][c]
        engagement = ("too few posts, or too small a follower change, to measure it" if np.isnan(el) else
                      f"{el:.2f} +/- {se:.2f} (standard error), which cannot tell 0 (bought) from 1 (real)")
        if not sampled[c]:
            audience = "no audience sample to look for the bought followers in"
        else:
            audience = (f"the audience sample's fake share, {aud.fake_share[c]:.1%} of {int(size[c])} members, is"
                        f" {excess[c]:+.1%} against the platform's median {baseline[c]:.1%} (binomial p"
                        f" {p_value[c]:.2g}; needed: p below {t('drip_audience_max_p'):g} and at least"
                        f" {t('drip_audience_share'):g} x the {added_share[c]:.1%} of followers the window added)")
        result.undecided[c] = (
            f"followers grew {gain[c]:.1%} in {int(d['window'][c])} days, far above the peers (z {d['z'][c]:.1f})"
            f" and the creator's own history, but the rule cannot tell bought followers from an audience that"
            f" grows: engagement's response to followers is {engagement}; {audience}. Neither corroborates the"
            f" purchase, so the rule abstains"
            + (f". A window adding under {t('drip_noise_share'):.0%} of the followers is within the noise of the"
               f" posts and of a sample of this size" if added_share[c] < t("drip_noise_share") else ""))
    return result


def growth_signal(inputs, eng, d, c: int, model: ScoringModel) -> dict:
    t = model.threshold
    day = d["_day"]
    has = not np.isnan(d["start"][c])
    return {
        "name": "window_daily_growth", "value": _f(d["rate"][c]), "kind": "measured",
        "description": "log(followers at end / at start) / days, the window of 2-10 weeks with the highest z",
        "window_days": None if not has else int(d["window"][c]),
        "from": None if not has else str(np.datetime64(int(day[int(d["start"][c])]), "D")),
        "to": None if not has else str(np.datetime64(int(day[int(d["end"][c])]), "D")),
        "z": _f(d["z"][c]),
        "peer_group": {"platform": PLATFORMS[int(inputs.platform[c])], "tier": TIERS[int(eng.tier[c])],
                       "n": int(d["peer_n"][c]), "median": _f(d["peer_median"][c]),
                       "scale": _f(d["peer_scale"][c]),
                       "source": "workspace" if d["peer_n"][c] >= t("peer_min_creators") else "model prior"},
        "threshold": {"z_above": t("drip_peer_z"), "gain_share_at_least": t("drip_min_gain_share")},
    }


# --------------------------------------------------------------------------- suspicious audience


def suspicious_audience(inputs: ScoringInputs, aud: AudienceResult, model: ScoringModel):
    from influencers.scoring.fraud import FlagResult

    t = model.threshold
    size = aud.sample_size
    conf = t("wilson_confidence")
    farm_low, _ = wilson_interval(np.nan_to_num(aud.signals.farm_share) * size, size, conf)
    dormant_low, _ = wilson_interval(np.nan_to_num(aud.signals.foreign_dormant_share) * size, size, conf)
    threshold = t("suspicious_audience_share")
    by_farm = np.nan_to_num(farm_low) > threshold
    by_dormant = np.nan_to_num(dormant_low) > threshold
    # A smaller foreign dormant share counts when the creator's foreign members are mostly dormant,
    # far more often than its local ones: aged bots are; a real audience abroad is mostly active.
    contrast = dormancy_contrast(aud, model)
    by_contrast = ((contrast["p_value"] < t("dormancy_contrast_max_p"))
                   & (np.nan_to_num(contrast["foreign_rate"]) >= np.maximum(
                       t("dormancy_contrast_ratio") * np.nan_to_num(contrast["local_rate"], nan=np.inf),
                       t("dormancy_contrast_min_rate")))
                   & (np.nan_to_num(dormant_low) > t("dormancy_contrast_share")))
    flagged = by_farm | by_dormant | by_contrast
    top = np.maximum(np.nan_to_num(aud.signals.farm_share), np.nan_to_num(aud.signals.foreign_dormant_share))
    floor = np.where(by_farm | by_dormant, threshold, t("dormancy_contrast_share"))
    strength = np.where(flagged, np.clip((top - floor) / (0.6 - floor), 0.1, 1.0), 0.0)
    result = FlagResult("suspicious_audience", "Audience members shared with unrelated creators (bot farms),"
                        " or foreign to the creator and its peers and dormant (aged bots)", flagged, strength)
    for c in np.flatnonzero(flagged):
        c = int(c)
        result.evidence[c] = {"signals": audience_signal_list(inputs, aud, c, model)
                              + [dormancy_signal(aud, contrast, c, model)]}
    result.signals = {"dormancy": contrast}
    return result


def dormancy_contrast(aud: AudienceResult, model: ScoringModel) -> dict[str, np.ndarray]:
    """Per creator: the dormant (inactive or mass-following) share of its foreign members and of
    its local ones (youth left out), and the binomial chance of at least its foreign dormant
    count at the local rate's Wilson upper bound (which errs towards the creator). Nan rates and
    a p-value of 1 where either group is empty: nothing to compare."""
    conf = model.threshold("wilson_confidence")
    signals = aud.signals
    foreign_n, foreign_dormant = signals.foreign_adult_n, signals.foreign_adult_dormant_n
    local_n, local_dormant = signals.local_adult_n, signals.local_adult_dormant_n
    _, local_high = wilson_interval(local_dormant, local_n, conf)
    bound = np.clip(np.nan_to_num(local_high, nan=1.0), 1e-6, 1.0)
    with np.errstate(invalid="ignore", divide="ignore"):
        foreign_rate = np.where(foreign_n > 0, foreign_dormant / np.maximum(foreign_n, 1), np.nan)
        local_rate = np.where(local_n > 0, local_dormant / np.maximum(local_n, 1), np.nan)
    p_value = np.where((foreign_dormant > 0) & (local_n > 0),
                       binom.sf(foreign_dormant - 1, np.maximum(foreign_n, 1), bound), 1.0)
    return {"foreign_rate": foreign_rate, "local_rate": local_rate, "local_rate_high": local_high,
            "foreign_n": foreign_n, "local_n": local_n, "p_value": p_value}


def dormancy_signal(aud: AudienceResult, contrast: dict, c: int, model: ScoringModel) -> dict:
    t = model.threshold
    return {"name": "foreign_vs_local_dormancy", "value": _f(contrast["foreign_rate"][c]), "kind": "measured",
            "n": int(contrast["foreign_n"][c]),
            "local": {"dormant_share": _f(contrast["local_rate"][c]), "n": int(contrast["local_n"][c]),
                      "upper_bound": _f(contrast["local_rate_high"][c])},
            "p_value": _f(contrast["p_value"][c]),
            "description": "dormant (inactive or mass-following) share of the foreign members against the local"
                           " members' (youth left out): aged bots are foreign and dormant, a real audience abroad"
                           " about as active as the local one; p: binomial chance of at least this many foreign"
                           " dormant members at the local share's upper bound",
            "threshold": {"p_value_below": t("dormancy_contrast_max_p"),
                          "foreign_share_at_least_times_local": t("dormancy_contrast_ratio"),
                          "foreign_dormant_share_at_least": t("dormancy_contrast_min_rate"),
                          "foreign_dormant_share_wilson_low_above": t("dormancy_contrast_share")}}


def audience_signal_list(inputs, aud: AudienceResult, c: int, model: ScoringModel) -> list[dict]:
    t = model.threshold
    n = int(aud.sample_size[c])
    country = inputs.country[c]
    return [
        {"name": "farm_shared_member_share", "value": _f(aud.signals.farm_share[c]), "kind": "measured", "n": n,
         "unrelated_creators_sharing": int(aud.signals.farm_unrelated_creators[c]),
         "description": "members also sampled by at least farm_min_creators creators, no more than"
                        " farm_max_related_share of them sharing a category, nor a country (language);"
                        " unrelated creators: sharing no category, country or language with this one",
         "threshold": {"wilson_low_above": t("suspicious_audience_share"),
                       "member_in_samples_at_least": t("farm_min_creators"),
                       "related_share_at_most": t("farm_max_related_share")}},
        {"name": "foreign_dormant_share", "value": _f(aud.signals.foreign_dormant_share[c]), "kind": "measured", "n": n,
         "description": "members from countries (languages) under foreign_peer_share of the peers' median"
                        " audience, and inactive or mass followers",
         "peer_group": {"creator_country": country, "n": int(aud.signals.foreign_peer_n[c])},
         "threshold": {"wilson_low_above": t("suspicious_audience_share"),
                       "foreign_below_peer_share": t("foreign_peer_share")}},
        {"name": "foreign_share", "value": _f(aud.signals.foreign_share[c]), "kind": "measured", "n": n,
         "peer_group": {"creator_country": country, "n": int(aud.signals.foreign_peer_n[c]),
                        "median": _f(aud.signals.foreign_peer_median[c])}},
        {"name": "inactive_share", "value": _f(aud.type_shares[c, 2]), "kind": "measured", "n": n,
         "peer_group": {"platform": PLATFORMS[int(inputs.platform[c])], "niche": inputs.niche[c],
                        "n": int(aud.signals.inactive_peer_n[c]), "median": _f(aud.signals.inactive_peer_median[c])},
         "threshold": {"excess_reported_above": t("inactive_excess")}},
    ]


# --------------------------------------------------------------------------- bought engagement


def engagement_own_inputs(inputs: ScoringInputs, eng: EngagementResult):
    """The posts bought engagement tests against their creator's own baseline: (creator,
    platform, log engagement per follower on the post's day, eligible), per post."""
    creator = inputs.post_creator
    # Per follower on the post's day: an audience that grows engages more on every post alike.
    per_follower = np.log((eng.posts.engagement + 1.0) / followers_on_post_day(inputs))
    eligible = eng.posts.recent & ~inputs.post_is_contest & (eng.posts.engagement > 0)
    return creator, inputs.platform[creator], per_follower, eligible


def engagement_signals(inputs: ScoringInputs, eng: EngagementResult, model: ScoringModel) -> dict[str, np.ndarray]:
    t = model.threshold
    n = inputs.n_creators
    creator = inputs.post_creator
    posts = eng.posts
    platform, tier = inputs.platform[creator], eng.tier[creator]
    # Each post's engagement per view (per follower) against the tier's creator benchmark.
    z_views = eng.benchmarks["er_views"].z(posts.er_views, platform, tier)
    z_followers = eng.benchmarks["er_followers"].z(posts.er_followers, platform, tier)
    eligible = posts.recent & ~inputs.post_is_contest
    n_posts = grouped.counts(creator, n, eligible)
    n_views = grouped.counts(creator, n, eligible & ~np.isnan(z_views))
    high_views = grouped.counts(creator, n, eligible & (z_views > t("engagement_post_z")))
    high_followers = grouped.counts(creator, n, eligible & (z_followers > t("engagement_post_z")))
    # Against the creator's own quieter posts: bought on many posts, the rest stay where they were.
    low = grouped.quantile(creator, np.where(eligible, posts.engagement, np.nan), n, 0.2)
    above_own = grouped.counts(creator, n, eligible & (posts.engagement >= t("engagement_own_ratio") * low[creator]))
    own = excess_over_own_baseline(*engagement_own_inputs(inputs, eng), n, len(PLATFORMS), t("own_excess_z"),
                                   peers=None if eng.peers is None else eng.peers.own_engagement)
    with np.errstate(invalid="ignore", divide="ignore"):
        share_views = np.where(n_views > 0, high_views / np.maximum(n_views, 1), np.nan)
        share_followers = np.where(n_posts > 0, high_followers / np.maximum(n_posts, 1), np.nan)
        share_own = np.where(n_posts > 0, above_own / np.maximum(n_posts, 1), np.nan)
    return {"n_posts": n_posts, "n_views": n_views, "high_views": high_views, "high_followers": high_followers,
            "share_views": share_views, "share_followers": share_followers, "share_own": share_own,
            "above_own": above_own, "own_excess": own}


def bought_engagement(inputs: ScoringInputs, eng: EngagementResult, model: ScoringModel):
    from influencers.scoring.fraud import FlagResult

    t = model.threshold
    s = engagement_signals(inputs, eng, model)
    z_views = np.nan_to_num(eng.z["er_views"], nan=-np.inf)
    z_followers = np.nan_to_num(eng.z["er_followers"], nan=-np.inf)
    by_views = (z_views >= t("engagement_views_z")) | (
        (s["high_views"] >= t("engagement_min_posts"))
        & (np.nan_to_num(s["share_views"]) >= t("engagement_min_post_share")))
    by_followers = (z_followers >= t("engagement_followers_z")) & (
        np.nan_to_num(s["share_followers"]) >= t("engagement_followers_post_share"))
    above_tier = np.fmax(np.nan_to_num(eng.z["er_views"], nan=-np.inf), z_followers) >= t("engagement_own_tier_z")
    by_own = (above_tier & (s["above_own"] >= t("engagement_min_posts") + 1)
              & (np.nan_to_num(s["share_own"]) >= t("engagement_own_share")))
    own = s["own_excess"]
    by_own_posts = (own.p_value < t("own_excess_max_p")) & (np.nan_to_num(own.share) >= t("own_excess_min_share"))
    flagged = by_views | by_followers | by_own | by_own_posts
    share = np.maximum.reduce([np.nan_to_num(s["share_views"]), np.nan_to_num(s["share_followers"]),
                               np.where(by_own_posts, np.nan_to_num(own.share), 0.0)])
    strength = np.where(flagged, np.clip((share - t("engagement_min_post_share")) / 0.5, 0.1, 1.0), 0.0)
    result = FlagResult("bought_engagement", "Likes and comments far above what the views (or followers)"
                        " support, on many posts", flagged, strength)
    refs = far_above_posts(own, inputs.post_creator, flagged, lambda r: _post_ref(inputs, r))
    for c in np.flatnonzero(flagged):
        c = int(c)
        result.evidence[c] = {"signals": engagement_signal_list(inputs, eng, s, c, model) + [
            own_excess_signal("posts_far_above_own_baseline", own, c, t, "likes + comments per follower on the"
                              " post's day", PLATFORMS[int(inputs.platform[c])], refs.get(c, []))]}
    result.signals = s
    return result


def engagement_signal_list(inputs, eng: EngagementResult, s: dict, c: int, model: ScoringModel) -> list[dict]:
    t = model.threshold
    p, tier = int(inputs.platform[c]), int(eng.tier[c])
    return [
        {"name": "engagement_per_view_z", "value": _f(eng.z["er_views"][c]), "kind": "measured",
         "n": int(eng.views_posts_used[c]), "metric_value": _f(eng.metrics["er_views"][c]),
         "peer_group": eng.benchmarks["er_views"].describe(p, tier), "threshold": t("engagement_views_z")},
        {"name": "engagement_per_follower_z", "value": _f(eng.z["er_followers"][c]), "kind": "measured",
         "n": int(eng.posts_used[c]), "metric_value": _f(eng.metrics["er_followers"][c]),
         "peer_group": eng.benchmarks["er_followers"].describe(p, tier), "threshold": t("engagement_followers_z")},
        {"name": "engagement_outlier_post_share", "value": _f(np.nanmax([s["share_views"][c], s["share_followers"][c],
                                                                          0.0])),
         "kind": "measured", "n": int(s["n_posts"][c]),
         "posts_per_view_above": int(s["high_views"][c]), "posts_per_follower_above": int(s["high_followers"][c]),
         "threshold": {"post_z_above": t("engagement_post_z"), "share_with_views": t("engagement_min_post_share"),
                       "share_without_views": t("engagement_followers_post_share")}},
        {"name": "posts_above_own_baseline_share", "value": _f(s["share_own"][c]), "kind": "measured",
         "n": int(s["n_posts"][c]), "posts": int(s["above_own"][c]),
         "description": "posts with at least engagement_own_ratio x the creator's 20th-percentile engagement",
         "threshold": {"ratio": t("engagement_own_ratio"), "share_at_least": t("engagement_own_share"),
                       "creator_z_above_tier": t("engagement_own_tier_z")}},
    ]
