"""The columnar input of the scoring: one numpy array per field, no ORM objects.

A loader fills :class:`ScoringInputs` with one set-based read per table (or
:func:`inputs_from_records` builds it from import-format dicts, for the demo,
the evaluation and the tests). Rows reference creators by position
(``0 <= index < n_creators``) and audience members by position in the member
arrays. Missing optional values are ``nan`` (numbers) or ``NaT`` (dates).
"""
from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field, fields

import numpy as np
import pandas as pd

from influencers.creators.contests import detect_contest

# Same order as influencers.creators.models.PLATFORMS (a test pins it); kept
# here so the scoring imports neither SQLAlchemy nor Flask.
PLATFORMS = (
    "instagram", "tiktok", "youtube", "twitter", "facebook", "linkedin",
    "snapchat", "tumblr", "whatsapp", "twitch", "pinterest", "blog",
)
PLATFORM_CODE = {name: code for code, name in enumerate(PLATFORMS)}
# Platforms where a post's views are its reach: reach is views-based there.
VIDEO_PLATFORMS = ("tiktok", "youtube", "twitch", "snapchat")

NAT = np.datetime64("NaT", "D")

# Audience member attributes, held as integer codes into their distinct values (see :func:`coded`).
MEMBER_ATTRIBUTES = ("member_country", "member_language", "member_gender", "member_age_range")


def coded(values) -> pd.Categorical:
    """``values`` (strings, ``None`` unknown) as a pandas ``Categorical``: one small integer code
    per value (-1 unknown) into the distinct values. A workspace's members hold a few hundred
    distinct countries, languages, genders and age ranges: two bytes per member instead of a
    pointer to a Python string each."""
    if isinstance(values, pd.Categorical):
        return values
    return pd.Categorical(np.asarray(values, dtype=object))


def factorized(values) -> tuple[np.ndarray, np.ndarray]:
    """(codes as int64, -1 unknown; the distinct values, object) of ``values``: a
    :func:`coded` column's own codes (no work), or ``pd.factorize`` of plain values.
    Distinct values may include some no row holds."""
    if isinstance(values, pd.Categorical):
        return values.codes.astype(np.int64), np.asarray(values.categories, dtype=object)
    codes, uniques = pd.factorize(np.asarray(values, dtype=object))
    return codes.astype(np.int64), np.asarray(uniques, dtype=object)


def missing_or_empty(values) -> np.ndarray:
    """Per value: unknown (``None``) or the empty string."""
    codes, uniques = factorized(values)
    empty = np.array([u == "" for u in uniques.tolist()] + [True], dtype=bool)  # the last: code -1
    return empty[codes]


def _arr(values, dtype) -> np.ndarray:
    return np.asarray(values if values is not None else [], dtype=dtype)


def _int(values=None) -> np.ndarray:
    return _arr(values, np.int64)


def _float(values=None) -> np.ndarray:
    return _arr(values, np.float64)


def _day(values=None) -> np.ndarray:
    return _arr(values, "datetime64[D]")


def _bool(values=None) -> np.ndarray:
    return _arr(values, bool)


