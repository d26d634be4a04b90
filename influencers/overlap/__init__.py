"""Audience overlap, unique reach and the shortlist optimiser: pure math.

No Flask, no database session, no ORM, nothing from scoring: the functions take
numpy/scipy arrays (a creator x member incidence matrix, per-creator follower
counts, member masks) or theta sketches and return dataclasses with ``to_dict()``.
See :mod:`.reach` for the estimator. Reading the arrays from a workspace is
:mod:`influencers.shortlists`' job; storing a scoring run's sketches is scoring's.

The names below are imported from their modules on first use (PEP 562): a process
that needs one module (a scoring run's audience worker builds sketches with
:mod:`.sketch`) then does not load scipy and the optimiser as well.
"""
from __future__ import annotations

import importlib

# Exported name -> the submodule defining it.
_EXPORTS = {
    "Incidence": "incidence", "incidence_from_pairs": "incidence", "incidence_from_samples": "incidence",
    "ShortlistResult": "optimiser", "optimise_shortlist": "optimiser", "selection_reach": "optimiser",
    "MemberWeights": "reach", "ReachEstimate": "reach", "estimate_unique_reach": "reach", "member_weights": "reach",
    "OverlapReport": "report", "PairwiseOverlap": "report", "overlap_report": "report", "pairwise_overlap": "report",
    "AudienceSketch": "sketch", "SketchEstimate": "sketch", "build_sketch": "sketch",
    "difference_estimate": "sketch", "intersection_estimate": "sketch", "jaccard_estimate": "sketch",
    "sketch_overlap": "sketch", "sketch_unique_reach": "sketch", "union_estimate": "sketch", "union_sketch": "sketch",
}


def __getattr__(name: str):
    module = _EXPORTS.get(name)
    if module is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = getattr(importlib.import_module(f"{__name__}.{module}"), name)
    globals()[name] = value
    return value


__all__ = [
    "AudienceSketch", "Incidence", "MemberWeights", "OverlapReport", "PairwiseOverlap",
    "ReachEstimate", "ShortlistResult", "SketchEstimate", "build_sketch", "difference_estimate",
    "estimate_unique_reach", "incidence_from_pairs", "incidence_from_samples",
    "intersection_estimate", "jaccard_estimate", "member_weights", "optimise_shortlist",
    "overlap_report", "pairwise_overlap", "selection_reach", "sketch_overlap",
    "sketch_unique_reach", "union_estimate", "union_sketch",
]
