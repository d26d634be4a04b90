"""Exact audience overlap over the samples: pairwise matrices, unique shares, unique reach.

All pairwise numbers are the product ``A @ A.T`` of the K x M incidence matrix
(restricted to the members that count, see :func:`shared_counts`), per-member
multiplicities one column count, per-creator counts one pass over the CSR
entries. Shares are sample shares (they need no scaling); reach figures are
scaled to real followers as documented in :mod:`influencers.overlap.reach`.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import scipy.sparse as sp

from influencers.overlap.incidence import Incidence
from influencers.overlap.reach import (
    MemberWeights,
    ReachEstimate,
    _json_float,
    estimate_unique_reach,
    first_reached_counts,
    member_weights,
    row_code_counts,
    row_counts,
)

_PAIR_CHUNK = 1 << 22  # pairs accumulated before one bincount


def member_multiplicity(matrix: sp.csr_array | sp.csc_array, counted: np.ndarray | None = None) -> np.ndarray:
    """Per member column: how many samples contain it (0 for members that do not count)."""
    if isinstance(matrix, (sp.csc_array, sp.csc_matrix)):
        d = np.diff(matrix.indptr).astype(np.int64)
    else:
        matrix = sp.csr_array(matrix)
        d = np.bincount(matrix.indices, minlength=matrix.shape[1]).astype(np.int64)
    if counted is not None:
        d = np.where(counted, d, 0)
    return d


def shared_counts(matrix: sp.csr_array, column_mask: np.ndarray | None = None, *,
                  multiplicity: np.ndarray | None = None,
                  diagonal: np.ndarray | None = None) -> np.ndarray:
    """``A @ A.T``: the K x K counts of shared members, over the columns of ``column_mask``.

    Only members in two or more samples matter off the diagonal, so just their
    entries are transposed (to CSC). Members are then grouped by how many samples
    hold them (``d``); each group's rows form a dense ``n_d x d`` block whose row
    pairs are counted with one ``bincount``. The work is ``sum_m d(m)^2 / 2``, as
    for a sparse product, without its symbolic pass (faster than scipy's
    ``A @ A.T`` on a few hundred rows by a million columns). The diagonal is each
    row's counted members (pass ``diagonal`` when known).
    """
    matrix = sp.csr_array(matrix)
    k = matrix.shape[0]
    d = member_multiplicity(matrix, column_mask) if multiplicity is None else multiplicity
    if column_mask is not None:
        d = np.where(column_mask, d, 0)
    gram = np.zeros(k * k, dtype=np.int64)
    shared_cols = d >= 2
    if shared_cols.any():
        keep = shared_cols[matrix.indices]
        cs = np.zeros(keep.size + 1, dtype=np.int64 if keep.size >= 2**31 else np.int32)
        np.cumsum(keep, out=cs[1:])
        kept = matrix.indices[keep]
        sub = sp.csr_array((np.ones(kept.size, dtype=np.int32), kept, cs[matrix.indptr]), shape=matrix.shape)
        csc = sub.tocsc()
        indptr = csc.indptr.astype(np.int64)
        cols = np.flatnonzero(shared_cols)
        deg = d[cols]
        order = np.argsort(deg.astype(np.int32 if k >= 1 << 15 else np.int16), kind="stable")
        cols, deg = cols[order], deg[order]
        bounds = np.flatnonzero(np.diff(deg)) + 1
        key_dtype = np.int32 if k * k < 2**31 else np.int64
        pending: list[np.ndarray] = []
        size = 0
        for group in np.split(np.arange(cols.size), bounds):
            dv = int(deg[group[0]])
            ia, ib = np.triu_indices(dv, 1)
            step = max(1, _PAIR_CHUNK // len(ia))
            for lo in range(0, group.size, step):
                starts = indptr[cols[group[lo:lo + step]]]
                rows = csc.indices[starts[:, None] + np.arange(dv)].astype(key_dtype)
                pending.append((rows[:, ia] * key_dtype(k) + rows[:, ib]).ravel())
                size += pending[-1].size
                if size >= _PAIR_CHUNK:
                    gram += np.bincount(np.concatenate(pending), minlength=k * k)
                    pending, size = [], 0
        if pending:
            gram += np.bincount(np.concatenate(pending), minlength=k * k)
    gram = gram.reshape(k, k)
    gram = gram + gram.T  # pairs were counted once, in either orientation
    gram[np.diag_indices(k)] = row_counts(matrix, column_mask) if diagonal is None else diagonal
    return gram


@dataclass(frozen=True)
class PairwiseOverlap:
    """``shared[i, j]`` members in both samples; ``containment[i, j]`` share of ``i``'s in ``j``'s."""

    shared: np.ndarray       # K x K int, diagonal = sample sizes
    jaccard: np.ndarray      # K x K float, |i & j| / |i | j|, diagonal 1 (0 for empty samples)
    containment: np.ndarray  # K x K float, |i & j| / |i|, row i = "share of i's audience j also reaches"


def pairwise_overlap(matrix: sp.csr_array | sp.csc_array,
                     counted: np.ndarray | None = None) -> PairwiseOverlap:
    """Pairwise shared members, Jaccard and containment: ``A @ A.T`` over counted members."""
    return _pairwise(shared_counts(sp.csr_array(matrix), counted))


def _pairwise(shared: np.ndarray) -> PairwiseOverlap:
    size = np.diag(shared).astype(float)
    union = size[:, None] + size[None, :] - shared
    with np.errstate(divide="ignore", invalid="ignore"):
        jaccard = np.where(union > 0, shared / union, 0.0)
        containment = np.where(size[:, None] > 0, shared / size[:, None], 0.0)
    return PairwiseOverlap(shared=shared, jaccard=jaccard, containment=containment)


@dataclass(frozen=True)
class OverlapReport:
    creator_ids: tuple
    sample_sizes: np.ndarray      # n_i, all sampled members
    counted_sizes: np.ndarray     # sampled members that count (authentic, in the target)
    pairwise: PairwiseOverlap     # over counted members
    unique_members: np.ndarray    # per creator: counted members in no other sample
    unique_share: np.ndarray      # unique_members / counted_sizes
    overlapping_share: np.ndarray  # 1 - unique_share (0 for an empty sample)
    distinct_members: int         # counted members in the union of the samples
    sample_duplication: float     # sum(counted_sizes) / distinct_members
    followers: np.ndarray
    fake_share: np.ndarray
    authentic_weights: MemberWeights
    follower_weights: MemberWeights
    authentic_reach: ReachEstimate  # unique authentic reach (in the target when given)
    follower_reach: ReachEstimate   # unique reach in follower counts (no authenticity)

    def to_dict(self) -> dict:
        """JSON-able: per-creator rows, the pairwise matrices (row/column order = ``creator_ids``), the set."""
        aw, fw = self.authentic_weights, self.follower_weights
        creators = []
        for i, cid in enumerate(self.creator_ids):
            creators.append({
                "creator_id": cid,
                "sample_size": int(self.sample_sizes[i]),
                "counted_sample_size": int(self.counted_sizes[i]),
                "unique_members": int(self.unique_members[i]),
                "unique_share": float(self.unique_share[i]),
                "overlapping_share": float(self.overlapping_share[i]),
                "followers": float(self.followers[i]),
                "fake_share": float(self.fake_share[i]),
                "authentic_followers": float(aw.audience[i]),
                "member_weight": float(aw.weight[i]),
                "reach": float(aw.reach[i]),
                "exclusive_reach": float(aw.weight[i] * self.unique_members[i]),
                "follower_reach": float(fw.reach[i]),
            })
        return {
            "creators": creators,
            "pairwise": {
                "creator_ids": list(self.creator_ids),
                "shared": self.pairwise.shared.tolist(),
                "jaccard": self.pairwise.jaccard.tolist(),
                "containment": self.pairwise.containment.tolist(),
            },
            "set": {
                "creators": len(self.creator_ids),
                "distinct_sampled_members": self.distinct_members,
                "sample_duplication_factor": _json_float(self.sample_duplication),
                "authentic": self.authentic_reach.to_dict(),
                "followers": self.follower_reach.to_dict(),
            },
        }


def overlap_report(incidence: Incidence | sp.csr_array, followers, *, fake_share=None,
                   authentic=None, target=None, creator_ids=None, n_boot: int = 1000,
                   confidence: float = 0.95, seed: int | None = 0) -> OverlapReport:
    """The overlap and unique-reach report for the creators of ``incidence``.

    ``followers`` and ``fake_share`` (default 0) are per creator (row order);
    ``authentic`` (bots are False) and ``target`` (members matching the target
    audience) are optional boolean masks over member columns. Pairwise numbers,
    unique shares and the sample duplication factor are over the members that
    count (authentic and in the target). Unique reach is given twice: in
    authentic followers and in follower counts (both restricted to the target).
    """
    if isinstance(incidence, Incidence):
        matrix, ids = incidence.matrix, incidence.creator_ids
    else:
        matrix = sp.csr_array(incidence)
        ids = tuple(range(matrix.shape[0]))
    if creator_ids is not None:
        ids = tuple(creator_ids)
        if len(ids) != matrix.shape[0]:
            raise ValueError("creator_ids must label every row")
    matrix = sp.csr_array(matrix)
    m = matrix.shape[1]
    auth = np.ones(m, dtype=bool) if authentic is None else np.asarray(authentic, dtype=bool).ravel()
    tgt = np.ones(m, dtype=bool) if target is None else np.asarray(target, dtype=bool).ravel()
    if auth.size != m or tgt.size != m:
        raise ValueError(f"member masks need {m} values")
    counted = auth & tgt
    d = member_multiplicity(matrix, counted)
    # one pass: per creator, members by authentic + 2 x in-target + 4 x "in no other sample"
    codes = auth.astype(np.int8) + 2 * tgt.astype(np.int8) + 4 * (d == 1).astype(np.int8)
    table = row_code_counts(matrix, codes, 8)
    table4 = table[:, :4] + table[:, 4:]
    aw = member_weights(matrix, followers, fake_share=fake_share, authentic=authentic,
                        target=target, scaling="authentic", code_table=table4)
    fw = member_weights(matrix, followers, authentic=authentic, target=target,
                        scaling="followers", code_table=table4)
    pairwise = _pairwise(shared_counts(matrix, counted, multiplicity=d, diagonal=aw.counted_size))
    unique_members = table[:, 7].copy()
    sizes = aw.counted_size
    unique_share = np.divide(unique_members, sizes, out=np.zeros(len(sizes)), where=sizes > 0)
    overlapping_share = np.where(sizes > 0, 1.0 - unique_share, 0.0)
    distinct = int(np.count_nonzero(d))

    fake = np.zeros(len(ids)) if fake_share is None else np.asarray(fake_share, dtype=float)
    authentic_reach = estimate_unique_reach(
        matrix, aw, scaling="authentic", n_boot=n_boot, confidence=confidence, seed=seed,
        first_reached=first_reached_counts(matrix, aw.counted, aw.weight))
    follower_reach = estimate_unique_reach(
        matrix, fw, scaling="followers", n_boot=n_boot, confidence=confidence, seed=seed,
        first_reached=first_reached_counts(matrix, fw.counted, fw.weight))
    return OverlapReport(
        creator_ids=ids, sample_sizes=aw.sample_size, counted_sizes=sizes, pairwise=pairwise,
        unique_members=unique_members, unique_share=unique_share,
        overlapping_share=overlapping_share, distinct_members=distinct,
        sample_duplication=float(sizes.sum() / distinct) if distinct else float("nan"),
        followers=np.asarray(followers, dtype=float), fake_share=fake,
        authentic_weights=aw, follower_weights=fw,
        authentic_reach=authentic_reach, follower_reach=follower_reach,
    )
