"""The creator x member incidence matrix behind every overlap computation.

Row ``i`` is creator ``i``'s current audience sample, column ``m`` one audience
member (stored once per workspace and platform, so the same person in two
samples is the same column). Entries are 1 where the member is in the sample.
Everything downstream (pairwise overlap, unique reach, the shortlist optimiser,
the co-membership graph) works on this CSR matrix with sparse products and
numpy reductions, never on Python sets.

Member masks (authenticity, target audience) are boolean arrays aligned with the
columns; :meth:`Incidence.member_mask` builds one from a collection of member keys.
"""
from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from functools import cached_property

import numpy as np
import scipy.sparse as sp


@dataclass(frozen=True)
class Incidence:
    """A K x M 0/1 CSR matrix with the labels of its rows and columns.

    ``creator_ids[i]`` labels row ``i`` (database ids, handles, anything
    hashable); ``member_keys[m]`` labels column ``m``. Entries are ``int32`` ones,
    so ``A @ A.T`` counts shared members without overflow.
    """

    matrix: sp.csr_array
    member_keys: np.ndarray
    creator_ids: tuple

    def __post_init__(self) -> None:
        k, m = self.matrix.shape
        if len(self.creator_ids) != k:
            raise ValueError(f"{len(self.creator_ids)} creator ids for {k} rows")
        if len(self.member_keys) != m:
            raise ValueError(f"{len(self.member_keys)} member keys for {m} columns")

    @cached_property
    def csc(self) -> sp.csc_array:
        """The same matrix in CSC form (computed once): member masks become column masks."""
        return self.matrix.tocsc()

    @property
    def n_creators(self) -> int:
        return self.matrix.shape[0]

    @property
    def n_members(self) -> int:
        return self.matrix.shape[1]

    @property
    def sample_sizes(self) -> np.ndarray:
        """Distinct sampled members per creator (``n_i``)."""
        return np.diff(self.matrix.indptr).astype(np.int64)

    def index_of(self, creator_id) -> int:
        try:
            return self.creator_ids.index(creator_id)
        except ValueError:
            raise KeyError(f"unknown creator {creator_id!r}") from None

    def member_mask(self, keys: Iterable) -> np.ndarray:
        """Boolean column mask: True for members whose key is in ``keys``."""
        keys = np.asarray(list(keys) if not isinstance(keys, np.ndarray) else keys)
        if keys.size == 0:
            return np.zeros(self.n_members, dtype=bool)
        return np.isin(self.member_keys, keys)

    def subset(self, rows: Sequence[int]) -> Incidence:
        """The rows ``rows`` (in that order), keeping every column so masks stay aligned."""
        rows = np.asarray(rows, dtype=np.int64)
        return Incidence(_ones(self.matrix[rows]), self.member_keys,
                         tuple(self.creator_ids[int(r)] for r in rows))


def _ones(matrix) -> sp.csr_array:
    """Canonical form: CSR, sorted unique indices, int32 ones."""
    m = sp.csr_array(matrix)
    m.sum_duplicates()
    m.sort_indices()
    m.data = np.ones(m.nnz, dtype=np.int32)
    m.eliminate_zeros()
    return m


