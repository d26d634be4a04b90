"""The JSON documents of overlap reports (exact, and estimated from sketches) and optimisations,
from the shortlists domain's values.

What the API answers (and ``influencers optimise --json`` prints): the domain's numbers
with their names in the API's vocabulary (``cost_minor``), each creator's handle and
dates, and the prose saying what each number is and how it was computed.
"""
from __future__ import annotations

import datetime as dt

import numpy as np

from influencers.shortlists.loader import FAKE_SHARE_SOURCES
from influencers.shortlists.service import ExactOverlap, Optimisation
from influencers.shortlists.sketches import EstimatedOverlap, relative_standard_error

LABELS = {
    "measured": [
        "creators[].sample_size", "creators[].counted_sample_size", "creators[].unique_members",
        "creators[].unique_share", "creators[].overlapping_share", "creators[].followers",
        "pairwise.shared", "pairwise.jaccard", "pairwise.containment",
        "set.distinct_sampled_members", "set.sample_duplication_factor",
    ],
    "estimated": [
        "creators[].fake_share (measured when fake_share_source is 'sample')", "creators[].authentic_followers",
        "creators[].member_weight", "creators[].reach", "creators[].exclusive_reach", "creators[].follower_reach",
        "set.authentic.*", "set.followers.*",
    ],
}

OVERLAP_METHOD = (
    "Exact over the latest audience samples (a creator x member sparse incidence matrix; pairwise "
    "numbers are one sparse product). Shares count authentic members in the target only. Unique "
    "reach scales each counted sampled member to real followers (authentic: F x (1 - fake share) / "
    "authentic sampled members; followers: F / sampled members), counts a member seen by several "
    "creators once at the largest weight, and carries a seeded bootstrap interval over the samples.")

OPTIMISER_OBJECTIVE = (
    "unique authentic reach: each counted (authentic, in-target) sampled member scaled to real "
    "followers and counted once, at the largest weight among the chosen creators that reach it")


def _date(value) -> str | None:
    return value.isoformat() if isinstance(value, (dt.date, dt.datetime)) else None


def overlap_document(overlap: ExactOverlap) -> dict:
    """The exact overlap report as the API answers it (without ``estimation``)."""
    data = overlap.data
    out = overlap.report.to_dict()
    bot_like = overlap.bot_like_members
    for i, row in enumerate(out["creators"]):
        row["handle"] = data.handles[i]
        row["sampled_at"] = _date(data.sampled_at[i])
        row["fake_share_source"] = data.fake_share_source[i]
        row["score_as_of"] = _date(data.score_as_of[i])
        row["bot_like_members"] = bot_like[i]
    out.update({
        "platform": data.platform,
        "as_of": _date(data.as_of),
        "target": overlap.target.to_dict(),
        "authenticity_model_version": data.model_version,
        "labels": LABELS,
        "fake_share_sources": FAKE_SHARE_SOURCES,
        "method": OVERLAP_METHOD,
        "notes": data.notes + ([] if not overlap.target_mask_applied else
                               ["Members with an unknown value in a target dimension are not counted "
                                "as in the target."]),
    })
    return out


def optimisation_document(optimisation: Optimisation) -> dict:
    """The optimiser's answer: picks with handles, followers and costs in minor units."""
    data = optimisation.data
    out = optimisation.result.to_dict()
    handles = dict(zip(data.creator_ids, data.handles))
    followers = dict(zip(data.creator_ids, data.followers.tolist()))
    for pick in [*out["picks"], *out["naive"]["picks"]]:
        pick["handle"] = handles[pick["creator_id"]]
        pick["followers"] = int(followers[pick["creator_id"]])
        if pick["cost"] is not None:
            pick["cost_minor"] = int(round(pick.pop("cost")))
            pick["cumulative_cost_minor"] = int(round(pick.pop("cumulative_cost")))
    for selection in (out, out["naive"]):
        selection["total_cost_minor"] = int(round(selection.pop("total_cost")))
    out["budget_minor"] = optimisation.budget
    out.pop("budget", None)
    out.update({
        "platform": data.platform, "as_of": _date(data.as_of), "target": optimisation.target.to_dict(),
        "candidates": len(optimisation.candidate_ids), "excluded": optimisation.excluded,
        "must_keep": optimisation.must_keep, "objective": OPTIMISER_OBJECTIVE, "notes": data.notes,
    })
    return out


SKETCH_LABELS = {
    "measured": ["sketch.creators.counted_sample_size", "sketch.creators.followers"],
    "estimated": ["sketch.creators.counted_members", "sketch.creators.unique_members",
                  "sketch.creators.unique_share", "sketch.creators.exclusive_reach",
                  "sketch.creators.member_weight", "sketch.pairwise.shared",
                  "sketch.pairwise.jaccard", "sketch.pairwise.containment",
                  "sketch.set.distinct_counted_members", "sketch.set.unique_reach",
                  "sketch.set.total_audience", "sketch.set.duplication_factor"],
}

