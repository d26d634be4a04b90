"""A scoring run in chunks: a workspace scored a range of creator ids at a time, in bounded memory.

A run that loads a whole workspace at once holds every creator's posts, snapshots and
sampled members (~85 KiB a creator). A chunked run reads it in two passes over ranges of
creator ids (:func:`plan`), each range read with the scoring loader as a run reads a whole
workspace:

1. the first pass (:func:`first_pass`) gathers what every creator is compared with: the
   engagement, drip and own-baseline peer statistics (:mod:`influencers.scoring.peers`), the
   audience statistics (:mod:`influencers.scoring.audience_peers`; the member-level ones by
   GROUP BY in the database: members created per day, the memberships of members sampled by
   several creators), the comment graph and featuring edges, and the graph signals;
2. the second pass (:func:`score_chunk`) scores each range against them and stages its rows
   (scores, explanations, audience shares, sketches) in temporary files, which the run writes
   in one transaction once every range is scored: a run that fails leaves nothing written.

Scores, explanations, shares and sketches are those of the same workspace scored at once.
"""
from __future__ import annotations

import json
from dataclasses import dataclass, fields
from pathlib import Path

import numpy as np
import pandas as pd
from sqlalchemy.orm import Session

from influencers.db import encode_json, json_fragments
from influencers.graph.service import scoring_graph_signals
from influencers.overlap.sketch import DEFAULT_LG_K, DEFAULT_SEED
from influencers.scoring import recalibration
from influencers.scoring.audience import audience_authenticity
from influencers.scoring.audience_pass import (
    audience_shares,
    load_shares,
    load_sketches,
    save_shares,
    save_sketches,
    sketch_batch,
)
from influencers.scoring.audience_peers import (
    AudiencePeers,
    AudienceValues,
    CreatorFacts,
    audience_peers,
    gather_audience,
)
from influencers.scoring.fraud import CommentGraph
from influencers.scoring.inputs import ScoringInputs
from influencers.scoring.loader import (
    _scope,
    load_inputs,
    read_creators,
    read_edges,
    read_latest_samples,
)
from influencers.scoring.member_reads import member_statistics_in_ranges
from influencers.scoring.model import ScoringModel
from influencers.scoring.peers import ActivityPeers, ActivityStatistics, gather_activity
from influencers.scoring.score import activity_signals, engagement_explanations, score_creators
from influencers.scoring.writes import ExplanationSpool, ScoreRows, score_rows

DEFAULT_CHUNK_SIZE = 20_000


@dataclass
class Plan:
    """The run's creators (ids ascending) and its ranges of positions."""

    creator_ids: np.ndarray
    ranges: list[tuple[int, int]]

    def id_range(self, k: int) -> tuple[int, int]:
        start, stop = self.ranges[k]
        return int(self.creator_ids[start]), int(self.creator_ids[stop - 1])


def plan(creator_ids: np.ndarray, chunk_size: int) -> Plan:
    if chunk_size < 1:
        raise ValueError("chunk_size must be at least 1")
    n = len(creator_ids)
    return Plan(np.asarray(creator_ids, dtype=np.int64),
                [(start, min(start + chunk_size, n)) for start in range(0, n, chunk_size)])


@dataclass
class FirstPass:
    """What every chunk is scored against."""

    plan: Plan
    activity: ActivityPeers
    audience: AudiencePeers
    centrality: np.ndarray | None
    pods: dict[int, dict]


def read_member_statistics(session: Session, workspace_id: int, creators: CreatorFacts, models: list[ScoringModel],
                           n_ranges: int = 1):
    """Per model, the :class:`~influencers.scoring.audience_peers.MemberStatistics` of the
    workspace's latest samples, their memberships read in ``n_ranges`` ranges of member ids
    (:func:`~influencers.scoring.member_reads.member_statistics_in_ranges`)."""
    samples = read_latest_samples(session, _scope(workspace_id, None), creators.creator_ids)
    return member_statistics_in_ranges(session, workspace_id, samples, creators, models, n_ranges)


def _inputs_path(staging: Path, k: int) -> Path:
    return staging / f"chunk-{k}-inputs.npz"


def _save_inputs(inputs: ScoringInputs, path: Path) -> bool:
    """Writes ``inputs`` as typed arrays (``np.savez``, read back with ``allow_pickle=False``:
    no pickle). False, writing nothing, when a field holds anything but numeric, date or
    boolean arrays, strings (``None`` unknown) or categoricals of strings: the second pass
    then reads that range from the database again."""
    arrays: dict[str, np.ndarray] = {}
    kinds: dict[str, str] = {}
    for f in fields(ScoringInputs):
        value = getattr(inputs, f.name)
        if value is None:
            kinds[f.name] = "none"
        elif isinstance(value, pd.Categorical):
            categories = np.asarray(value.categories, dtype=object).tolist()
            if not all(type(c) is str for c in categories):
                return False
            arrays[f.name], arrays[f.name + ".categories"] = value.codes, np.array(categories, dtype=str)
            kinds[f.name] = "categorical"
        elif isinstance(value, np.ndarray) and value.dtype != object:
            arrays[f.name], kinds[f.name] = value, "array"
        elif isinstance(value, np.ndarray):
            items = value.tolist()
            if not all(v is None or type(v) is str for v in items):
                return False
            arrays[f.name] = np.array(["" if v is None else v for v in items], dtype=str)
            arrays[f.name + ".none"] = np.array([v is None for v in items], dtype=bool)
            kinds[f.name] = "strings"
        else:
            return False
    arrays["kinds"] = np.frombuffer(json.dumps(kinds).encode(), dtype=np.uint8)
    with open(path, "wb") as fh:
        np.savez(fh, **arrays)
    return True


