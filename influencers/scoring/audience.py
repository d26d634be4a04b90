"""Audience authenticity from a creator's follower sample.

Each sampled account is classified from its profile alone (no timeline), with
the "class A" profile features of Cresci et al. 2015 ("Fame for sale: efficient
detection of fake Twitter followers") and the Camisani-Calzolari / Socialbakers
rules that paper evaluated, into HypeAuditor's audience types:

* ``suspicious``: bot-like: at least ``bot_min_indicators`` of the indicators
  below, one of them behavioural (following at least 50 times more accounts than
  follow it, or an account created less than six months before the sample).
  Profile gaps alone (no picture, no bio, few followers, never posted, the
  Socialbakers "no bio, no location, following > 100") describe many dormant
  humans too: without a behavioural indicator such an account is not counted fake;
* ``mass_follower``: follows more than 1,500 accounts (sees little of any feed);
* ``inactive``: no post in the ``inactive_days`` before the sample (or never posted);
* ``real``: everyone else.

Default-2 (young audiences): a member whose age range is 13-17 is a teenager, and the
profile gaps of a new teenage account (few followers, no bio, few posts) are no
indicators for it; a new account counts as bot-like behaviour only when it follows at
least ``new_account_min_following`` accounts or was created in a batch
(:func:`~influencers.scoring.audience_signals.batch_created`): farms follow many accounts
and register them in batches, teenagers do neither.

The fake-follower share is the share of members that are suspicious, farm-shared or
foreign and dormant (:mod:`influencers.scoring.audience_signals`), reported with its 95%
Wilson score interval for the sample size. ``reachable_share`` is the share of members
following fewer than 1,500 accounts, whatever their type.
"""
from __future__ import annotations

from dataclasses import dataclass
from statistics import NormalDist
from typing import TYPE_CHECKING

import numpy as np

from influencers.scoring.audience_signals import AudienceSignals, audience_signals, batch_created, youth_members
from influencers.scoring.inputs import PLATFORM_CODE, ScoringInputs, missing_or_empty
from influencers.scoring.model import ScoringModel

if TYPE_CHECKING:
    from influencers.scoring.audience_peers import AudiencePeers

MEMBER_TYPES = ("suspicious", "mass_follower", "inactive", "real")
SUSPICIOUS, MASS_FOLLOWER, INACTIVE, REAL = range(4)

# Bot-like indicators, each the negation of a "human" rule.
PROFILE_INDICATORS = {
    "no_avatar": "no profile picture (Cresci A: has image; Socialbakers: default image)",
    "no_bio": "empty bio (Cresci A: has biography)",
    "few_followers": "fewer than bot_min_followers followers (Cresci A: >= 30 followers)",
    "never_posted": "posts_count <= bot_max_posts (Socialbakers: never posted)",
    "no_bio_no_location_following": "empty bio, no location and following > bot_no_bio_following (Socialbakers)",
}
BEHAVIOUR_INDICATORS = {
    "following_ratio": "following >= bot_following_ratio x followers (Socialbakers: 50:1)",
    "new_account": "created fewer than bot_new_account_days before the sample",
}
BOT_INDICATORS = {**PROFILE_INDICATORS, **BEHAVIOUR_INDICATORS}


def wilson_interval(successes, n, confidence: float = 0.95) -> tuple[np.ndarray, np.ndarray]:
    """Wilson score interval for a binomial proportion; ``nan`` where ``n == 0``."""
    successes = np.asarray(successes, dtype=float)
    n = np.asarray(n, dtype=float)
    # The standard library's quantile: scipy.stats would cost a scoring run's audience
    # worker its import time for this one number.
    z = NormalDist().inv_cdf(1 - (1 - confidence) / 2)
    with np.errstate(invalid="ignore", divide="ignore"):
        p = successes / n
        denom = 1 + z**2 / n
        centre = (p + z**2 / (2 * n)) / denom
        half = z * np.sqrt(p * (1 - p) / n + z**2 / (4 * n**2)) / denom
        low, high = np.clip(centre - half, 0, 1), np.clip(centre + half, 0, 1)
    empty = n <= 0
    return np.where(empty, np.nan, low), np.where(empty, np.nan, high)


def member_bot_indicators(inputs: ScoringInputs, model: ScoringModel) -> dict[str, np.ndarray]:
    """The date-independent indicators, one boolean per audience member.

    Unknown values are not evidence: an unknown bio length is not an empty bio,
    and without a country column no account lacks a location.
    """
    t = model.threshold
    followers, following = inputs.member_followers, inputs.member_following
    no_bio = inputs.member_bio_length == 0
    if inputs.member_country is None:
        no_location = np.zeros(len(followers), bool)
    else:
        no_location = missing_or_empty(inputs.member_country)
    return {
        "no_avatar": ~inputs.member_has_avatar,
        "no_bio": no_bio,
        "few_followers": followers < t("bot_min_followers"),
        "never_posted": inputs.member_posts_count <= t("bot_max_posts"),
        "following_ratio": following >= t("bot_following_ratio") * np.maximum(followers, 1),
        "no_bio_no_location_following": no_bio & no_location & (following > t("bot_no_bio_following")),
    }


