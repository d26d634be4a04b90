"""Exact audience overlap over the samples: pairwise matrices, unique shares, unique reach.

All pairwise numbers come from one sparse product ``A @ A.T`` of the K x M
incidence matrix (restricted to the members that count), per-member
multiplicities from one column sum. Shares are sample shares (they need no
scaling); reach figures are scaled to real followers as documented in
:mod:`influencers.overlap.reach`.
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
    member_weights,
)


def _restrict(matrix: sp.csr_array, counted: np.ndarray | None) -> sp.csr_array:
    matrix = sp.csr_array(matrix)
    if counted is None or counted.all():
        return matrix
    return sp.csr_array(matrix[:, np.flatnonzero(counted)])


@dataclass(frozen=True)
class PairwiseOverlap:
    """``shared[i, j]`` members in both samples; ``containment[i, j]`` share of ``i``'s in ``j``'s."""

    shared: np.ndarray       # K x K int, diagonal = sample sizes
    jaccard: np.ndarray      # K x K float, |i & j| / |i | j|, diagonal 1 (0 for empty samples)
    containment: np.ndarray  # K x K float, |i & j| / |i|, row i = "share of i's audience j also reaches"


def pairwise_overlap(matrix: sp.csr_array, counted: np.ndarray | None = None) -> PairwiseOverlap:
    """Pairwise shared members, Jaccard and containment, from ``A @ A.T``."""
    a = _restrict(matrix, counted)
    a = sp.csr_array(a, dtype=np.int64) if a.dtype != np.int64 else a
    shared = (a @ a.T).toarray().astype(np.int64)
    size = np.diag(shared).astype(float)
    union = size[:, None] + size[None, :] - shared
    with np.errstate(divide="ignore", invalid="ignore"):
        jaccard = np.where(union > 0, shared / union, 0.0)
        containment = np.where(size[:, None] > 0, shared / size[:, None], 0.0)
    return PairwiseOverlap(shared=shared, jaccard=jaccard, containment=containment)


def member_multiplicity(matrix: sp.csr_array, counted: np.ndarray | None = None) -> np.ndarray:
    """Per member column: how many samples contain it (0 for members that do not count)."""
    d = np.asarray(sp.csr_array(matrix).sum(axis=0)).ravel().astype(np.int64)
    if counted is not None:
        d = np.where(counted, d, 0)
    return d


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
    aw = member_weights(matrix, followers, fake_share=fake_share, authentic=authentic,
                        target=target, scaling="authentic")
    fw = member_weights(matrix, followers, target=target, scaling="followers")
    counted = aw.counted

    a = _restrict(matrix, counted)
    pairwise = pairwise_overlap(a)
    d = np.asarray(a.sum(axis=0)).ravel()
    unique_members = (a @ (d == 1).astype(np.int64)).astype(np.int64)
    sizes = aw.counted_size
    unique_share = np.divide(unique_members, sizes, out=np.zeros(len(sizes)), where=sizes > 0)
    overlapping_share = np.where(sizes > 0, 1.0 - unique_share, 0.0)
    distinct = int(np.count_nonzero(d))

    fake = np.zeros(len(ids)) if fake_share is None else np.asarray(fake_share, dtype=float)
    authentic_reach = estimate_unique_reach(matrix, aw, scaling="authentic", n_boot=n_boot,
                                            confidence=confidence, seed=seed)
    follower_reach = estimate_unique_reach(matrix, fw, scaling="followers", n_boot=n_boot,
                                           confidence=confidence, seed=seed)
    return OverlapReport(
        creator_ids=ids, sample_sizes=aw.sample_size, counted_sizes=sizes, pairwise=pairwise,
        unique_members=unique_members, unique_share=unique_share,
        overlapping_share=overlapping_share, distinct_members=distinct,
        sample_duplication=float(sizes.sum() / distinct) if distinct else float("nan"),
        followers=np.asarray(followers, dtype=float), fake_share=fake,
        authentic_weights=aw, follower_weights=fw,
        authentic_reach=authentic_reach, follower_reach=follower_reach,
    )