def _compress(members: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Distinct member ids (sorted) and each pair's column; a lookup table for dense integer ids."""
    if members.dtype.kind in "iu" and members.size:
        lo, hi = int(members.min()), int(members.max())
        span = hi - lo + 1
        if span <= max(4 * members.size, 1 << 20):
            present = np.zeros(span, dtype=bool)
            offset = members - lo if lo else members
            present[offset] = True
            keys = (np.flatnonzero(present) + lo).astype(members.dtype)
            lookup = np.cumsum(present, dtype=np.int32 if span < 2**31 else np.int64)
            lookup -= 1
            return keys, lookup[offset]
    order = np.argsort(members, kind="stable")
    ordered = members[order]
    first = np.concatenate([[True], ordered[1:] != ordered[:-1]]) if members.size else np.zeros(0, bool)
    cols = np.empty(members.size, dtype=np.int64)
    cols[order] = np.cumsum(first) - 1
    return ordered[first], cols


def _csr_from_pairs(rows: np.ndarray, cols: np.ndarray, shape: tuple[int, int]) -> sp.csr_array:
    """Canonical 0/1 CSR (sorted, duplicate-free rows) from (row, col) pairs.

    Pairs already grouped by row with increasing columns (e.g. read in primary-key
    order) are taken as they are; otherwise one sort of the combined key row * M + col.
    """
    k, m = shape
    idx_dtype = np.int32 if max(m, rows.size) < 2**31 else np.int64
    if rows.size > 1 and not (np.all(rows[1:] >= rows[:-1])
                              and np.all((cols[1:] > cols[:-1]) | (rows[1:] > rows[:-1]))):
        # np.sort, not np.unique: numpy 2.4's hash-based unique is much slower here
        key = np.sort(rows * np.int64(m) + cols.astype(np.int64)) if m else rows[:0]
        if key.size > 1:
            key = key[np.concatenate([[True], key[1:] != key[:-1]])]
        rows, cols = key // m, key % m
    indptr = np.zeros(k + 1, dtype=np.int64)
    np.cumsum(np.bincount(rows, minlength=k), out=indptr[1:])
    out = sp.csr_array((np.ones(cols.size, dtype=np.int32), cols.astype(idx_dtype, copy=False),
                        indptr.astype(idx_dtype)), shape=shape)
    out.has_sorted_indices = True
    out.has_canonical_format = True
    return out


def _labels(creator_ids, n: int) -> tuple:
    """Row labels as plain Python values (numpy scalars would not serialise to JSON)."""
    if creator_ids is None:
        return tuple(range(n))
    if isinstance(creator_ids, np.ndarray):
        return tuple(creator_ids.tolist())
    return tuple(v.item() if isinstance(v, np.generic) else v for v in creator_ids)


def incidence_from_pairs(creator_index, member_index, *, n_creators: int | None = None,
                         creator_ids: Sequence | None = None,
                         member_keys: Sequence | np.ndarray | None = None) -> Incidence:
    """Build the matrix from (row, member) pairs, e.g. rows of ``audience_sample_members``.

    ``creator_index`` are row numbers ``0..K-1``. ``member_index`` are arbitrary
    integer member ids (database ids): they are compressed to columns ``0..M-1``
    in increasing id order, and the ids become ``member_keys``. Duplicate pairs
    count once. Pass ``member_keys`` instead when ``member_index`` already holds
    column numbers into it (e.g. to keep members that appear in no sample).
    """
    rows = np.asarray(creator_index, dtype=np.int64).ravel()
    members = np.asarray(member_index).ravel()
    if rows.shape != members.shape:
        raise ValueError("creator_index and member_index must have the same length")
    if n_creators is None:
        n_creators = len(creator_ids) if creator_ids is not None else (int(rows.max()) + 1 if rows.size else 0)
    if rows.size and (rows.min() < 0 or rows.max() >= n_creators):
        raise ValueError("creator_index out of range")
    if member_keys is None:
        keys, cols = _compress(members)
    else:
        keys = np.asarray(member_keys)
        cols = members.astype(np.int64)
        if cols.size and (cols.min() < 0 or cols.max() >= len(keys)):
            raise ValueError("member_index out of range for member_keys")
    matrix = _csr_from_pairs(rows, np.asarray(cols).ravel(), (n_creators, len(keys)))
    return Incidence(matrix, keys, _labels(creator_ids, n_creators))


def incidence_from_samples(samples: Mapping | Sequence[Iterable]) -> Incidence:
    """Build the matrix from per-creator collections of member keys.

    ``samples`` is ``{creator_id: keys}`` or a list of key collections (creator
    ids are then ``0..K-1``). Keys may be strings or integers, but one type.
    """
    if isinstance(samples, Mapping):
        ids = tuple(samples.keys())
        groups = [samples[c] for c in ids]
    else:
        groups = list(samples)
        ids = tuple(range(len(groups)))
    arrays = [np.asarray(list(g) if not isinstance(g, np.ndarray) else g) for g in groups]
    sizes = np.array([a.size for a in arrays], dtype=np.int64)
    rows = np.repeat(np.arange(len(arrays)), sizes)
    nonempty = [a for a in arrays if a.size]
    members = np.concatenate(nonempty) if nonempty else np.array([], dtype=np.int64)
    return incidence_from_pairs(rows, members, n_creators=len(arrays), creator_ids=ids)
