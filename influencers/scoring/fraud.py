"""Fraud signals: each a named flag with a strength in [0, 1] and its evidence.

Every detector is vectorised over all creators; evidence dicts (values,
benchmarks, thresholds, the posts or dates involved) are built only for the
creators a detector flags.

* ``bought_followers``: many bot-like accounts in the audience sample, or a
  raised bot share together with engagement far below the tier.
* ``follower_spike``: a daily follower gain far outside the creator's own
  growth (robust z on daily deltas) with no engagement lift around it; a spike
  that follows a viral post is organic and only reported, not flagged.
* ``bought_likes``: posts whose likes are far above what their views and
  comments support (likes/views above tier, comments/likes below it).
* ``comment_pod``: comments/likes far above the tier (on repeated non-contest
  posts, or pooled over them) together with reciprocal ``comments`` edges with
  other creators; without such edges only overwhelming, repeated comment excess;
  without posts, a dense clique of mutual commenters.
  Contest and giveaway posts are set aside, and a single odd post is never enough.
* ``following_churn``: the following count repeatedly rising and falling
  (follow/unfollow growth tactics).
"""
from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import scipy.sparse as sp

from influencers.scoring import fraud_hidden, grouped
from influencers.scoring.audience import MEMBER_TYPES, AudienceResult
from influencers.scoring.engagement import EngagementResult
from influencers.scoring.grouped import MAD_TO_SD
from influencers.scoring.inputs import PLATFORMS, ScoringInputs
from influencers.scoring.model import ScoringModel
from influencers.scoring.own_baseline import excess_over_own_baseline, far_above_posts, own_excess_signal

DAY_KEY = 1_000_000  # creator * DAY_KEY + day number: a sortable (creator, day) key


@dataclass
class FlagResult:
    name: str
    description: str
    flagged: np.ndarray                  # bool per creator
    strength: np.ndarray                 # [0, 1] per creator, 0 where not flagged
    evidence: dict[int, dict] = field(default_factory=dict)  # creator index -> evidence
    notes: dict[int, dict] = field(default_factory=dict)     # unflagged creators worth a word (organic spikes)
    abstained: np.ndarray | None = None  # bool per creator: the rule lacks its input there
    abstain_reason: str = ""
    undecided: dict[int, str] = field(default_factory=dict)  # creator index -> why the rule could not tell
    signals: dict = field(default_factory=dict)              # arrays for the explanations' signals section

    def abstain(self, mask: np.ndarray, reason: str) -> FlagResult:
        """Never flagged where ``mask``; the explanation says why."""
        self.abstained = np.asarray(mask, dtype=bool)
        self.abstain_reason = reason
        self.flagged = self.flagged & ~self.abstained
        self.strength = np.where(self.flagged, self.strength, 0.0)
        for c in np.flatnonzero(self.abstained):
            self.evidence.pop(int(c), None)
            self.notes.pop(int(c), None)
            self.undecided.pop(int(c), None)
        return self


def _f(x):
    """A JSON-able float (None for nan)."""
    x = float(x)
    return None if x != x else x


def _day(x) -> str | None:
    return None if np.isnat(x) else str(np.datetime64(x, "D"))


def _post_ref(inputs: ScoringInputs, row: int) -> str:
    return str(inputs.post_external_id[row]) if inputs.post_external_id is not None else f"post#{row}"


def _signal(name, value, *, kind, benchmark=None, threshold=None, **extra) -> dict:
    out = {"name": name, "value": _f(value) if isinstance(value, (int, float, np.number)) else value, "kind": kind}
    if benchmark is not None:
        out["benchmark"] = benchmark
    if threshold is not None:
        out["threshold"] = threshold
    out.update(extra)
    return out


def _benchmark_ref(eng: EngagementResult, inputs: ScoringInputs, metric: str, i: int) -> dict:
    return eng.benchmarks[metric].describe(int(inputs.platform[i]), int(eng.tier[i]))


# --------------------------------------------------------------------------- bought followers


