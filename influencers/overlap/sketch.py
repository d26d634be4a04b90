"""Theta sketches (Apache DataSketches) for audiences too large to hold exactly.

A sketch keeps the ``2^lg_k``-ish smallest hashes of an audience's member keys
and estimates cardinalities of unions, intersections and differences with
error bounds (relative standard error about ``1 / sqrt(2^lg_k)``; exact below
``2^lg_k`` members). Sketches combine only when built with the same hash
``seed``, so every serialised sketch carries its parameters::

    b"IFTS" | version (u8) | lg_k (u8) | seed (u64, little endian) | DataSketches compact theta sketch

Deserialisation validates the header and the sketch's own seed hash; nothing
is pickled. Build sketches from stable keys, and always of the same type: the
integer 5 and the string "5" hash differently. Audience sketches are built from
:func:`member_sketch_keys` (one 64-bit integer per stored ``member_key``); format
version 1 hashed the ``member_key`` strings themselves, so its sketches do not
combine with version 2's and are rebuilt, not read.

Bounds are the library's approximate confidence bounds at ``num_std_devs``
standard deviations (1, 2 or 3: about 68%, 95%, 99.7%).
"""
from __future__ import annotations

import hashlib
import struct
from collections import deque
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

import numpy as np
from datasketches import (
    compact_theta_sketch,
    theta_a_not_b,
    theta_intersection,
    theta_jaccard_similarity,
    theta_union,
    update_theta_sketch,
)

DEFAULT_LG_K = 12
DEFAULT_SEED = 9001  # the DataSketches default
MAGIC = b"IFTS"
VERSION = 2  # 2: members keyed by member_sketch_keys (integers); 1: by their member_key strings
_HEADER = struct.Struct("<4sBBQ")


@dataclass(frozen=True)
class SketchEstimate:
    estimate: float
    lower: float
    upper: float
    num_std_devs: int
    exact: bool

    def to_dict(self) -> dict:
        return {"estimate": self.estimate, "lower": self.lower, "upper": self.upper,
                "num_std_devs": self.num_std_devs, "exact": self.exact}


def _estimate(sketch, num_std_devs: int) -> SketchEstimate:
    if num_std_devs not in (1, 2, 3):
        raise ValueError("num_std_devs must be 1, 2 or 3")
    est = float(sketch.get_estimate())
    exact = not sketch.is_estimation_mode()
    if exact:
        return SketchEstimate(est, est, est, num_std_devs, True)
    return SketchEstimate(est, float(sketch.get_lower_bound(num_std_devs)),
                          float(sketch.get_upper_bound(num_std_devs)), num_std_devs, False)


@dataclass(frozen=True)
class AudienceSketch:
    """A compact theta sketch of one audience with the parameters it was built with."""

    sketch: compact_theta_sketch
    lg_k: int = DEFAULT_LG_K
    seed: int = DEFAULT_SEED

    def estimate(self, num_std_devs: int = 2) -> SketchEstimate:
        return _estimate(self.sketch, num_std_devs)

    @property
    def retained(self) -> int:
        # A property in datasketches 5 (a method in older releases).
        value = self.sketch.num_retained
        return int(value() if callable(value) else value)

    def to_bytes(self, compress: bool = False) -> bytes:
        return _HEADER.pack(MAGIC, VERSION, self.lg_k, self.seed) + self.sketch.serialize(compress)

    @classmethod
    def from_bytes(cls, data: bytes) -> AudienceSketch:
        data = bytes(data)
        if len(data) < _HEADER.size:
            raise ValueError("not an audience sketch: too short")
        magic, version, lg_k, seed = _HEADER.unpack_from(data)
        if magic != MAGIC:
            raise ValueError("not an audience sketch: bad magic")
        if version != VERSION:
            raise ValueError(f"unsupported audience sketch version {version}")
        try:
            sketch = compact_theta_sketch.deserialize(data[_HEADER.size:], seed)
        except (RuntimeError, ValueError) as exc:  # the library raises on corrupt input / seed mismatch
            raise ValueError(f"corrupt audience sketch: {exc}") from exc
        return cls(sketch, lg_k, seed)


