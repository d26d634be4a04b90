"""Labelled cases of fraud that hides and of honest creators who look odd (the default-2
threat model), in the NDJSON import format, for ``influencers evaluate``.

Creators come from eight regions (their audiences mostly from their own country); each is
plain honest, an honest oddity or a fraud of one kind:

* fraud: ``drip_followers`` (followers bought over 3-10 weeks from aged bots, engagement
  stays with the real audience), ``aged_bots`` (a large share of aged "premium" bots from a
  farm: avatar, bio, a few old posts, following hundreds to thousands, dormant for months),
  ``natural_engagement`` (likes and comments bought together on most posts), ``hidden_pod``
  (comments far above the platform on most posts, the pod's partners not in the data);
* honest: ``featured`` (a follower jump days after a bigger creator's dated mention),
  ``teen_audience``, ``celebrity`` (millions of followers, many mass followers), ``viral``
  (a viral post and its follower step), ``giveaway``, ``no_comments`` (WhatsApp channels and
  blogs), ``linkedin`` (connections growing in steps).

Farms serve many creators (their bots turn up in unrelated samples) and draw their
accounts' countries from everywhere, the creators' own countries included. ``variant``
selects one of two parameter sets (:data:`VARIANTS`): the second shifts every distribution
(slower drips, fewer bots, milder engagement excess, larger farms) so that rules tuned to
one set's numbers show it on the other.
"""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import numpy as np

REGIONS = {  # country: (language, region)
    "FR": ("fr", "Europe"), "DE": ("de", "Europe"), "BR": ("pt", "Latin America"), "MX": ("es", "Latin America"),
    "IN": ("hi", "South Asia"), "ID": ("id", "Southeast Asia"), "NG": ("en", "Africa"), "US": ("en", "North America"),
    "VN": ("vi", "Southeast Asia"), "PH": ("tl", "Southeast Asia"),
}
CREATOR_COUNTRIES = ("FR", "DE", "BR", "MX", "IN", "ID", "NG", "US")
NICHES = ("food", "travel", "fitness", "beauty", "gaming", "tech", "fashion", "music")
FRAUD_KINDS = ("drip_followers", "aged_bots", "natural_engagement", "hidden_pod")
HONEST_KINDS = ("featured", "teen_audience", "celebrity", "viral", "giveaway", "no_comments", "linkedin")
PLATFORM_ER = {"instagram": 0.03, "tiktok": 0.06, "youtube": 0.03, "whatsapp": 0.02, "blog": 0.01, "linkedin": 0.02}
PLATFORM_CPL = {"instagram": 0.025, "tiktok": 0.015, "youtube": 0.04, "linkedin": 0.06}
VIEWS = {"tiktok": 0.07, "youtube": 0.05}

VARIANTS = {
    "default": {"drip_daily": (0.006, 0.02), "drip_days": (21, 70), "bot_share": (0.25, 0.6),
                "engagement_factor": (2.5, 8.0), "engagement_posts": (0.5, 1.0), "pod_factor": (3.0, 8.0),
                "pod_posts": (0.6, 1.0), "farm_size": 3000, "organic_bots": (0.0, 0.05), "jump": (0.1, 0.4),
                "teen_share": (0.6, 0.95)},
    "shifted": {"drip_daily": (0.004, 0.012), "drip_days": (14, 56), "bot_share": (0.2, 0.45),
                "engagement_factor": (2.2, 5.0), "engagement_posts": (0.4, 0.9), "pod_factor": (2.5, 5.0),
                "pod_posts": (0.55, 0.9), "farm_size": 8000, "organic_bots": (0.0, 0.08), "jump": (0.08, 0.6),
                "teen_share": (0.4, 1.0)},
}


@dataclass(frozen=True)
class PhenomenaConfig:
    creators: int = 600
    seed: int = 11
    fraud_share: float = 0.25
    oddity_share: float = 0.3
    variant: str = "default"
    as_of: dt.date = dt.date(2026, 11, 1)
    days: int = 90
    audience_size: int = 150


@dataclass
class PhenomenonLabel:
    platform: str
    handle: str
    country: str
    region: str
    fraud_kind: str | None
    honest_kind: str | None
    planted_fake_share: float

    @property
    def is_fraud(self) -> bool:
        return self.fraud_kind is not None