def bought_followers(inputs: ScoringInputs, aud: AudienceResult, eng: EngagementResult,
                     model: ScoringModel) -> FlagResult:
    t = model.threshold
    share, low = aud.fake_share, aud.fake_share_low
    er_z = eng.z["er_followers"]
    strong = low > t("bought_followers_share")
    corroborated = (share > t("bought_followers_low_engagement_share")) & (er_z < t("low_engagement_z"))
    flagged = np.nan_to_num(strong | corroborated).astype(bool)
    floor = t("bought_followers_low_engagement_share")
    strength = np.where(flagged, np.clip((np.nan_to_num(share) - floor) / (0.6 - floor), 0.0, 1.0), 0.0)
    result = FlagResult("bought_followers", "Many bot-like followers in the audience sample"
                        " (and engagement below the tier)", flagged, strength)
    for i in np.flatnonzero(flagged):
        n = int(aud.sample_size[i])
        result.evidence[int(i)] = {
            "signals": [
                _signal("suspicious_follower_share", share[i], kind="estimated", n=n,
                        interval_95=[_f(low[i]), _f(aud.fake_share_high[i])],
                        threshold={"wilson_low_above": t("bought_followers_share"),
                                   "or_share_above_with_low_engagement": floor},
                        sampled_at=_day(inputs.sample_date[i])),
                _signal("er_followers_z", er_z[i], kind="measured", threshold=t("low_engagement_z"),
                        metric_value=_f(eng.metrics["er_followers"][i]),
                        benchmark=_benchmark_ref(eng, inputs, "er_followers", i),
                        posts=int(eng.posts_used[i])),
            ],
            "audience_types": {name: _f(aud.type_shares[i, k]) for k, name in enumerate(MEMBER_TYPES)},
            "bot_indicator_shares": {k: _f(v[i]) for k, v in aud.indicator_shares.items()},
        }
    return result


# --------------------------------------------------------------------------- follower spike


def _sorted_snapshots(inputs: ScoringInputs):
    """Snapshot order by (creator, date), creators, dates, and "same creator as the previous row"."""
    key = inputs.snapshot_creator * DAY_KEY + inputs.snapshot_date.astype(np.int64)
    order = np.argsort(key, kind="stable")  # near-linear on the usual already-sorted input
    creator = inputs.snapshot_creator[order]
    day = inputs.snapshot_date[order]
    same = np.r_[False, creator[1:] == creator[:-1]] if len(creator) else np.zeros(0, bool)
    return order, creator, day, same


@dataclass
class FeaturingEdges:
    """Dated mentions / collaborates edges into the creators: target (position), date, and the
    featuring creator's followers and name (handle, else id)."""

    target: np.ndarray
    date: np.ndarray
    source_followers: np.ndarray
    source_name: np.ndarray


def _creator_names(inputs: ScoringInputs, positions: np.ndarray) -> np.ndarray:
    if inputs.handles is not None:
        return np.asarray(inputs.handles, dtype=object)[positions]
    return np.array([int(i) for i in np.asarray(inputs.creator_ids)[positions].tolist()], dtype=object)


def featuring_edges(inputs: ScoringInputs, eng: EngagementResult) -> FeaturingEdges:
    """The inputs' featuring edges; for a range of the workspace's creators, those of the whole
    workspace into them (the featuring creator may be in another range)."""
    graph = None if eng.peers is None else eng.peers.graph
    if graph is None:
        src = inputs.feature_source
        return FeaturingEdges(inputs.feature_target, inputs.feature_date, inputs.followers[src],
                              _creator_names(inputs, src))
    features = graph.features
    target = positions_of(np.asarray(inputs.creator_ids, dtype=np.int64), features.target)
    inside = target >= 0
    return FeaturingEdges(target[inside], features.date[inside], features.source_followers[inside],
                          features.source_name[inside])


def positions_of(sorted_ids: np.ndarray, ids: np.ndarray) -> np.ndarray:
    """Positions of ``ids`` in ``sorted_ids`` (ascending), -1 for those not in it."""
    at = np.minimum(np.searchsorted(sorted_ids, ids), max(len(sorted_ids) - 1, 0))
    found = (sorted_ids[at] == ids) if len(sorted_ids) else np.zeros(len(ids), bool)
    return np.where(found, at, -1)


