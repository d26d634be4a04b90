"""Creator ranges of scoring inputs: what a chunk of a chunked scoring run holds.

Pure: :func:`creator_range` takes the rows of a range of creators out of a workspace's
:class:`~influencers.scoring.inputs.ScoringInputs` (the same arrays a run reads for that
range: its creators, their posts, snapshots, categories, latest samples' memberships and
those members, and the edges between two of its creators).
"""
from __future__ import annotations

import dataclasses

import numpy as np

from influencers.scoring.inputs import ScoringInputs

_CREATOR_FIELDS = ("platform", "followers", "following", "posts_count", "creator_ids", "as_of", "sample_date",
                   "handles", "sample_id", "country", "language", "niche")


def _take(values, rows):
    return None if values is None else values[rows]


def creator_range(inputs: ScoringInputs, start: int, stop: int) -> ScoringInputs:
    """The inputs of creators ``start`` to ``stop - 1`` (positions), re-indexed from 0."""
    fields = {name: _take(getattr(inputs, name), slice(start, stop)) for name in _CREATOR_FIELDS}

    def inside(creator):
        return (creator >= start) & (creator < stop)

    for prefix, key in (("post_", "post_creator"), ("snapshot_", "snapshot_creator"),
                        ("category_", "category_creator")):
        rows = np.flatnonzero(inside(getattr(inputs, key)))
        for f in dataclasses.fields(inputs):
            if f.name.startswith(prefix):
                fields[f.name] = _take(getattr(inputs, f.name), rows)
        fields[key] = getattr(inputs, key)[rows] - start
    for prefix, source, target in (("comment_", "comment_source", "comment_target"),
                                   ("feature_", "feature_source", "feature_target")):
        rows = np.flatnonzero(inside(getattr(inputs, source)) & inside(getattr(inputs, target)))
        for f in dataclasses.fields(inputs):
            if f.name.startswith(prefix):
                fields[f.name] = _take(getattr(inputs, f.name), rows)
        fields[source] = getattr(inputs, source)[rows] - start
        fields[target] = getattr(inputs, target)[rows] - start
    rows = np.flatnonzero(inside(inputs.sample_creator))
    members, sample_member = np.unique(inputs.sample_member[rows], return_inverse=True)
    for f in dataclasses.fields(inputs):
        if f.name.startswith("member_"):
            fields[f.name] = _take(getattr(inputs, f.name), members)
    # The members' identity across ranges: their ids, else their positions in the whole inputs.
    fields["member_ids"] = members if inputs.member_ids is None else inputs.member_ids[members]
    fields["sample_creator"] = inputs.sample_creator[rows] - start
    fields["sample_member"] = sample_member.astype(np.int64)
    return ScoringInputs(**fields)


def ranges(n_creators: int, chunk_size: int) -> list[tuple[int, int]]:
    """``(start, stop)`` of consecutive ranges of at most ``chunk_size`` creators."""
    if chunk_size < 1:
        raise ValueError("chunk_size must be at least 1")
    return [(start, min(start + chunk_size, n_creators)) for start in range(0, n_creators, chunk_size)]