@dataclass
class ScoringInputs:
    """Everything the scores are computed from, as arrays.

    Creators (length ``n_creators``):
      ``creator_ids`` the caller's ids (database ids, or positions), ``platform``
      codes into :data:`PLATFORMS`, ``followers``, ``following``, ``posts_count``,
      ``as_of`` the date the counts were read (``NaT``: the latest date in the data),
      ``sample_date`` the date of the creator's audience sample (``NaT``: none),
      ``handles`` (optional, for explanations), ``sample_id`` (optional: the
      database id of that sample, -1 for none; the loader fills it so that a run can
      store the overlap sketches of exactly the samples it scored), ``country``,
      ``language`` (ISO codes) and ``niche`` (the creator's first category by name),
      object arrays, ``None`` unknown (optional: peer groups of the default-2 signals).
    Posts: ``post_creator``, ``post_published_at`` (datetime64[s], UTC),
      ``post_likes``, ``post_comments``, ``post_views`` (``nan`` where the platform
      reports none), ``post_is_contest`` (see :func:`detect_contest`),
      ``post_external_id`` (optional, named in evidence).
    Snapshots (daily): ``snapshot_creator``, ``snapshot_date``,
      ``snapshot_followers``, ``snapshot_following`` (``nan`` if absent).
    Audience members (each account once): ``member_followers``,
      ``member_following``, ``member_posts_count``, ``member_has_avatar``,
      ``member_bio_length`` (``nan`` unknown), ``member_created_at``,
      ``member_last_post_at`` (``NaT`` unknown), and optional demographics
      ``member_country``, ``member_language``, ``member_gender``,
      ``member_age_range`` (given as strings or :func:`coded`; held as :func:`coded`),
      ``member_keys`` (optional pseudonymous keys, as stored) or
      ``member_sketch_keys`` (optional: the int64 sketch keys of those keys,
      :func:`influencers.overlap.sketch.member_sketch_keys`, what a scoring run reads).
    Sample memberships (the creator's latest sample only): ``sample_creator``,
      ``sample_member``.
    ``comments`` edges between creators: ``comment_source``, ``comment_target``,
      ``comment_weight``.
    ``mentions`` / ``collaborates`` edges with an ``observed_at`` date (a creator featuring
      another): ``feature_source``, ``feature_target``, ``feature_date``.
    Creator categories (all of them): ``category_creator``, ``category_name``.
    """

    platform: np.ndarray
    followers: np.ndarray
    following: np.ndarray = None
    posts_count: np.ndarray = None
    creator_ids: np.ndarray = None
    as_of: np.ndarray = None
    sample_date: np.ndarray = None
    handles: np.ndarray | None = None
    sample_id: np.ndarray | None = None
    country: np.ndarray | None = None
    language: np.ndarray | None = None
    niche: np.ndarray | None = None

    post_creator: np.ndarray = field(default_factory=_int)
    post_published_at: np.ndarray = field(default_factory=lambda: _arr(None, "datetime64[s]"))
    post_likes: np.ndarray = field(default_factory=_float)
    post_comments: np.ndarray = field(default_factory=_float)
    post_views: np.ndarray = field(default_factory=_float)
    post_is_contest: np.ndarray = None
    post_external_id: np.ndarray | None = None

    snapshot_creator: np.ndarray = field(default_factory=_int)
    snapshot_date: np.ndarray = field(default_factory=_day)
    snapshot_followers: np.ndarray = field(default_factory=_float)
    snapshot_following: np.ndarray = None

    member_followers: np.ndarray = field(default_factory=_float)
    member_following: np.ndarray = field(default_factory=_float)
    member_posts_count: np.ndarray = field(default_factory=_float)
    member_has_avatar: np.ndarray = None
    member_bio_length: np.ndarray = None
    member_created_at: np.ndarray = None
    member_last_post_at: np.ndarray = None
    member_country: np.ndarray | None = None
    member_language: np.ndarray | None = None
    member_gender: np.ndarray | None = None
    member_age_range: np.ndarray | None = None
    member_keys: np.ndarray | None = None
    member_sketch_keys: np.ndarray | None = None
    member_ids: np.ndarray | None = None  # the members' database ids (a chunked run's ranges need them)

    sample_creator: np.ndarray = field(default_factory=_int)
    sample_member: np.ndarray = field(default_factory=_int)

    comment_source: np.ndarray = field(default_factory=_int)
    comment_target: np.ndarray = field(default_factory=_int)
    comment_weight: np.ndarray = None

    category_creator: np.ndarray = field(default_factory=_int)
    category_name: np.ndarray = field(default_factory=lambda: np.zeros(0, dtype=object))

    feature_source: np.ndarray = field(default_factory=_int)
    feature_target: np.ndarray = field(default_factory=_int)
    feature_date: np.ndarray = field(default_factory=_day)

    def __post_init__(self) -> None:
        self.platform = _arr(self.platform, np.int64)
        n = len(self.platform)
        self.followers = _float(self.followers)
        self.following = _float(self.following) if self.following is not None else np.full(n, np.nan)
        self.posts_count = _float(self.posts_count) if self.posts_count is not None else np.full(n, np.nan)
        self.creator_ids = _int(self.creator_ids) if self.creator_ids is not None else np.arange(n)
        self.as_of = _day(self.as_of) if self.as_of is not None else np.full(n, NAT)
        self.sample_date = _day(self.sample_date) if self.sample_date is not None else np.full(n, NAT)
        if self.handles is not None:
            self.handles = np.asarray(self.handles, dtype=object)
        if self.sample_id is not None:
            self.sample_id = _int(self.sample_id)
        for name in ("country", "language", "niche"):
            value = getattr(self, name)
            setattr(self, name, np.full(n, None, dtype=object) if value is None else np.asarray(value, dtype=object))

        self.post_creator = _int(self.post_creator)
        self.post_published_at = _arr(self.post_published_at, "datetime64[s]")
        self.post_likes = _float(self.post_likes)
        self.post_comments = _float(self.post_comments)
        m = len(self.post_creator)
        given_views = self.post_views is not None and len(self.post_views) > 0
        self.post_views = _float(self.post_views) if given_views else np.full(m, np.nan)
        self.post_is_contest = _bool(self.post_is_contest) if self.post_is_contest is not None else np.zeros(m, bool)
        if self.post_external_id is not None:
            self.post_external_id = np.asarray(self.post_external_id, dtype=object)

        self.snapshot_creator = _int(self.snapshot_creator)
        self.snapshot_date = _day(self.snapshot_date)
        self.snapshot_followers = _float(self.snapshot_followers)
        s = len(self.snapshot_creator)
        self.snapshot_following = (
            _float(self.snapshot_following) if self.snapshot_following is not None else np.full(s, np.nan)
        )

        self.member_followers = _float(self.member_followers)
        self.member_following = _float(self.member_following)
        self.member_posts_count = _float(self.member_posts_count)
        k = len(self.member_followers)
        self.member_has_avatar = _bool(self.member_has_avatar) if self.member_has_avatar is not None else np.ones(k,
                                                                                                                  bool)
        self.member_bio_length = (
            _float(self.member_bio_length) if self.member_bio_length is not None else np.full(k, np.nan)
        )
        self.member_created_at = _day(self.member_created_at) if self.member_created_at is not None else np.full(k, NAT)
        self.member_last_post_at = (
            _day(self.member_last_post_at) if self.member_last_post_at is not None else np.full(k, NAT)
        )
        for name in MEMBER_ATTRIBUTES:
            if getattr(self, name) is not None:
                setattr(self, name, coded(getattr(self, name)))
        if self.member_keys is not None:
            self.member_keys = np.asarray(self.member_keys, dtype=object)
        if self.member_sketch_keys is not None:
            self.member_sketch_keys = _int(self.member_sketch_keys)

        self.sample_creator = _int(self.sample_creator)
        self.sample_member = _int(self.sample_member)
        self.comment_source = _int(self.comment_source)
        self.comment_target = _int(self.comment_target)
        e = len(self.comment_source)
        self.comment_weight = _float(self.comment_weight) if self.comment_weight is not None else np.ones(e)
        self.category_creator = _int(self.category_creator)
        self.category_name = np.asarray(self.category_name, dtype=object)
        self.feature_source = _int(self.feature_source)
        self.feature_target = _int(self.feature_target)
        self.feature_date = _day(self.feature_date)
        self.validate()

    @property
    def n_creators(self) -> int:
        return len(self.platform)

    def validate(self) -> None:
        """Lengths agree and every index points inside its table (ValueError otherwise)."""
        n, problems = self.n_creators, []

        def same_length(prefix: str) -> None:
            group = [f.name for f in fields(self) if f.name.startswith(prefix) and getattr(self, f.name) is not None]
            lengths = {name: len(getattr(self, name)) for name in group}
            if len(set(lengths.values())) > 1:
                problems.append(f"{prefix}* arrays differ in length: {lengths}")

        for prefix in ("post_", "snapshot_", "member_", "sample_c", "comment_", "feature_", "category_"):
            same_length(prefix)
        for name in ("followers", "following", "posts_count", "creator_ids", "as_of", "sample_date", "handles",
                     "sample_id",
                     "country", "language", "niche"):
            value = getattr(self, name)
            if value is not None and len(value) != n:
                problems.append(f"{name} has {len(value)} values for {n} creators")
        if len(self.sample_member) != len(self.sample_creator):
            problems.append("sample_member and sample_creator differ in length")
        for name in ("post_creator", "snapshot_creator", "sample_creator", "comment_source", "comment_target",
                     "feature_source", "feature_target", "category_creator"):
            idx = getattr(self, name)
            if len(idx) and (idx.min() < 0 or idx.max() >= n):
                problems.append(f"{name} holds a creator index outside 0..{n - 1}")
        k = len(self.member_followers)
        if len(self.sample_member) and (self.sample_member.min() < 0 or self.sample_member.max() >= k):
            problems.append(f"sample_member holds a member index outside 0..{k - 1}")
        if len(self.platform) and (self.platform.min() < 0 or self.platform.max() >= len(PLATFORMS)):
            problems.append("platform holds an unknown platform code")
        if problems:
            raise ValueError("invalid scoring inputs: " + "; ".join(problems))

    def platform_names(self) -> np.ndarray:
        return np.asarray(PLATFORMS, dtype=object)[self.platform]