def follower_spike(inputs: ScoringInputs, eng: EngagementResult, model: ScoringModel,
                   bought_likes_flag: np.ndarray) -> FlagResult:
    """Daily follower gains far above the creator's own typical day, grouped into episodes
    (consecutive spiking days); an episode is organic when a viral or contest post of the
    creator falls in the window around it, and suspicious when it is not and it gained at
    least ``spike_min_gain_share`` of the followers in all."""
    t = model.threshold
    n = inputs.n_creators
    order, creator, day, same = _sorted_snapshots(inputs)
    followers = inputs.snapshot_followers[order]
    gap = np.r_[np.nan, (day[1:] - day[:-1]).astype(float)] if len(day) else np.zeros(0)
    gain = np.r_[np.nan, followers[1:] - followers[:-1]] if len(day) else np.zeros(0)
    before = np.r_[np.nan, followers[:-1]] if len(day) else np.zeros(0)
    valid = same & (gap > 0)
    per_day = np.where(valid, gain / np.where(valid, gap, 1), np.nan)

    med, mad = grouped.median_and_mad(creator, per_day, n)
    ref_followers = np.where(inputs.followers > 0, inputs.followers, grouped.median(creator, followers, n))
    scale = np.maximum(MAD_TO_SD * np.nan_to_num(mad), np.maximum(1.0, 0.0005 * np.nan_to_num(ref_followers)))
    with np.errstate(invalid="ignore"):
        z = (per_day - med[creator]) / scale[creator]
        spiking = valid & (z > t("spike_z")) & (gain > 0)

    # Episodes: runs of spiking rows on consecutive snapshots of the same creator.
    rows = np.flatnonzero(spiking)
    starts_episode = np.r_[True, (rows[1:] != rows[:-1] + 1)] if len(rows) else np.zeros(0, bool)
    episode = np.cumsum(starts_episode) - 1
    first, last = rows[starts_episode], rows[np.r_[starts_episode[1:], True]] if len(rows) else rows
    ep_creator = creator[first]
    ep_gain = np.bincount(episode, weights=gain[rows]) if len(rows) else np.zeros(0)
    ep_share = ep_gain / np.maximum(before[first], 1)
    big = ep_share >= t("spike_min_gain_share")

    # Is there a viral or contest post in [first day - before, last day + after] of the same
    # creator? A post of a creator flagged for bought likes, "viral" only through likes out
    # of line with its views and comments, is no engagement lift.
    posts = eng.posts
    bought = bought_likes_flag[inputs.post_creator] & (posts.likes_excess_z > t("bought_likes_post_z"))
    genuine_viral = posts.viral & ~bought
    lift_rows = np.flatnonzero(genuine_viral | inputs.post_is_contest)
    lift_key = inputs.post_creator[lift_rows] * DAY_KEY + posts.day[lift_rows].astype(np.int64)
    key_order = np.argsort(lift_key, kind="stable")
    lift_key, lift_rows = lift_key[key_order], lift_rows[key_order]
    lo = np.searchsorted(lift_key, ep_creator * DAY_KEY + day[first].astype(np.int64)
                         - int(t("spike_window_days_before")), side="left")
    hi = np.searchsorted(lift_key, ep_creator * DAY_KEY + day[last].astype(np.int64)
                         + int(t("spike_window_days_after")), side="right")
    explained = hi > lo
    # Featured by a bigger account: a dated mentions/collaborates edge into the creator from a
    # creator with more followers, shortly before (or on) the first day of the jump.
    features = featuring_edges(inputs, eng)
    dst = features.target
    bigger = features.source_followers > inputs.followers[dst]
    f_key = dst[bigger] * DAY_KEY + features.date[bigger].astype(np.int64)
    f_order = np.argsort(f_key, kind="stable")
    f_key, f_rows = f_key[f_order], np.flatnonzero(bigger)[f_order]
    ep_day = ep_creator * DAY_KEY + day[first].astype(np.int64)
    f_lo = np.searchsorted(f_key, ep_day - int(t("featured_days_after")), side="left")
    f_hi = np.searchsorted(f_key, ep_day + int(t("featured_days_before")), side="right")
    featured = (f_hi > f_lo) & ~explained
    explained = explained | featured
    suspicious, organic = big & ~explained, big & explained

    flagged = np.zeros(n, bool)
    flagged[ep_creator[suspicious]] = True
    gain_share = np.zeros(n)
    np.maximum.at(gain_share, ep_creator[suspicious], ep_share[suspicious])
    floor = t("spike_min_gain_share")
    strength = np.where(flagged, np.clip((gain_share - floor) / (0.25 - floor), 0.0, 1.0), 0.0)
    result = FlagResult("follower_spike", "Follower growth spike without an engagement lift around it", flagged,
                        strength)

    def describe(e, extra=None):
        c = ep_creator[e]
        r0, r1 = first[e], last[e]
        out = {"from": _day(day[r0]), "to": _day(day[r1]), "gain": _f(ep_gain[e]),
               "gain_share": _f(ep_share[e]), "followers_before": _f(before[r0]),
               "max_robust_z": _f(np.max(z[r0:r1 + 1])), "baseline_daily_gain_median": _f(med[c]),
               "robust_scale": _f(scale[c])}
        out.update(extra or {})
        return out

    organic_by_creator: dict[int, list] = {}
    for e in np.flatnonzero(organic & featured):
        edge = f_rows[f_lo[e]]
        organic_by_creator.setdefault(int(ep_creator[e]), []).append(describe(e, {
            "featured_by": features.source_name[edge],
            "featured_by_followers": _f(features.source_followers[edge]),
            "featured_at": _day(features.date[edge]),
            "description": "a bigger creator mentioned or collaborated with this one shortly before the jump"}))
    for e in np.flatnonzero(organic & ~featured):
        post_row = lift_rows[lo[e]]
        organic_by_creator.setdefault(int(ep_creator[e]), []).append(describe(e, {
            "explained_by_post": _post_ref(inputs, post_row),
            "post_published_at": _day(posts.day[post_row]),
            "post_is_contest": bool(inputs.post_is_contest[post_row]),
            "post_engagement_ratio": _f(posts.engagement_ratio[post_row]),
            "post_views_ratio": _f(posts.views_ratio[post_row])}))
    by_creator: dict[int, list] = {}
    for e in np.flatnonzero(suspicious):
        by_creator.setdefault(int(ep_creator[e]), []).append(describe(e))
    snapshots = grouped.counts(creator, n)
    for c, spikes in by_creator.items():
        result.evidence[c] = {
            "signals": [_signal("largest_unexplained_gain_share", gain_share[c], kind="measured",
                                threshold={"daily_robust_z_above": t("spike_z"), "episode_gain_share_at_least": floor},
                                n=int(snapshots[c]))],
            "spikes": spikes,
            "organic_spikes": organic_by_creator.get(c, []),
            "lift_window_days": [-int(t("spike_window_days_before")), int(t("spike_window_days_after"))],
        }
    for c, spikes in organic_by_creator.items():
        if c not in result.evidence:
            result.notes[c] = {"organic_spikes": spikes}
    return result


