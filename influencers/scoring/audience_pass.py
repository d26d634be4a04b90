"""The audience half of a scoring run: everything computed from the sample memberships.

A run's audience work -- classify every (creator, member) row of the latest
samples, count the audience types per creator, the audience-composition shares
discovery filters on, and the theta sketches overlap reports are answered from
-- needs only the memberships and the members' profiles, which are also the
bulk of what a run reads. This module computes all of it from
:class:`~influencers.scoring.inputs.ScoringInputs` (pure: no session). A run
does it in this process (:class:`LocalAudiencePass`) or in another one
(:mod:`influencers.scoring.audience_worker`) while it reads and scores the rest;
the worker hands over each part as plain arrays (``save_*`` / ``load_*``:
``.npz`` files read with ``allow_pickle=False``) as soon as it is computed, so
the run writes the scores while the worker still builds the sketches.

Each creator's share rows and sketch carry a 64-bit digest, so the write phase
compares digests with the stored ones (a few thousand integers) instead of
reading back ~750,000 share rows and 20,000 sketch blobs to find what changed.
"""
from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, fields
from itertools import islice
from pathlib import Path

import numpy as np
import pandas as pd

from influencers.overlap.sketch import DEFAULT_LG_K, DEFAULT_SEED, build_sketch, member_sketch_keys
from influencers.scoring.attributes import AUDIENCE_DIMENSIONS, attribute_codes, attribute_of
from influencers.scoring.audience import (
    AudienceResult,
    audience_authenticity,
    authentic_memberships,
    classify_memberships,
)
from influencers.scoring.audience_signals import AudienceSignals
from influencers.scoring.inputs import ScoringInputs, factorized
from influencers.scoring.model import ScoringModel


@dataclass
class AudienceShares:
    """Per creator and audience attribute (:mod:`influencers.scoring.attributes`): the share of
    the latest sample's members with that value, among those whose value of the dimension is known.

    Rows are ordered by creator and attribute (the order of the table's primary key, so
    that inserting them appends to it). ``digest_creator_ids`` / ``digests``: one
    order-independent 64-bit digest of each creator's rows, for the creators that have
    rows (see :func:`share_digests`).
    """

    creator_id: np.ndarray      # int64
    attribute: np.ndarray       # int16 attribute code
    share: np.ndarray           # float64
    sample_size: np.ndarray     # int64: members with a known value of the dimension
    digest_creator_ids: np.ndarray
    digests: np.ndarray         # int64 (the uint64 digest's bits)

    def __len__(self) -> int:
        return len(self.creator_id)

    def frame(self) -> pd.DataFrame:
        names = [attribute_of(code) for code in self.attribute.tolist()]
        return pd.DataFrame({
            "creator_id": self.creator_id,
            "dimension": [dimension for dimension, _value in names],
            "value": [value for _dimension, value in names],
            "share": self.share,
            "sample_size": self.sample_size,
        })


@dataclass
class SketchBatch:
    """Sketches of the creators' latest samples' counted members, serialised, with what they were built from."""

    creator_ids: np.ndarray     # int64
    sample_ids: np.ndarray      # int64
    sampled_at: np.ndarray      # datetime64[D]
    member_counts: np.ndarray   # int64: counted members sketched
    digests: np.ndarray         # int64: blake2b-64 of the serialised bytes
    blobs: list[bytes]
    lg_k: int = DEFAULT_LG_K
    seed: int = DEFAULT_SEED

    def __len__(self) -> int:
        return len(self.creator_ids)

    @classmethod
    def build(cls, creator_ids, sample_ids, sampled_at, keys: np.ndarray, member_counts, *,
              lg_k: int = DEFAULT_LG_K, seed: int = DEFAULT_SEED) -> SketchBatch:
        """Sketches each creator's counted members: ``keys`` (int64,
        :func:`~influencers.overlap.sketch.member_sketch_keys`) holds them creator after
        creator, ``member_counts[i]`` of them for creator ``i``."""
        if not 0 <= seed < 2 ** 63:
            raise ValueError("seed must be within [0, 2^63)")
        member_counts = np.asarray(member_counts, dtype=np.int64)
        keys = np.asarray(keys, dtype=np.int64)
        if len(member_counts) != len(creator_ids) or member_counts.sum() != len(keys) or (member_counts < 0).any():
            raise ValueError("member_counts must give each creator's number of keys, all keys in all")
        # One iterator over all the keys, each sketch taking its share: no list per creator.
        remaining = iter(keys.tolist())
        blobs = [build_sketch(islice(remaining, count), lg_k=lg_k, seed=seed).to_bytes()
                 for count in member_counts.tolist()]
        return cls(
            creator_ids=np.asarray(creator_ids, dtype=np.int64),
            sample_ids=np.asarray(sample_ids, dtype=np.int64),
            sampled_at=np.asarray(sampled_at, dtype="datetime64[D]"),
            member_counts=member_counts,
            digests=np.array([sketch_digest(blob) for blob in blobs], dtype=np.int64),
            blobs=blobs, lg_k=lg_k, seed=seed,
        )