# --------------------------------------------------------------------------- records


def _normalise_handle(handle: str) -> str:
    return handle.strip().lstrip("@").lower()


def _date(value) -> np.datetime64:
    return np.datetime64(value[:10], "D") if value else NAT


def _timestamp(value: str) -> np.datetime64:
    ts = dt.datetime.fromisoformat(value.replace("Z", "+00:00"))
    if ts.tzinfo is not None:
        ts = ts.astimezone(dt.UTC).replace(tzinfo=None)
    return np.datetime64(ts, "s")


def inputs_from_records(records: Iterable[Mapping], secret: bytes = b"", workspace_id: int = 0) -> ScoringInputs:
    """Build :class:`ScoringInputs` from import-format dicts (see shared/import-format.md).

    Records are upserted on their natural keys like the importer does (the last
    one wins); only each creator's latest audience sample and only ``comments``
    edges are kept. Members are deduplicated per platform; raw member ids are
    not kept, only ``member_keys``, the HMAC the database stores (workspace key
    derived from ``secret`` and ``workspace_id``).
    Records naming an unknown creator are skipped. Positions follow the order in
    which creators first appear.
    """
    from influencers.creators.pseudonym import member_key, workspace_key  # stdlib-only module

    key = workspace_key(secret, workspace_id)
    creators: dict[tuple[str, str], dict] = {}
    posts: dict[tuple[str, str], dict] = {}
    snapshots: dict[tuple[str, str, str], dict] = {}
    audiences: dict[tuple[str, str], dict] = {}
    edges: dict[tuple[str, str, str], float] = {}
    features: dict[tuple[str, str, str, str], str] = {}
    for record in records:
        kind = record.get("type")
        platform = record.get("platform")
        if kind == "creator":
            creators[(platform, _normalise_handle(record["handle"]))] = record
        elif kind == "post":
            posts[(platform, str(record["external_id"]))] = record
        elif kind == "snapshot":
            snapshots[(platform, _normalise_handle(record["handle"]), record["date"])] = record
        elif kind == "audience":
            ck = (platform, _normalise_handle(record["handle"]))
            if ck not in audiences or record["sampled_at"] >= audiences[ck]["sampled_at"]:
                audiences[ck] = record
        elif kind == "edge" and record.get("kind") == "comments":
            ek = (platform, _normalise_handle(record["source"]), _normalise_handle(record["target"]))
            edges[ek] = float(record.get("weight", 1) or 1)
        elif kind == "edge" and record.get("kind") in ("mentions", "collaborates") and record.get("observed_at"):
            fk = (platform, _normalise_handle(record["source"]), _normalise_handle(record["target"]), record["kind"])
            features[fk] = str(record["observed_at"])[:10]

    index = {ck: i for i, ck in enumerate(creators)}
    c = list(creators.values())

    post_rows = [(index[(p["platform"], _normalise_handle(p["handle"]))], p) for p in posts.values()
                 if (p["platform"], _normalise_handle(p["handle"])) in index]
    snap_rows = [(index[(k[0], k[1])], s) for k, s in snapshots.items() if (k[0], k[1]) in index]

    member_index: dict[tuple[str, str], int] = {}  # (platform, raw id) -> position; never stored
    members: list[Mapping] = []
    member_keys: list[str] = []
    sample_creator: list[int] = []
    sample_member: list[int] = []
    sample_date = np.full(len(c), NAT)
    for ck, audience in audiences.items():
        if ck not in index:
            continue
        i = index[ck]
        sample_date[i] = _date(audience["sampled_at"])
        seen: set[int] = set()
        for member in audience.get("members", []):
            raw = (ck[0], str(member["id"]))
            j = member_index.get(raw)
            if j is None:
                j = member_index[raw] = len(members)
                members.append(member)
                member_keys.append(member_key(key, ck[0], raw[1]))
            else:
                members[j] = member  # the latest sample's view of the account
            if j not in seen:
                seen.add(j)
                sample_creator.append(i)
                sample_member.append(j)

    edge_rows = [(index[(p, s)], index[(p, t)], w) for (p, s, t), w in edges.items()
                 if (p, s) in index and (p, t) in index and s != t]

    feature_rows = [(index[(p, s)], index[(p, t)], d) for (p, s, t, _k), d in features.items()
                    if (p, s) in index and (p, t) in index and s != t]

    def col(rows, name, default=None):
        return [r.get(name, default) for r in rows]

    def opt_num(rows, name):
        return [np.nan if r.get(name) is None else r[name] for r in rows]

    def opt_date(rows, name):
        return np.array([r.get(name) or "NaT" for r in rows], dtype="datetime64[D]")

    posts_only = [p for _, p in post_rows]
    snaps_only = [s for _, s in snap_rows]
    return ScoringInputs(
        platform=[PLATFORM_CODE[r["platform"]] for r in c],
        followers=col(c, "followers", 0),
        following=col(c, "following", 0),
        posts_count=col(c, "posts_count", 0),
        sample_date=sample_date,
        handles=[_normalise_handle(r["handle"]) for r in c],
        country=col(c, "country"),
        language=col(c, "language"),
        niche=[min(r["categories"]) if r.get("categories") else None for r in c],
        post_creator=[i for i, _ in post_rows],
        post_published_at=[_timestamp(p["published_at"]) for p in posts_only],
        post_likes=col(posts_only, "likes", 0),
        post_comments=col(posts_only, "comments", 0),
        post_views=opt_num(posts_only, "views"),
        post_is_contest=[detect_contest(p.get("caption")) for p in posts_only],
        post_external_id=[str(p["external_id"]) for p in posts_only],
        snapshot_creator=[i for i, _ in snap_rows],
        snapshot_date=opt_date(snaps_only, "date"),
        snapshot_followers=col(snaps_only, "followers", 0),
        snapshot_following=opt_num(snaps_only, "following"),
        member_followers=col(members, "followers", 0),
        member_following=col(members, "following", 0),
        member_posts_count=col(members, "posts_count", 0),
        member_has_avatar=[bool(m.get("has_avatar", True)) for m in members],
        member_bio_length=opt_num(members, "bio_length"),
        member_created_at=opt_date(members, "created_at"),
        member_last_post_at=opt_date(members, "last_post_at"),
        member_country=col(members, "country"),
        member_language=col(members, "language"),
        member_gender=col(members, "gender"),
        member_age_range=col(members, "age_range"),
        member_keys=member_keys,
        sample_creator=sample_creator,
        sample_member=sample_member,
        comment_source=[r[0] for r in edge_rows],
        comment_target=[r[1] for r in edge_rows],
        comment_weight=[r[2] for r in edge_rows],
        category_creator=[i for i, r in enumerate(c) for _ in (r.get("categories") or ())],
        category_name=np.array([k for r in c for k in (r.get("categories") or ())], dtype=object),
        feature_source=[r[0] for r in feature_rows],
        feature_target=[r[1] for r in feature_rows],
        feature_date=np.array([r[2] for r in feature_rows], dtype="datetime64[D]"),
    )