# --------------------------------------------------------------------------- bought likes


def bought_likes(inputs: ScoringInputs, eng: EngagementResult, model: ScoringModel) -> FlagResult:
    """Likes out of line with the rest of the engagement.

    Bought likes raise likes per view and lower comments per like at once. Per
    post, the two robust z-scores against the post-level benchmark are combined
    (``(z_likes_per_view - z_comments_per_like) / sqrt 2``; without views,
    ``-z_comments_per_like``). Per creator, the same combination of the medians'
    z-scores, with the engagement rate by followers standing in for likes per
    view where the platform reports no views. Flagged when enough posts, or the
    creator's medians, show the excess.
    """
    t = model.threshold
    n = inputs.n_creators
    creator = inputs.post_creator
    posts = eng.posts
    z_lpv, z_cpl, excess = posts.z_likes_per_view, posts.z_comments_per_like, posts.likes_excess_z
    suspicious = posts.recent & (excess > t("bought_likes_post_z")) & ~inputs.post_is_contest
    n_posts = grouped.counts(creator, n, posts.recent)
    n_susp = grouped.counts(creator, n, suspicious)
    share = np.where(n_posts > 0, n_susp / np.maximum(n_posts, 1), 0.0)
    by_posts = (n_susp >= t("bought_likes_min_posts")) & (share >= t("bought_likes_min_post_share"))

    z = eng.z
    up = np.where(np.isnan(z["likes_per_view"]), z["er_followers"], z["likes_per_view"])
    creator_excess = (up - z["comments_per_like"]) / np.sqrt(2)
    by_medians = np.nan_to_num(creator_excess) > t("bought_likes_creator_z")
    flagged = by_posts | by_medians
    floor = t("bought_likes_min_post_share")
    strength = np.where(flagged, np.maximum(np.clip((share - floor) / (0.6 - floor), 0.0, 1.0),
                                            np.clip((np.nan_to_num(creator_excess) - t("bought_likes_creator_z")) / 3,
                                                    0.0, 1.0)), 0.0)
    result = FlagResult("bought_likes", "Likes far above what views and comments support", flagged, strength)
    rows = np.flatnonzero(suspicious & flagged[creator])
    by_creator: dict[int, list] = {}
    for r in rows:
        by_creator.setdefault(int(creator[r]), []).append({
            "post": _post_ref(inputs, r), "published_at": _day(posts.day[r]),
            "likes": _f(inputs.post_likes[r]), "comments": _f(inputs.post_comments[r]),
            "views": _f(inputs.post_views[r]),
            "likes_per_view": _f(posts.likes_per_view[r]), "likes_per_view_z": _f(z_lpv[r]),
            "comments_per_like": _f(posts.comments_per_like[r]), "comments_per_like_z": _f(z_cpl[r]),
            "likes_excess_z": _f(excess[r]),
        })
    for c in np.flatnonzero(flagged):
        c = int(c)
        p, tr = int(inputs.platform[c]), int(eng.tier[c])
        views = not np.isnan(z["likes_per_view"][c])
        result.evidence[c] = {
            "signals": [
                _signal("likes_excess_z", creator_excess[c], kind="measured",
                        threshold=t("bought_likes_creator_z"),
                        description="(z of " + ("likes per view" if views else "engagement rate by followers")
                        + " - z of comments per like) / sqrt 2, medians of recent posts"),
                _signal("posts_with_excess_likes_share", share[c], kind="measured", n=int(n_posts[c]),
                        threshold={"post_likes_excess_z_above": t("bought_likes_post_z"),
                                   "min_posts": t("bought_likes_min_posts"), "min_share": floor}),
                _signal("likes_per_view" if views else "er_followers",
                        eng.metrics["likes_per_view" if views else "er_followers"][c], kind="measured",
                        z=_f(up[c]),
                        benchmark=eng.benchmarks["likes_per_view" if views else "er_followers"].describe(p, tr)),
                _signal("comments_per_like", eng.metrics["comments_per_like"][c], kind="measured",
                        z=_f(z["comments_per_like"][c]),
                        benchmark=eng.benchmarks["comments_per_like"].describe(p, tr)),
            ],
            "posts": by_creator.get(c, []),
            "post_benchmarks": {
                "likes_per_view": eng.benchmarks["post_likes_per_view"].describe(p, tr),
                "comments_per_like": eng.benchmarks["post_comments_per_like"].describe(p, tr),
            },
        }
    return result


