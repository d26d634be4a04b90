"""Seeded, deterministic demo data in the NDJSON import format, with planted fraud.

One generator serves three users:

* the demo (``influencers demo`` imports a small data set into a demo workspace),
* the import benchmark (20,000 creators x 200-member audience samples: the output is
  streamed creator by creator and only one (platform, niche) follower pool is held in
  memory at a time),
* the scoring engine's evaluation: about ``fraud_share`` of the creators carry a
  planted fraud pattern, a few honest creators carry look-alike but legitimate
  patterns ("honest negatives"), and :func:`labels` returns the ground truth.

Every line is a record of ``shared/import-format.md`` (``type`` first, only the
documented fields). Output order: all ``creator`` lines, then for each creator (grouped
by platform and niche) its ``post``, ``snapshot`` and ``audience`` lines, then all
``edge`` lines. The same :class:`DemoConfig` always produces byte-identical output: all
randomness comes from ``numpy.random.default_rng`` streams keyed by the seed and a
creator/pool number, and nothing depends on set ordering or the clock.

Model, in short
---------------
Creators: platform (instagram, tiktok, youtube, twitter, facebook), niche, country and a
matching language, log-normal follower counts across the nano (<10k) / micro (<100k) /
mid (<500k) / macro (<1M) / mega tiers. Engagement per post follows a platform x tier
benchmark (:data:`ENGAGEMENT_RATE`, :data:`VIEW_RATE`, :data:`COMMENT_RATIO`) with a
creator multiplier (log-normal, sigma 0.3) and per-post noise, plus occasional organic
viral posts. Daily follower snapshots are a smooth noisy growth curve.

Audience samples draw members from a per-(platform, niche) pool (so same-niche
audiences overlap) with a Zipf-like popularity, mostly from the creator's country. A
member is a *real* person, a *mass follower* (following > 1,500 but otherwise real), an
*inactive* account (last post more than ~6 months ago, or never) or a *bot* (taken from a
per-platform bot-farm pool: no avatar, empty bio, few posts, following >> followers,
created within months, no last post). Organic creators have 1-8% bots.

Planted fraud (about ``fraud_share`` of creators; the four kinds spread evenly, ~20% of
them with a second kind):

* ``bought_followers`` (always with ``growth_spike``): 25-70% of the audience are bots
  (``planted_fake_share``), a one- or two-day follower step of +10-40% inside the
  window, a slow purge of up to 10% of the bought followers afterwards, and engagement
  that follows the real followers only (likes per follower well below the tier).
* ``bought_likes``: likes x3-10 on the most recent 60-90% of posts; views and comments
  unchanged, so likes/views and comments/likes are abnormal.
* ``comment_pod``: pods of 5-12 creators of one platform and niche (mostly micro) with
  dense reciprocal ``comments`` edges (weight 8-40) and comments x4-10 on 70-100% of
  their posts.
* ``follow_churn``: following oscillates (period 6-14 days, amplitude 1-3x the base
  following, at least +800) with small follow-back gains in followers.

Honest negatives (not fraud, labelled): ``viral_growth`` (a +10-40% follower step
starting on the day of a post with x8-30 the usual engagement), ``giveaway`` (a "comment
to win" post with x20-60 comments and a +1-4% follower bump), ``lurker_audience``
(40-60% inactive real members, lower engagement), ``mass_follower_real`` (30-55% of
members follow > 1,500 accounts but are otherwise real). :data:`FRAUD_PARAMETERS` lists
all the numbers.
"""
from __future__ import annotations

import argparse
import base64
import datetime
import io
import math
import sys
from collections.abc import Callable, Iterator
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import IO

import msgspec
import numpy as np

__all__ = [
    "DemoConfig",
    "CreatorLabel",
    "GenerationSummary",
    "generate",
    "write_ndjson",
    "labels",
    "FRAUD_TYPES",
    "HONEST_NEGATIVES",
    "TIERS",
    "tier_of",
    "main",
]

# --------------------------------------------------------------------------------------
# Public types
# --------------------------------------------------------------------------------------


@dataclass(frozen=True)
class DemoConfig:
    creators: int = 300
    seed: int = 7
    days: int = 90  # days of follower snapshots ending at `as_of`
    as_of: datetime.date = datetime.date(2026, 11, 1)
    audience_size: int = 200  # members per audience sample
    posts_per_creator: int = 24
    fraud_share: float = 0.2  # share of creators with a planted fraud pattern


FRAUD_TYPES = ("bought_followers", "bought_likes", "comment_pod", "growth_spike", "follow_churn")
HONEST_NEGATIVES = ("viral_growth", "giveaway", "lurker_audience", "mass_follower_real")


@dataclass
class CreatorLabel:
    platform: str
    handle: str
    fraud_types: list[str] = field(default_factory=list)
    is_fraud: bool = False
    # True share of fake/bot accounts in the creator's whole audience (the sample's
    # bot share is a binomial draw around it).
    planted_fake_share: float = 0.0
    honest_negative: str | None = None


@dataclass
class GenerationSummary:
    creators: int = 0
    posts: int = 0
    snapshots: int = 0
    audiences: int = 0
    members: int = 0
    edges: int = 0
    lines: int = 0
    fraud_creators: int = 0
    honest_negatives: int = 0

    def by_type(self) -> dict[str, int]:
        """Line counts keyed by record ``type``."""
        return {
            "creator": self.creators,
            "post": self.posts,
            "snapshot": self.snapshots,
            "audience": self.audiences,
            "edge": self.edges,
        }


# --------------------------------------------------------------------------------------
# Tables
# --------------------------------------------------------------------------------------

PLATFORMS = ("instagram", "tiktok", "youtube", "twitter", "facebook")
PLATFORM_WEIGHTS = (0.40, 0.25, 0.15, 0.13, 0.07)
# log10(followers) offset per platform (tiktok accounts are bigger, twitter smaller).
_PLATFORM_LOGF_SHIFT = (0.0, 0.15, 0.05, -0.1, 0.0)
# Account creation cannot precede the platform (years before as_of, roughly).
_PLATFORM_MAX_YEARS = (15.5, 8.0, 19.0, 18.0, 19.0)

NICHES = (
    "food", "travel", "fitness", "beauty", "gaming", "tech",
    "fashion", "parenting", "music", "pets", "finance", "comedy",
)
NICHE_WEIGHTS = (0.11, 0.09, 0.10, 0.10, 0.09, 0.07, 0.10, 0.07, 0.07, 0.06, 0.05, 0.09)
_NICHE_WORDS = {
    "food": ("chef", "cooks", "eats", "kitchen"),
    "travel": ("wander", "travels", "trips", "nomad"),
    "fitness": ("fit", "lifts", "runs", "gym"),
    "beauty": ("glow", "makeup", "beauty", "skin"),
    "gaming": ("plays", "gamer", "gg", "pixel"),
    "tech": ("tech", "codes", "gadgets", "bytes"),
    "fashion": ("style", "wears", "outfits", "looks"),
    "parenting": ("mama", "papa", "family", "kids"),
    "music": ("beats", "sings", "music", "tunes"),
    "pets": ("pets", "paws", "dogs", "cats"),
    "finance": ("money", "invests", "finance", "budget"),
    "comedy": ("lol", "jokes", "funny", "laughs"),
}
_NICHE_TAGS = {
    "food": ("recipe", "foodie", "homecooking", "yummy", "dinner", "baking", "vegan"),
    "travel": ("travel", "wanderlust", "roadtrip", "travelgram", "sunset", "citybreak"),
    "fitness": ("fitness", "workout", "gym", "running", "training", "mobility"),
    "beauty": ("beauty", "makeup", "skincare", "glowup", "nails", "grwm"),
    "gaming": ("gaming", "gamer", "twitchstreamer", "speedrun", "esports", "retrogaming"),
    "tech": ("tech", "gadgets", "coding", "ai", "setup", "review"),
    "fashion": ("fashion", "ootd", "style", "streetstyle", "vintage", "outfit"),
    "parenting": ("parenting", "momlife", "dadlife", "family", "toddler", "kidsactivities"),
    "music": ("music", "cover", "singer", "producer", "guitar", "newmusic"),
    "pets": ("dogsofinstagram", "catlife", "puppy", "pets", "adoptdontshop", "rescue"),
    "finance": ("finance", "investing", "budgeting", "personalfinance", "stocks", "saving"),
    "comedy": ("comedy", "funny", "sketch", "memes", "standup", "relatable"),
}
_NICHE_BIO = {
    "food": "Home cooking & seasonal recipes",
    "travel": "Slow travel, hidden places",
    "fitness": "Strength, running & honest training logs",
    "beauty": "Skincare nerd, everyday makeup",
    "gaming": "Games, streams & speedruns",
    "tech": "Gadgets, code and setups",
    "fashion": "Everyday outfits, vintage finds",
    "parenting": "Family life with two little ones",
    "music": "Covers & original songs",
    "pets": "Life with rescue pets",
    "finance": "Personal finance made simple",
    "comedy": "Sketches about everyday life",
}
# Share of female followers per niche (audience demographics).
_NICHE_FEMALE = (0.6, 0.55, 0.5, 0.85, 0.25, 0.25, 0.75, 0.8, 0.5, 0.6, 0.35, 0.5)

