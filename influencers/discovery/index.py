"""A per-workspace, per-process columnar index of discovery's filterable columns.

The SQL search (:func:`influencers.discovery.sql_search_ids`) has to visit every match to count
and sort them, and probes an index per candidate for low audience shares and for growth: a
broad search at 100,000 creators takes far longer than a request may. This index holds, as
numpy arrays, what every documented filter and sort reads, for the workspace's scored
creators (ordered by id):

- profile: platform, country and language codes, followers, the contact flag, the handle,
  display name and bio folded as the database's ``lower``/``LIKE`` fold them (for ``q``);
- the current score's columns (NaN for NULL) and flag bits;
- categories: per category, the positions of its creators;
- audience shares: a ``scipy.sparse`` CSC matrix, creators x attributes, of every share (those
  below ``LOOKUP_MIN_SHARE`` too);
- brand mentions (brand, creator, date, sponsored), brands by name key and competitor groups;
- follower snapshots of the last 90 days, growth computed against "today" at query time.

A search builds a boolean mask (one vectorised comparison per filter), counts it, and takes
the page from the sort's permutation (sort key, then creator id ascending, NULLs placed as
the database places them), computed once per sort and kept. The page's rows are then read by
id in one statement, so a response is the same as the SQL search's.

Correctness after writes: an index is used only while the workspace's discovery generation
(``discovery_generations``, bumped by triggers on every write discovery can see; see
:mod:`influencers.brands.discovery_generation`) is the one it was built at. Each search reads
that generation (one primary-key SELECT) in its own transaction before anything else; the
build reads it first too, so an index never claims a generation newer than its data.

While a workspace has no index at its current generation, searches take the SQL path and
one background thread per workspace (re)builds it. Workspaces with fewer than
``discovery_index_min_creators`` (a setting) scored creators are always searched in SQL (fast
enough there; no memory).
Indexes idle for ``IDLE_SECONDS`` are dropped, and the least recently used go first
whenever the process's indexes hold more than ``MAX_BYTES``.
"""
from __future__ import annotations

import datetime as dt
import threading
import time
import weakref
from dataclasses import dataclass, field

import numpy as np
import scipy.sparse as sp
from sqlalchemy import func, select, true
from sqlalchemy.orm import Session

from influencers.brands.discovery import GROWTH_WINDOWS, growth_entry
from influencers.brands.discovery_generation import compact_changes, generation_select
from influencers.brands.models import Brand, BrandCompetitor, BrandMention
from influencers.brands.service import name_key
from influencers.config import Settings
from influencers.creators.models import Creator, CreatorCategory, FollowerSnapshot
from influencers.scoring.store import FLAG_BITS, AudienceShare, CreatorScore


def _min_creators(database) -> int | None:
    """The ``discovery_index_min_creators`` setting (``INFLUENCERS_DISCOVERY_INDEX_MIN_CREATORS``)
    of the process that made ``database``; the default when it has no settings."""
    return (database.settings or Settings()).discovery_index_min_creators


# Indexes not searched for this long are dropped.
IDLE_SECONDS = 900.0
# The process's indexes together stay under this (least recently used dropped first).
MAX_BYTES = 1 << 30
# False: (re)build in the searching thread (tests, benchmarks warming up).
BUILD_IN_BACKGROUND = True

SCORE_COLUMNS = {
    "score": CreatorScore.score,
    "authenticity": CreatorScore.authenticity,
    "engagement_rate": CreatorScore.engagement_rate,
    "engagement_quality": CreatorScore.engagement_quality,
    "estimated_reach": CreatorScore.estimated_reach,
    "reach": CreatorScore.reach_component,
    "centrality": CreatorScore.centrality,
    "fake_follower_share": CreatorScore.fake_follower_share,
}
_ASCII_LOWER = str.maketrans("ABCDEFGHIJKLMNOPQRSTUVWXYZ", "abcdefghijklmnopqrstuvwxyz")
_TEXT_SEPARATOR = "\x00"


def _codes(values: list) -> tuple[np.ndarray, dict]:
    """(an int32 code per value, value -> code); None gets no code (-1)."""
    lookup: dict = {}
    codes = np.fromiter((-1 if v is None else lookup.setdefault(v, len(lookup)) for v in values),
                        dtype=np.int32, count=len(values))
    return codes, lookup