def member_sketch_keys(member_keys: Sequence[str] | np.ndarray) -> np.ndarray:
    """The keys audience sketches are built from: one int64 per stored ``member_key``.

    A ``member_key`` is 32 hex characters of an HMAC (:mod:`influencers.creators.pseudonym`):
    its first 64 bits are uniform already and are the key. Two members of a workspace share
    them with probability ~n^2 / 2^65 (under 1e-7 at a million members), and a shared key
    would count two members as one: far below a sketch's own error. A key of another form
    (not written by the importer) is hashed instead (BLAKE2b, 64 bits). The same string always
    gives the same integer, in any batch.

    Integers rather than the strings: DataSketches hashes an int in about half the time of a
    str, and a whole batch converts at once (a scoring run sketches ~3.7M memberships).
    """
    keys = member_keys.tolist() if isinstance(member_keys, np.ndarray) else list(member_keys)
    if not keys:
        return np.zeros(0, dtype=np.int64)
    if set(map(len, keys)) == {32}:
        try:
            raw = bytes.fromhex("".join(keys))
        except ValueError:  # a character that is not hex
            raw = b""
        # fromhex skips whitespace: a key with spaces gives fewer bytes.
        if len(raw) == 16 * len(keys):
            return np.frombuffer(raw, dtype=">i8").reshape(-1, 2)[:, 0].astype(np.int64)
    return np.array([_member_sketch_key(key) for key in keys], dtype=np.int64)


def _member_sketch_key(key: str) -> int:
    if len(key) == 32:
        try:
            raw = bytes.fromhex(key)
        except ValueError:
            raw = b""
        if len(raw) == 16:
            return int.from_bytes(raw[:8], "big", signed=True)
    return int.from_bytes(hashlib.blake2b(key.encode(), digest_size=8).digest(), "big", signed=True)


def build_sketch(keys: Iterable, *, lg_k: int = DEFAULT_LG_K, seed: int = DEFAULT_SEED) -> AudienceSketch:
    """Sketch an audience from its member keys (strings or integers, one type; any iterable)."""
    if not 4 <= lg_k <= 26:
        raise ValueError("lg_k must be within [4, 26]")
    sk = update_theta_sketch(lg_k, 1.0, seed)
    if isinstance(keys, np.ndarray):
        keys = keys.tolist()
    # The loop runs in C (map, consumed by a zero-length deque): one update per member of
    # millions in a scoring run; a Python for loop cost about as much as the updates.
    deque(map(sk.update, keys), maxlen=0)
    return AudienceSketch(sk.compact(), lg_k, seed)


def _check(sketches: Sequence[AudienceSketch]) -> tuple[int, int]:
    if not sketches:
        raise ValueError("at least one sketch is required")
    seeds = {s.seed for s in sketches}
    if len(seeds) != 1:
        raise ValueError(f"sketches built with different seeds {sorted(seeds)} cannot be combined")
    return min(s.lg_k for s in sketches), seeds.pop()


def union_sketch(sketches: Sequence[AudienceSketch]) -> AudienceSketch:
    """The union as a sketch (``lg_k`` = the smallest of the inputs)."""
    lg_k, seed = _check(sketches)
    union = theta_union(lg_k, 1.0, seed)
    for s in sketches:
        union.update(s.sketch)
    return AudienceSketch(union.get_result(), lg_k, seed)


def intersection_sketch(sketches: Sequence[AudienceSketch]) -> AudienceSketch:
    lg_k, seed = _check(sketches)
    inter = theta_intersection(seed)
    for s in sketches:
        inter.update(s.sketch)
    return AudienceSketch(inter.get_result(), lg_k, seed)


