"""One small hand-built workspace holding every phenomenon of the default-2 threat model.

Honest peers (French food/travel, Brazilian fitness and US tech creators on Instagram)
with audiences from their own country, and beside them one creator per phenomenon:

* fraud that hides: ``drip_fr`` (followers bought slowly over seven weeks, likes do not
  follow), ``longdrip_fr`` (ten weeks at an even pace), ``shortdrip_fr`` (three weeks, then six
  quiet ones), ``smalldrip_fr`` (+7% in three weeks: within the noise, the rule abstains and
  says why), ``farmed_fr`` / ``farmed_us`` / ``farmed_br`` (half their audience aged
  "premium" bots from one farm, shared across unrelated niches and countries),
  ``agedbots_fr`` (aged bots from a farm no one else uses: foreign, dormant), ``fewbots_fr``
  (the same at 15% of the sample: its foreign members dormant, its local ones active),
  ``boughteng_fr`` (likes and comments bought together on most posts), ``hiddenpod_fr``
  (comments far above the tier on most posts, no comment edges), ``partbought_fr`` /
  ``partpod_fr`` (engagement / comments bought on two posts in five: the creator's median
  stays at the tier, the bought posts stand far above its own quiet ones);
* honest creators who look odd: ``rising_fr`` (the drip's growth curve, but likes follow
  the followers), ``abroad_fr`` (half its audience in Japan, a quarter of it dormant:
  not mostly dormant, as aged bots are), ``featured_fr`` (a +30% jump two days after ``big_fr``
  mentioned it),
  ``teens_fr`` (an audience of new, quiet teenage accounts), ``channel_wa`` and
  ``blog_fr`` (no comments: the platforms have none), ``pro_li`` (LinkedIn connections).
"""
from __future__ import annotations

import datetime as dt

import numpy as np

AS_OF = dt.date(2026, 10, 31)
DAYS = 90


def day(offset: int) -> str:
    return (AS_OF - dt.timedelta(days=int(offset))).isoformat()


def local_member(pool: str, k: int, country: str, language: str) -> dict:
    return {"id": f"{pool}-{k}", "followers": 150 + (k * 37) % 500, "following": 200 + (k * 53) % 500,
            "posts_count": 60 + k % 200, "has_avatar": True, "bio_length": 20 + k % 60,
            "created_at": f"{2015 + k % 7}-0{1 + k % 9}-15", "last_post_at": day(1 + k % 25),
            "country": country, "language": language, "gender": ("female", "male")[k % 2],
            "age_range": ("18-24", "25-34", "35-44")[k % 3]}


def aged_bot(pool: str, k: int) -> dict:
    """A 'premium' bot: avatar, bio, a few old posts, some followers, following many, dormant for months."""
    country, language = (("VN", "vi"), ("ID", "id"), ("BD", "bn"))[k % 3]
    return {"id": f"{pool}-{k}", "followers": 40 + (k * 29) % 220, "following": 900 + (k * 71) % 2000,
            "posts_count": 3 + k % 9, "has_avatar": True, "bio_length": 15 + k % 40,
            "created_at": f"{2020 + k % 3}-0{1 + k % 9}-10", "last_post_at": day(250 + (k * 13) % 400),
            "country": country, "language": language}


def teen_member(k: int) -> dict:
    """A real teenager: a new account, few followers, few posts, often no bio, active."""
    member = {"id": f"teen-{k}", "followers": 5 + (k * 7) % 60, "following": 30 + (k * 11) % 180,
              "posts_count": k % 8, "has_avatar": k % 3 != 0, "bio_length": 0 if k % 5 < 3 else 12,
              "created_at": day(40 + (k * 17) % 260), "last_post_at": day(1 + k % 20) if k % 8 else None,
              "country": "FR", "language": "fr", "gender": ("female", "male")[k % 2]}
    if k % 5 != 4:
        member["age_range"] = "13-17"
    return member