def _floats(values: list) -> np.ndarray:
    return np.array([np.nan if v is None else v for v in values], dtype=np.float64)


def _micros(value: dt.datetime) -> int:
    """A timestamp as naive-UTC microseconds (how the database compares ``published_at``)."""
    if value.tzinfo is not None:
        value = value.astimezone(dt.UTC).replace(tzinfo=None)
    return int(np.datetime64(value, "us").astype(np.int64))


@dataclass
class ColumnarIndex:
    workspace_id: int
    generation: int
    dialect: str
    ids: np.ndarray  # scored creators' ids, ascending; a creator's position is its row everywhere
    platform: np.ndarray
    platform_codes: dict
    country: np.ndarray
    country_codes: dict
    language: np.ndarray
    language_codes: dict
    followers: np.ndarray
    has_contact: np.ndarray
    # Every creator's handle, display name and bio folded, all joined by _TEXT_SEPARATOR, and
    # where each creator's text starts in it.
    text_blob: str
    text_starts: np.ndarray
    handle_rank: np.ndarray  # dense rank of the handle in the database's ORDER BY handle
    scores: dict[str, np.ndarray]
    flag_bits: np.ndarray
    flags_known: np.ndarray
    categories: dict[str, np.ndarray]
    audience: sp.csc_matrix
    brand_by_key: dict[str, list[int]]
    competitors: dict[int, list[int]]
    mention_brand_starts: dict[int, tuple[int, int]]
    mention_creator: np.ndarray
    mention_published: np.ndarray
    mention_sponsored: np.ndarray
    snapshot_creator: np.ndarray
    snapshot_day: np.ndarray
    snapshot_followers: np.ndarray
    _orders: dict = field(default_factory=dict)
    _growth: dict = field(default_factory=dict)
    last_used: float = field(default_factory=time.monotonic)

    @property
    def size(self) -> int:
        return len(self.ids)

    @property
    def nbytes(self) -> int:
        """The index's bytes, its arrays and text included (what eviction counts)."""
        arrays = [self.ids, self.platform, self.country, self.language, self.followers, self.has_contact,
                  self.handle_rank, self.flag_bits, self.flags_known, self.mention_creator,
                  self.mention_published, self.mention_sponsored, self.snapshot_creator, self.snapshot_day,
                  self.snapshot_followers, self.audience.data, self.audience.indices, self.audience.indptr,
                  *self.scores.values(), *self.categories.values(), *self._orders.values()]
        return sum(a.nbytes for a in [*arrays, self.text_starts]) + len(self.text_blob)

    # -- filters -------------------------------------------------------------------------------------

    def _equal(self, codes: np.ndarray, lookup: dict, value) -> np.ndarray:
        code = lookup.get(value)
        return codes == code if code is not None else np.zeros(self.size, bool)

    def _positions(self, positions: np.ndarray) -> np.ndarray:
        mask = np.zeros(self.size, bool)
        mask[positions] = True
        return mask

    def _text_matches(self, q: str) -> np.ndarray:
        needle = q.lower()
        mask = np.zeros(self.size, bool)
        if _TEXT_SEPARATOR in needle:
            return mask  # no stored text holds it (nor can a match span two texts)
        # Occurrences found by str.find in the joined texts and mapped to their creators: a rare
        # needle costs its occurrences, not a test per creator. A common one (a letter) would
        # find more occurrences than there are creators: then one test per creator's text.
        blob, most = self.text_blob, max(64, self.size // 8)
        found, at = [], blob.find(needle)
        while at >= 0 and len(found) <= most:
            found.append(at)
            at = blob.find(needle, at + 1)
        if at < 0:
            mask[np.searchsorted(self.text_starts, found, side="right") - 1] = True
            return mask
        ends = np.r_[self.text_starts[1:] - 1, len(blob)].tolist()
        return np.fromiter((needle in blob[start:end] for start, end in zip(self.text_starts.tolist(), ends)),
                           dtype=bool, count=self.size)

    def _mentioning(self, brand_ids: list[int], since: dt.datetime, kind: str) -> np.ndarray:
        mask = np.zeros(self.size, bool)
        since_us = _micros(since)
        for brand_id in set(brand_ids):
            start, end = self.mention_brand_starts.get(brand_id, (0, 0))
            hit = self.mention_published[start:end] >= since_us
            if kind != "any":
                hit &= self.mention_sponsored[start:end] == (kind == "sponsored")
            mask[self.mention_creator[start:end][hit]] = True
        return mask

    def _group(self, name: str) -> list[int]:
        own = self.brand_by_key.get(name_key(name), [])
        return own + [c for brand_id in own for c in self.competitors.get(brand_id, [])]

    def _growth_window(self, today: dt.date, days: int) -> tuple[np.ndarray, ...]:
        """(snapshots in the window, first followers, last followers, last snapshot's day ordinal)
        per creator for ``today``."""
        key = (today, days)
        if key not in self._growth:
            cutoff = (today - dt.timedelta(days)).toordinal()
            rows = np.flatnonzero(self.snapshot_day >= cutoff)
            creators = self.snapshot_creator[rows]
            count = np.bincount(creators, minlength=self.size)
            first = np.zeros(self.size, np.int64)
            last = np.zeros(self.size, np.int64)
            last_day = np.zeros(self.size, np.int32)
            if len(rows):
                starts = np.r_[True, creators[1:] != creators[:-1]]
                ends = np.r_[creators[1:] != creators[:-1], True]
                first[creators[starts]] = self.snapshot_followers[rows[starts]]
                last[creators[ends]] = self.snapshot_followers[rows[ends]]
                last_day[creators[ends]] = self.snapshot_day[rows[ends]]
            if len(self._growth) > 8:
                self._growth.clear()
            self._growth[key] = (count, first, last, last_day)
        return self._growth[key]

    def growth(self, positions: np.ndarray, today: dt.date) -> list[dict]:
        """The follower growth of the creators at ``positions``, as
        :func:`influencers.brands.discovery.growth_for` reports it from the database."""
        windows = {days: self._growth_window(today, days) for days in GROWTH_WINDOWS}
        widest = windows[max(GROWTH_WINDOWS)]
        out = []
        for position in positions.tolist():
            counts = {days: (int(count[position]), int(first[position]), int(last[position]))
                      for days, (count, first, last, _) in windows.items()}
            as_of = dt.date.fromordinal(int(widest[3][position])) if widest[0][position] else None
            out.append(growth_entry(as_of, counts))
        return out

    def _growth_matches(self, days: int, low: float | None, high: float | None, today: dt.date) -> np.ndarray:
        count, first, last, _ = self._growth_window(today, days)
        mask = (count >= 2) & (first > 0)
        first_f, last_f = first.astype(np.float64), last.astype(np.float64)
        # As the SQL compares: last >= first * (1 + low), without a division.
        if low is not None:
            mask &= last_f >= first_f * (1 + low)
        if high is not None:
            mask &= last_f <= first_f * (1 + high)
        return mask

    def matches(self, query, *, today: dt.date, now: dt.datetime) -> np.ndarray:
        """The boolean mask of the creators ``query`` finds (a :class:`~influencers.discovery.DiscoveryQuery`)."""
        creator = query.creator
        mask = np.ones(self.size, bool)
        if creator.platform:
            mask &= self._equal(self.platform, self.platform_codes, creator.platform)
        if creator.country:
            mask &= self._equal(self.country, self.country_codes, creator.country.upper())
        if creator.language:
            mask &= self._equal(self.language, self.language_codes, creator.language.lower())
        if creator.category:
            mask &= self._positions(self.categories.get(creator.category.lower(), np.zeros(0, np.int32)))
        if creator.min_followers is not None:
            mask &= self.followers >= creator.min_followers
        if creator.max_followers is not None:
            mask &= self.followers <= creator.max_followers
        if creator.q:
            mask &= self._text_matches(creator.q)
        for name, low, high in (("engagement_rate", query.min_engagement_rate, query.max_engagement_rate),
                                ("authenticity", query.min_authenticity, None),
                                ("fake_follower_share", None, query.max_fake_follower_share),
                                ("score", query.min_score, None)):
            if low is not None:
                mask &= self.scores[name] >= low
            if high is not None:
                mask &= self.scores[name] <= high
        if query.with_flags:
            bits = sum(FLAG_BITS[name] for name in query.with_flags)
            mask &= self.flags_known & ((self.flag_bits & bits) == bits)
        if query.without_flags:
            bits = sum(FLAG_BITS[name] for name in query.without_flags)
            mask &= self.flags_known & ((self.flag_bits & bits) == 0)
        for condition in query.audience:
            attribute = condition.attribute
            if attribute >= self.audience.shape[1]:
                mask[:] = False
                continue
            start, end = self.audience.indptr[attribute], self.audience.indptr[attribute + 1]
            rows = self.audience.indices[start:end][self.audience.data[start:end] >= condition.min_share]
            mask &= self._positions(rows)
        if query.mentions_brand:
            mask &= self._mentioning(self.brand_by_key.get(name_key(query.mentions_brand), []),
                                     now - dt.timedelta(days=query.mention_within_days), query.mention_kind)
        for brand_ids in ((self.brand_by_key.get(name_key(query.not_sponsored_by), [])
                           if query.not_sponsored_by else None),
                          self._group(query.not_sponsored_by_group) if query.not_sponsored_by_group else None):
            if brand_ids is not None:
                mask &= ~self._mentioning(brand_ids, now - dt.timedelta(days=query.sponsored_within_days),
                                          "sponsored")
        if query.has_contact is True:
            mask &= self.has_contact
        elif query.has_contact is False:
            mask &= ~self.has_contact
        for days in GROWTH_WINDOWS:
            low, high = getattr(query, f"min_growth_{days}d"), getattr(query, f"max_growth_{days}d")
            if low is not None or high is not None:
                mask &= self._growth_matches(days, low, high, today)
        return mask

    # -- order ---------------------------------------------------------------------------------------

    def order(self, sort: str) -> np.ndarray:
        """Positions in the order of ``sort`` (key, then id ascending), NULLs where the database puts
        them (SQLite: smallest; PostgreSQL: largest)."""
        if sort not in self._orders:
            name = sort.lstrip("-")
            if name == "handle":
                key = self.handle_rank.astype(np.float64)
            elif name == "followers":
                key = self.followers.astype(np.float64)
            else:
                key = self.scores[name]
            key = np.where(np.isnan(key), -np.inf if self.dialect == "sqlite" else np.inf, key)
            # ids ascending are positions ascending: the tie-break is the position itself.
            self._orders[sort] = np.lexsort((np.arange(self.size), -key if sort.startswith("-") else key)
                                            ).astype(np.int32)
        return self._orders[sort]

    def page(self, query, *, offset: int, limit: int, today: dt.date, now: dt.datetime) -> tuple[np.ndarray, int]:
        """(the page's positions in order, the number of matches)."""
        mask = self.matches(query, today=today, now=now)
        total = int(np.count_nonzero(mask))
        wanted = min(offset + limit, total)
        if wanted <= offset:
            return np.zeros(0, np.int32), total
        order = self.order(query.sort)
        # The sort's permutation walked in doubling blocks until they hold the page: an early page
        # reads about as many positions as the matches' density asks, not every creator.
        block, start, found, held = _first_block(wanted, total, self.size), 0, [], 0
        while held < wanted and start < self.size:
            positions = order[start:start + block]
            found.append(positions[mask[positions]])
            held += len(found[-1])
            start, block = start + block, block * 2
        return np.concatenate(found)[offset:wanted], total

    def page_ids(self, positions: np.ndarray) -> list[int]:
        return self.ids[positions].tolist()


def _first_block(wanted: int, total: int, size: int) -> int:
    """How many positions of the permutation the first block reads: enough to hold ``wanted`` of
    ``total`` matches among ``size`` creators if they are spread evenly, with a margin."""
    return max(256, int(wanted * size / total * 1.25) + 1)


# -- building ----------------------------------------------------------------------------------------


def read_generation(session: Session, workspace_id: int) -> int:
    """The workspace's discovery generation (0 before its first write)."""
    return session.scalar(generation_select(workspace_id, session.get_bind().dialect.name)) or 0


def _fold(text: str | None, dialect: str) -> str:
    if text is None:
        return ""
    # SQLite's lower() and LIKE fold ASCII letters only; PostgreSQL's lower() folds every letter.
    return text.translate(_ASCII_LOWER) if dialect == "sqlite" else text.lower()


def build(session: Session, workspace_id: int) -> ColumnarIndex:
    """The index of the workspace as ``session``'s transaction sees it (generation read first)."""
    dialect = session.get_bind().dialect.name
    generation = read_generation(session, workspace_id)
    current = (CreatorScore.creator_id == Creator.id) & (CreatorScore.is_current == true())
    in_workspace = (Creator.workspace_id == workspace_id, CreatorScore.workspace_id == workspace_id)
    rows = session.execute(
        select(Creator.id, Creator.platform, Creator.country, Creator.language, Creator.followers, Creator.email,
               Creator.handle, Creator.display_name, Creator.bio, CreatorScore.flag_bits,
               *SCORE_COLUMNS.values())
        .join(CreatorScore, current).where(*in_workspace).order_by(Creator.id)).all()
    columns = list(zip(*rows)) if rows else [[] for _ in range(10 + len(SCORE_COLUMNS))]
    ids = np.array(columns[0], dtype=np.int64)
    n = len(ids)

    def positions(creator_ids) -> tuple[np.ndarray, np.ndarray]:
        """(positions, which of ``creator_ids`` are indexed creators)."""
        creator_ids = np.asarray(creator_ids, dtype=np.int64)
        found = np.searchsorted(ids, creator_ids)
        known = found < n
        known[known] = ids[found[known]] == creator_ids[known]
        return found.astype(np.int32), known

    platform, platform_codes = _codes(columns[1])
    country, country_codes = _codes(columns[2])
    language, language_codes = _codes(columns[3])
    texts = [_TEXT_SEPARATOR.join((_fold(h, "sqlite") if dialect == "sqlite" else (h or ""),
                                   _fold(d, dialect), _fold(b, dialect)))
             for h, d, b in zip(columns[6], columns[7], columns[8])]
    text_starts = np.zeros(n, np.int64)
    if n:
        text_starts[1:] = np.cumsum(np.fromiter(map(len, texts), dtype=np.int64, count=n))[:-1] + np.arange(1, n)
    flags = [-1 if v is None else v for v in columns[9]]

    handles = session.execute(select(Creator.id, Creator.handle).join(CreatorScore, current)
                              .where(*in_workspace).order_by(Creator.handle)).all()
    handle_rank = np.zeros(n, np.int64)
    if handles:
        changed = np.fromiter((i == 0 or handles[i][1] != handles[i - 1][1] for i in range(len(handles))),
                              dtype=bool, count=len(handles))
        handle_rank[positions([h[0] for h in handles])[0]] = np.cumsum(changed)

    in_scored = Creator.id.in_(select(CreatorScore.creator_id).where(
        CreatorScore.workspace_id == workspace_id, CreatorScore.is_current == true()))
    categories: dict[str, list] = {}
    category_rows = session.execute(select(CreatorCategory.creator_id, CreatorCategory.category)
                                    .join(Creator, Creator.id == CreatorCategory.creator_id)
                                    .where(Creator.workspace_id == workspace_id, in_scored)).all()
    if category_rows:
        found, known = positions([r[0] for r in category_rows])
        for position, ok, (_, category) in zip(found.tolist(), known.tolist(), category_rows):
            if ok:
                categories.setdefault(category, []).append(position)

    shares = session.execute(select(AudienceShare.creator_id, AudienceShare.attribute, AudienceShare.share)
                             .join(Creator, Creator.id == AudienceShare.creator_id)
                             .where(Creator.workspace_id == workspace_id, in_scored)).all()
    share_columns = list(zip(*shares)) if shares else [[], [], []]
    found, known = positions(share_columns[0])
    attributes = np.array(share_columns[1], dtype=np.int64)
    width = int(attributes.max()) + 1 if len(attributes) else 1
    audience = sp.csc_matrix((np.array(share_columns[2], dtype=np.float64)[known],
                              (found[known], attributes[known])), shape=(n, width))
    audience.sum_duplicates()

    brands = session.execute(select(Brand.id, Brand.name_key).where(Brand.workspace_id == workspace_id)).all()
    brand_by_key: dict[str, list[int]] = {}
    for brand_id, key in brands:
        brand_by_key.setdefault(key, []).append(brand_id)
    competitors: dict[int, list[int]] = {}
    for brand_id, competitor_id in session.execute(
            select(BrandCompetitor.brand_id, BrandCompetitor.competitor_id)
            .join(Brand, Brand.id == BrandCompetitor.brand_id).where(Brand.workspace_id == workspace_id)):
        competitors.setdefault(brand_id, []).append(competitor_id)
    mentions = session.execute(
        select(BrandMention.brand_id, BrandMention.creator_id, BrandMention.published_at, BrandMention.sponsored)
        .join(Brand, Brand.id == BrandMention.brand_id).where(Brand.workspace_id == workspace_id)
        .order_by(BrandMention.brand_id)).all()
    mention_columns = list(zip(*mentions)) if mentions else [[], [], [], []]
    found, known = positions(mention_columns[1])
    mention_brand = np.array(mention_columns[0], dtype=np.int64)[known]
    starts: dict[int, tuple[int, int]] = {}
    if len(mention_brand):
        edges = np.flatnonzero(np.r_[True, mention_brand[1:] != mention_brand[:-1], True])
        starts = {int(mention_brand[a]): (int(a), int(b)) for a, b in zip(edges[:-1], edges[1:])}

    today = dt.datetime.now(dt.UTC).date()
    snapshots = session.execute(
        select(FollowerSnapshot.creator_id, FollowerSnapshot.date, FollowerSnapshot.followers)
        .join(Creator, Creator.id == FollowerSnapshot.creator_id)
        .where(Creator.workspace_id == workspace_id, in_scored,
               FollowerSnapshot.date >= today - dt.timedelta(max(GROWTH_WINDOWS)))
        .order_by(FollowerSnapshot.creator_id, FollowerSnapshot.date)).all()
    snapshot_columns = list(zip(*snapshots)) if snapshots else [[], [], []]
    snapshot_found, snapshot_known = positions(snapshot_columns[0])

    index = ColumnarIndex(
        workspace_id=workspace_id, generation=generation, dialect=dialect, ids=ids,
        platform=platform, platform_codes=platform_codes, country=country, country_codes=country_codes,
        language=language, language_codes=language_codes,
        followers=np.array(columns[4], dtype=np.int64),
        has_contact=np.fromiter((bool(e) for e in columns[5]), dtype=bool, count=n),
        text_blob=_TEXT_SEPARATOR.join(texts), text_starts=text_starts, handle_rank=handle_rank,
        scores={name: _floats(columns[10 + k]) for k, name in enumerate(SCORE_COLUMNS)},
        flag_bits=np.array(flags, dtype=np.int64), flags_known=np.array(flags, dtype=np.int64) >= 0,
        categories={c: np.array(p, dtype=np.int32) for c, p in categories.items()},
        audience=audience, brand_by_key=brand_by_key, competitors=competitors, mention_brand_starts=starts,
        mention_creator=found[known],
        mention_published=np.array([_micros(t) for t in mention_columns[2]], dtype=np.int64)[known],
        mention_sponsored=np.array(mention_columns[3], dtype=bool)[known],
        snapshot_creator=snapshot_found[snapshot_known],
        snapshot_day=np.array([d.toordinal() for d in snapshot_columns[1]], dtype=np.int32)[snapshot_known],
        snapshot_followers=np.array(snapshot_columns[2], dtype=np.int64)[snapshot_known],
    )
    # Every sort's permutation now, so that no search pays for one (4 bytes per creator each).
    for name in (*SCORE_COLUMNS, "followers", "handle"):
        for direction in ("", "-"):
            index.order(direction + name)
    return index


# -- the process's indexes ---------------------------------------------------------------------------


@dataclass
class _Slot:
    index: ColumnarIndex | None = None
    building: bool = False
    too_small_at: int | None = None  # the generation at which the workspace was too small to index
    lock: threading.Lock = field(default_factory=threading.Lock)


class IndexCache:
    """One process's indexes of one database: workspace id -> slot."""

    def __init__(self):
        self._slots: dict[int, _Slot] = {}
        self._lock = threading.Lock()
        self._evicted_at = time.monotonic()

    def evict_now_and_then(self) -> None:
        """:meth:`evict` at most once a minute (idle workspaces go even when no other is built)."""
        if time.monotonic() - self._evicted_at > 60.0:
            self._evicted_at = time.monotonic()
            self.evict()

    def slot(self, workspace_id: int) -> _Slot:
        with self._lock:
            return self._slots.setdefault(workspace_id, _Slot())

    def install(self, slot: _Slot, index: ColumnarIndex) -> None:
        with slot.lock:
            if slot.index is None or slot.index.generation <= index.generation:
                slot.index = index
        self.evict()

    def evict(self, now: float | None = None) -> None:
        now = time.monotonic() if now is None else now
        with self._lock:
            held = [(s.index.last_used, w, s) for w, s in self._slots.items() if s.index is not None]
            total = sum(s.index.nbytes for _, _, s in held)
            for last_used, _workspace_id, s in sorted(held, key=lambda item: item[0]):
                if now - last_used > IDLE_SECONDS or total > MAX_BYTES:
                    total -= s.index.nbytes
                    s.index = None

    @property
    def nbytes(self) -> int:
        return sum(s.index.nbytes for s in list(self._slots.values()) if s.index is not None)


_caches: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()
_caches_lock = threading.Lock()


def cache_for(database) -> IndexCache:
    """The process's index cache of ``database`` (a :class:`influencers.db.Database`)."""
    with _caches_lock:
        cache = _caches.get(database)
        if cache is None:
            cache = _caches[database] = IndexCache()
        return cache


def _scored_count(session: Session, workspace_id: int) -> int:
    return session.scalar(select(func.count()).select_from(CreatorScore).where(
        CreatorScore.workspace_id == workspace_id, CreatorScore.is_current == true())) or 0


def _build_into(database, cache: IndexCache, slot: _Slot, workspace_id: int) -> None:
    try:
        if database.engine.dialect.name == "postgresql":
            with database.transaction() as session:
                compact_changes(session, workspace_id)  # keeps the generation's count short (same sum)
        with database.transaction(write=False) as session:
            index = build(session, workspace_id)
        if index.size < _min_creators(database):
            slot.too_small_at = index.generation
        else:
            slot.too_small_at = None
            cache.install(slot, index)
    finally:
        with slot.lock:
            slot.building = False


def usable_index(session: Session, workspace_id: int) -> ColumnarIndex | None:
    """The workspace's index if it is at the workspace's current generation; otherwise None,
    after starting its (re)build (in the background unless ``BUILD_IN_BACKGROUND`` is False,
    when the index it builds is returned). Reads the generation: call it first in the transaction."""
    database = session.info.get("database")
    if database is None:
        return None
    generation = read_generation(session, workspace_id)
    cache = cache_for(database)
    cache.evict_now_and_then()
    slot = cache.slot(workspace_id)
    index = slot.index
    if index is not None and index.generation == generation:
        index.last_used = time.monotonic()
        return index
    if slot.too_small_at == generation:
        return None
    if _min_creators(database) is None:
        return None
    if slot.index is None and _scored_count(session, workspace_id) < _min_creators(database):
        slot.too_small_at = generation  # counted in this transaction, after its generation
        return None
    with slot.lock:
        # A build may have finished since slot.index was read above: use it rather than
        # start another (under load every build was followed by a needless second one).
        index = slot.index
        if index is not None and index.generation == generation:
            index.last_used = time.monotonic()
            return index
        if slot.building:
            return None
        slot.building = True
    if BUILD_IN_BACKGROUND:
        threading.Thread(target=_build_into, args=(database, cache, slot, workspace_id), daemon=True,
                         name=f"discovery-index-{workspace_id}").start()
        return None
    _build_into(database, cache, slot, workspace_id)
    index = slot.index
    return index if index is not None and index.generation == generation else None