# (country, language, weight, cities)
COUNTRIES = (
    ("US", "en", 0.26, ("New York", "Austin", "Los Angeles", "Chicago")),
    ("GB", "en", 0.09, ("London", "Manchester", "Bristol")),
    ("FR", "fr", 0.12, ("Paris", "Lyon", "Marseille", "Bordeaux")),
    ("DE", "de", 0.10, ("Berlin", "Hamburg", "München")),
    ("ES", "es", 0.08, ("Madrid", "Barcelona", "Valencia")),
    ("IT", "it", 0.07, ("Milano", "Roma", "Napoli")),
    ("BR", "pt", 0.10, ("São Paulo", "Rio de Janeiro", "Belo Horizonte")),
    ("MX", "es", 0.05, ("Ciudad de México", "Guadalajara", "Monterrey")),
    ("NL", "nl", 0.04, ("Amsterdam", "Rotterdam", "Utrecht")),
    ("IN", "en", 0.05, ("Mumbai", "Bengaluru", "Delhi")),
    ("CA", "en", 0.04, ("Toronto", "Montréal", "Vancouver")),
)
# Countries that appear only among followers (foreign followers of a creator).
_EXTRA_MEMBER_COUNTRIES = (("BE", "fr"), ("CH", "de"), ("PT", "pt"), ("AR", "es"), ("AU", "en"), ("AT", "de"))
# Bot-farm countries (country of bots when set).
_BOT_COUNTRIES = (("IN", "en"), ("ID", "id"), ("BD", "bn"), ("PK", "ur"), ("VN", "vi"),
                  ("NG", "en"), ("EG", "ar"), ("RU", "ru"), ("TR", "tr"), ("PH", "en"))

_FIRST_NAMES = {
    "en": ("lina", "jake", "emma", "noah", "olivia", "liam", "ava", "mason", "chloe", "ethan", "maya", "ryan"),
    "fr": ("lina", "hugo", "camille", "louis", "chloe", "arthur", "manon", "jules", "lea", "theo", "ines", "paul"),
    "de": ("mia", "lukas", "hannah", "finn", "lena", "jonas", "emma", "leon", "sophie", "paul", "marie", "felix"),
    "es": ("lucia", "hugo", "sofia", "mateo", "martina", "pablo", "valeria", "diego", "paula", "alvaro", "elena",
           "leo"),
    "it": ("giulia", "marco", "sofia", "luca", "aurora", "matteo", "chiara", "andrea", "sara", "davide", "alice",
           "paolo"),
    "pt": ("ana", "joao", "beatriz", "pedro", "julia", "lucas", "larissa", "gabriel", "bruna", "rafael", "camila",
           "thiago"),
    "nl": ("sanne", "daan", "lotte", "sem", "fleur", "lucas", "emma", "milan", "anouk", "bram", "julia", "thijs"),
}
_LAST_NAMES = {
    "en": ("Carter", "Brooks", "Patel", "Nguyen", "Walker", "Reed", "Hughes", "Bennett"),
    "fr": ("Martin", "Bernard", "Dubois", "Moreau", "Laurent", "Girard", "Roux", "Fontaine"),
    "de": ("Müller", "Schmidt", "Weber", "Wagner", "Becker", "Hoffmann", "Koch", "Richter"),
    "es": ("García", "Martínez", "López", "Sánchez", "Romero", "Navarro", "Torres", "Ruiz"),
    "it": ("Rossi", "Russo", "Ferrari", "Esposito", "Bianchi", "Romano", "Colombo", "Ricci"),
    "pt": ("Silva", "Santos", "Oliveira", "Souza", "Costa", "Pereira", "Almeida", "Lima"),
    "nl": ("de Jong", "Jansen", "de Vries", "Bakker", "Visser", "Smit", "Meijer", "Mulder"),
}
_PHRASES = {
    "en": ("New post", "Quick one today", "Weekend vibes", "Can't believe this", "Story time", "Back at it"),
    "fr": ("Nouveau post", "Petit moment du jour", "Ambiance week-end", "Je n'en reviens pas", "On en parle ?",
           "De retour"),
    "de": ("Neuer Post", "Kurz und knapp", "Wochenend-Stimmung", "Unglaublich", "Kleine Geschichte", "Wieder da"),
    "es": ("Nuevo post", "Algo rápido hoy", "Vibras de finde", "No me lo creo", "Hora de contar", "De vuelta"),
    "it": ("Nuovo post", "Una cosa veloce", "Mood weekend", "Incredibile", "Vi racconto", "Di nuovo qui"),
    "pt": ("Post novo", "Rapidinho hoje", "Clima de fim de semana", "Não acredito", "Hora da história", "De volta"),
    "nl": ("Nieuwe post", "Even snel", "Weekendgevoel", "Niet te geloven", "Verhaaltje", "Weer terug"),
}
_EMOJI = ("✨", "🔥", "🙌", "💫", "😍", "👀", "🎉", "💪", "🌿", "📸")

TIERS = ("nano", "micro", "mid", "macro", "mega")
_TIER_BOUNDS = (10_000, 100_000, 500_000, 1_000_000)

# Benchmarks per platform, per tier (nano, micro, mid, macro, mega).
# Median likes per post / followers.
ENGAGEMENT_RATE = {
    "instagram": (0.050, 0.030, 0.020, 0.015, 0.010),
    "tiktok": (0.090, 0.070, 0.055, 0.045, 0.035),
    "youtube": (0.035, 0.025, 0.018, 0.012, 0.008),
    "twitter": (0.020, 0.010, 0.006, 0.004, 0.0025),
    "facebook": (0.025, 0.012, 0.008, 0.005, 0.003),
}
# Median views per video post / followers (posts of a kind that reports views).
VIEW_RATE = {
    "instagram": (0.90, 0.60, 0.45, 0.35, 0.30),
    "tiktok": (1.50, 1.00, 0.70, 0.55, 0.40),
    "youtube": (0.60, 0.40, 0.28, 0.20, 0.15),
    "twitter": (0.0,) * 5,
    "facebook": (0.30, 0.20, 0.15, 0.10, 0.08),
}
# Median comments / likes.
COMMENT_RATIO = {"instagram": 0.03, "tiktok": 0.02, "youtube": 0.045, "twitter": 0.05, "facebook": 0.045}
_SHARE_RATIO = {"tiktok": 0.06, "twitter": 0.20, "facebook": 0.10}
_SAVE_RATIO = {"instagram": 0.04, "tiktok": 0.05}
# (kind, probability, reports views)
_KINDS = {
    "instagram": (("photo", 0.45, False), ("reel", 0.45, True), ("video", 0.10, True)),
    "tiktok": (("video", 1.0, True),),
    "youtube": (("video", 0.65, True), ("short", 0.35, True)),
    "twitter": (("text", 0.65, False), ("photo", 0.25, False), ("video", 0.10, False)),
    "facebook": (("photo", 0.45, False), ("video", 0.25, True), ("text", 0.30, False)),
}
_KIND_CDF = {p: np.cumsum([k[1] for k in v]) / sum(k[1] for k in v) for p, v in _KINDS.items()}
_KIND_VIEWS = {p: np.asarray([k[2] for k in v]) for p, v in _KINDS.items()}
_KIND_VIEW_MULT = {p: np.asarray([1.3 if k[0] == "short" else 1.0 for k in v]) for p, v in _KINDS.items()}
# Per-post log-normal sigmas: views, likes per view, likes per follower, comments, shares, saves.
_POST_SIGMA = np.asarray([0.45, 0.2, 0.35, 0.35, 0.4, 0.4])[:, None]
# Uniforms -> phrase, emoji, extra hashtags (0-2), brand number - 1.
_TEXT_SCALE = np.asarray([6, 10, 3, 39], dtype=float)[:, None]
# Posting hour (UTC) weights.
_HOUR_W = np.asarray((1, 1, 1, 1, 1, 1, 2, 3, 4, 4, 4, 5, 6, 6, 5, 5, 6, 8, 9, 9, 8, 6, 3, 2), dtype=float)
_HOUR_CDF = np.cumsum(_HOUR_W) / _HOUR_W.sum()
# Organic daily follower growth (log scale) per tier.
_GROWTH = (0.0015, 0.0009, 0.0006, 0.0004, 0.00025)
_VERIFIED_P = (0.01, 0.05, 0.30, 0.60, 0.85)
_SPONSORED_P = (0.05, 0.10, 0.15, 0.15, 0.12)
_AGE_RANGES = ("13-17", "18-24", "25-34", "35-44", "45-54", "55-64", "65+")
_AGE_BY_PLATFORM = (
    (0.06, 0.30, 0.33, 0.17, 0.08, 0.04, 0.02),  # instagram
    (0.20, 0.38, 0.25, 0.10, 0.05, 0.015, 0.005),  # tiktok
    (0.08, 0.25, 0.28, 0.18, 0.11, 0.06, 0.04),  # youtube
    (0.03, 0.20, 0.32, 0.20, 0.13, 0.08, 0.04),  # twitter
    (0.02, 0.10, 0.22, 0.22, 0.20, 0.14, 0.10),  # facebook
)
_GENDERS = ("female", "male", "other")

# The planted patterns, for the scoring engineer (also asserted by the tests).
FRAUD_PARAMETERS = {
    "organic_bot_share": (0.01, 0.08),
    "bought_followers": {
        "bot_share": (0.25, 0.70),  # planted_fake_share; sample bots ~ Binomial(n, share)
        "jump": (0.10, 0.40),  # one- or two-day step, as a share of pre-jump followers
        "jump_days": (1, 2),
        "purge_after_jump": (0.0, 0.10),  # share of the bought followers lost afterwards
        "engagement": "likes track the real (non-bought) followers only",
    },
    "bought_likes": {"likes_factor": (3.0, 10.0), "recent_posts_share": (0.6, 0.9)},
    "comment_pod": {
        "pod_size": (5, 12),
        "comments_factor": (4.0, 10.0),
        "posts_share": (0.7, 1.0),
        "edge_density": 0.9,  # each ordered pair has a `comments` edge with this probability
        "edge_weight": (8, 40),
    },
    "follow_churn": {
        "amplitude": "1-3x base following, at least +800, peak <= 7,500",
        "period_days": (6.0, 14.0),
        "unfollow_days_share": (0.2, 0.35),
        "follow_back": (0.03, 0.10),
    },
    "growth_spike": "always together with bought_followers (the visible jump)",
    "honest": {
        "share_of_non_fraud": 0.16,
        "viral_growth": {"post_factor": (8.0, 30.0), "follower_step": (0.10, 0.40), "step_days": (2, 4)},
        "giveaway": {"comments_factor": (20.0, 60.0), "likes_factor": (1.5, 3.0), "follower_step": (0.01, 0.04)},
        "lurker_audience": {"inactive_share": (0.40, 0.60), "er_factor": 0.6},
        "mass_follower_real": {"mass_share": (0.30, 0.55), "er_factor": 0.85},
    },
    "organic_noise": {
        "viral_post_p": 0.02, "viral_post_factor": (3.0, 8.0),
        "featured_bump_p": 0.03, "featured_bump": (0.03, 0.08),
        "following_cleanup_p": 0.02, "following_cleanup_drop": (0.3, 0.6),
    },
}

