"""Follower pools per (platform, niche) and bot-farm pools per platform, from which
audience samples draw their members.
"""
from __future__ import annotations

import math

import msgspec
import numpy as np

from influencers.demo.parameters import (
    AGE_BY_PLATFORM,
    AGE_RANGES,
    BOT_COUNTRIES,
    CLS_BOT,
    CLS_INACTIVE,
    CLS_MASS,
    CLS_REAL,
    COUNTRIES,
    EXTRA_MEMBER_COUNTRIES,
    GENDERS,
    JSON_ENCODER,
    NICHE_FEMALE,
    NICHES,
    PLATFORM_MAX_YEARS,
    DemoConfig,
)
from influencers.demo.randomness import DayDates, choice_index, mix64, seeded_rng, stream_salt


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


class FollowerPool:
    """Audience members of one (platform, niche), or one platform's bot farm.

    Members are stored sorted by (class, country), so every sampling group (a class,
    or a class and a country) is a contiguous range of one cumulative popularity array
    and a whole audience sample needs a single ``searchsorted``.
    """

    def __init__(self, dates: DayDates, ids: np.ndarray, cls: np.ndarray, country: list, language: list,
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
        genders = list(GENDERS) + [None]
        ages = list(AGE_RANGES) + [None]
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
        encode = JSON_ENCODER.encode
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
                f = frags[i] = JSON_ENCODER.encode(self._member(i))
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
    names = [c[0] for c in COUNTRIES] + [c[0] for c in EXTRA_MEMBER_COUNTRIES]
    langs = [c[1] for c in COUNTRIES] + [c[1] for c in EXTRA_MEMBER_COUNTRIES]
    ci = choice_index(rng, country_w, n)
    english = rng.random(n) < 0.12
    country = [names[k] for k in ci.tolist()]
    language = [("en" if e else langs[k]) for k, e in zip(ci.tolist(), english.tolist())]
    fem = NICHE_FEMALE[niche_i]
    gender = choice_index(rng, (fem * 0.98, (1 - fem) * 0.98, 0.02), n)
    gender[rng.random(n) < 0.08] = -1
    age_w = np.asarray(AGE_BY_PLATFORM[platform_i], dtype=float)
    if NICHES[niche_i] == "parenting":
        age_w = age_w * np.asarray((0.1, 0.5, 1.6, 1.8, 1.0, 0.6, 0.4))
    elif NICHES[niche_i] in ("gaming", "comedy"):
        age_w = age_w * np.asarray((1.6, 1.4, 1.0, 0.7, 0.5, 0.3, 0.2))
    elif NICHES[niche_i] == "finance":
        age_w = age_w * np.asarray((0.2, 0.8, 1.4, 1.4, 1.0, 0.8, 0.6))
    age = choice_index(rng, age_w, n)
    age[rng.random(n) < 0.12] = -1
    return country, language, gender, age


def member_pool(config: DemoConfig, dates: DayDates, platform_i: int, niche_i: int, size: int) -> FollowerPool:
    rng = seeded_rng(config.seed, 3, platform_i, niche_i)
    n = size
    cls = choice_index(rng, (0.6, 0.2, 0.2), n).astype(np.int8)
    country_w = [c[2] for c in COUNTRIES] + [0.012] * len(EXTRA_MEMBER_COUNTRIES)
    country, language, gender, age = _demographics(rng, n, platform_i, niche_i, country_w)
    max_days = int(PLATFORM_MAX_YEARS[platform_i] * 365)

    real, mass, inact = cls == CLS_REAL, cls == CLS_MASS, cls == CLS_INACTIVE
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
    years = np.where(inact, rng.uniform(2.0, 13.0, n),
                     np.where(mass, rng.uniform(1.5, 12.0, n), rng.uniform(1.0, 14.0, n)))
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
    ids = mix64(serial ^ stream_salt(config.seed, 1))
    return FollowerPool(dates, ids, cls, country, language, gender, age, followers, following, posts,
                 avatar, bio_len, created, last_post, pop)


def bot_pool(config: DemoConfig, dates: DayDates, platform_i: int, size: int) -> FollowerPool:
    rng = seeded_rng(config.seed, 4, platform_i)
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
    cix = rng.integers(0, len(BOT_COUNTRIES), n)
    has_country = rng.random(n) < 0.5
    country = [(BOT_COUNTRIES[k][0] if h else None) for k, h in zip(cix.tolist(), has_country.tolist())]
    language = [(BOT_COUNTRIES[k][1] if h else None) for k, h in zip(cix.tolist(), has_country.tolist())]
    gender = np.where(rng.random(n) < 0.25, rng.integers(0, 2, n), -1)
    age = np.where(rng.random(n) < 0.15, rng.integers(0, 7, n), -1)
    serial = np.arange(n, dtype=np.uint64) | (np.uint64(platform_i + 1) << np.uint64(56)) | (
        np.uint64(63) << np.uint64(48))
    ids = mix64(serial ^ stream_salt(config.seed, 1))
    return FollowerPool(dates, ids, np.full(n, CLS_BOT, dtype=np.int8), country, language, gender, age,
                 np.rint(followers).astype(np.int64), np.rint(following).astype(np.int64),
                 posts.astype(np.int64), avatar, bio_len.astype(np.int64), created.astype(np.int64),
                 last_post.astype(np.int64), np.ones(n))