SKETCH_FAKE_SHARE_SOURCES = {"score": FAKE_SHARE_SOURCES["score"],
                             "none": "no current score: assumed 0 in a sketch report"}

BOUNDED_KEYS = ("estimate", "lower", "upper")


def _stored_date(value) -> str | None:
    return None if value is None else (value if isinstance(value, str) else value.isoformat())


def _sketch_method(estimated: EstimatedOverlap) -> str:
    return (f"Estimated from stored theta sketches (Apache DataSketches, lg_k={estimated.lg_k}, "
            f"seed={estimated.seed}) of each "
            "creator's latest sample's counted (authentic) members, built by the last scoring run. "
            "Intersections, differences and unions are sketch set operations with bounds at "
            f"{estimated.num_std_devs} standard deviations; below 2^lg_k members a sketch is exact. Unique reach "
            "scales each counted member to F x (1 - fake share) / counted members and counts a member "
            "seen by several creators once at the largest weight.")


def sketch_overlap_document(estimated: EstimatedOverlap) -> dict:
    """The overlap report estimated from stored sketches (``method=sketch``) as the API answers it."""
    ids, overlap, reach = estimated.creator_ids, estimated.overlap, estimated.unique_reach
    k = len(ids)

    def matrix(values) -> list[list[float]]:
        return np.asarray(values, dtype=float).reshape(k, k).tolist()

    rows = []
    for i, creator_id in enumerate(ids):
        sampled, weight = estimated.sample_ids[i] is not None, estimated.member_weights[i]
        rows.append({
            "creator_id": creator_id, "handle": estimated.handles[i],
            "sample_id": estimated.sample_ids[i],
            "sampled_at": _stored_date(estimated.sampled_at[i]) if sampled else None,
            "sketch_created_at": estimated.sketch_created_at[i].isoformat() if sampled else None,
            "counted_sample_size": estimated.counted_sample_sizes[i],
            "sketch_retained": estimated.sketches[i].retained,
            "sketch_exact": bool(overlap.sizes[i].exact),
            "counted_members": overlap.sizes[i].to_dict(),
            "unique_members": overlap.unique[i].to_dict(),
            "unique_share": float(overlap.unique_share[i]),
            "followers": float(estimated.followers[i]), "fake_share": float(estimated.fake_share[i]),
            "fake_share_source": "score" if estimated.scored[i] else "none",
            "member_weight": float(weight),
            "exclusive_reach": {key: value * weight if key in BOUNDED_KEYS else value
                                for key, value in overlap.unique[i].to_dict().items()},
        })
    notes = []
    if not all(estimated.scored):
        notes.append("Some creators have no current score: their fake follower share counts as 0 here "
                     "(run a scoring run, or use method=exact for the sample's measured bot share).")
    if not all(estimated.sampled):
        notes.append("Some creators have no audience sample: they count with no measured reach.")
    # With no creators the overlap is that of one empty sketch, which counts as none here.
    per_creator = overlap.sizes if ids else []
    total = estimated.total_audience
    return {
        "estimation": "sketch",
        "platform": estimated.platform,
        "as_of": _stored_date(estimated.as_of),
        "target": None,
        "sketch": {
            "lg_k": estimated.lg_k, "seed": estimated.seed, "sketch_format_version": estimated.format_version,
            "relative_standard_error": relative_standard_error(estimated.lg_k),
            "num_std_devs": estimated.num_std_devs,
            "exact": bool(all(s.exact for s in per_creator)),
            "creators": rows,
            "pairwise": {
                "creator_ids": ids,
                **({"shared": matrix(overlap.shared), "shared_lower": matrix(overlap.shared_lower),
                    "shared_upper": matrix(overlap.shared_upper),
                    "jaccard": matrix(overlap.jaccard), "containment": matrix(overlap.containment)} if ids else
                   dict.fromkeys(("shared", "shared_lower", "shared_upper", "jaccard", "containment"), [])),
            },
            "set": {
                "creators": k,
                "distinct_counted_members": overlap.union.to_dict(),
                "unique_reach": reach.to_dict(),
                "total_audience": total,
                "duplication_factor": total / reach.estimate if reach.estimate > 0 else None,
                "counted_sample_sizes": estimated.counted_sample_sizes,
            },
        },
        "labels": SKETCH_LABELS,
        "fake_share_sources": SKETCH_FAKE_SHARE_SOURCES,
        "method": _sketch_method(estimated),
        "notes": notes,
    }
