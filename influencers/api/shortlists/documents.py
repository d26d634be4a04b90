"""The JSON documents of overlap reports and optimisations, from the shortlists domain's values.

What the API answers (and ``influencers optimise --json`` prints): the domain's numbers
with their names in the API's vocabulary (``cost_minor``), each creator's handle and
dates, and the prose saying what each number is and how it was computed.
"""
from __future__ import annotations

import datetime as dt

from influencers.shortlists.loader import FAKE_SHARE_SOURCES
from influencers.shortlists.service import ExactOverlap, Optimisation

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