@dataclass
class AudienceResult:
    sample_size: np.ndarray            # members in the creator's latest sample
    type_counts: np.ndarray            # (n_creators, 4) members per MEMBER_TYPES
    type_shares: np.ndarray            # (n_creators, 4), nan without a sample
    fake_share: np.ndarray             # suspicious share, nan without a sample
    fake_share_low: np.ndarray         # Wilson interval
    fake_share_high: np.ndarray
    reachable_share: np.ndarray        # following < mass_follower_following, nan without a sample
    indicator_shares: dict[str, np.ndarray]  # share of the sample showing each bot indicator
    signals: AudienceSignals           # farms, foreign and dormant members, youth (default-2 on)
    # The workspace's audience statistics these were judged against (a range of its creators).
    peers: AudiencePeers | None = None


_BIT = {name: 1 << k for k, name in enumerate(BOT_INDICATORS)}
_INDICATOR_MASK = (1 << len(BOT_INDICATORS)) - 1
_BEHAVIOUR_MASK = sum(_BIT[name] for name in BEHAVIOUR_INDICATORS)
_PROFILE_MASK = sum(_BIT[name] for name in PROFILE_INDICATORS)
_POPCOUNT = np.array([bin(v).count("1") for v in range(_INDICATOR_MASK + 1)], dtype=np.int8)
_MASS, _NEVER_POSTED, _REACHABLE = 1 << 8, 1 << 9, 1 << 10
_UNKNOWN_DAY = np.iinfo(np.int32).min


def _day_numbers(dates: np.ndarray) -> np.ndarray:
    """Dates as int32 day numbers, ``_UNKNOWN_DAY`` for NaT."""
    out = dates.astype("datetime64[D]").astype(np.int64)
    out[np.isnat(dates)] = _UNKNOWN_DAY
    return out.astype(np.int32)


def classify_memberships(inputs: ScoringInputs, model: ScoringModel,
                         batch_days: np.ndarray | None = None) -> tuple[np.ndarray, np.ndarray]:
    """The type of every (creator, member) row of the samples, and its indicators
    packed as bits (bit k = the k-th name of ``BOT_INDICATORS``).

    Classification is per sample row, because "new account" and "inactive" are
    judged against the date of that creator's sample. ``batch_days``: the whole workspace's
    batch-creation days (:func:`~influencers.scoring.audience_signals.batch_created`) when
    ``inputs`` hold a range of its creators.
    """
    t = model.threshold
    # Everything that does not depend on the sample date, packed per member so that one
    # gather brings it to the (much longer) sample rows.
    profile = np.zeros(len(inputs.member_followers), dtype=np.uint16)
    for name, flags in member_bot_indicators(inputs, model).items():
        profile |= np.where(flags, _BIT[name], 0).astype(np.uint16)
    mass_following = t("mass_follower_following")
    profile |= np.where(inputs.member_following > mass_following, _MASS, 0).astype(np.uint16)
    profile |= np.where(inputs.member_following < mass_following, _REACHABLE, 0).astype(np.uint16)
    profile |= np.where(inputs.member_posts_count <= 0, _NEVER_POSTED, 0).astype(np.uint16)
    # A teenager's new, quiet profile is youth, not a bot's: its profile gaps are no indicators.
    youth = youth_members(inputs)
    profile[youth] &= np.uint16(~_PROFILE_MASK & 0xFFFF)
    # A new account is bot-like behaviour only when it follows many or was made in a batch.
    farm_like_new = ((inputs.member_following >= t("new_account_min_following"))
                     | batch_created(inputs, model, batch_days))

    member = inputs.sample_member
    code = profile[member]
    sample_day = _day_numbers(inputs.sample_date)[inputs.sample_creator]
    created = _day_numbers(inputs.member_created_at)[member]
    last_post = _day_numbers(inputs.member_last_post_at)[member]
    date_known = sample_day != _UNKNOWN_DAY
    new_account = date_known & (created != _UNKNOWN_DAY) & (sample_day - created < t("bot_new_account_days"))
    code |= np.where(new_account, _BIT["new_account"], 0).astype(np.uint16)
    indicators = code & _INDICATOR_MASK
    behaviour = ((indicators & _BIT["following_ratio"]) != 0) | (new_account & farm_like_new[member])
    suspicious = behaviour & (_POPCOUNT[indicators] >= t("bot_min_indicators"))

    silent = date_known & (last_post != _UNKNOWN_DAY) & (sample_day - last_post > t("inactive_days"))
    never = (last_post == _UNKNOWN_DAY) & ((code & _NEVER_POSTED) != 0)
    kind = np.full(len(member), REAL, dtype=np.int8)
    kind[silent | never] = INACTIVE
    kind[(code & _MASS) != 0] = MASS_FOLLOWER
    kind[suspicious] = SUSPICIOUS
    return kind, code