_HONEST_SHARE = 0.16
_MIN_POOL = 2000
_POOL_PER_CREATOR = 45
_MIN_BOT_POOL = 2000
_BOT_POOL_PER_CREATOR = 10
_CLS_REAL, _CLS_MASS, _CLS_INACTIVE, _CLS_BOT = 0, 1, 2, 3

_ENCODER = msgspec.json.Encoder()


def tier_of(followers: int) -> str:
    for name, bound in zip(TIERS, _TIER_BOUNDS):
        if followers < bound:
            return name
    return TIERS[-1]


def _tier_index(followers: int) -> int:
    for i, bound in enumerate(_TIER_BOUNDS):
        if followers < bound:
            return i
    return len(_TIER_BOUNDS)


# --------------------------------------------------------------------------------------
# Helpers
# --------------------------------------------------------------------------------------

def _mix64(x: np.ndarray) -> np.ndarray:
    """splitmix64 finaliser: a bijection on uint64 (distinct inputs -> distinct ids)."""
    z = x.astype(np.uint64) + np.uint64(0x9E3779B97F4A7C15)
    z = (z ^ (z >> np.uint64(30))) * np.uint64(0xBF58476D1CE4E5B9)
    z = (z ^ (z >> np.uint64(27))) * np.uint64(0x94D049BB133111EB)
    return z ^ (z >> np.uint64(31))


_SALTS: dict[tuple[int, int], np.uint64] = {}


def _salt(seed: int, stream: int) -> np.uint64:
    key = (seed, stream)
    v = _SALTS.get(key)
    if v is None:
        v = _SALTS[key] = np.uint64(int(np.random.default_rng([seed, 99, stream]).integers(0, 2**63)))
    return v


def _shortcodes(values: np.ndarray) -> list[str]:
    """Instagram/YouTube-like 11-character ids, one per distinct uint64 (a bijection)."""
    raw = np.zeros((len(values), 9), dtype=np.uint8)
    raw[:, :8] = values.astype("<u8").view(np.uint8).reshape(-1, 8)
    text = base64.urlsafe_b64encode(raw.tobytes()).decode()
    return [text[k:k + 11] for k in range(0, len(text), 12)]


def _rng(seed: int, *stream: int) -> np.random.Generator:
    return np.random.default_rng([seed, *stream])


def _choice_index(rng: np.random.Generator, weights, size=None):
    """Indices drawn with probabilities proportional to ``weights``."""
    cdf = np.cumsum(np.asarray(weights, dtype=float))
    if size is None:
        return min(int(np.searchsorted(cdf, rng.random() * cdf[-1], side="right")), len(cdf) - 1)
    out = np.searchsorted(cdf, rng.random(size) * cdf[-1], side="right")
    return np.minimum(out, len(cdf) - 1)


class _Dates:
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


# --------------------------------------------------------------------------------------
# Plan: creator-level decisions (cheap, all creators in memory)
# --------------------------------------------------------------------------------------


@dataclass(slots=True)
class _Creator:
    idx: int
    platform_i: int
    niche_i: int
    country_i: int
    handle: str
    display_name: str
    followers: int  # final (= last snapshot)
    following: int  # final
    posts_count: int  # final
    tier: int
    fraud_types: list[str]
    honest: str | None
    fake_share: float
    # organic parameters
    er_mult: float
    cr_mult: float
    growth: float
    mass_share: float
    inactive_share: float
    local_p: float
    base_following: int
    joined_days_ago: int
    verified: bool
    contact: int  # bit 1 email, bit 2 website, bit 4 avatar
    second_niche: int  # -1 for none
    pod: int  # -1 for none
    # follow churn (deterministic oscillation, so the final following is known up front)
    churn_period: float = 0.0
    churn_phase: float = 0.0
    churn_amp: float = 0.0
    churn_up: float = 0.0

    @property
    def platform(self) -> str:
        return PLATFORMS[self.platform_i]

    @property
    def niche(self) -> str:
        return NICHES[self.niche_i]

    @property
    def country(self) -> str:
        return COUNTRIES[self.country_i][0]

    @property
    def language(self) -> str:
        return COUNTRIES[self.country_i][1]


def _churn_osc(t: np.ndarray, c: _Creator) -> np.ndarray:
    x = np.mod(t + c.churn_phase, c.churn_period) / c.churn_period
    up = x < c.churn_up
    return np.where(up, c.churn_amp * x / c.churn_up, c.churn_amp * (1.0 - (x - c.churn_up) / (1.0 - c.churn_up)))


@dataclass
class _Plan:
    config: DemoConfig
    creators: list[_Creator]
    cells: list[tuple[int, int, list[int]]]  # (platform_i, niche_i, creator indices)
    # edges: (platform_i, source_idx, target_idx, kind, weight, day_offset)
    edges: list[tuple[int, int, int, str, int, int]]
    mentions: dict[int, list[tuple[int, int]]]  # source -> [(target, posts mentioning)]


def _split_pods(total: int) -> list[int]:
    if total < 5:
        return []
    k_min = math.ceil(total / 12)
    k_max = total // 5
    k = min(max(round(total / 8), k_min), k_max)
    base, extra = divmod(total, k)
    return [base + (1 if i < extra else 0) for i in range(k)]