def difference_sketch(a: AudienceSketch, b: AudienceSketch) -> AudienceSketch:
    """Members of ``a`` not in ``b``."""
    lg_k, seed = _check([a, b])
    return AudienceSketch(theta_a_not_b(seed).compute(a.sketch, b.sketch), lg_k, seed)


def union_estimate(sketches: Sequence[AudienceSketch], num_std_devs: int = 2) -> SketchEstimate:
    return union_sketch(sketches).estimate(num_std_devs)


def intersection_estimate(sketches: Sequence[AudienceSketch], num_std_devs: int = 2) -> SketchEstimate:
    return intersection_sketch(sketches).estimate(num_std_devs)


def difference_estimate(a: AudienceSketch, b: AudienceSketch, num_std_devs: int = 2) -> SketchEstimate:
    return difference_sketch(a, b).estimate(num_std_devs)


def jaccard_estimate(a: AudienceSketch, b: AudienceSketch) -> SketchEstimate:
    """Jaccard similarity with the library's ~95% bounds."""
    _, seed = _check([a, b])
    lower, est, upper = theta_jaccard_similarity.jaccard(a.sketch, b.sketch, seed)
    exact = not (a.sketch.is_estimation_mode() or b.sketch.is_estimation_mode())
    return SketchEstimate(float(est), float(lower), float(upper), 2, exact)


@dataclass(frozen=True)
class SketchOverlap:
    """Pairwise and per-creator overlap estimated from sketches (same layout as the exact report)."""

    sizes: list[SketchEstimate]
    shared: np.ndarray        # K x K intersection estimates (diagonal = sizes)
    shared_lower: np.ndarray
    shared_upper: np.ndarray
    jaccard: np.ndarray
    containment: np.ndarray   # shared[i, j] / size[i]
    unique: list[SketchEstimate]  # members of i in no other sketch
    unique_share: np.ndarray
    union: SketchEstimate

    def to_dict(self) -> dict:
        return {
            "sizes": [s.to_dict() for s in self.sizes],
            "shared": self.shared.tolist(),
            "shared_lower": self.shared_lower.tolist(),
            "shared_upper": self.shared_upper.tolist(),
            "jaccard": self.jaccard.tolist(),
            "containment": self.containment.tolist(),
            "unique": [u.to_dict() for u in self.unique],
            "unique_share": self.unique_share.tolist(),
            "union": self.union.to_dict(),
        }


def _others(sketches: Sequence[AudienceSketch], lg_k: int, seed: int) -> list:
    """For each i the union of all sketches but i, from prefix and suffix unions (O(K) unions)."""
    k = len(sketches)
    prefix, suffix = [None] * (k + 1), [None] * (k + 1)
    for i in range(k):
        u = theta_union(lg_k, 1.0, seed)
        if prefix[i] is not None:
            u.update(prefix[i])
        u.update(sketches[i].sketch)
        prefix[i + 1] = u.get_result()
    for i in range(k - 1, -1, -1):
        u = theta_union(lg_k, 1.0, seed)
        if suffix[i + 1] is not None:
            u.update(suffix[i + 1])
        u.update(sketches[i].sketch)
        suffix[i] = u.get_result()
    out = []
    for i in range(k):
        u = theta_union(lg_k, 1.0, seed)
        for part in (prefix[i], suffix[i + 1]):
            if part is not None:
                u.update(part)
        out.append(u.get_result())
    return out