def _load_inputs(path: Path) -> ScoringInputs:
    """The inputs :func:`_save_inputs` wrote."""
    values = {}
    with np.load(path, allow_pickle=False) as data:
        for name, kind in json.loads(data["kinds"].tobytes()).items():
            if kind == "none":
                values[name] = None
            elif kind == "array":
                values[name] = data[name]
            elif kind == "categorical":
                values[name] = pd.Categorical.from_codes(
                    data[name], categories=data[name + ".categories"].astype(object))
            else:
                strings = data[name].astype(object)
                strings[data[name + ".none"]] = None
                values[name] = strings
    return ScoringInputs(**values)


def first_pass(session: Session, workspace_id: int, model: ScoringModel, sketch_model: ScoringModel,
               chunk_size: int, staging: Path) -> FirstPass:
    """Reads the workspace range by range and computes the statistics every range is scored
    against (see the module docstring), in the session's transaction. Each range's inputs are
    kept in ``staging`` for the second pass (:func:`score_chunk`): reading them back from a
    local file costs a fraction of reading them from the database again."""
    creators = read_creators(session, workspace_id)
    ids = creators["creator_ids"]
    the_plan = plan(ids, chunk_size)
    whole = ScoringInputs(**creators, **read_edges(session, workspace_id, _scope(workspace_id, None), ids))
    graph = CommentGraph.of(whole)
    facts = CreatorFacts.of(whole)
    same_model = sketch_model.to_dict() == model.to_dict()
    members = read_member_statistics(session, workspace_id, facts, [model] if same_model else [model, sketch_model],
                                     len(the_plan.ranges))
    centrality, pods = scoring_graph_signals(session, workspace_id, ids, whole.platform)
    del whole, creators, facts
    activity_values = ActivityStatistics(staging)
    audience_values = AudienceValues(members[0])
    for k in range(len(the_plan.ranges)):
        inputs = load_inputs(session, workspace_id, id_range=the_plan.id_range(k))
        activity_values.add(gather_activity(inputs, model))
        gather_audience(audience_values, inputs, model, sketch_model, members[-1])
        _save_inputs(inputs, _inputs_path(staging, k))
        del inputs
    activity = activity_values.peers(model, graph)
    return FirstPass(the_plan, activity, audience_peers(audience_values, model), centrality, pods)


@dataclass
class StagedChunk:
    """A scored chunk's rows, in temporary files until the run writes them."""

    id_range: tuple[int, int]
    creator_ids: np.ndarray
    columns_path: Path
    explanations: ExplanationSpool
    shares_path: Path
    sketches_path: Path

    def rows(self) -> ScoreRows:
        return ScoreRows(json.loads(self.columns_path.read_bytes()), self.explanations)

    def shares(self):
        return load_shares(self.shares_path)

    def sketches(self):
        return load_sketches(self.sketches_path)


def score_chunk(session: Session, workspace_id: int, run_id: int, first: FirstPass, k: int, model: ScoringModel,
                sketch_model: ScoringModel, classifier, model_version: str, staging: Path,
                *, lg_k: int = DEFAULT_LG_K, seed: int = DEFAULT_SEED) -> StagedChunk:
    """Scores range ``k`` against the first pass and stages its rows in ``staging``."""
    start, stop = first.plan.ranges[k]
    path = _inputs_path(staging, k)
    if path.exists():  # kept by the first pass
        inputs = _load_inputs(path)
        path.unlink()
    else:
        inputs = load_inputs(session, workspace_id, id_range=first.plan.id_range(k))
    if not np.array_equal(inputs.creator_ids, first.plan.creator_ids[start:stop]):
        raise LookupError("the workspace's creators changed within one snapshot")
    pods = {i - start: evidence for i, evidence in first.pods.items() if start <= i < stop}
    centrality = None if first.centrality is None else first.centrality[start:stop]
    activity = activity_signals(inputs, model, pods, peers=first.activity)
    engagement_sections = json_fragments(engagement_explanations(inputs, activity))
    audience = audience_authenticity(inputs, model, peers=first.audience)
    result = score_creators(inputs, model, centrality=centrality, pods=pods, audience=audience, activity=activity)
    patches = None
    if classifier is not None:
        result, patches = recalibration.apply(result, classifier, model_version)
    spool = ExplanationSpool()
    try:
        rows = score_rows(workspace_id, run_id, result, engagement_sections, patches, spool=spool)
        staged = StagedChunk(first.plan.id_range(k), np.asarray(inputs.creator_ids, dtype=np.int64),
                             staging / f"chunk-{k}-scores.json", spool, staging / f"chunk-{k}-shares.npz",
                             staging / f"chunk-{k}-sketches.npz")
        staged.columns_path.write_bytes(encode_json(rows.columns).encode())
        save_shares(audience_shares(inputs), staged.shares_path)
        save_sketches(sketch_batch(inputs, sketch_model, lg_k=lg_k, seed=seed,
                                   bot_like_keys=first.audience.bot_like_keys), staged.sketches_path)
    except BaseException:
        spool.close()
        raise
    return staged
