"""The demo data's configuration, result types and tables: platforms, niches, countries,
engagement benchmarks per platform and tier, and the planted fraud's parameters.
"""
from __future__ import annotations

import datetime
from dataclasses import dataclass, field

import msgspec
import numpy as np

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
PLATFORM_LOGF_SHIFT = (0.0, 0.15, 0.05, -0.1, 0.0)
# Account creation cannot precede the platform (years before as_of, roughly).
PLATFORM_MAX_YEARS = (15.5, 8.0, 19.0, 18.0, 19.0)

NICHES = (
    "food", "travel", "fitness", "beauty", "gaming", "tech",
    "fashion", "parenting", "music", "pets", "finance", "comedy",
)
NICHE_WEIGHTS = (0.11, 0.09, 0.10, 0.10, 0.09, 0.07, 0.10, 0.07, 0.07, 0.06, 0.05, 0.09)
NICHE_WORDS = {
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
NICHE_TAGS = {
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
NICHE_BIO = {
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
NICHE_FEMALE = (0.6, 0.55, 0.5, 0.85, 0.25, 0.25, 0.75, 0.8, 0.5, 0.6, 0.35, 0.5)

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
EXTRA_MEMBER_COUNTRIES = (("BE", "fr"), ("CH", "de"), ("PT", "pt"), ("AR", "es"), ("AU", "en"), ("AT", "de"))
# Bot-farm countries (country of bots when set).
BOT_COUNTRIES = (("IN", "en"), ("ID", "id"), ("BD", "bn"), ("PK", "ur"), ("VN", "vi"),
                  ("NG", "en"), ("EG", "ar"), ("RU", "ru"), ("TR", "tr"), ("PH", "en"))

FIRST_NAMES = {
    "en": ("lina", "jake", "emma", "noah", "olivia", "liam", "ava", "mason", "chloe", "ethan", "maya", "ryan"),
    "fr": ("lina", "hugo", "camille", "louis", "chloe", "arthur", "manon", "jules", "lea", "theo", "ines", "paul"),
    "de": ("mia", "lukas", "hannah", "finn", "lena", "jonas", "emma", "leon", "sophie", "paul", "marie", "felix"),
    "es": ("lucia", "hugo", "sofia", "mateo", "martina", "pablo",
           "valeria", "diego", "paula", "alvaro", "elena", "leo"),
    "it": ("giulia", "marco", "sofia", "luca", "aurora", "matteo",
           "chiara", "andrea", "sara", "davide", "alice", "paolo"),
    "pt": ("ana", "joao", "beatriz", "pedro", "julia", "lucas",
           "larissa", "gabriel", "bruna", "rafael", "camila", "thiago"),
    "nl": ("sanne", "daan", "lotte", "sem", "fleur", "lucas", "emma", "milan", "anouk", "bram", "julia", "thijs"),
}
LAST_NAMES = {
    "en": ("Carter", "Brooks", "Patel", "Nguyen", "Walker", "Reed", "Hughes", "Bennett"),
    "fr": ("Martin", "Bernard", "Dubois", "Moreau", "Laurent", "Girard", "Roux", "Fontaine"),
    "de": ("Müller", "Schmidt", "Weber", "Wagner", "Becker", "Hoffmann", "Koch", "Richter"),
    "es": ("García", "Martínez", "López", "Sánchez", "Romero", "Navarro", "Torres", "Ruiz"),
    "it": ("Rossi", "Russo", "Ferrari", "Esposito", "Bianchi", "Romano", "Colombo", "Ricci"),
    "pt": ("Silva", "Santos", "Oliveira", "Souza", "Costa", "Pereira", "Almeida", "Lima"),
    "nl": ("de Jong", "Jansen", "de Vries", "Bakker", "Visser", "Smit", "Meijer", "Mulder"),
}
PHRASES = {
    "en": ("New post", "Quick one today", "Weekend vibes", "Can't believe this", "Story time", "Back at it"),
    "fr": ("Nouveau post", "Petit moment du jour", "Ambiance week-end", "Je n'en reviens pas", "On en parle ?",
           "De retour"),
    "de": ("Neuer Post", "Kurz und knapp", "Wochenend-Stimmung", "Unglaublich", "Kleine Geschichte", "Wieder da"),
    "es": ("Nuevo post", "Algo rápido hoy", "Vibras de finde", "No me lo creo", "Hora de contar", "De vuelta"),
    "it": ("Nuovo post", "Una cosa veloce", "Mood weekend", "Incredibile", "Vi racconto", "Di nuovo qui"),
    "pt": ("Post novo", "Rapidinho hoje", "Clima de fim de semana", "Não acredito", "Hora da história", "De volta"),
    "nl": ("Nieuwe post", "Even snel", "Weekendgevoel", "Niet te geloven", "Verhaaltje", "Weer terug"),
}
EMOJI = ("✨", "🔥", "🙌", "💫", "😍", "👀", "🎉", "💪", "🌿", "📸")

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
SHARE_RATIO = {"tiktok": 0.06, "twitter": 0.20, "facebook": 0.10}
SAVE_RATIO = {"instagram": 0.04, "tiktok": 0.05}
# (kind, probability, reports views)
POST_KINDS_BY_PLATFORM = {
    "instagram": (("photo", 0.45, False), ("reel", 0.45, True), ("video", 0.10, True)),
    "tiktok": (("video", 1.0, True),),
    "youtube": (("video", 0.65, True), ("short", 0.35, True)),
    "twitter": (("text", 0.65, False), ("photo", 0.25, False), ("video", 0.10, False)),
    "facebook": (("photo", 0.45, False), ("video", 0.25, True), ("text", 0.30, False)),
}
POST_KIND_CDF = {p: np.cumsum([k[1] for k in v]) / sum(k[1] for k in v) for p, v in POST_KINDS_BY_PLATFORM.items()}
POST_KIND_VIEWS = {p: np.asarray([k[2] for k in v]) for p, v in POST_KINDS_BY_PLATFORM.items()}
POST_KIND_VIEW_MULT = {p: np.asarray([1.3 if k[0] == "short" else 1.0 for k in v])
                       for p, v in POST_KINDS_BY_PLATFORM.items()}
# Per-post log-normal sigmas: views, likes per view, likes per follower, comments, shares, saves.
POST_SIGMA = np.asarray([0.45, 0.2, 0.35, 0.35, 0.4, 0.4])[:, None]
# Uniforms -> phrase, emoji, extra hashtags (0-2), brand number - 1.
TEXT_SCALE = np.asarray([6, 10, 3, 39], dtype=float)[:, None]
# Posting hour (UTC) weights.
_HOUR_W = np.asarray((1, 1, 1, 1, 1, 1, 2, 3, 4, 4, 4, 5, 6, 6, 5, 5, 6, 8, 9, 9, 8, 6, 3, 2), dtype=float)
HOUR_CDF = np.cumsum(_HOUR_W) / _HOUR_W.sum()
# Organic daily follower growth (log scale) per tier.
GROWTH = (0.0015, 0.0009, 0.0006, 0.0004, 0.00025)
VERIFIED_P = (0.01, 0.05, 0.30, 0.60, 0.85)
SPONSORED_P = (0.05, 0.10, 0.15, 0.15, 0.12)
AGE_RANGES = ("13-17", "18-24", "25-34", "35-44", "45-54", "55-64", "65+")
AGE_BY_PLATFORM = (
    (0.06, 0.30, 0.33, 0.17, 0.08, 0.04, 0.02),  # instagram
    (0.20, 0.38, 0.25, 0.10, 0.05, 0.015, 0.005),  # tiktok
    (0.08, 0.25, 0.28, 0.18, 0.11, 0.06, 0.04),  # youtube
    (0.03, 0.20, 0.32, 0.20, 0.13, 0.08, 0.04),  # twitter
    (0.02, 0.10, 0.22, 0.22, 0.20, 0.14, 0.10),  # facebook
)
GENDERS = ("female", "male", "other")

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

HONEST_SHARE = 0.16
MIN_POOL = 2000
POOL_PER_CREATOR = 45
MIN_BOT_POOL = 2000
BOT_POOL_PER_CREATOR = 10
CLS_REAL, CLS_MASS, CLS_INACTIVE, CLS_BOT = 0, 1, 2, 3

JSON_ENCODER = msgspec.json.Encoder()


def tier_of(followers: int) -> str:
    for name, bound in zip(TIERS, _TIER_BOUNDS):
        if followers < bound:
            return name
    return TIERS[-1]


def tier_index(followers: int) -> int:
    for i, bound in enumerate(_TIER_BOUNDS):
        if followers < bound:
            return i
    return len(_TIER_BOUNDS)