class Workspace:
    def __init__(self, seed: int = 4):
        self.rng = np.random.default_rng(seed)
        self.records: list[dict] = []

    def creator(self, handle, *, platform="instagram", country="FR", language="fr", niche="food",
                followers=50_000, series=None, er=0.027, cpl=0.018, lpv=0.06, views=True, members=(),
                likes_follow=True, engagement_factor=None, comments_factor=None, comments=True):
        """``series``: followers per day, oldest first (``DAYS`` values; default: slow growth);
        ``engagement_factor`` / ``comments_factor``: per-post multipliers, newest post first."""
        rng = self.rng
        if series is None:
            series = followers - 15 * np.arange(DAYS)[::-1] + rng.integers(-3, 4, DAYS)
        series = np.asarray(series, dtype=float)
        self.records.append({"type": "creator", "platform": platform, "handle": handle,
                             "followers": int(series[-1]), "following": 400, "posts_count": 300,
                             "country": country, "language": language, "categories": [niche]})
        for k in range(DAYS):
            self.records.append({"type": "snapshot", "platform": platform, "handle": handle,
                                 "date": day(DAYS - 1 - k), "followers": int(series[k]), "following": 400})
        for j in range(24):
            ago = 1 + 3 * j
            base = series[DAYS - 1 - ago] if likes_follow else series[0]
            likes = base * er / (1 + cpl) * rng.lognormal(0, 0.12)
            views_count = likes / lpv * rng.lognormal(0, 0.1)
            factor = 1.0 if engagement_factor is None else engagement_factor[j]
            c_factor = factor if comments_factor is None else comments_factor[j]
            post = {"type": "post", "platform": platform, "handle": handle, "external_id": f"{handle}-p{j}",
                    "published_at": f"{day(ago)}T12:00:00Z", "likes": int(likes * factor),
                    "comments": int(likes * cpl * rng.lognormal(0, 0.12) * c_factor) if comments else 0,
                    "caption": "New post"}
            if views:
                post["views"] = int(views_count)
            self.records.append(post)
        if members:
            self.records.append({"type": "audience", "platform": platform, "handle": handle,
                                 "sampled_at": day(0), "members": list(members)})
        return self

    def edge(self, source, target, kind, observed_at=None, platform="instagram"):
        edge = {"type": "edge", "platform": platform, "source": source, "target": target, "kind": kind,
                "weight": 1}
        if observed_at is not None:
            edge["observed_at"] = observed_at
        self.records.append(edge)


def locals_of(pool: str, country: str, language: str, n: int, offset: int, size: int = 400) -> list[dict]:
    return [local_member(pool, (offset + k * 7) % size, country, language) for k in range(n)]


