"""Scaling audience samples to real reach: member weights and the unique-reach estimator.

Model
-----
Creator ``i`` has ``F_i`` followers, a share ``fake_i`` of them fake, and a
sample of ``n_i`` of them (row ``i`` of the incidence matrix). A member *counts*
when it is authentic (per-member mask, bots are no reach) and, when a target
audience is given, matches it. Each counted sampled member of creator ``i``
stands for ``w_i`` real followers of ``i``:

* no member mask: ``w_i = F_i (1 - fake_i) / n_i`` (every sampled member is
  discounted by the creator's fake share);
* member mask, no fake share: ``w_i = F_i / n_i`` for authentic members, bots get
  nothing, so the implied fake share is the sample's bot share;
* member mask and fake share: ``w_i = F_i (1 - fake_i) / a_i`` with ``a_i`` the
  authentic sampled members, so the authentic members carry exactly the
  authentic audience ``F_i (1 - fake_i)``.

With ``scaling="followers"`` the weights are ``F_i / n_i`` over every sampled
member (no authenticity), the reach "in real follower counts".

``reach_i = w_i x (counted members in sample i)`` is creator ``i``'s audience
(authentic, in the target), and ``total = sum_i reach_i``.

Unique reach: the max-weight rule
---------------------------------
A member seen in several samples is counted once, at the **largest** weight
among the samples that contain it::

    U(S) = sum over counted members m of  max{ w_i : i in S, m in sample i }

Equivalently, ordering creators by decreasing ``w`` (ties by position),
``U = sum_k w_k x_k`` where ``x_k`` counts the members of sample ``k`` seen in
no sample ranked before it: each creator adds its audience minus the share
already reached by creators with sparser samples. Why this rule:

* a single creator's unique reach is its audience, ``U({i}) = reach_i``;
* ``max_i reach_i <= U(S) <= sum_i reach_i`` always, so the duplication factor
  ``total / U`` is >= 1 and the union is never smaller than its largest audience
  (the "mean weight" rule, ``sum_i reach_i x mean_m(1/d(m))``, breaks this when
  fixed-size samples of a large and a small creator overlap heavily);
* ``U`` is a facility-location function of the set, monotone and submodular,
  so the shortlist optimiser's lazy greedy and its (1 - 1/e) guarantee apply to
  the very number the overlap report shows.

Like every sample-based overlap estimate it reads "share of sample ``i`` also
seen in sample ``j``" as "share of ``i``'s audience also following ``j``". That
holds when sampling is coordinated (a panel of accounts, or a full audience); with
small independent samples it sees fewer overlaps than exist, so unique reach is
an upper estimate. Use sketches of full audiences (:mod:`.sketch`) when that matters.

Interval
--------
A seeded bootstrap over members within each sample: each replicate redraws
every creator's base sample (``b_i`` draws with replacement from its own
members) and recounts ``U``. A redrawn member keeps the classification it has
in the full data (first reached by this creator, or not); re-deriving overlaps
from resampled samples would thin them (a bootstrap sample holds only ~63%
distinct members) and bias the union upward. With fixed classifications the
first-reached count of a replicate is ``Bin(b_i, x_i / b_i)``, which is what
is drawn directly: exact, and O(K) per replicate. The deviation is shrunk by
the finite-population correction ``sqrt((N_i - b_i) / (N_i - 1))``, ``N_i`` the
audience the base sample comes from, so a complete audience gives a zero-width
interval. The interval is the percentile interval of ``U`` over the replicates.

The interval covers the sampling variation of each creator's shares given what
the samples show; it does not cover the bias of overlaps the samples cannot
show (independent samples that are tiny next to their audiences barely meet,
every member looks first-reached, and the interval is narrow around an upper
estimate). Report the sample sizes with it, as :class:`ReachEstimate` does.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import scipy.sparse as sp

SCALINGS = ("authentic", "followers")


@dataclass(frozen=True)
class MemberWeights:
    """Per-creator scaling of sampled members to real followers (see module docs)."""

    counted: np.ndarray      # bool per member column: the members that count
    weight: np.ndarray       # per creator: real followers one counted sampled member stands for
    base_size: np.ndarray    # per creator: size of the sample the shares are taken over
    population: np.ndarray   # per creator: size of the audience that sample was drawn from
    audience: np.ndarray     # per creator: F_i (1 - fake_i), or F_i for scaling="followers"
    sample_size: np.ndarray  # per creator: all sampled members n_i
    counted_size: np.ndarray  # per creator: counted sampled members

    @property
    def reach(self) -> np.ndarray:
        """Per creator: its counted audience in real followers, ``w_i x counted_i``."""
        return self.weight * self.counted_size


def _as_float_array(values, k: int, name: str, default: float | None = None) -> np.ndarray:
    if values is None:
        if default is None:
            raise ValueError(f"{name} is required")
        return np.full(k, default, dtype=float)
    arr = np.asarray(values, dtype=float).ravel()
    if arr.size != k:
        raise ValueError(f"{name} has {arr.size} values for {k} creators")
    if not np.all(np.isfinite(arr)):
        raise ValueError(f"{name} must be finite")
    return arr


def _as_mask(mask, m: int, name: str) -> np.ndarray | None:
    if mask is None:
        return None
    arr = np.asarray(mask, dtype=bool).ravel()
    if arr.size != m:
        raise ValueError(f"{name} has {arr.size} values for {m} members")
    return arr


def _is_csc(matrix) -> bool:
    return isinstance(matrix, (sp.csc_array, sp.csc_matrix))


def row_code_counts(matrix, codes: np.ndarray, n_codes: int) -> np.ndarray:
    """K x ``n_codes`` table: per row, how many of its entries fall in columns of each code.

    ``codes`` gives every member column a small integer (e.g. authentic + 2 x
    in-target); one gather and a bincount per row, so every per-creator count a
    report needs comes from a single pass over the entries.
    """
    codes = np.asarray(codes)
    k = matrix.shape[0]
    if _is_csc(matrix):
        entry = np.repeat(codes, np.diff(matrix.indptr)).astype(np.int64)
        flat = np.bincount(matrix.indices.astype(np.int64) * n_codes + entry, minlength=k * n_codes)
        return flat.reshape(k, n_codes).astype(np.int64)
    matrix = sp.csr_array(matrix)
    gathered = codes[matrix.indices.astype(np.intp, copy=False)]
    out = np.zeros((k, n_codes), dtype=np.int64)
    indptr = matrix.indptr
    for i in range(k):
        if indptr[i + 1] > indptr[i]:
            out[i] = np.bincount(gathered[indptr[i]:indptr[i + 1]], minlength=n_codes)
    return out


def row_counts(matrix, column_mask: np.ndarray | None = None) -> np.ndarray:
    """Entries per row, optionally only in the columns of ``column_mask`` (CSR or CSC input)."""
    if column_mask is None:
        if _is_csc(matrix):
            return np.bincount(matrix.indices, minlength=matrix.shape[0]).astype(np.int64)
        return np.diff(sp.csr_array(matrix).indptr).astype(np.int64)
    return row_code_counts(matrix, np.asarray(column_mask, dtype=np.int8), 2)[:, 1]


def member_weights(matrix: sp.csr_array | sp.csc_array, followers, *, fake_share=None,
                   authentic=None, target=None, scaling: str = "authentic",
                   code_table: np.ndarray | None = None) -> MemberWeights:
    """Weights, counted members and sample sizes for ``matrix`` (K x M, 0/1, CSR or CSC).

    ``code_table`` (K x 4) may pass precomputed per-row counts of members by
    code ``authentic + 2 x in-target`` (as given, before ``scaling``) to skip the pass.
    """
    if scaling not in SCALINGS:
        raise ValueError(f"scaling must be one of {SCALINGS}")
    if not _is_csc(matrix):
        matrix = sp.csr_array(matrix)
    k, m = matrix.shape
    followers = _as_float_array(followers, k, "followers")
    if np.any(followers < 0):
        raise ValueError("followers must be >= 0")
    fake_given = fake_share is not None
    fake = _as_float_array(fake_share, k, "fake_share", default=0.0)
    if np.any((fake < 0) | (fake > 1)):
        raise ValueError("fake_share must be within [0, 1]")
    authentic = _as_mask(authentic, m, "authentic")
    target = _as_mask(target, m, "target")
    auth = np.ones(m, dtype=bool) if authentic is None else authentic
    tgt = np.ones(m, dtype=bool) if target is None else target
    # code = authentic + 2 x in-target: one pass gives every count below
    table = (row_code_counts(matrix, auth.astype(np.int8) + 2 * tgt.astype(np.int8), 4)
             if code_table is None else np.asarray(code_table, dtype=np.int64))
    if scaling == "followers":  # authenticity plays no part: fold bots into the authentic codes
        authentic, fake_given, fake = None, False, np.zeros(k)
        auth = np.ones(m, dtype=bool)
        zero = np.zeros(k, dtype=np.int64)
        table = np.column_stack([zero, table[:, 0] + table[:, 1], zero, table[:, 2] + table[:, 3]])
    counted = auth & tgt
    n = table.sum(axis=1)
    counted_size = table[:, 3].copy()

    audience = followers * (1.0 - fake)
    if authentic is not None and fake_given:
        base = table[:, 1] + table[:, 3]
        population = np.where(n > 0, followers * base / np.maximum(n, 1), 0.0)
    else:
        base = n
        population = followers.copy()
    if authentic is not None and not fake_given:
        numerator = followers  # bots are dropped by the mask, not discounted
    else:
        numerator = audience
    weight = np.divide(numerator, base, out=np.zeros(k), where=base > 0)
    return MemberWeights(counted=counted, weight=weight, base_size=base,
                         population=np.maximum(population, base), audience=audience,
                         sample_size=n, counted_size=counted_size)


def first_reached_counts(matrix: sp.csr_array, counted: np.ndarray, weight: np.ndarray) -> np.ndarray:
    """``x_k``: counted members of sample ``k`` seen in no sample of larger weight.

    Ties in weight go to the earlier row. ``sum_k weight_k x_k`` is the max-weight
    unique reach; ``x.sum()`` the number of distinct counted members. Rows are
    visited in decreasing weight, each marking its members as seen: per row one
    gather and one scatter on a boolean member array.
    """
    csr = sp.csr_array(matrix)
    k = csr.shape[0]
    order = np.lexsort((np.arange(k), -np.asarray(weight, dtype=float)))
    seen = ~np.asarray(counted, dtype=bool)  # members that do not count are never "new"
    x = np.zeros(k, dtype=np.int64)
    indptr, indices = csr.indptr, csr.indices.astype(np.intp, copy=False)
    for i in order:
        idx = indices[indptr[i]:indptr[i + 1]]
        x[i] = idx.size - np.count_nonzero(seen[idx])
        seen[idx] = True
    return x


@dataclass(frozen=True)
class ReachEstimate:
    """Unique reach of a set of creators, with its bootstrap interval."""

    scaling: str
    unique_reach: float
    ci_low: float
    ci_high: float
    std_error: float
    total_audience: float
    duplication_factor: float
    confidence: float
    n_boot: int
    seed: int | None
    base_sample_sizes: list[int]
    counted_sample_sizes: list[int]
    distinct_counted_members: int

    def to_dict(self) -> dict:
        return {
            "scaling": self.scaling,
            "unique_reach": self.unique_reach,
            "ci_low": self.ci_low,
            "ci_high": self.ci_high,
            "std_error": self.std_error,
            "total_audience": self.total_audience,
            "duplication_factor": _json_float(self.duplication_factor),
            "confidence": self.confidence,
            "n_boot": self.n_boot,
            "seed": self.seed,
            "base_sample_sizes": self.base_sample_sizes,
            "counted_sample_sizes": self.counted_sample_sizes,
            "distinct_counted_members": self.distinct_counted_members,
        }


def _json_float(value: float) -> float | None:
    """NaN (an undefined ratio) becomes ``None`` so the dict is valid JSON."""
    value = float(value)
    return None if np.isnan(value) else value


def _ratio(a: float, b: float) -> float:
    return float(a / b) if b > 0 else float("nan")


def estimate_unique_reach(matrix: sp.csr_array, weights: MemberWeights, *, scaling: str = "authentic",
                          n_boot: int = 1000, confidence: float = 0.95, seed: int | None = 0,
                          first_reached: np.ndarray | None = None) -> ReachEstimate:
    """Point estimate and bootstrap interval of the max-weight unique reach (module docs)."""
    if not 0 < confidence < 1:
        raise ValueError("confidence must be within (0, 1)")
    w = weights.weight
    x = first_reached if first_reached is not None else first_reached_counts(matrix, weights.counted, w)
    c = weights.counted_size
    unique = float(np.dot(w, x))
    total = float(np.dot(w, c))
    low = high = unique
    std = 0.0
    b = weights.base_size
    if n_boot > 0 and b.sum() > 0:
        rng = np.random.default_rng(seed)
        # Each replicate redraws creator k's b_k members; the number that are first
        # reached by k is Bin(b_k, x_k / b_k). Drawn in (K, n_boot) layout so
        # consecutive draws share (n, p) and numpy reuses its sampler setup.
        p_first = np.clip(np.divide(x, b, out=np.zeros(len(b)), where=b > 0), 0, 1)
        first = rng.binomial(b[:, None], p_first[:, None], size=(len(b), n_boot))
        pop = weights.population
        fpc = np.sqrt(np.divide(pop - b, pop - 1, out=np.zeros_like(pop), where=pop > 1).clip(0, 1))
        u_star = w @ (x[:, None] + (first - x[:, None]) * fpc[:, None])
        alpha = (1 - confidence) / 2
        low, high = (float(v) for v in np.quantile(u_star, [alpha, 1 - alpha]))
        std = float(u_star.std(ddof=1)) if n_boot > 1 else 0.0
    return ReachEstimate(
        scaling=scaling, unique_reach=unique, ci_low=low, ci_high=high, std_error=std,
        total_audience=total, duplication_factor=_ratio(total, unique), confidence=confidence,
        n_boot=int(n_boot), seed=seed,
        base_sample_sizes=[int(v) for v in b], counted_sample_sizes=[int(v) for v in c],
        distinct_counted_members=int(x.sum()),
    )