def _plan(config: DemoConfig) -> _Plan:
    n = int(config.creators)
    if n < 0:
        raise ValueError("creators must be >= 0")
    if config.days < 1:
        raise ValueError("days must be >= 1")
    rng = _rng(config.seed, 0)
    plat = _choice_index(rng, PLATFORM_WEIGHTS, n)
    niche = _choice_index(rng, NICHE_WEIGHTS, n)
    country = _choice_index(rng, [c[2] for c in COUNTRIES], n)
    logf = rng.normal(4.2, 0.8, n) + np.asarray(_PLATFORM_LOGF_SHIFT)[plat]

    # ---- who is fraudulent, and how
    perm = rng.permutation(n)
    n_fraud = min(n, max(0, int(round(config.fraud_share * n))))
    fraud_idx = [int(i) for i in perm[:n_fraud]]
    rest = [int(i) for i in perm[n_fraud:]]
    types: dict[int, list[str]] = {}
    pod_of = np.full(n, -1, dtype=np.int64)

    pod_total = int(round(n_fraud / 4))
    if pod_total < 5:
        pod_total = 5 if n_fraud >= 10 else 0
    pod_sizes = _split_pods(pod_total)
    pos = 0
    for p, size in enumerate(pod_sizes):
        members = fraud_idx[pos:pos + size]
        pos += size
        p_plat = 0 if rng.random() < 0.7 else 1  # instagram or tiktok
        p_niche = int(_choice_index(rng, NICHE_WEIGHTS))
        p_country = int(country[members[0]])
        for m in members:
            plat[m] = p_plat
            niche[m] = p_niche
            if rng.random() < 0.7:
                country[m] = p_country
            logf[m] = rng.normal(4.1, 0.45)
            pod_of[m] = p
            types[m] = ["comment_pod"]
    others = ("bought_followers", "bought_likes", "follow_churn")
    for k, m in enumerate(fraud_idx[pos:]):
        types[m] = [others[k % 3]]
    secondary = {
        "bought_followers": ("bought_likes", "follow_churn"),
        "bought_likes": ("bought_followers",),
        "follow_churn": ("bought_followers",),
        "comment_pod": ("follow_churn",),
    }
    for m in fraud_idx:
        primary = types[m][0]
        if rng.random() < 0.2:
            opts = secondary[primary]
            types[m].append(opts[int(rng.integers(0, len(opts)))])
    for m in fraud_idx:
        if "bought_followers" in types[m]:
            types[m].append("growth_spike")
        types[m] = [t for t in FRAUD_TYPES if t in types[m]]  # canonical order

    n_honest = int(round(_HONEST_SHARE * len(rest)))
    honest: dict[int, str] = {}
    for k, m in enumerate(rest[:n_honest]):
        honest[m] = HONEST_NEGATIVES[k % len(HONEST_NEGATIVES)]

    # ---- per-creator parameters (vectorised draws, then picked)
    followers = np.clip(np.rint(10.0 ** logf), 1000, 80_000_000).astype(np.int64)
    er_mult = rng.lognormal(0.0, 0.3, n)
    cr_mult = rng.lognormal(0.0, 0.3, n)
    growth_mult = rng.lognormal(0.0, 0.5, n)
    declining = rng.random(n) < 0.1
    b0 = rng.uniform(0.01, 0.08, n)
    s_bought = rng.uniform(0.25, 0.70, n)
    mass = rng.uniform(0.05, 0.14, n)
    inactive = rng.uniform(0.08, 0.20, n)
    mass_h = rng.uniform(0.30, 0.55, n)
    inactive_h = rng.uniform(0.40, 0.60, n)
    local_p = rng.uniform(0.60, 0.85, n)
    local_p_en = rng.uniform(0.45, 0.70, n)
    base_following = np.clip(np.rint(rng.lognormal(math.log(600), 0.7, n)), 20, 7000).astype(np.int64)
    heavy_following = rng.random(n) < 0.05
    heavy_value = rng.integers(2000, 6500, n)
    join_u = rng.random(n)
    hist_posts = rng.lognormal(math.log(350), 0.8, n)
    verified_u = rng.random(n)
    contact_u = rng.random((n, 3))
    second_u = rng.random(n)
    second_niche = _choice_index(rng, NICHE_WEIGHTS, n)
    name_u = rng.integers(0, 1 << 30, (n, 4))
    churn_period = rng.uniform(6.0, 14.0, n)
    churn_phase = rng.uniform(0.0, 14.0, n)
    churn_amp_mult = rng.uniform(1.0, 3.0, n)
    churn_up = rng.uniform(0.65, 0.80, n)

    # Python lists: element access on numpy arrays is slow.
    (plat, niche, country, followers, er_mult, cr_mult, growth_mult, declining, b0, s_bought, mass,
     inactive, mass_h, inactive_h, local_p, local_p_en, base_following, heavy_following, heavy_value,
     join_u, hist_posts, verified_u, contact_u, second_u, second_niche, name_u, churn_period, churn_phase,
     churn_amp_mult, churn_up, pod_of) = (
        a.tolist() for a in (
            plat, niche, country, followers, er_mult, cr_mult, growth_mult, declining, b0, s_bought, mass,
            inactive, mass_h, inactive_h, local_p, local_p_en, base_following, heavy_following, heavy_value,
            join_u, hist_posts, verified_u, contact_u, second_u, second_niche, name_u, churn_period,
            churn_phase, churn_amp_mult, churn_up, pod_of))
    creators: list[_Creator] = []
    t_last = np.array([config.days - 1], dtype=float)
    for i in range(n):
        pi, ni, ci = int(plat[i]), int(niche[i]), int(country[i])
        lang = COUNTRIES[ci][1]
        f = int(followers[i])
        tier = _tier_index(f)
        ftypes = types.get(i, [])
        hn = honest.get(i)
        nu = name_u[i]
        first = _FIRST_NAMES[lang][nu[0] % len(_FIRST_NAMES[lang])]
        last = _LAST_NAMES[lang][nu[1] % len(_LAST_NAMES[lang])]
        word = _NICHE_WORDS[NICHES[ni]][nu[2] % 4]
        pattern = nu[3] % 3
        if pattern == 0:
            handle = f"{word}.{first}.{i:03d}"
        elif pattern == 1:
            handle = f"{first}.{word}.{i:03d}"
        else:
            handle = f"{first}_{word}{i:03d}"
        gm = float(growth_mult[i]) * (-0.3 if declining[i] else 1.0)
        fake = float(s_bought[i]) if "bought_followers" in ftypes else float(b0[i])
        bf = int(heavy_value[i]) if heavy_following[i] else int(base_following[i])
        if tier >= 3:
            bf = max(20, bf // 2)
        max_days = int(_PLATFORM_MAX_YEARS[pi] * 365)
        joined = int(540 + join_u[i] * (max_days - 540))
        posts_final = int(max(hist_posts[i] * (0.3 + joined / 1825.0), 0)) + config.posts_per_creator
        c = _Creator(
            idx=i, platform_i=pi, niche_i=ni, country_i=ci, handle=handle,
            display_name=f"{first.capitalize()} {last}" if nu[3] % 5 else first.capitalize(),
            followers=f, following=bf, posts_count=posts_final, tier=tier,
            fraud_types=list(ftypes), honest=hn, fake_share=fake,
            er_mult=float(er_mult[i]), cr_mult=float(cr_mult[i]),
            growth=_GROWTH[tier] * gm,
            mass_share=float(mass_h[i] if hn == "mass_follower_real" else mass[i]),
            inactive_share=float(inactive_h[i] if hn == "lurker_audience" else inactive[i]),
            local_p=float(local_p_en[i] if lang == "en" else local_p[i]),
            base_following=bf, joined_days_ago=joined,
            verified=bool(verified_u[i] < _VERIFIED_P[tier]),
            contact=(1 if contact_u[i][0] < 0.5 else 0) | (2 if contact_u[i][1] < 0.3 else 0)
            | (4 if contact_u[i][2] < 0.97 else 0),
            second_niche=int(second_niche[i]) if second_u[i] < 0.25 and second_niche[i] != ni else -1,
            pod=int(pod_of[i]),
        )
        if "follow_churn" in ftypes:
            c.churn_period = float(churn_period[i])
            c.churn_phase = float(churn_phase[i])
            c.churn_amp = float(min(max(churn_amp_mult[i] * bf, 800.0), 7500.0 - bf)) if bf < 6700 else 800.0
            c.churn_up = float(churn_up[i])
            c.following = int(round(bf + float(_churn_osc(t_last, c)[0])))
        creators.append(c)

    # ---- cells and edges
    by_cell: dict[tuple[int, int], list[int]] = {}
    for c in creators:
        by_cell.setdefault((c.platform_i, c.niche_i), []).append(c.idx)
    cells = [(p, q, by_cell[(p, q)]) for (p, q) in sorted(by_cell)]
    edges, mentions = _plan_edges(config, creators, cells)
    return _Plan(config=config, creators=creators, cells=cells, edges=edges, mentions=mentions)


def _plan_edges(config: DemoConfig, creators: list[_Creator], cells):
    rng = _rng(config.seed, 1)
    days = config.days
    P = config.posts_per_creator
    edge_map: dict[tuple[int, int, str], list[int]] = {}  # insertion ordered
    mentions: dict[int, list[tuple[int, int]]] = {}

    def add(p, s, t, kind, w, day):
        key = (s, t, kind)
        cur = edge_map.get(key)
        if cur is None:
            edge_map[key] = [p, w, day]
        else:
            cur[1] += w

    kinds = ("follows", "mentions", "comments", "collaborates")
    for p, _q, idxs in cells:
        m = len(idxs)
        if m < 2:
            continue
        w = np.sqrt(np.asarray([creators[i].followers for i in idxs], dtype=float))
        cdf = np.cumsum(w)
        cdf /= cdf[-1]
        # Out-degree per creator and kind (targets popularity-weighted: hubs get more).
        counts = np.minimum(np.stack([
            rng.poisson(4.0, m), rng.poisson(1.5, m), rng.poisson(0.7, m), (rng.random(m) < 0.15).astype(np.int64),
        ]), m - 1)
        over = np.where(counts > 0, 3 * counts + 4, 0)
        draws = np.minimum(np.searchsorted(cdf, rng.random(int(over.sum())), side="right"), m - 1).tolist()
        extra = rng.random((3, int(counts.sum()))).tolist()  # day, weight, spare
        at = 0
        e = 0
        counts_l, over_l = counts.tolist(), over.tolist()
        for k in range(m):
            src = idxs[k]
            for kk, kind in enumerate(kinds):
                count = counts_l[kk][k]
                if count == 0:
                    continue
                seen: list[int] = []
                for d in draws[at:at + over_l[kk][k]]:
                    if d != k and d not in seen:
                        seen.append(d)
                        if len(seen) == count:
                            break
                at += over_l[kk][k]
                for d in seen:
                    tgt = idxs[d]
                    day = int(extra[0][e] * days)
                    u = extra[1][e]
                    e += 1
                    if kind == "mentions":
                        if P == 0:
                            continue
                        wgt = min(1 + int(u * 4), P)  # posts that mention the target
                        mentions.setdefault(src, []).append((tgt, wgt))
                    elif kind == "comments":
                        wgt = 1 + int(u * 5)
                    elif kind == "collaborates":
                        wgt = 1 + int(u * 2)
                    else:
                        wgt = 1
                    add(p, src, tgt, kind, wgt, day)
    # Comment pods: dense reciprocal comments (and mostly mutual follows).
    pods: dict[int, list[int]] = {}
    for c in creators:
        if c.pod >= 0:
            pods.setdefault(c.pod, []).append(c.idx)
    for pod in sorted(pods):
        members = pods[pod]
        for a in members:
            for b in members:
                if a == b:
                    continue
                p = creators[a].platform_i
                if rng.random() < FRAUD_PARAMETERS["comment_pod"]["edge_density"]:
                    add(p, a, b, "comments", int(rng.integers(8, 41)), int(rng.integers(0, days)))
                if rng.random() < 0.6:
                    add(p, a, b, "follows", 1, int(rng.integers(0, days)))
    edges = [(v[0], s, t, kind, v[1], v[2]) for (s, t, kind), v in edge_map.items()]
    return edges, mentions


# --------------------------------------------------------------------------------------
# Follower pools
# --------------------------------------------------------------------------------------


class _Member(msgspec.Struct, omit_defaults=True):
    """An audience member, fields in the import format's order (None = field omitted)."""

    id: str
    followers: int
    following: int
    posts_count: int
    has_avatar: bool
    bio_length: int
    created_at: str
    last_post_at: str | None = None
    country: str | None = None
    language: str | None = None
    gender: str | None = None
    age_range: str | None = None


class _Pool:
    """Audience members of one (platform, niche), or one platform's bot farm.

    Members are stored sorted by (class, country), so every sampling group (a class,
    or a class and a country) is a contiguous range of one cumulative popularity array
    and a whole audience sample needs a single ``searchsorted``.
    """

    def __init__(self, dates: _Dates, ids: np.ndarray, cls: np.ndarray, country: list, language: list,
                 gender: np.ndarray, age: np.ndarray, followers: np.ndarray, following: np.ndarray,
                 posts: np.ndarray, avatar: np.ndarray, bio: np.ndarray, created: np.ndarray,
                 last_post: np.ndarray, pop: np.ndarray):
        country_arr = np.asarray([c or "" for c in country])
        order = np.lexsort((country_arr, cls))
        ol = order.tolist()
        self.n = len(ids)
        self.cls = cls[order]
        country = [country[k] for k in ol]
        language = [language[k] for k in ol]
        self._columns = (dates, ids[order], country, language, gender[order], age[order], followers[order],
                         following[order], posts[order], avatar[order], bio[order], created[order],
                         last_post[order])
        self._lists: tuple = ()
        self._frags: list[bytes | None] | None = None
        self.cum = np.cumsum(pop[order])
        # (class, country or None) -> (first index, end index, cumulative low, cumulative high)
        self.segments: dict[tuple[int, str | None], tuple[int, int, float, float]] = {}
        country_arr = country_arr[order]
        cls_s = self.cls
        cum = self.cum

        def seg(a: int, b: int) -> tuple[int, int, float, float]:
            return (a, b, float(cum[a - 1]) if a else 0.0, float(cum[b - 1]))

        bounds = np.flatnonzero(np.diff(cls_s)) + 1
        starts = [0] + bounds.tolist()
        ends = bounds.tolist() + [self.n]
        for a, b in zip(starts, ends):
            if b <= a:
                continue
            k = int(cls_s[a])
            self.segments[(k, None)] = seg(a, b)
            cb = np.flatnonzero(country_arr[a + 1:b] != country_arr[a:b - 1]) + a + 1
            for ca, cz in zip([a] + cb.tolist(), cb.tolist() + [b]):
                if country_arr[ca]:
                    self.segments[(k, str(country_arr[ca]))] = seg(ca, cz)

    def _materialise(self) -> None:
        (dates, ids, country, language, gender, age, followers, following, posts,
         avatar, bio, created, last_post) = self._columns
        max_days = int(max(created.max(initial=0), last_post.max(initial=0)))
        date_of = [dates.ago(d) for d in range(max_days + 1)] + [None]  # index -1 -> None
        genders = list(_GENDERS) + [None]
        ages = list(_AGE_RANGES) + [None]
        self._lists = (
            [f"u-{i:016x}" for i in ids.tolist()], followers.tolist(), following.tolist(), posts.tolist(),
            avatar.tolist(), bio.tolist(), [date_of[d] for d in created.tolist()],
            [date_of[d] for d in last_post.tolist()], country, language,
            [genders[g] for g in gender.tolist()], [ages[a] for a in age.tolist()],
        )
        self._frags = [None] * self.n

    def _member(self, i: int) -> _Member:
        if self._frags is None:
            self._materialise()
        return _Member(*[col[i] for col in self._lists])

    def encode_all(self) -> None:
        """Encode every member now (faster than one by one when most will be sampled)."""
        if self._frags is None:
            self._materialise()
        encode = _ENCODER.encode
        self._frags = [encode(_Member(*row)) for row in zip(*self._lists)]

    def member(self, i: int) -> dict:
        """Member ``i`` as a record dict (a fresh dict each call)."""
        return msgspec.to_builtins(self._member(i))

    def fragments(self, indices: list[int]) -> list[bytes]:
        """Members as compact JSON (msgspec's encoding of :meth:`member`), cached."""
        if self._frags is None:
            self._materialise()
        frags = self._frags
        out = []
        for i in indices:
            f = frags[i]
            if f is None:
                f = frags[i] = _ENCODER.encode(self._member(i))
            out.append(f)
        return out

    def sample(self, rng: np.random.Generator, requests: list[tuple[int, str | None, int]]) -> list[int]:
        """Distinct members, popularity-weighted: ``need`` of each (class, country) request.

        A country group takes at most half its size; the rest comes from the whole class.
        """
        segs = []
        for cls, country, need in requests:
            if need <= 0:
                continue
            everyone = self.segments.get((cls, None))
            if everyone is None:
                continue
            sg = self.segments.get((cls, country)) if country is not None else None
            if sg is not None:
                local = min(need, (sg[1] - sg[0]) // 2)  # leave a small group room to be sampled
                if local:
                    segs.append((sg, local))
                need -= local
            if need:
                segs.append((everyone, need))
        if not segs:
            return []
        m = [2 * need + 6 for _, need in segs]
        table = np.array([(sg[2], sg[3] - sg[2], sg[0], sg[1] - 1) for sg, _ in segs]).repeat(m, axis=0).T
        pos = self.cum.searchsorted(table[0] + rng.random(table.shape[1]) * table[1], side="right")
        cand = pos.clip(table[2], table[3]).astype(np.int64).tolist()
        chosen: set[int] = set()
        out: list[int] = []
        at = 0
        for (sg, need), mk in zip(segs, m):
            want = len(out) + need
            for x in cand[at:at + mk]:
                if x not in chosen:
                    chosen.add(x)
                    out.append(x)
                    if len(out) == want:
                        break
            at += mk
            if len(out) < want:  # unlucky draws or a nearly exhausted group: fill uniformly
                for x in (sg[0] + rng.permutation(sg[1] - sg[0])).tolist():
                    if x not in chosen:
                        chosen.add(x)
                        out.append(x)
                        if len(out) == want:
                            break
        return out


def _demographics(rng, n, platform_i, niche_i, country_w):
    """Countries, languages, genders and age ranges of ``n`` people."""
    names = [c[0] for c in COUNTRIES] + [c[0] for c in _EXTRA_MEMBER_COUNTRIES]
    langs = [c[1] for c in COUNTRIES] + [c[1] for c in _EXTRA_MEMBER_COUNTRIES]
    ci = _choice_index(rng, country_w, n)
    english = rng.random(n) < 0.12
    country = [names[k] for k in ci.tolist()]
    language = [("en" if e else langs[k]) for k, e in zip(ci.tolist(), english.tolist())]
    fem = _NICHE_FEMALE[niche_i]
    gender = _choice_index(rng, (fem * 0.98, (1 - fem) * 0.98, 0.02), n)
    gender[rng.random(n) < 0.08] = -1
    age_w = np.asarray(_AGE_BY_PLATFORM[platform_i], dtype=float)
    if NICHES[niche_i] == "parenting":
        age_w = age_w * np.asarray((0.1, 0.5, 1.6, 1.8, 1.0, 0.6, 0.4))
    elif NICHES[niche_i] in ("gaming", "comedy"):
        age_w = age_w * np.asarray((1.6, 1.4, 1.0, 0.7, 0.5, 0.3, 0.2))
    elif NICHES[niche_i] == "finance":
        age_w = age_w * np.asarray((0.2, 0.8, 1.4, 1.4, 1.0, 0.8, 0.6))
    age = _choice_index(rng, age_w, n)
    age[rng.random(n) < 0.12] = -1
    return country, language, gender, age


def _member_pool(config: DemoConfig, dates: _Dates, platform_i: int, niche_i: int, size: int) -> _Pool:
    rng = _rng(config.seed, 3, platform_i, niche_i)
    n = size
    cls = _choice_index(rng, (0.6, 0.2, 0.2), n).astype(np.int8)
    country_w = [c[2] for c in COUNTRIES] + [0.012] * len(_EXTRA_MEMBER_COUNTRIES)
    country, language, gender, age = _demographics(rng, n, platform_i, niche_i, country_w)
    max_days = int(_PLATFORM_MAX_YEARS[platform_i] * 365)

    real, mass, inact = cls == _CLS_REAL, cls == _CLS_MASS, cls == _CLS_INACTIVE
    followers = np.where(real, rng.lognormal(math.log(250), 1.0, n),
                         np.where(mass, rng.lognormal(math.log(900), 0.9, n), rng.lognormal(math.log(60), 1.0, n)))
    followers = np.clip(np.rint(followers), 0, 100_000).astype(np.int64)
    following = np.where(
        real, np.clip(followers * rng.lognormal(0.15, 0.5, n) + rng.integers(20, 120, n), 5, 1450),
        np.where(mass, np.clip(rng.lognormal(math.log(3000), 0.4, n), 1501, 7500),
                 np.clip(rng.lognormal(math.log(150), 0.9, n), 1, 1400)))
    following = np.rint(following).astype(np.int64)
    posts = np.where(real, np.maximum(1, rng.lognormal(math.log(120), 1.0, n)),
                     np.where(mass, np.maximum(5, rng.lognormal(math.log(300), 0.9, n)),
                              np.where(rng.random(n) < 0.3, 0, np.maximum(1, rng.lognormal(math.log(12), 1.0, n)))))
    posts = np.rint(posts).astype(np.int64)
    avatar = np.where(real, rng.random(n) < 0.95, np.where(mass, rng.random(n) < 0.93, rng.random(n) < 0.6))
    bio_len = np.where(real, rng.lognormal(math.log(50), 0.6, n),
                       np.where(mass, rng.lognormal(math.log(70), 0.5, n), rng.lognormal(math.log(25), 0.7, n)))
    bio_zero = np.where(real, rng.random(n) < 0.15, np.where(mass, rng.random(n) < 0.10, rng.random(n) < 0.55))
    bio_len = np.where(bio_zero, 0, np.clip(np.rint(bio_len), 1, 150)).astype(np.int64)
    years = np.where(inact, rng.uniform(2.0, 13.0, n), np.where(mass, rng.uniform(1.5, 12.0, n), rng.uniform(1.0, 14.0,
                                                                                                             n)))
    created = np.rint(years * 365).astype(np.int64)
    young = real & (rng.random(n) < 0.03)  # genuine new users
    created = np.where(young, rng.integers(30, 365, n), created)
    created = np.minimum(created, max_days)
    recent = np.rint(rng.exponential(np.where(mass, 6.0, 8.0), n)).astype(np.int64)
    old = np.rint(rng.uniform(200.0, 2500.0, n)).astype(np.int64)
    last_post = np.where(inact, old, recent)
    last_post = np.minimum(last_post, created)
    last_post = np.where(posts > 0, last_post, -1)
    # Zipf-like popularity over a random rank.
    rank = rng.permutation(n).astype(float)
    pop = 1.0 / (rank + 10.0) ** 0.8
    serial = np.arange(n, dtype=np.uint64) | (np.uint64(platform_i + 1) << np.uint64(56)) | (
        np.uint64(niche_i + 1) << np.uint64(48))
    ids = _mix64(serial ^ _salt(config.seed, 1))
    return _Pool(dates, ids, cls, country, language, gender, age, followers, following, posts,
                 avatar, bio_len, created, last_post, pop)


def _bot_pool(config: DemoConfig, dates: _Dates, platform_i: int, size: int) -> _Pool:
    rng = _rng(config.seed, 4, platform_i)
    n = size
    better = rng.random(n) < 0.3
    avatar = np.where(better, rng.random(n) < 0.85, rng.random(n) < 0.12)
    bio_len = np.where(better, np.where(rng.random(n) < 0.4, 0, rng.integers(3, 41, n)),
                       np.where(rng.random(n) < 0.85, 0, rng.integers(1, 13, n)))
    posts = np.where(better, rng.integers(1, 16, n), np.where(rng.random(n) < 0.65, 0, rng.integers(1, 4, n)))
    followers = np.where(better, np.clip(rng.lognormal(math.log(40), 0.8, n), 5, 300),
                         np.clip(rng.lognormal(math.log(4), 1.0, n), 0, 40))
    following = np.where(better, np.clip(rng.lognormal(math.log(2500), 0.5, n), 600, 7500),
                         np.clip(rng.lognormal(math.log(1800), 0.6, n), 200, 7500))
    created = np.where(better, rng.integers(30, 541, n), rng.integers(1, 121, n))
    last_post = np.where(better & (rng.random(n) < 0.4), np.maximum(created - rng.integers(0, 11, n), 0), -1)
    cix = rng.integers(0, len(_BOT_COUNTRIES), n)
    has_country = rng.random(n) < 0.5
    country = [(_BOT_COUNTRIES[k][0] if h else None) for k, h in zip(cix.tolist(), has_country.tolist())]
    language = [(_BOT_COUNTRIES[k][1] if h else None) for k, h in zip(cix.tolist(), has_country.tolist())]
    gender = np.where(rng.random(n) < 0.25, rng.integers(0, 2, n), -1)
    age = np.where(rng.random(n) < 0.15, rng.integers(0, 7, n), -1)
    serial = np.arange(n, dtype=np.uint64) | (np.uint64(platform_i + 1) << np.uint64(56)) | (
        np.uint64(63) << np.uint64(48))
    ids = _mix64(serial ^ _salt(config.seed, 1))
    return _Pool(dates, ids, np.full(n, _CLS_BOT, dtype=np.int8), country, language, gender, age,
                 np.rint(followers).astype(np.int64), np.rint(following).astype(np.int64),
                 posts.astype(np.int64), avatar, bio_len.astype(np.int64), created.astype(np.int64),
                 last_post.astype(np.int64), np.ones(n))


# --------------------------------------------------------------------------------------
# Records
# --------------------------------------------------------------------------------------


def _creator_record(c: _Creator, config: DemoConfig, dates: _Dates) -> dict:
    niche = c.niche
    city = COUNTRIES[c.country_i][3][c.idx % len(COUNTRIES[c.country_i][3])]
    cats = [niche] if c.second_niche < 0 else [niche, NICHES[c.second_niche]]
    rec = {
        "type": "creator",
        "platform": c.platform,
        "handle": c.handle,
        "display_name": c.display_name,
        "bio": f"{_NICHE_BIO[niche]} · {city}",
        "country": c.country,
        "language": c.language,
        "categories": cats,
        "followers": c.followers,
        "following": c.following,
        "posts_count": c.posts_count,
        "verified": c.verified,
    }
    slug = c.handle.replace("_", ".")
    if c.contact & 1:
        rec["email"] = f"{slug}@example.com"
    if c.contact & 2:
        rec["website"] = f"https://{slug.replace('.', '-')}.example.org"
    if c.contact & 4:
        rec["avatar_url"] = f"https://cdn.example.net/{c.platform}/avatars/{c.idx:06d}.jpg"
    rec["joined_at"] = dates.ago(c.joined_days_ago)
    return rec


def _step(t: np.ndarray, day: int, weights: list[float]) -> np.ndarray:
    """0 before ``day``, rising to 1 over ``len(weights)`` days with those increments."""
    cum = np.cumsum(weights) / sum(weights)
    out = np.zeros(len(t))
    for k, v in enumerate(cum):
        out[t >= day + k] = v
    return out


class _CreatorBlock:
    """Posts, snapshots and the audience sample of one creator."""

    def __init__(self, plan: _Plan, c: _Creator, dates: _Dates, window: list[str] | None = None):
        self.plan = plan
        self.c = c
        self.cfg = cfg = plan.config
        self.dates = dates
        self.window = window if window is not None else dates.window(cfg.days)
        rng = self.rng = _rng(cfg.seed, 2, c.idx)
        D = cfg.days
        P = cfg.posts_per_creator
        t = np.arange(D, dtype=float)
        lo, hi = (max(1, D // 6), max(1, D - D // 6 - 2)) if D >= 8 else (0, max(0, D - 1))
        # ---- posts timing (sorted)
        u = rng.random((2, P))
        hour = np.minimum(_HOUR_CDF.searchsorted(u[0], side="right"), 23)
        stamp = np.sort((u[1] * D).astype(np.int64) * 86400 + hour * 3600 + (u[1] * D * 3600 % 3600).astype(np.int64))
        post_day, rest = np.divmod(stamp, 86400)
        hour, rest = np.divmod(rest, 3600)
        minute, second = np.divmod(rest, 60)
        self.post_day, self.hour, self.minute, self.second = post_day, hour, minute, second

        # ---- events
        ftypes = c.fraud_types
        self.viral_post = -1
        self.giveaway_post = -1
        log_step = np.zeros(D)
        mid_posts = np.flatnonzero((post_day >= lo) & (post_day <= hi)).tolist() if c.honest else []
        if c.honest == "viral_growth" and mid_posts:
            j = mid_posts[int(rng.integers(0, len(mid_posts)))]
            self.viral_post = j
            self.viral_factor = float(rng.uniform(8.0, 30.0))
            r = float(rng.uniform(0.10, 0.40))
            k = int(rng.integers(2, 5))
            log_step += math.log1p(r) * _step(t, int(post_day[j]), [0.5, 0.3, 0.15, 0.05][:k])
        if c.honest == "giveaway" and mid_posts:
            j = mid_posts[int(rng.integers(0, len(mid_posts)))]
            self.giveaway_post = j
            log_step += math.log1p(float(rng.uniform(0.01, 0.04))) * _step(t, int(post_day[j]), [0.6, 0.4])
        if not ftypes and c.honest is None and rng.random() < 0.03:  # featured by the platform
            log_step += math.log1p(float(rng.uniform(0.03, 0.08))) * _step(
                t, int(rng.integers(lo, hi + 1)), [0.5, 0.3, 0.2][: int(rng.integers(1, 4))])

        # ---- organic followers (anchored so the last day equals the organic total)
        F_T = float(c.followers)
        if "bought_followers" in ftypes:
            B_T = (c.fake_share - 0.03) / (1 - 0.03) * F_T  # bots beyond an organic baseline
            j = float(rng.uniform(0.10, 0.40))
            J = min(j * F_T / (1 + j), 0.95 * B_T)
            purge = float(rng.uniform(0.0, 0.10))
            jump_day = int(rng.integers(lo, hi + 1))
            jd = int(rng.integers(1, 3))
            B0 = B_T - J * (1 - purge)
            steps = [1.0] if jd == 1 else [float(rng.uniform(0.6, 0.9)), 0.0]
            if jd == 2:
                steps[1] = 1.0 - steps[0]
            B = B0 + J * _step(t, jump_day, steps)
            after = np.clip((t - jump_day - jd + 1) / max(1.0, D - 1 - (jump_day + jd - 1)), 0.0, 1.0)
            B = B - purge * J * after
            self.jump_day = jump_day
        else:
            B = np.zeros(D)
        O_T = F_T - float(B[-1])
        sigma = 0.0004 + 0.3 / math.sqrt(max(O_T, 1000.0))
        eps = rng.normal(0.0, sigma, D)
        eps = 0.7 * eps + 0.3 * np.concatenate(([0.0], eps[:-1]))
        logO = np.cumsum(c.growth + eps) + log_step
        O = O_T * np.exp(logO - logO[-1])  # noqa: E741  (O: organic followers, beside B: bought, F: total)
        # ---- following
        steps_f = np.rint(rng.normal(0.0, 0.002 * c.base_following + 0.6, D))
        S = np.cumsum(steps_f)
        following = c.following + (S - S[-1])
        if not ftypes and rng.random() < 0.02:  # organic one-off clean-up: unfollows 30-60% at once
            drop = float(rng.uniform(0.3, 0.6))
            following = following + np.where(t < int(rng.integers(lo, hi + 1)), c.following * drop / (1 - drop), 0.0)
        if "follow_churn" in ftypes:
            osc = _churn_osc(t, c)
            following = following + osc - osc[-1]
            fb = float(rng.uniform(0.03, 0.10))
            d_osc = np.diff(osc, prepend=osc[0])
            gains = np.where(d_osc > 0, fb * d_osc, 0.4 * fb * d_osc)
            FB = np.cumsum(gains)
            span = FB[-1] - FB.min()
            if span > 0.25 * O_T:
                FB *= 0.25 * O_T / span
            O = np.maximum(O + (FB - FB[-1]), 0.3 * O_T)  # noqa: E741
        self.O = O
        F = np.rint(O + B).astype(np.int64)
        F[-1] = c.followers
        self.F = F
        self.following = np.maximum(np.rint(following), 0).astype(np.int64)
        self.following[-1] = c.following
        after_day = np.searchsorted(post_day, t, side="right")  # posts published up to each day
        self.posts_count = (c.posts_count - P + after_day).astype(np.int64)

    # ---------------------------------------------------------------- posts
    def posts(self) -> Iterator[dict]:
        c, cfg, rng = self.c, self.cfg, self.rng
        P = cfg.posts_per_creator
        if P == 0:
            return
        D = cfg.days
        platform = c.platform
        tier = c.tier
        kinds = _KINDS[platform]
        z = rng.standard_normal((6, P))
        u = rng.random((9, P))
        kind_i = np.minimum(np.searchsorted(_KIND_CDF[platform], u[0], side="right"), len(kinds) - 1)
        kind_list = kind_i.tolist()
        has_views = _KIND_VIEWS[platform][kind_i]
        er = ENGAGEMENT_RATE[platform][tier] * c.er_mult
        vr = VIEW_RATE[platform][tier] * c.er_mult
        base = self.O[self.post_day]  # real followers reached (bought followers never engage)
        if c.honest == "lurker_audience":  # inactive followers neither view nor like
            base = base * 0.6
        elif c.honest == "mass_follower_real":
            base = base * 0.85
        age_h = (D - 1 - self.post_day) * 24.0 + (24.0 - self.hour - self.minute / 60.0)
        reach = base * (1.0 - np.exp(age_h / -20.0))  # young posts are still collecting engagement
        noise = np.exp(z * _POST_SIGMA)  # log-normal noise, one row per metric
        # rows: likes, comments, views, shares, saves
        M = np.empty((5, P))
        M[2] = reach * (vr * _KIND_VIEW_MULT[platform][kind_i]) * noise[0]
        M[0] = np.where(has_views, M[2] * ((er / max(vr, 1e-9)) * noise[1]), reach * (er * noise[2]))
        coef = np.array([COMMENT_RATIO[platform] * c.cr_mult, _SHARE_RATIO.get(platform, 0.0),
                         _SAVE_RATIO.get(platform, 0.0)])
        M[[1, 3, 4]] = M[0] * (coef[:, None] * noise[3:6])
        # organic viral posts (and the honest viral_growth post)
        viral = u[1] < 0.02
        if self.viral_post >= 0 or viral.any():
            vf = np.where(viral, 3.0 + 5.0 * u[2], 1.0)
            if self.viral_post >= 0:
                vf[self.viral_post] = self.viral_factor
            boosted = vf > 1
            M *= np.stack((vf, np.sqrt(vf) * np.where(boosted, 1.3, 1.0), vf, vf * np.where(boosted, 1.5, 1.0), vf))
        if self.giveaway_post >= 0:
            g = self.giveaway_post
            M[1, g] *= rng.uniform(20.0, 60.0)
            M[0, g] *= rng.uniform(1.5, 3.0)
            M[3, g] *= 3.0
        if "bought_likes" in c.fraud_types:
            k = max(3, int(math.ceil(rng.uniform(0.6, 0.9) * P)))
            boost = rng.uniform(3.0, 10.0) * (0.8 + 0.45 * u[7])
            boost[: max(0, P - k)] = 1.0
            M[0] *= boost
        if "comment_pod" in c.fraud_types:
            chosen = u[8] < rng.uniform(0.7, 1.0)
            M[1] *= np.where(chosen, rng.uniform(4.0, 10.0) * (0.8 + 0.45 * u[7]), 1.0)
        # Poisson counts; for large expectations the rounded value is as good and much cheaper.
        counts = np.rint(M).astype(np.int64)
        small = M < 50.0
        if small.any():
            counts[small] = rng.poisson(M[small])
        counts[2] = np.maximum(counts[2], counts[0])  # nobody likes without viewing
        li, ci, vi, si, sv = counts.tolist()
        spons = (u[3] < _SPONSORED_P[tier]).tolist()
        phrase_l, emoji_l, ntags_l, brand_l = (u[4:8] * _TEXT_SCALE).astype(np.int64).tolist()
        tag_u = rng.random((P, 7))
        # mentions of other creators, matching the `mentions` edges' weights
        post_mentions: list[list[str]] = [[] for _ in range(P)]
        for tgt, w in self.plan.mentions.get(c.idx, ()):
            for j in rng.random(P).argsort()[: min(w, P)].tolist():
                post_mentions[j].append(self.plan.creators[tgt].handle)
        phrases = _PHRASES.get(c.language, _PHRASES["en"])
        tags_all = _NICHE_TAGS[c.niche]
        tag_order = np.argsort(tag_u[:, : len(tags_all)], axis=1).tolist()
        salt = _salt(cfg.seed, 2)
        ext = _mix64(((np.uint64(c.idx) << np.uint64(20)) + np.arange(P, dtype=np.uint64)) ^ salt)
        if platform in ("instagram", "youtube"):
            ext_ids = _shortcodes(ext)
        else:
            ext_ids = [str(v) for v in ext.tolist()]
        window = self.window
        pd_, hh, mm, ss = (self.post_day.tolist(), self.hour.tolist(), self.minute.tolist(), self.second.tolist())
        kind_names = [kinds[k][0] for k in kind_list]
        views_on = has_views.tolist()
        texts = [f"{phrases[a]} {_EMOJI[b]}" for a, b in zip(phrase_l, emoji_l)]
        with_shares, with_saves = platform in _SHARE_RATIO, platform in _SAVE_RATIO
        handle = c.handle
        for j in range(P):
            hashtags = [tags_all[k] for k in tag_order[j][: 1 + ntags_l[j]]]
            creator_mentions = post_mentions[j]
            mentions = list(creator_mentions)
            text = texts[j]
            if j == self.giveaway_post:
                text = f"GIVEAWAY 🎁 comment to win! Follow me and tag 2 friends — {text}"
                hashtags = ["giveaway", "win", "contest"] + hashtags[:1]
            if spons[j]:
                brand = f"{c.niche}brand{1 + brand_l[j]:02d}"
                mentions.append(brand)
                hashtags.append("ad")
                text = f"{text} in partnership with @{brand}"
            caption = text + " " + " ".join(["#" + h for h in hashtags])
            if creator_mentions:
                caption += " " + " ".join(["@" + m for m in creator_mentions])
            rec = {
                "type": "post",
                "platform": platform,
                "handle": handle,
                "external_id": ext_ids[j],
                "published_at": f"{window[pd_[j]]}T{hh[j]:02d}:{mm[j]:02d}:{ss[j]:02d}Z",
                "kind": kind_names[j],
                "likes": li[j],
                "comments": ci[j],
            }
            if views_on[j]:
                rec["views"] = vi[j]
            if with_shares:
                rec["shares"] = si[j]
            if with_saves:
                rec["saves"] = sv[j]
            rec["sponsored"] = spons[j]
            rec["caption"] = caption
            rec["hashtags"] = hashtags
            if mentions:
                rec["mentions"] = mentions
            yield rec

    # ---------------------------------------------------------------- snapshots
    def snapshots(self) -> Iterator[dict]:
        c, D = self.c, self.cfg.days
        platform, handle = c.platform, c.handle
        F, fo, pc = self.F.tolist(), self.following.tolist(), self.posts_count.tolist()
        for k in range(D):
            yield {
                "type": "snapshot",
                "platform": platform,
                "handle": handle,
                "date": self.window[k],
                "followers": F[k],
                "following": fo[k],
                "posts_count": pc[k],
            }

    def snapshot_lines(self) -> bytes:
        """The snapshots as JSON lines (what msgspec makes of :meth:`snapshots`)."""
        c = self.c
        head = f'{{"type":"snapshot","platform":"{c.platform}","handle":{_ENCODER.encode(c.handle).decode()},"date":"'
        return "\n".join([
            f'{head}{d}","followers":{f},"following":{g},"posts_count":{n}}}'
            for d, f, g, n in zip(self.window, self.F.tolist(), self.following.tolist(), self.posts_count.tolist())
        ]).encode()

    # ---------------------------------------------------------------- audience
    def audience_members(self, pool: _Pool, bots: _Pool) -> tuple[list[int], list[int], list[int]]:
        """(pool members, bot-farm members, order of the concatenation in the sample)."""
        c, rng = self.c, self.rng
        n = self.cfg.audience_size
        if n <= 0:
            return [], [], []
        n_bot = int(rng.binomial(n, min(max(c.fake_share, 0.0), 1.0)))
        shares = np.asarray([max(0.0, 1.0 - c.mass_share - c.inactive_share), c.mass_share, c.inactive_share])
        counts = rng.multinomial(n - n_bot, shares / shares.sum()).tolist()
        local = rng.binomial(counts, c.local_p).tolist()
        requests = []
        for cls in (_CLS_REAL, _CLS_MASS, _CLS_INACTIVE):
            requests.append((cls, c.country, local[cls]))
            requests.append((cls, None, counts[cls] - local[cls]))
        picked = pool.sample(rng, requests)
        bot_picked = bots.sample(rng, [(_CLS_BOT, None, n_bot)])
        order = rng.permutation(len(picked) + len(bot_picked)).tolist()
        return picked, bot_picked, order

    def audience_head(self) -> dict:
        c = self.c
        return {"type": "audience", "platform": c.platform, "handle": c.handle,
                "sampled_at": self.dates.ago(0)}


# --------------------------------------------------------------------------------------
# Streams
# --------------------------------------------------------------------------------------


class _Renderer:
    """Renders the per-creator records of whole (platform, niche) cells.

    Cells are independent (each has its own member pool, every creator its own random
    stream, every platform one bot farm), so they can be rendered in any process and
    in any order and still give the same bytes.
    """

    def __init__(self, config: DemoConfig, plan: _Plan):
        self.config = config
        self.plan = plan
        self.dates = _Dates(config.as_of)
        self.window = self.dates.window(config.days)
        self.per_platform = [0] * len(PLATFORMS)
        for c in plan.creators:
            self.per_platform[c.platform_i] += 1
        self._bots: dict[int, _Pool] = {}

    def bots(self, p: int) -> _Pool:
        pool = self._bots.get(p)
        if pool is None:
            size = max(_MIN_BOT_POOL, _BOT_POOL_PER_CREATOR * self.per_platform[p])
            pool = self._bots[p] = _bot_pool(self.config, self.dates, p, size)
        return pool

    def cell(self, cell_i: int, encoded: bool, summary: GenerationSummary) -> Iterator:
        config, plan, dates, window = self.config, self.plan, self.dates, self.window
        enc = _ENCODER.encode
        P, D = config.posts_per_creator, config.days
        p, q, idxs = plan.cells[cell_i]
        pool = _member_pool(config, dates, p, q, max(_MIN_POOL, _POOL_PER_CREATOR * len(idxs)))
        if encoded and config.audience_size * len(idxs) >= pool.n:
            pool.encode_all()
        bots = self.bots(p)
        for i in idxs:
            block = _CreatorBlock(plan, plan.creators[i], dates, window)
            summary.posts += P
            summary.snapshots += D
            summary.audiences += 1
            if encoded:
                if P:
                    yield b"\n".join([enc(rec) for rec in block.posts()])
                yield block.snapshot_lines()
                picked, bot_picked, order = block.audience_members(pool, bots)
                items = pool.fragments(picked) + bots.fragments(bot_picked)
                summary.members += len(items)
                yield enc(block.audience_head())[:-1] + b',"members":[' + b",".join(
                    [items[k] for k in order]) + b"]}"
            else:
                yield from block.posts()
                yield from block.snapshots()
                picked, bot_picked, order = block.audience_members(pool, bots)
                items = [pool.member(k) for k in picked] + [bots.member(k) for k in bot_picked]
                summary.members += len(items)
                head = block.audience_head()
                head["members"] = [items[k] for k in order]
                yield head


def _creator_lines(plan: _Plan, encoded: bool, summary: GenerationSummary) -> Iterator:
    dates = _Dates(plan.config.as_of)
    enc = _ENCODER.encode
    for c in plan.creators:
        rec = _creator_record(c, plan.config, dates)
        summary.creators += 1
        summary.fraud_creators += bool(c.fraud_types)
        summary.honest_negatives += c.honest is not None
        yield enc(rec) if encoded else rec


def _edge_lines(plan: _Plan, encoded: bool, summary: GenerationSummary) -> Iterator:
    window = _Dates(plan.config.as_of).window(plan.config.days)
    enc = _ENCODER.encode
    cr = plan.creators
    batch: list[bytes] = []
    for p, s, t, kind, w, day in plan.edges:
        rec = {"type": "edge", "platform": PLATFORMS[p], "source": cr[s].handle, "target": cr[t].handle,
               "kind": kind, "weight": w, "observed_at": window[day]}
        summary.edges += 1
        if encoded:
            batch.append(enc(rec))
            if len(batch) >= 4096:
                yield b"\n".join(batch)
                batch = []
        else:
            yield rec
    if batch:
        yield b"\n".join(batch)


def _stream(config: DemoConfig, encoded: bool, plan: _Plan | None = None,
            summary: GenerationSummary | None = None,
            progress: Callable[[int], None] | None = None) -> Iterator:
    """Records in file order: dicts, or (``encoded``) chunks of JSON lines as bytes.

    An encoded chunk is one or more lines joined by newlines, without a trailing newline.
    """
    plan = plan or _plan(config)
    summary = summary if summary is not None else GenerationSummary()
    yield from _creator_lines(plan, encoded, summary)
    renderer = _Renderer(config, plan)
    for cell_i in range(len(plan.cells)):
        yield from renderer.cell(cell_i, encoded, summary)
        if progress is not None:
            progress(summary.audiences)
    yield from _edge_lines(plan, encoded, summary)


# Worker processes (write_ndjson(..., workers=N)): one renderer per process.
_WORKER: _Renderer | None = None
_FORKED_PLAN: _Plan | None = None


def _init_worker(config: DemoConfig) -> None:
    global _WORKER
    plan = _FORKED_PLAN if _FORKED_PLAN is not None and _FORKED_PLAN.config == config else _plan(config)
    _WORKER = _Renderer(config, plan)


def _render_cell(cell_i: int) -> tuple[bytes, GenerationSummary]:
    summary = GenerationSummary()
    data = b"\n".join(_WORKER.cell(cell_i, True, summary))
    return data, summary


def _parallel_cells(config: DemoConfig, plan: _Plan, workers: int) -> Iterator[tuple[bytes, GenerationSummary]]:
    """Rendered cells in order, computed by ``workers`` processes (a bounded window ahead)."""
    import multiprocessing
    from collections import deque
    from concurrent.futures import ProcessPoolExecutor

    global _FORKED_PLAN
    methods = multiprocessing.get_all_start_methods()
    ctx = multiprocessing.get_context("fork" if "fork" in methods else "spawn")
    _FORKED_PLAN = plan
    try:
        with ProcessPoolExecutor(workers, mp_context=ctx, initializer=_init_worker, initargs=(config,)) as ex:
            pending: deque = deque()
            cells = iter(range(len(plan.cells)))
            for cell_i in cells:
                pending.append(ex.submit(_render_cell, cell_i))
                if len(pending) >= 2 * workers:
                    yield pending.popleft().result()
            while pending:
                yield pending.popleft().result()
    finally:
        _FORKED_PLAN = None


def generate(config: DemoConfig) -> Iterator[dict]:
    """The records (dicts) in file order; every record comes after its creator's line."""
    return _stream(config, encoded=False)


def _labels_from_plan(plan: _Plan) -> list[CreatorLabel]:
    return [
        CreatorLabel(
            platform=c.platform,
            handle=c.handle,
            fraud_types=list(c.fraud_types),
            is_fraud=bool(c.fraud_types),
            planted_fake_share=round(c.fake_share, 4),
            honest_negative=c.honest,
        )
        for c in plan.creators
    ]


def labels(config: DemoConfig) -> list[CreatorLabel]:
    """Ground truth per creator, in creator order (same as written to ``labels_out``)."""
    return _labels_from_plan(_plan(config))


class _Sink:
    """A path (opened here, binary) or an open text or binary file."""

    def __init__(self, target):
        self._close = isinstance(target, (str, Path))
        if self._close:
            self.f = open(target, "wb")
            self.binary = True
        else:
            self.f = target
            if isinstance(target, io.TextIOBase):
                self.binary = False
            elif isinstance(target, (io.BufferedIOBase, io.RawIOBase)):
                self.binary = True
            else:
                self.binary = "b" in str(getattr(target, "mode", ""))

    def write(self, data: bytes) -> None:
        self.f.write(data if self.binary else data.decode("utf-8"))

    def close(self) -> None:
        if self._close:
            self.f.close()


def write_ndjson(config: DemoConfig, out: IO[str] | IO[bytes] | str | Path,
                 labels_out: IO[str] | IO[bytes] | str | Path | None = None,
                 progress: Callable[[int], None] | None = None, *, workers: int = 1) -> GenerationSummary:
    """Write the data set as NDJSON to ``out`` (a path or an open file, text or binary).

    ``labels_out`` (path or file) receives the :class:`CreatorLabel` records as NDJSON.
    ``progress`` is called with the number of creators whose posts, snapshots and
    audience have been written so far, after each (platform, niche) cell.
    ``workers`` > 1 renders cells in that many processes; the output is byte-identical.
    """
    plan = _plan(config)
    summary = GenerationSummary()
    sink = _Sink(out)
    try:
        buf: list[bytes] = []
        size = 0

        def put(chunk: bytes) -> None:
            nonlocal buf, size
            buf.append(chunk)
            size += len(chunk)
            if size > 1 << 20:
                buf.append(b"")
                sink.write(b"\n".join(buf))
                buf, size = [], 0

        for chunk in _creator_lines(plan, True, summary):
            put(chunk)
        if workers > 1 and len(plan.cells) > 1:
            for data, part in _parallel_cells(config, plan, workers):
                if data:
                    put(data)
                summary.posts += part.posts
                summary.snapshots += part.snapshots
                summary.audiences += part.audiences
                summary.members += part.members
                if progress is not None:
                    progress(summary.audiences)
        else:
            renderer = _Renderer(config, plan)
            for cell_i in range(len(plan.cells)):
                for chunk in renderer.cell(cell_i, True, summary):
                    put(chunk)
                if progress is not None:
                    progress(summary.audiences)
        for chunk in _edge_lines(plan, True, summary):
            put(chunk)
        if buf:
            buf.append(b"")
            sink.write(b"\n".join(buf))
    finally:
        sink.close()
    summary.lines = summary.creators + summary.posts + summary.snapshots + summary.audiences + summary.edges
    if labels_out is not None:
        lsink = _Sink(labels_out)
        try:
            lsink.write(b"".join(_ENCODER.encode(asdict(lb)) + b"\n" for lb in _labels_from_plan(plan)))
        finally:
            lsink.close()
    return summary


# --------------------------------------------------------------------------------------
# Command line
# --------------------------------------------------------------------------------------


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m influencers.demo.generator",
        description="Write a seeded demo data set (NDJSON import format) with planted fraud labels.")
    d = DemoConfig()
    parser.add_argument("--creators", type=int, default=d.creators)
    parser.add_argument("--seed", type=int, default=d.seed)
    parser.add_argument("--days", type=int, default=d.days)
    parser.add_argument("--as-of", type=datetime.date.fromisoformat, default=d.as_of)
    parser.add_argument("--audience-size", type=int, default=d.audience_size)
    parser.add_argument("--posts-per-creator", type=int, default=d.posts_per_creator)
    parser.add_argument("--fraud-share", type=float, default=d.fraud_share)
    parser.add_argument("--out", required=True, help="output NDJSON file ('-' for stdout)")
    parser.add_argument("--labels", help="write the ground-truth labels (NDJSON) to this file")
    parser.add_argument("--workers", type=int, default=1, help="render in this many processes (same output)")
    parser.add_argument("--progress", action="store_true", help="show a progress bar on stderr")
    args = parser.parse_args(argv)
    config = DemoConfig(creators=args.creators, seed=args.seed, days=args.days, as_of=args.as_of,
                        audience_size=args.audience_size, posts_per_creator=args.posts_per_creator,
                        fraud_share=args.fraud_share)
    progress = None
    bar = None
    if args.progress:
        from tqdm import tqdm

        bar = tqdm(total=config.creators, unit="creator", file=sys.stderr)
        last = [0]

        def progress(n: int) -> None:
            bar.update(n - last[0])
            last[0] = n

    out = sys.stdout.buffer if args.out == "-" else args.out
    summary = write_ndjson(config, out, args.labels, progress, workers=args.workers)
    if bar is not None:
        bar.close()
    print(
        f"{summary.lines} lines: {summary.creators} creators, {summary.posts} posts, "
        f"{summary.snapshots} snapshots, {summary.audiences} audiences ({summary.members} members), "
        f"{summary.edges} edges; {summary.fraud_creators} with planted fraud, "
        f"{summary.honest_negatives} honest negatives",
        file=sys.stderr,
    )
    return 0


if __name__ == "__main__":  # pragma: no cover
    raise SystemExit(main())