def audience_authenticity(inputs: ScoringInputs, model: ScoringModel,
                          classified: tuple[np.ndarray, np.ndarray] | None = None,
                          peers: AudiencePeers | None = None) -> AudienceResult:
    """Per creator: the audience types, fake share with its interval, reachable share and
    indicator shares of its latest sample. ``classified``: ``classify_memberships(inputs,
    model)`` when the caller has it already. ``peers``: the whole workspace's audience statistics
    when ``inputs`` hold a range of its creators (:mod:`influencers.scoring.audience_peers`)."""
    n = inputs.n_creators
    if classified is None:
        classified = classify_memberships(inputs, model, None if peers is None else peers.members.batch_days)
    kind, code = classified
    creator = inputs.sample_creator
    n_types = len(MEMBER_TYPES)
    type_counts = np.bincount(creator * n_types + kind, minlength=n * n_types).reshape(n, n_types)
    size = type_counts.sum(axis=1)
    with np.errstate(invalid="ignore", divide="ignore"):
        shares = type_counts / size[:, None]
        reachable = np.bincount(creator, weights=(code & _REACHABLE) != 0, minlength=n) / size
        # One count per (creator, indicator combination), then per indicator bit.
        combos = _INDICATOR_MASK + 1
        per_combo = np.bincount(creator * combos + (code & _INDICATOR_MASK), minlength=n * combos).reshape(n, combos)
        bits = np.array([[(v & bit) != 0 for bit in _BIT.values()] for v in range(combos)], dtype=np.int64)
        per_indicator = per_combo @ bits
        indicator_shares = {name: per_indicator[:, k] / size for k, name in enumerate(_BIT)}
    if peers is None:
        signals, likely_fake = audience_signals(inputs, model, kind, size)
    else:
        from influencers.scoring.audience_peers import signals_with_peers

        signals, likely_fake = signals_with_peers(inputs, model, kind, size, peers)
    # Fake: suspicious by the profile, or farm-shared, or foreign and dormant.
    fake_count = np.bincount(creator, weights=(kind == SUSPICIOUS) | likely_fake, minlength=n)
    with np.errstate(invalid="ignore", divide="ignore"):
        fake_share = fake_count / size
    low, high = wilson_interval(fake_count, size, model.threshold("wilson_confidence"))
    return AudienceResult(
        sample_size=size,
        type_counts=type_counts,
        type_shares=shares,
        fake_share=fake_share,
        fake_share_low=low,
        fake_share_high=high,
        reachable_share=reachable,
        indicator_shares=indicator_shares,
        signals=signals,
        peers=peers,
    )


def authentic_memberships(inputs: ScoringInputs, model: ScoringModel,
                          classified: tuple[np.ndarray, np.ndarray] | None = None,
                          bot_like_keys: np.ndarray | None = None) -> np.ndarray:
    """Per sample row of ``inputs``: whether its member counts as authentic: a member is
    bot-like when any of its rows in the latest samples of the creators of its platform is
    classified ``suspicious`` (the rule overlap reports count by, see
    :func:`influencers.shortlists.loader.load_audience`).

    For callers that hold every latest sample of the workspace in ``inputs`` already (a
    scoring run building the overlap sketches): the same classification as the overlap
    loader's, platform by platform, without reading the samples again.
    Rows are classified independently (member profile and the sample's date), so
    classifying all platforms at once changes nothing; the "any row" rule is applied
    per (platform, member). ``classified``: ``classify_memberships(inputs, model)`` when the
    caller has it already.
    """
    platform = inputs.platform[inputs.sample_creator]
    if bot_like_keys is not None:
        # A range of the workspace's creators: its members by id against the whole workspace's bot-like members.
        key = np.asarray(inputs.member_ids, dtype=np.int64)[inputs.sample_member] * len(PLATFORM_CODE) + platform
        return ~np.isin(key, bot_like_keys)
    kind, _code = classify_memberships(inputs, model) if classified is None else classified
    key = inputs.sample_member.astype(np.int64) * len(PLATFORM_CODE) + platform
    bot_like = np.unique(key[kind == SUSPICIOUS])
    return ~np.isin(key, bot_like)