def build() -> list[dict]:
    w = Workspace()
    peers = [("FR", "fr", "food"), ("FR", "fr", "travel"), ("BR", "pt", "fitness"), ("US", "en", "tech")]
    for country, language, niche in peers:
        for k in range(8):
            w.creator(f"{niche}_{country.lower()}_{k}", country=country, language=language, niche=niche,
                      followers=30_000 + 4_000 * k,
                      members=locals_of(f"{country}-{niche}", country, language, 120, 13 * k))

    grow = np.r_[np.full(40, 40_000.0), 40_000 * 1.012 ** np.arange(1, 51)] + w.rng.integers(-5, 6, DAYS)
    w.creator("drip_fr", followers=40_000, series=grow, likes_follow=False,
              members=locals_of("FR-food", "FR", "fr", 120, 5))
    # A drip over ten weeks at an even pace: every short window inside it grows as fast, so it
    # is judged over its whole length (not against the rest of the drip as "its own history").
    long_drip = np.r_[np.full(20, 30_000.0), 30_000 * 1.005 ** np.arange(1, 71)] + w.rng.integers(-5, 6, DAYS)
    w.creator("longdrip_fr", followers=30_000, series=long_drip, likes_follow=False,
              members=[aged_bot("drip", k) for k in range(30)] + locals_of("FR-food", "FR", "fr", 90, 17))
    # A drip over three weeks, then six quiet weeks: judged over those three weeks (the quiet
    # weeks around it neither dilute its rate nor hide its posts), engagement measured on every
    # post, those after the drip included (followers stay up, likes stay where they were).
    short = np.r_[np.full(25, 35_000.0), 35_000 * 1.012 ** np.arange(1, 22), np.full(44, 35_000 * 1.012 ** 21)]
    w.creator("shortdrip_fr", followers=35_000, series=short + w.rng.integers(-5, 6, DAYS), likes_follow=False,
              members=locals_of("FR-food", "FR", "fr", 120, 18))
    # A small drip (+7% over three weeks), likes not following, a clean-looking sample: the
    # posts' noise and the sample cannot tell it from real growth, so the rule abstains and says so.
    small = np.r_[np.full(30, 45_000.0), 45_000 * 1.0032 ** np.arange(1, 22), np.full(39, 45_000 * 1.0032 ** 21)]
    w.creator("smalldrip_fr", followers=45_000, series=small + w.rng.integers(-5, 6, DAYS), likes_follow=False,
              members=locals_of("FR-food", "FR", "fr", 120, 19))
    w.creator("rising_fr", followers=40_000, series=grow, likes_follow=True,
              members=locals_of("FR-food", "FR", "fr", 120, 9))

    farm = [aged_bot("farm", k) for k in range(80)]
    w.creator("farmed_fr", niche="beauty", members=farm[:60] + locals_of("FR-food", "FR", "fr", 60, 2))
    w.creator("farmed_us", country="US", language="en", niche="finance",
              members=farm[10:70] + locals_of("US-tech", "US", "en", 60, 3))
    w.creator("farmed_br", country="BR", language="pt", niche="pets",
              members=farm[20:80] + locals_of("BR-fitness", "BR", "pt", 60, 4))
    w.creator("agedbots_fr", niche="food",
              members=[aged_bot("solo", k) for k in range(55)] + locals_of("FR-food", "FR", "fr", 65, 6))

    # Aged bots at a small share (18 of 120, a Wilson low bound under suspicious_audience_share):
    # foreign and all dormant, where the creator's local members are mostly active.
    w.creator("fewbots_fr", niche="food",
              members=[aged_bot("few", k) for k in range(18)] + locals_of("FR-food", "FR", "fr", 102, 20))
    # A real audience abroad (half of 120 from Japan, no peer's audience has them), less active than
    # the local members (a quarter dormant) but mostly active: foreign is not suspicious for that.
    abroad = [dict(local_member("JP-fans", k, "JP", "ja"), last_post_at=day(1 + k % 25) if k % 4 else day(300))
              for k in range(60)]
    w.creator("abroad_fr", niche="travel", members=abroad + locals_of("FR-travel", "FR", "fr", 60, 21))
    boost = np.where(np.arange(24) % 10 < 7, 5.0, 1.0)
    w.creator("boughteng_fr", engagement_factor=boost, members=locals_of("FR-food", "FR", "fr", 120, 7))
    pod = np.where(np.arange(24) % 10 < 8, 6.0, 1.0)
    w.creator("hiddenpod_fr", comments_factor=pod, members=locals_of("FR-food", "FR", "fr", 120, 8))

    # Bought on two posts in five only, x2.5: the median post stays at the tier, no views to
    # compare with; the bought posts stand apart from the creator's own quiet ones.
    some = np.where(np.arange(24) % 5 < 2, 2.5, 1.0)
    w.creator("partbought_fr", engagement_factor=some, views=False, members=locals_of("FR-food", "FR", "fr", 120, 15))
    w.creator("partpod_fr", comments_factor=np.where(np.arange(24) % 5 < 2, 3.0, 1.0),
              members=locals_of("FR-food", "FR", "fr", 120, 16))

    jump = np.r_[20_000 + 10 * np.arange(48), 26_000 + 10 * np.arange(42)]
    w.creator("featured_fr", followers=26_400, series=jump, niche="travel",
              members=locals_of("FR-travel", "FR", "fr", 120, 10))
    w.creator("big_fr", followers=2_000_000, niche="travel", er=0.012,
              members=locals_of("FR-travel", "FR", "fr", 120, 11))
    w.edge("big_fr", "featured_fr", "mentions", observed_at=day(DAYS - 46))

    w.creator("teens_fr", niche="travel", members=[teen_member(k) for k in range(120)])

    w.creator("channel_wa", platform="whatsapp", views=False, comments=False, er=0.02,
              members=locals_of("FR-food", "FR", "fr", 60, 12))
    w.creator("blog_fr", platform="blog", views=True, comments=False, er=0.01, members=())
    linked = np.r_[np.full(50, 8_000.0), 8_000 + 150 * np.arange(1, 41)]
    w.creator("pro_li", platform="linkedin", followers=14_000, series=linked, likes_follow=False, views=False,
              er=0.03, cpl=0.06, members=locals_of("FR-food", "FR", "fr", 60, 14))
    return w.records


FRAUD = {"drip_fr": "drip_followers", "longdrip_fr": "drip_followers", "shortdrip_fr": "drip_followers",
         "farmed_fr": "suspicious_audience", "fewbots_fr": "suspicious_audience",
         "farmed_us": "suspicious_audience",
         "farmed_br": "suspicious_audience", "agedbots_fr": "suspicious_audience",
         "boughteng_fr": "bought_engagement", "hiddenpod_fr": "comment_pod",
         "partbought_fr": "bought_engagement", "partpod_fr": "comment_pod"}
HONEST_ODD = ("rising_fr", "abroad_fr", "featured_fr", "big_fr", "teens_fr", "channel_wa", "blog_fr", "pro_li")
