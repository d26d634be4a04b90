"""One creator's records (creator, posts, snapshots, audience samples) rendered from the
plan, cell by cell (a cell: the creators of one platform and niche).
"""
from __future__ import annotations

import math
from collections.abc import Iterator

import numpy as np

from influencers.demo.follower_pools import FollowerPool
from influencers.demo.parameters import (
    CLS_BOT,
    CLS_INACTIVE,
    CLS_MASS,
    CLS_REAL,
    COMMENT_RATIO,
    COUNTRIES,
    EMOJI,
    ENGAGEMENT_RATE,
    HOUR_CDF,
    JSON_ENCODER,
    NICHE_BIO,
    NICHE_TAGS,
    NICHES,
    PHRASES,
    POST_KIND_CDF,
    POST_KIND_VIEW_MULT,
    POST_KIND_VIEWS,
    POST_KINDS_BY_PLATFORM,
    POST_SIGMA,
    SAVE_RATIO,
    SHARE_RATIO,
    SPONSORED_P,
    TEXT_SCALE,
    VIEW_RATE,
    DemoConfig,
)
from influencers.demo.plan import Plan, PlannedCreator, churn_oscillation
from influencers.demo.randomness import DayDates, mix64, seeded_rng, shortcodes, stream_salt


def creator_record(c: PlannedCreator, config: DemoConfig, dates: DayDates) -> dict:
    niche = c.niche
    city = COUNTRIES[c.country_i][3][c.idx % len(COUNTRIES[c.country_i][3])]
    cats = [niche] if c.second_niche < 0 else [niche, NICHES[c.second_niche]]
    rec = {
        "type": "creator",
        "platform": c.platform,
        "handle": c.handle,
        "display_name": c.display_name,
        "bio": f"{NICHE_BIO[niche]} · {city}",
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


class CreatorBlock:
    """Posts, snapshots and the audience sample of one creator."""

    def __init__(self, plan: Plan, c: PlannedCreator, dates: DayDates, window: list[str] | None = None):
        self.plan = plan
        self.c = c
        self.cfg = cfg = plan.config
        self.dates = dates
        self.window = window if window is not None else dates.window(cfg.days)
        rng = self.rng = seeded_rng(cfg.seed, 2, c.idx)
        D = cfg.days
        P = cfg.posts_per_creator
        t = np.arange(D, dtype=float)
        lo, hi = (max(1, D // 6), max(1, D - D // 6 - 2)) if D >= 8 else (0, max(0, D - 1))
        # ---- posts timing (sorted)
        u = rng.random((2, P))
        hour = np.minimum(HOUR_CDF.searchsorted(u[0], side="right"), 23)
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
            osc = churn_oscillation(t, c)
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
        kinds = POST_KINDS_BY_PLATFORM[platform]
        z = rng.standard_normal((6, P))
        u = rng.random((9, P))
        kind_i = np.minimum(np.searchsorted(POST_KIND_CDF[platform], u[0], side="right"), len(kinds) - 1)
        kind_list = kind_i.tolist()
        has_views = POST_KIND_VIEWS[platform][kind_i]
        er = ENGAGEMENT_RATE[platform][tier] * c.er_mult
        vr = VIEW_RATE[platform][tier] * c.er_mult
        base = self.O[self.post_day]  # real followers reached (bought followers never engage)
        if c.honest == "lurker_audience":  # inactive followers neither view nor like
            base = base * 0.6
        elif c.honest == "mass_follower_real":
            base = base * 0.85
        age_h = (D - 1 - self.post_day) * 24.0 + (24.0 - self.hour - self.minute / 60.0)
        reach = base * (1.0 - np.exp(age_h / -20.0))  # young posts are still collecting engagement
        noise = np.exp(z * POST_SIGMA)  # log-normal noise, one row per metric
        # rows: likes, comments, views, shares, saves
        M = np.empty((5, P))
        M[2] = reach * (vr * POST_KIND_VIEW_MULT[platform][kind_i]) * noise[0]
        M[0] = np.where(has_views, M[2] * ((er / max(vr, 1e-9)) * noise[1]), reach * (er * noise[2]))
        coef = np.array([COMMENT_RATIO[platform] * c.cr_mult, SHARE_RATIO.get(platform, 0.0),
                         SAVE_RATIO.get(platform, 0.0)])
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
        spons = (u[3] < SPONSORED_P[tier]).tolist()
        phrase_l, emoji_l, ntags_l, brand_l = (u[4:8] * TEXT_SCALE).astype(np.int64).tolist()
        tag_u = rng.random((P, 7))
        # mentions of other creators, matching the `mentions` edges' weights
        post_mentions: list[list[str]] = [[] for _ in range(P)]
        for tgt, w in self.plan.mentions.get(c.idx, ()):
            for j in rng.random(P).argsort()[: min(w, P)].tolist():
                post_mentions[j].append(self.plan.creators[tgt].handle)
        phrases = PHRASES.get(c.language, PHRASES["en"])
        tags_all = NICHE_TAGS[c.niche]
        tag_order = np.argsort(tag_u[:, : len(tags_all)], axis=1).tolist()
        salt = stream_salt(cfg.seed, 2)
        ext = mix64(((np.uint64(c.idx) << np.uint64(20)) + np.arange(P, dtype=np.uint64)) ^ salt)
        if platform in ("instagram", "youtube"):
            ext_ids = shortcodes(ext)
        else:
            ext_ids = [str(v) for v in ext.tolist()]
        window = self.window
        pd_, hh, mm, ss = (self.post_day.tolist(), self.hour.tolist(), self.minute.tolist(), self.second.tolist())
        kind_names = [kinds[k][0] for k in kind_list]
        views_on = has_views.tolist()
        texts = [f"{phrases[a]} {EMOJI[b]}" for a, b in zip(phrase_l, emoji_l)]
        with_shares, with_saves = platform in SHARE_RATIO, platform in SAVE_RATIO
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
        handle = JSON_ENCODER.encode(c.handle).decode()
        head = f'{{"type":"snapshot","platform":"{c.platform}","handle":{handle},"date":"'
        return "\n".join([
            f'{head}{d}","followers":{f},"following":{g},"posts_count":{n}}}'
            for d, f, g, n in zip(self.window, self.F.tolist(), self.following.tolist(), self.posts_count.tolist())
        ]).encode()

    # ---------------------------------------------------------------- audience
    def audience_members(self, pool: FollowerPool, bots: FollowerPool) -> tuple[list[int], list[int], list[int]]:
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
        for cls in (CLS_REAL, CLS_MASS, CLS_INACTIVE):
            requests.append((cls, c.country, local[cls]))
            requests.append((cls, None, counts[cls] - local[cls]))
        picked = pool.sample(rng, requests)
        bot_picked = bots.sample(rng, [(CLS_BOT, None, n_bot)])
        order = rng.permutation(len(picked) + len(bot_picked)).tolist()
        return picked, bot_picked, order

    def audience_head(self) -> dict:
        c = self.c
        return {"type": "audience", "platform": c.platform, "handle": c.handle,
                "sampled_at": self.dates.ago(0)}