# --------------------------------------------------------------------------- comment pods


@dataclass
class CommentGraph:
    """The whole workspace's edge statistics for its ranges of creators: the reciprocal comment
    graph (:func:`reciprocal_comment_graph`, by creator position in ``creator_ids``) with
    every creator's name, and the featuring edges (targets as creator ids)."""

    creator_ids: np.ndarray   # ascending
    mutual: sp.csr_matrix
    degree: np.ndarray
    clustering: np.ndarray
    names: np.ndarray
    features: FeaturingEdges

    @classmethod
    def of(cls, inputs: ScoringInputs) -> CommentGraph:
        """Of a whole workspace's inputs (creators in id order; only creators and edges are read)."""
        mutual, degree, clustering = reciprocal_comment_graph(inputs)
        ids = np.asarray(inputs.creator_ids, dtype=np.int64)
        src = inputs.feature_source
        features = FeaturingEdges(ids[inputs.feature_target], inputs.feature_date, inputs.followers[src],
                                  _creator_names(inputs, src))
        return cls(ids, mutual, degree, clustering, _creator_names(inputs, np.arange(inputs.n_creators)), features)


def reciprocal_comment_graph(inputs: ScoringInputs) -> tuple[sp.csr_matrix, np.ndarray, np.ndarray]:
    """The undirected graph of creator pairs commenting on each other (both directions),
    each creator's number of such partners and its local clustering coefficient."""
    n = inputs.n_creators
    s, d = inputs.comment_source, inputs.comment_target
    keep = s != d
    s, d = s[keep], d[keep]
    directed = sp.csr_matrix((np.ones(len(s)), (s, d)), shape=(n, n))
    directed.data[:] = 1.0  # duplicates summed: back to 0/1
    mutual = directed.multiply(directed.T).tocsr()
    mutual.eliminate_zeros()
    degree = np.asarray(mutual.sum(axis=1)).ravel()
    triangles = np.asarray((mutual @ mutual).multiply(mutual).sum(axis=1)).ravel() / 2
    with np.errstate(invalid="ignore", divide="ignore"):
        clustering = np.where(degree >= 2, triangles / (degree * (degree - 1) / 2), 0.0)
    return mutual, degree, clustering


