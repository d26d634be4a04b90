"""Audience overlap, unique reach and the shortlist optimiser: the pure computational core.

No Flask, no database session: the functions take numpy/scipy arrays (a creator
x member incidence matrix, per-creator follower counts, member masks) and
return dataclasses with ``to_dict()``. See :mod:`.reach` for the estimator.
"""
from influencers.overlap.incidence import Incidence, incidence_from_pairs, incidence_from_samples
from influencers.overlap.optimiser import ShortlistResult, optimise_shortlist, selection_reach
from influencers.overlap.reach import MemberWeights, ReachEstimate, estimate_unique_reach, member_weights
from influencers.overlap.report import OverlapReport, PairwiseOverlap, overlap_report, pairwise_overlap
from influencers.overlap.sketch import (
    AudienceSketch,
    SketchEstimate,
    build_sketch,
    difference_estimate,
    intersection_estimate,
    jaccard_estimate,
    sketch_overlap,
    sketch_unique_reach,
    union_estimate,
    union_sketch,
)

__all__ = [
    "AudienceSketch", "Incidence", "MemberWeights", "OverlapReport", "PairwiseOverlap",
    "ReachEstimate", "ShortlistResult", "SketchEstimate", "build_sketch", "difference_estimate",
    "estimate_unique_reach", "incidence_from_pairs", "incidence_from_samples",
    "intersection_estimate", "jaccard_estimate", "member_weights", "optimise_shortlist",
    "overlap_report", "pairwise_overlap", "selection_reach", "sketch_overlap",
    "sketch_unique_reach", "union_estimate", "union_sketch",
]