def sketch_overlap(sketches: Sequence[AudienceSketch], num_std_devs: int = 2) -> SketchOverlap:
    """Pairwise intersections/Jaccard/containment and per-creator unique members, with bounds."""
    lg_k, seed = _check(sketches)
    k = len(sketches)
    sizes = [s.estimate(num_std_devs) for s in sketches]
    shared = np.zeros((k, k))
    lower = np.zeros((k, k))
    upper = np.zeros((k, k))
    jac = np.eye(k)
    for i in range(k):
        shared[i, i], lower[i, i], upper[i, i] = sizes[i].estimate, sizes[i].lower, sizes[i].upper
        if sizes[i].estimate == 0:
            jac[i, i] = 0.0
        for j in range(i + 1, k):
            inter = theta_intersection(seed)
            inter.update(sketches[i].sketch)
            inter.update(sketches[j].sketch)
            e = _estimate(inter.get_result(), num_std_devs)
            shared[i, j] = shared[j, i] = e.estimate
            lower[i, j] = lower[j, i] = e.lower
            upper[i, j] = upper[j, i] = e.upper
            jac[i, j] = jac[j, i] = theta_jaccard_similarity.jaccard(sketches[i].sketch, sketches[j].sketch, seed)[1]
    size = np.array([s.estimate for s in sizes])
    containment = np.divide(shared, size[:, None], out=np.zeros((k, k)), where=size[:, None] > 0)
    unique = []
    if k == 1:
        unique = [sizes[0]]
    else:
        anb = theta_a_not_b(seed)
        for s, others in zip(sketches, _others(sketches, lg_k, seed)):
            unique.append(_estimate(anb.compute(s.sketch, others), num_std_devs))
    unique_share = np.divide([u.estimate for u in unique], size, out=np.zeros(k), where=size > 0)
    return SketchOverlap(sizes=sizes, shared=shared, shared_lower=lower, shared_upper=upper,
                         jaccard=jac, containment=containment, unique=unique,
                         unique_share=np.clip(unique_share, 0, 1),
                         union=union_estimate(sketches, num_std_devs))


def sketch_unique_reach(sketches: Sequence[AudienceSketch], followers, *, fake_share=None,
                        sample_sizes=None, num_std_devs: int = 2) -> SketchEstimate:
    """Max-weight unique reach (see :mod:`.reach`) from sketches of counted members.

    Each sketch holds creator ``i``'s counted sampled members (or its whole
    audience); ``sample_sizes`` are the exact counts sketched (default: each
    sketch's estimate), so a member stands for ``w_i = F_i (1 - fake_i) / n_i``
    followers. With creators ordered by decreasing ``w`` and ``P_k`` the union
    of the first ``k`` sketches::

        U = sum_k w_(k) (|P_k| - |P_(k-1)|) = sum_k (w_(k) - w_(k+1)) |P_k|

    a non-negative combination of union cardinalities, so combining their lower
    (upper) bounds gives the lower (upper) bound. The bounds hold jointly only
    approximately (they are per-union bounds at ``num_std_devs``).
    """
    lg_k, seed = _check(sketches)
    k = len(sketches)
    followers = np.asarray(followers, dtype=float).ravel()
    fake = np.zeros(k) if fake_share is None else np.asarray(fake_share, dtype=float).ravel()
    if followers.size != k or fake.size != k:
        raise ValueError("followers and fake_share need one value per sketch")
    n = (np.array([s.sketch.get_estimate() for s in sketches]) if sample_sizes is None
         else np.asarray(sample_sizes, dtype=float).ravel())
    w = np.divide(followers * (1 - fake), n, out=np.zeros(k), where=n > 0)
    order = np.lexsort((np.arange(k), -w))
    w_sorted = w[order]
    coef = w_sorted - np.append(w_sorted[1:], 0.0)
    union = theta_union(lg_k, 1.0, seed)
    est = low = high = 0.0
    exact = True
    for pos, idx in enumerate(order):
        union.update(sketches[idx].sketch)
        if coef[pos] == 0:
            continue
        e = _estimate(union.get_result(), num_std_devs)
        exact &= e.exact
        est += coef[pos] * e.estimate
        low += coef[pos] * e.lower
        high += coef[pos] * e.upper
    return SketchEstimate(float(est), float(low), float(high), num_std_devs, exact)