def comments_own_inputs(inputs: ScoringInputs, eng: EngagementResult):
    """The posts the comment-pod check tests against their creator's own baseline: (creator,
    platform, log comments per like, eligible: recent and no contest), per post."""
    creator = inputs.post_creator
    return (creator, inputs.platform[creator], np.log(eng.posts.comments_per_like),
            eng.posts.recent & ~inputs.post_is_contest)


def comment_pod(inputs: ScoringInputs, eng: EngagementResult, model: ScoringModel,
                pods: dict[int, dict] | None = None) -> FlagResult:
    t = model.threshold
    n = inputs.n_creators
    creator = inputs.post_creator
    posts = eng.posts
    z_cpl = posts.z_comments_per_like
    eligible = posts.recent & ~inputs.post_is_contest
    high = eligible & (z_cpl > t("pod_post_z"))
    n_eligible = grouped.counts(creator, n, eligible)
    n_high = grouped.counts(creator, n, high)
    share = np.where(n_eligible > 0, n_high / np.maximum(n_eligible, 1), 0.0)
    graph = None if eng.peers is None else eng.peers.graph
    if graph is None:
        mutual, degree, clustering = reciprocal_comment_graph(inputs)
        names = _creator_names(inputs, np.arange(n))
    else:  # a range of the workspace's creators: the whole workspace's graph
        at = positions_of(graph.creator_ids, np.asarray(inputs.creator_ids, dtype=np.int64))
        mutual, degree, clustering, names = graph.mutual[at], graph.degree[at], graph.clustering[at], graph.names

    repeated_posts = (n_high >= t("pod_min_posts")) & (share >= t("pod_min_post_share"))
    creator_z = np.nan_to_num(eng.z["comments_per_like"])
    graph_signal = degree >= t("pod_min_reciprocal")
    # With reciprocal partners: repeated high-comment posts, or comments per like above
    # the tier overall. Without: only overwhelming comment evidence on repeated posts.
    with_graph = graph_signal & (repeated_posts | (creator_z >= t("pod_creator_z")))
    # Without partners in the data: comments per like far above the tier on most posts.
    above = eligible & (z_cpl > t("pod_most_posts_z"))
    most_share = np.where(n_eligible > 0, grouped.counts(creator, n, above) / np.maximum(n_eligible, 1), 0.0)
    # "Far above" also in plain terms: a tight benchmark's z alone can call 1.4x far.
    with np.errstate(invalid="ignore", divide="ignore"):
        ratio = eng.metrics["comments_per_like"] / eng.benchmarks["comments_per_like"].median[inputs.platform, eng.tier]
    comments_only = (~graph_signal & (n_eligible >= t("pod_min_posts")) & (most_share >= t("pod_most_posts_share"))
                     & (creator_z >= t("pod_comments_only_z")) & (np.nan_to_num(ratio) >= t("pod_comments_only_ratio")))
    # Comments lifted on a share of posts, the rest at the creator's own level (a pod or bought
    # comments on the posts it serves), with the creator's comments per like above the tier.
    own = excess_over_own_baseline(*comments_own_inputs(inputs, eng), n, len(PLATFORMS), t("own_excess_z"),
                                   peers=None if eng.peers is None else eng.peers.own_comments)
    own_posts = ((own.p_value < t("own_excess_max_p")) & (np.nan_to_num(own.share) >= t("own_excess_min_share"))
                 & (creator_z >= t("pod_most_posts_z")))
    # A dense clique of mutual commenters, when no posts are there to show its effect.
    dense = (degree >= t("pod_graph_only_reciprocal")) & (clustering >= t("pod_graph_only_clustering"))
    graph_only = dense & (n_eligible == 0)
    flagged = with_graph | comments_only | own_posts | graph_only
    strength = np.where(flagged, np.clip(0.5 * np.clip(creator_z / 6, 0, 1) + 0.5 * np.maximum(
        np.minimum(degree, 6) / 6, np.where(own_posts, np.nan_to_num(own.share), 0.0)), 0.0, 1.0), 0.0)
    result = FlagResult("comment_pod", "Comments far above the tier on repeated posts, among creators"
                        " commenting on each other", flagged, strength)

    high_rows = np.flatnonzero(high & flagged[creator])
    contest_rows = np.flatnonzero(posts.recent & inputs.post_is_contest & flagged[creator])
    by_creator: dict[int, list] = {}
    for r in high_rows:
        by_creator.setdefault(int(creator[r]), []).append({
            "post": _post_ref(inputs, r), "published_at": _day(posts.day[r]),
            "likes": _f(inputs.post_likes[r]), "comments": _f(inputs.post_comments[r]),
            "comments_per_like": _f(posts.comments_per_like[r]), "comments_per_like_z": _f(z_cpl[r])})
    own_rows = far_above_posts(own, creator, flagged, lambda r: _post_ref(inputs, r))
    contests: dict[int, list] = {}
    for r in contest_rows:
        contests.setdefault(int(creator[r]), []).append(_post_ref(inputs, r))
    for c in np.flatnonzero(flagged):
        c = int(c)
        p, tr = int(inputs.platform[c]), int(eng.tier[c])
        partners = mutual.indices[mutual.indptr[c]:mutual.indptr[c + 1]]
        result.evidence[c] = {
            "signals": [
                _signal("high_comment_posts_share", share[c], kind="measured", n=int(n_eligible[c]),
                        threshold={"post_comments_per_like_z_above": t("pod_post_z"),
                                   "min_posts": t("pod_min_posts"), "min_share": t("pod_min_post_share")}),
                _signal("comments_per_like", eng.metrics["comments_per_like"][c], kind="measured",
                        z=_f(eng.z["comments_per_like"][c]),
                        threshold={"z_with_partners": t("pod_creator_z"),
                                   "z_without_partners": t("pod_comments_only_z")},
                        benchmark=eng.benchmarks["comments_per_like"].describe(p, tr)),
                _signal("comments_per_like_to_benchmark", ratio[c], kind="measured",
                        threshold={"without_partners_at_least": t("pod_comments_only_ratio")}),
                _signal("posts_above_tier_share", most_share[c], kind="measured", n=int(n_eligible[c]),
                        threshold={"post_comments_per_like_z_above": t("pod_most_posts_z"),
                                   "min_share_without_partners": t("pod_most_posts_share")}),
                own_excess_signal("posts_comments_far_above_own_baseline", own, c, t, "comments per like",
                                  PLATFORMS[p], own_rows.get(c, [])),
                _signal("reciprocal_comment_partners", int(degree[c]), kind="measured",
                        threshold=t("pod_min_reciprocal")),
                _signal("reciprocal_clustering", clustering[c], kind="measured",
                        threshold={"partners_without_posts": t("pod_graph_only_reciprocal"),
                                   "clustering_without_posts": t("pod_graph_only_clustering")},
                        description="share of the partners' pairs that also comment on each other"),
            ],
            "posts": by_creator.get(c, []),
            "contest_posts_set_aside": contests.get(c, []),
            "partners": names[partners[:50]].tolist(),
            "post_benchmark": eng.benchmarks["post_comments_per_like"].describe(p, tr),
        }
        if pods and c in pods:
            # The graph module's dense reciprocal comment cluster this creator belongs to.
            result.evidence[c]["comment_cluster"] = {"kind": "measured", **pods[c]}
    result.signals = {"own_excess": own}
    return result