class _Builder:
    def __init__(self, config: PhenomenaConfig):
        self.c = config
        self.p = VARIANTS[config.variant]
        self.rng = np.random.default_rng(config.seed)
        self.records: list[dict] = []
        self.labels: list[PhenomenonLabel] = []
        self.farm = self.rng.integers(0, 10**9, self.p["farm_size"])

    def day(self, ago) -> str:
        return (self.c.as_of - dt.timedelta(days=int(ago))).isoformat()

    def u(self, pair):
        return float(self.rng.uniform(*pair))

    # members --------------------------------------------------------------------------
    def real(self, country, niche, k) -> dict:
        rng = self.rng
        language = REGIONS[country][0] if rng.random() > 0.1 else "en"
        return {"id": f"r-{country}-{niche}-{k}", "followers": int(rng.lognormal(5.5, 0.9)),
                "following": int(np.clip(rng.lognormal(5.8, 0.6), 10, 1400)), "posts_count": int(rng.lognormal(4.5, 1)),
                "has_avatar": bool(rng.random() < 0.95), "bio_length": int(0 if rng.random() < 0.15 else 40),
                "created_at": self.day(rng.integers(400, 4500)),
                "last_post_at": self.day(rng.integers(1, 30) if rng.random() < 0.85 else rng.integers(200, 900)),
                "country": country, "language": language,
                "age_range": str(rng.choice(["18-24", "25-34", "35-44", "45-54"]))}

    def teen(self, country, k) -> dict:
        rng = self.rng
        member = {"id": f"t-{country}-{k}", "followers": int(rng.integers(3, 90)),
                  "following": int(rng.integers(20, 300)), "posts_count": int(rng.integers(0, 15)),
                  "has_avatar": bool(rng.random() < 0.6), "bio_length": int(0 if rng.random() < 0.6 else 10),
                  "created_at": self.day(rng.integers(20, 360)), "country": country,
                  "language": REGIONS[country][0]}
        if rng.random() < 0.7:
            member["last_post_at"] = self.day(rng.integers(1, 40))
        if rng.random() < 0.6:
            member["age_range"] = "13-17"
        return member

    def mass(self, country, k) -> dict:
        member = self.real(country, "mass", k)
        member.update(id=f"m-{country}-{k}", following=int(self.rng.integers(1600, 7000)))
        return member

    def aged_bot(self, k) -> dict:
        bot_id = int(self.farm[k % len(self.farm)])
        local = np.random.default_rng(bot_id)  # the same account whoever samples it
        country = str(local.choice(list(REGIONS)))
        member = {"id": f"b-{bot_id}", "followers": int(local.integers(20, 400)),
                  "following": int(local.integers(600, 4000)), "posts_count": int(local.integers(1, 20)),
                  "has_avatar": bool(local.random() < 0.9), "bio_length": int(local.integers(0, 60)),
                  "created_at": self.day(local.integers(500, 2500)),
                  "last_post_at": self.day(local.integers(200, 700)), "country": country,
                  "language": REGIONS[country][0]}
        return member

    def cheap_bot(self, k) -> dict:
        rng = self.rng
        return {"id": f"c-{int(rng.integers(0, 10**9))}", "followers": int(rng.integers(0, 15)),
                "following": int(rng.integers(800, 5000)), "posts_count": 0, "has_avatar": False,
                "bio_length": 0, "created_at": self.day(rng.integers(5, 150))}

    # creators -------------------------------------------------------------------------
    def creator(self, handle, *, platform, country, niche, fraud=None, honest=None, followers=None) -> str:
        rng, p, days = self.rng, self.p, self.c.days
        followers = followers or float(10 ** rng.uniform(4, 5.7))
        series = followers * (1 + 0.0006 * np.arange(days) + rng.normal(0, 0.0005, days))
        er = PLATFORM_ER[platform] * rng.lognormal(0, 0.25)
        cpl = PLATFORM_CPL.get(platform, 0.0) * rng.lognormal(0, 0.2)
        like_factor = np.ones(24)
        comment_factor = np.ones(24)
        real_base = None
        contest = -1
        n = self.c.audience_size
        bots = 0
        bot_share = self.u(p["organic_bots"])
        planted = bot_share
        members: list[dict] = []
        language = REGIONS[country][0]
        if fraud == "drip_followers":
            length = int(rng.integers(*p["drip_days"]))
            start = int(rng.integers(5, days - length))
            rate = self.u(p["drip_daily"])
            growth = np.ones(days)
            growth[start:start + length] = np.exp(rate * np.arange(1, length + 1))
            growth[start + length:] = growth[start + length - 1]
            real_base = series.copy()
            series = series * growth
            bought = 1 - real_base[-1] / series[-1]
            bots, planted = int(round(bought * n)), bought
            bot_share = 0.0
        elif fraud == "aged_bots":
            share = self.u(p["bot_share"])
            bots, planted = int(round(share * n)), share
            er *= 1 - share
            bot_share = 0.0
        elif fraud == "natural_engagement":
            factor = self.u(p["engagement_factor"])
            affected = rng.random(24) < self.u(p["engagement_posts"])
            like_factor = np.where(affected, factor * rng.lognormal(0, 0.1, 24), 1.0)
            comment_factor = like_factor
        elif fraud == "hidden_pod":
            affected = rng.random(24) < self.u(p["pod_posts"])
            comment_factor = np.where(affected, self.u(p["pod_factor"]) * rng.lognormal(0, 0.15, 24), 1.0)
        if honest in ("featured", "viral"):
            at = int(rng.integers(20, days - 10))
            jump = self.u(p["jump"])
            step = np.ones(days)
            ramp = int(rng.integers(1, 4))
            step[at:at + ramp] = 1 + jump * np.arange(1, ramp + 1) / ramp
            step[at + ramp:] = 1 + jump
            series = series * step
            if honest == "featured":
                big = f"{handle}_host"
                self.creator(big, platform=platform, country=country, niche=niche, honest=None,
                             followers=followers * float(rng.uniform(5, 50)))
                self.records.append({"type": "edge", "platform": platform, "source": big, "target": handle,
                                     "kind": str(rng.choice(["mentions", "collaborates"])),
                                     "observed_at": self.day(days - 1 - at + int(rng.integers(0, 3))), "weight": 1})
            else:
                viral_post = -(-(days - 2 - at) // 3)  # published on the day of the step or up to 2 days before
                if 0 <= viral_post < 24:
                    like_factor[viral_post] = comment_factor[viral_post] = self.u((8, 30))
        if honest == "celebrity":
            series = series / followers * float(10 ** rng.uniform(6.3, 7.3))
            er *= 0.4
        if honest == "giveaway":
            contest = int(rng.integers(0, 12))
            comment_factor[contest] = self.u((20, 60))
            like_factor[contest] = self.u((1.5, 3))
        if honest == "linkedin":
            steps = np.cumsum(rng.random(days) < 0.05) * followers * 0.03
            series = series + steps
        if honest == "no_comments":
            cpl = 0.0

        final = int(series[-1])
        self.records.append({"type": "creator", "platform": platform, "handle": handle, "followers": final,
                             "following": int(rng.integers(100, 1500)), "posts_count": 400, "country": country,
                             "language": language, "categories": [niche]})
        for k in range(days):
            self.records.append({"type": "snapshot", "platform": platform, "handle": handle,
                                 "date": self.day(days - 1 - k), "followers": int(series[k])})
        engaged = real_base if real_base is not None else series
        for j in range(24):
            ago = 1 + 3 * j
            likes = engaged[days - 1 - ago] * er * rng.lognormal(0, 0.3) * like_factor[j]
            comments = (likes / like_factor[j]) * cpl * rng.lognormal(0, 0.3) * comment_factor[j]
            post = {"type": "post", "platform": platform, "handle": handle, "external_id": f"{handle}-{j}",
                    "published_at": f"{self.day(ago)}T10:00:00Z", "likes": int(likes), "comments": int(comments),
                    "caption": "Giveaway! comment to win" if j == contest else "post"}
            if platform in VIEWS:
                post["views"] = int(likes / like_factor[j] / VIEWS[platform] * rng.lognormal(0, 0.2))
            self.records.append(post)
        if platform == "blog":
            self.labels.append(PhenomenonLabel(platform, handle, country, REGIONS[country][1], fraud, honest, planted))
            return handle
        organic = int(round(bot_share * n))
        for _ in range(bots):
            members.append(self.aged_bot(int(rng.integers(0, 10**9))))
        for k in range(organic):
            members.append(self.cheap_bot(k))
        rest = n - len(members)
        teen = int(round(self.u(p["teen_share"]) * rest)) if honest == "teen_audience" else 0
        mass = int(round(self.u((0.3, 0.5)) * rest)) if honest == "celebrity" else 0
        members += [self.teen(country, int(rng.integers(0, 3000))) for _ in range(teen)]
        members += [self.mass(country, int(rng.integers(0, 3000))) for _ in range(mass)]
        members += [self.real(country, niche, int(rng.integers(0, 2500))) for _ in range(rest - teen - mass)]
        unique = list({m["id"]: m for m in members}.values())
        self.records.append({"type": "audience", "platform": platform, "handle": handle,
                             "sampled_at": self.day(0), "members": unique})
        self.labels.append(PhenomenonLabel(platform, handle, country, REGIONS[country][1], fraud, honest, planted))
        return handle


def generate_phenomena(config: PhenomenaConfig = PhenomenaConfig()) -> tuple[list[dict], list[PhenomenonLabel]]:
    """(records, labels): the labels of every creator, in the order they were made."""
    b = _Builder(config)
    rng = b.rng
    for i in range(config.creators):
        country = str(rng.choice(CREATOR_COUNTRIES))
        niche = str(rng.choice(NICHES))
        platform = str(rng.choice(["instagram", "tiktok", "youtube"], p=[0.55, 0.25, 0.2]))
        roll = rng.random()
        fraud = honest = None
        if roll < config.fraud_share:
            fraud = FRAUD_KINDS[i % len(FRAUD_KINDS)]
        elif roll < config.fraud_share + config.oddity_share:
            honest = HONEST_KINDS[i % len(HONEST_KINDS)]
            if honest == "no_comments":
                platform = str(rng.choice(["whatsapp", "blog"]))
            elif honest == "linkedin":
                platform = "linkedin"
        b.creator(f"c{i}_{country.lower()}", platform=platform, country=country, niche=niche,
                  fraud=fraud, honest=honest)
    return b.records, b.labels