class LocalAudiencePass:
    """The audience pass computed in this process, part by part when asked for: the same
    interface as :class:`influencers.scoring.audience_worker.AudienceWorker`
    (``audience()``, ``shares()``, ``sketches()``, in that order).

    ``model`` classifies the audience types; ``sketch_model`` (the workspace's active
    model; default ``model``) decides which members the sketches count as authentic.
    """

    def __init__(self, inputs: ScoringInputs, model: ScoringModel, sketch_model: ScoringModel | None = None, *,
                 lg_k: int = DEFAULT_LG_K, seed: int = DEFAULT_SEED):
        self._inputs, self._model, self._sketch_model = inputs, model, sketch_model or model
        self._lg_k, self._seed = lg_k, seed
        self.timings: dict[str, float] = {}
        self._shares: AudienceShares | None = None
        self._sketches: SketchBatch | None = None
        self._classified: tuple[np.ndarray, np.ndarray] | None = None  # by ``model``, once audience() ran

    def precompute(self) -> LocalAudiencePass:
        """Computes the shares and sketches now (e.g. before a write transaction takes its lock)."""
        self.shares()
        self.sketches()
        return self

    def audience(self) -> AudienceResult:
        self._classified = classify_memberships(self._inputs, self._model)
        return audience_authenticity(self._inputs, self._model, self._classified)

    def shares(self) -> AudienceShares:
        if self._shares is None:
            self._shares = audience_shares(self._inputs)
        return self._shares

    def sketches(self) -> SketchBatch:
        if self._sketches is None:
            same_model = self._sketch_model.to_dict() == self._model.to_dict()
            self._sketches = sketch_batch(self._inputs, self._sketch_model, lg_k=self._lg_k, seed=self._seed,
                                          classified=self._classified if same_model else None)
        return self._sketches


def audience_shares(inputs: ScoringInputs) -> AudienceShares:
    """The shares of every creator of ``inputs`` (see :class:`AudienceShares`).

    Vectorised: the member values are factorised once and coded
    (:func:`influencers.scoring.attributes.attribute_codes`), and (creator, code)
    pairs counted on one integer key per membership (:func:`_count_keys`). A member
    value without a code (only possible for rows written around the import's
    validation) fails the pass with the value, rather than being left out.
    """
    parts = []
    for dimension in AUDIENCE_DIMENSIONS:
        values = getattr(inputs, f"member_{dimension}")
        if values is None or not len(inputs.sample_member):
            continue
        codes, uniques = factorized(values)  # -1: unknown
        member_codes = codes[inputs.sample_member]
        known_rows = member_codes >= 0
        if not known_rows.any():
            continue
        attributes = attribute_codes(dimension, uniques)
        held = np.zeros(len(uniques), bool)
        held[member_codes[known_rows]] = True
        if (held & (attributes < 0)).any():
            bad = [str(v) for v in uniques[held & (attributes < 0)][:3]]
            raise ValueError(f"audience members have {dimension} values that cannot be stored: "
                             f"{', '.join(map(repr, bad))}")
        n_values = max(len(uniques), 1)
        keys, counts = _count_keys(inputs.sample_creator[known_rows].astype(np.int64) * n_values
                                   + member_codes[known_rows], inputs.n_creators * n_values)
        creator, code = np.divmod(keys, n_values)
        known = np.bincount(creator, weights=counts)[creator].astype(np.int64)
        parts.append((creator, attributes[code], counts / known, known))
    if not parts:
        empty = np.zeros(0, dtype=np.int64)
        return AudienceShares(empty, np.zeros(0, np.int16), np.zeros(0), empty, empty, empty)
    creator, attribute, share, sample_size = (np.concatenate(column) for column in zip(*parts))
    # Creator (position), then attribute: the primary key's order.
    order = np.lexsort((attribute, creator))
    creator_id = np.asarray(inputs.creator_ids, dtype=np.int64)[creator[order]]
    attribute, share, sample_size = attribute[order], share[order], sample_size[order]
    digest_creator_ids, digests = share_digests(creator_id, attribute, share, sample_size)
    return AudienceShares(creator_id, attribute, share, sample_size, digest_creator_ids, digests)