# --------------------------------------------------------------------------- following churn


def following_churn(inputs: ScoringInputs, model: ScoringModel) -> FlagResult:
    t = model.threshold
    n = inputs.n_creators
    order, creator, day, same = _sorted_snapshots(inputs)
    following = inputs.snapshot_following[order]
    ok = ~np.isnan(following)
    creator, day, following = creator[ok], day[ok], following[ok]
    same = np.r_[False, creator[1:] == creator[:-1]] if len(creator) else np.zeros(0, bool)
    delta = np.r_[0.0, np.diff(following)] if len(following) else np.zeros(0)
    delta = np.where(same, delta, 0.0)

    gross = np.bincount(creator, weights=np.abs(delta), minlength=n)
    first_idx = np.flatnonzero(~same)
    last_idx = np.r_[first_idx[1:] - 1, len(creator) - 1] if len(first_idx) else first_idx
    net = np.zeros(n)
    net[creator[first_idx]] = np.abs(following[last_idx] - following[first_idx])
    mean_following = grouped.sums(creator, following, n) / np.maximum(grouped.counts(creator, n), 1)
    churn = gross - net
    ratio = churn / np.maximum(mean_following, 1)

    # Reversals: direction changes between consecutive significant 3-day moves (a 3-day
    # window so that a slow climb of small daily follows still counts as one move).
    position = np.arange(len(creator))
    run_start = np.maximum.accumulate(np.where(~same, position, 0)) if len(creator) else position
    cumulative = np.cumsum(delta)
    back = np.maximum(position - 3, run_start)
    move = cumulative - cumulative[back]
    significant = (position - back >= 1) & (np.abs(move) >= np.maximum(0.05 * mean_following[creator], 20))
    rows = np.flatnonzero(significant)
    sign = np.sign(move[rows])
    c_rows = creator[rows]
    flips = np.r_[False, (c_rows[1:] == c_rows[:-1]) & (sign[1:] != sign[:-1])] if len(rows) else np.zeros(0, bool)
    reversals = np.bincount(c_rows[flips], minlength=n)
    rows = rows[np.r_[flips[1:], False] | flips] if len(rows) else rows  # the turning points, for evidence

    flagged = ((ratio >= t("churn_min_ratio")) & (churn >= t("churn_min_accounts"))
               & (reversals >= t("churn_min_reversals")))
    floor = t("churn_min_ratio")
    strength = np.where(flagged, np.clip((ratio - floor) / (3.0 - floor), 0.2, 1.0), 0.0)
    result = FlagResult("following_churn", "Following count repeatedly rising and falling (follow/unfollow)",
                        flagged, strength)
    moves: dict[int, list] = {}
    for r in rows:
        c = int(creator[r])
        if flagged[c]:
            moves.setdefault(c, []).append({"date": _day(day[r]), "following_change_3_days": _f(move[r])})
    for c in np.flatnonzero(flagged):
        c = int(c)
        result.evidence[c] = {
            "signals": [
                _signal("churn_ratio", ratio[c], kind="measured", threshold=floor,
                        description="(gross - net following movement) / mean following"),
                _signal("churned_accounts", churn[c], kind="measured", threshold=t("churn_min_accounts")),
                _signal("reversals", int(reversals[c]), kind="measured", threshold=t("churn_min_reversals")),
            ],
            "gross_movement": _f(gross[c]), "net_change": _f(net[c]), "mean_following": _f(mean_following[c]),
            "turning_points": moves.get(c, [])[:60],
        }
    return result


