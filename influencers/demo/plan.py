"""The plan: creator-level decisions (platform, niche, size, planted fraud, pods, edges),
cheap enough to hold every creator in memory.
"""
from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from influencers.demo.parameters import (
    COUNTRIES,
    FIRST_NAMES,
    FRAUD_PARAMETERS,
    FRAUD_TYPES,
    GROWTH,
    HONEST_NEGATIVES,
    HONEST_SHARE,
    LAST_NAMES,
    NICHE_WEIGHTS,
    NICHE_WORDS,
    NICHES,
    PLATFORM_LOGF_SHIFT,
    PLATFORM_MAX_YEARS,
    PLATFORM_WEIGHTS,
    PLATFORMS,
    VERIFIED_P,
    DemoConfig,
    tier_index,
)
from influencers.demo.randomness import choice_index, seeded_rng


@dataclass(slots=True)
class PlannedCreator:
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


def churn_oscillation(t: np.ndarray, c: PlannedCreator) -> np.ndarray:
    x = np.mod(t + c.churn_phase, c.churn_period) / c.churn_period
    up = x < c.churn_up
    return np.where(up, c.churn_amp * x / c.churn_up, c.churn_amp * (1.0 - (x - c.churn_up) / (1.0 - c.churn_up)))


@dataclass
class Plan:
    config: DemoConfig
    creators: list[PlannedCreator]
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


def make_plan(config: DemoConfig) -> Plan:
    n = int(config.creators)
    if n < 0:
        raise ValueError("creators must be >= 0")
    if config.days < 1:
        raise ValueError("days must be >= 1")
    rng = seeded_rng(config.seed, 0)
    plat = choice_index(rng, PLATFORM_WEIGHTS, n)
    niche = choice_index(rng, NICHE_WEIGHTS, n)
    country = choice_index(rng, [c[2] for c in COUNTRIES], n)
    logf = rng.normal(4.2, 0.8, n) + np.asarray(PLATFORM_LOGF_SHIFT)[plat]

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
        p_niche = int(choice_index(rng, NICHE_WEIGHTS))
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

    n_honest = int(round(HONEST_SHARE * len(rest)))
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
    second_niche = choice_index(rng, NICHE_WEIGHTS, n)
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
    creators: list[PlannedCreator] = []
    t_last = np.array([config.days - 1], dtype=float)
    for i in range(n):
        pi, ni, ci = int(plat[i]), int(niche[i]), int(country[i])
        lang = COUNTRIES[ci][1]
        f = int(followers[i])
        tier = tier_index(f)
        ftypes = types.get(i, [])
        hn = honest.get(i)
        nu = name_u[i]
        first = FIRST_NAMES[lang][nu[0] % len(FIRST_NAMES[lang])]
        last = LAST_NAMES[lang][nu[1] % len(LAST_NAMES[lang])]
        word = NICHE_WORDS[NICHES[ni]][nu[2] % 4]
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
        max_days = int(PLATFORM_MAX_YEARS[pi] * 365)
        joined = int(540 + join_u[i] * (max_days - 540))
        posts_final = int(max(hist_posts[i] * (0.3 + joined / 1825.0), 0)) + config.posts_per_creator
        c = PlannedCreator(
            idx=i, platform_i=pi, niche_i=ni, country_i=ci, handle=handle,
            display_name=f"{first.capitalize()} {last}" if nu[3] % 5 else first.capitalize(),
            followers=f, following=bf, posts_count=posts_final, tier=tier,
            fraud_types=list(ftypes), honest=hn, fake_share=fake,
            er_mult=float(er_mult[i]), cr_mult=float(cr_mult[i]),
            growth=GROWTH[tier] * gm,
            mass_share=float(mass_h[i] if hn == "mass_follower_real" else mass[i]),
            inactive_share=float(inactive_h[i] if hn == "lurker_audience" else inactive[i]),
            local_p=float(local_p_en[i] if lang == "en" else local_p[i]),
            base_following=bf, joined_days_ago=joined,
            verified=bool(verified_u[i] < VERIFIED_P[tier]),
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
            c.following = int(round(bf + float(churn_oscillation(t_last, c)[0])))
        creators.append(c)

    # ---- cells and edges
    by_cell: dict[tuple[int, int], list[int]] = {}
    for c in creators:
        by_cell.setdefault((c.platform_i, c.niche_i), []).append(c.idx)
    cells = [(p, q, by_cell[(p, q)]) for (p, q) in sorted(by_cell)]
    edges, mentions = _plan_edges(config, creators, cells)
    return Plan(config=config, creators=creators, cells=cells, edges=edges, mentions=mentions)


def _plan_edges(config: DemoConfig, creators: list[PlannedCreator], cells):
    rng = seeded_rng(config.seed, 1)
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