def _count_keys(keys: np.ndarray, key_range: int) -> tuple[np.ndarray, np.ndarray]:
    """``np.unique(keys, return_counts=True)`` for non-negative ``keys`` below ``key_range``.

    One ``bincount`` over the whole key range when it is not much larger than the
    keys (creators x a few dozen countries: no sort of 4M keys), else the sort.
    """
    if key_range <= 4 * len(keys) + 1024:
        counts = np.bincount(keys, minlength=key_range)
        present = np.flatnonzero(counts)
        return present, counts[present]
    return np.unique(keys, return_counts=True)


def _mix(values: np.ndarray) -> np.ndarray:
    """splitmix64's finaliser: a bijective scramble of uint64 values (wrapping arithmetic)."""
    z = values.astype(np.uint64, copy=True)
    z ^= z >> np.uint64(30)
    z *= np.uint64(0xBF58476D1CE4E5B9)
    z ^= z >> np.uint64(27)
    z *= np.uint64(0x94D049BB133111EB)
    z ^= z >> np.uint64(31)
    return z


def share_digests(creator_id: np.ndarray, attribute: np.ndarray, share: np.ndarray,
                  sample_size: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(creator ids, digests): per creator the wrapping sum of one 64-bit hash per row.

    A row's hash covers its attribute code, the share's exact float bits and the
    sample size; summing makes the digest independent of row order, and rows are
    unique per (creator, attribute). Two different row sets collide with
    probability ~2^-64.
    """
    with np.errstate(over="ignore"):
        row = _mix(attribute.astype(np.uint64) + np.uint64(0x9E3779B97F4A7C15))
        row = _mix(row ^ np.ascontiguousarray(share, dtype=np.float64).view(np.uint64))
        row = _mix(row + sample_size.astype(np.uint64))
        ids, position = np.unique(creator_id, return_inverse=True)
        sums = np.zeros(len(ids), dtype=np.uint64)
        np.add.at(sums, position, row)
    return ids, sums.view(np.int64)


def sketch_digest(blob: bytes) -> int:
    return int.from_bytes(hashlib.blake2b(blob, digest_size=8).digest(), "little", signed=True)


def sketch_batch(inputs: ScoringInputs, model: ScoringModel, *, lg_k: int = DEFAULT_LG_K,
                 seed: int = DEFAULT_SEED, classified: tuple[np.ndarray, np.ndarray] | None = None,
                 bot_like_keys: np.ndarray | None = None) -> SketchBatch:
    """The sketch of every creator of ``inputs`` with a latest sample: its members counted as
    authentic by ``model`` (:func:`influencers.scoring.audience.authentic_memberships`, the
    overlap loader's rule), keyed by their stored ``member_keys``, in member id order.
    ``classified``: the memberships classified by ``model`` already, if at hand. ``bot_like_keys``:
    the whole workspace's bot-like members when ``inputs`` hold a range of its creators."""
    if inputs.sample_id is None or (inputs.member_keys is None and inputs.member_sketch_keys is None):
        raise ValueError("inputs lack sample_id or member keys: load them with the scoring loader")
    keys = (inputs.member_sketch_keys if inputs.member_sketch_keys is not None
            else member_sketch_keys(inputs.member_keys))
    counted_rows = authentic_memberships(inputs, model, classified, bot_like_keys)
    creator, member = inputs.sample_creator[counted_rows], inputs.sample_member[counted_rows]
    # Rows grouped by creator, members in id order (member positions follow ids), like the overlap loader.
    # The database usually returns them so already (sample, member key order): checking is O(n),
    # sorting 4M rows is not.
    key = creator.astype(np.int64) * max(len(keys), 1) + member
    if len(key) and not (key[1:] >= key[:-1]).all():
        order = np.argsort(key, kind="stable")
        creator, member = creator[order], member[order]
    counts = np.bincount(creator, minlength=inputs.n_creators)
    sampled = np.flatnonzero(np.asarray(inputs.sample_id) >= 0)  # creators without one have no rows
    return SketchBatch.build(
        np.asarray(inputs.creator_ids)[sampled], np.asarray(inputs.sample_id)[sampled],
        np.asarray(inputs.sample_date).astype("datetime64[D]")[sampled],
        keys[member], counts[sampled], lg_k=lg_k, seed=seed,
    )


# -- hand-over between processes: arrays only, no pickle ---------------------------------------
# Each part in its own uncompressed ``.npz`` (numeric, datetime and fixed-width string
# arrays; JSON metadata as bytes), so a run can write one part while the worker still
# computes the next. Read with ``allow_pickle=False``.

def _save(path: str | Path, arrays: dict[str, np.ndarray], meta: dict) -> None:
    arrays = {**arrays, "meta": np.frombuffer(json.dumps(meta).encode(), dtype=np.uint8)}
    with open(path, "wb") as fh:
        np.savez(fh, **arrays)


def _load(path: str | Path) -> tuple[dict[str, np.ndarray], dict]:
    with np.load(path, allow_pickle=False) as data:
        arrays = {name: data[name] for name in data.files}
    return arrays, json.loads(arrays.pop("meta").tobytes())


_SIGNAL = "signal."  # the file's names of AudienceResult.signals' arrays


def save_audience(creator_ids: np.ndarray, audience: AudienceResult, path: str | Path) -> None:
    arrays = {"creator_ids": np.asarray(creator_ids, dtype=np.int64)}
    arrays.update({f.name: getattr(audience, f.name) for f in fields(AudienceResult)
                   if f.name not in ("indicator_shares", "peers", "signals")})
    arrays.update({_SIGNAL + f.name: getattr(audience.signals, f.name) for f in fields(AudienceSignals)})
    names = list(audience.indicator_shares)
    arrays["indicator_shares"] = (np.stack([audience.indicator_shares[name] for name in names], axis=1)
                                  if names else np.zeros((len(creator_ids), 0)))
    _save(path, arrays, {"indicator_names": names})


def load_audience(path: str | Path) -> tuple[np.ndarray, AudienceResult]:
    """(creator ids, audience result) as :func:`save_audience` wrote them."""
    arrays, meta = _load(path)
    indicators = arrays.pop("indicator_shares")
    creator_ids = arrays.pop("creator_ids")
    signals = AudienceSignals(**{f.name: arrays.pop(_SIGNAL + f.name) for f in fields(AudienceSignals)})
    return creator_ids, AudienceResult(**arrays, signals=signals, indicator_shares={
        name: indicators[:, k] for k, name in enumerate(meta["indicator_names"])})


def save_shares(shares: AudienceShares, path: str | Path) -> None:
    _save(path, {f.name: getattr(shares, f.name) for f in fields(AudienceShares)}, {})


def load_shares(path: str | Path) -> AudienceShares:
    arrays, _meta = _load(path)
    return AudienceShares(**arrays)


_SKETCH_ARRAYS = ("creator_ids", "sample_ids", "sampled_at", "member_counts", "digests")


def save_sketches(batch: SketchBatch, path: str | Path) -> None:
    """The blobs as one byte array with offsets."""
    arrays = {name: getattr(batch, name) for name in _SKETCH_ARRAYS}
    arrays["offsets"] = np.cumsum([0] + [len(blob) for blob in batch.blobs], dtype=np.int64)
    arrays["bytes"] = np.frombuffer(b"".join(batch.blobs), dtype=np.uint8)
    _save(path, arrays, {"lg_k": batch.lg_k, "seed": batch.seed})


def load_sketches(path: str | Path) -> SketchBatch:
    arrays, meta = _load(path)
    offsets, raw = arrays["offsets"].tolist(), arrays["bytes"].tobytes()
    return SketchBatch(**{name: arrays[name] for name in _SKETCH_ARRAYS},
                       blobs=[raw[offsets[k]:offsets[k + 1]] for k in range(len(offsets) - 1)],
                       lg_k=int(meta["lg_k"]), seed=int(meta["seed"]))