def activity_flags(inputs: ScoringInputs, eng: EngagementResult, model: ScoringModel,
                   pods: dict[int, dict] | None = None) -> dict[str, FlagResult]:
    """The flags judged on posts, snapshots and edges alone (all but the audience ones):
    a scoring run computes them while its audience pass is still running elsewhere."""
    abstain = fraud_hidden.abstentions(inputs, eng)
    likes = bought_likes(inputs, eng, model).abstain(*abstain["bought_likes"])
    return {
        "follower_spike": follower_spike(inputs, eng, model, likes.flagged).abstain(*abstain["follower_spike"]),
        "bought_likes": likes,
        "comment_pod": comment_pod(inputs, eng, model, pods).abstain(*abstain["comment_pod"]),
        "following_churn": following_churn(inputs, model),
        "drip_followers": fraud_hidden.drip_followers(inputs, eng, model, abstain["drip_followers"][0]).abstain(
            *abstain["drip_followers"]),
        "bought_engagement": fraud_hidden.bought_engagement(inputs, eng, model),
    }


def detect_fraud(inputs: ScoringInputs, aud: AudienceResult, eng: EngagementResult,
                 model: ScoringModel, pods: dict[int, dict] | None = None,
                 activity: dict[str, FlagResult] | None = None) -> dict[str, FlagResult]:
    """Every flag; ``activity``: :func:`activity_flags` computed already."""
    if activity is None:
        activity = activity_flags(inputs, eng, model, pods)
    activity = dict(activity)
    activity["drip_followers"] = fraud_hidden.corroborate_drip(activity["drip_followers"], inputs, eng, aud, model)
    return {"bought_followers": bought_followers(inputs, aud, eng, model),
            "suspicious_audience": fraud_hidden.suspicious_audience(inputs, aud, model), **activity}
