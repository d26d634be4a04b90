"""Values spilled to disk range by range, and their exact grouped order statistics in bounded memory.

A chunked scoring run's first pass meets per-post values (a few floats per post) whose exact
peer medians every chunk is scored against. Kept in memory they grow with the workspace; here
each range's values are appended to files (:class:`SpilledColumns`) and read back a block at
a time. :func:`order_statistics` selects the k-th smallest value of a group by radix selection
on the values' bit patterns (floats mapped to unsigned integers in the same order): each pass
over the blocks counts, per wanted (group, rank), the candidates' next 12 bits in a dense
histogram, which narrows the candidates to one bin; once a bin holds few enough, one more pass
collects them and sorts. Memory: a block, the histograms of at most ``_SLOTS_PER_PASS`` targets
and their collected candidates, whatever the number of values. :func:`grouped_medians` gives
what :func:`influencers.scoring.grouped.median` gives for the same values, exactly.

Pure: arrays and files in, arrays out; no session.
"""
from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from pathlib import Path

import numpy as np

_WIDTHS = (12, 12, 12, 12, 12, 4)  # the key's bits counted per pass, highest first
_COLLECT = 1 << 14                  # candidates of a target collected and sorted once its bin holds this few
_SLOTS_PER_PASS = 256               # targets selected together: their histograms are 256 x 4096 counts
BLOCK_ROWS = 1 << 18

Blocks = Callable[[], Iterable[tuple[np.ndarray, np.ndarray]]]  # a fresh iterator of (group, value) each call


class SpilledColumns:
    """Named columns of fixed dtypes appended range by range to one file each in ``directory``."""

    def __init__(self, directory: Path, name: str, dtypes: dict[str, type | np.dtype]):
        self.dtypes = {column: np.dtype(dtype) for column, dtype in dtypes.items()}
        self.paths = {column: Path(directory) / f"{name}.{column}.bin" for column in self.dtypes}
        self.n_rows = 0
        for path in self.paths.values():
            path.write_bytes(b"")

    def append(self, **columns: np.ndarray) -> None:
        lengths = {len(values) for values in columns.values()}
        if set(columns) != set(self.dtypes) or len(lengths) != 1:
            raise ValueError(f"expected columns {sorted(self.dtypes)} of one length")
        for column, values in columns.items():
            with open(self.paths[column], "ab") as fh:
                np.ascontiguousarray(values, dtype=self.dtypes[column]).tofile(fh)
        self.n_rows += lengths.pop()

    def blocks(self, rows: int = BLOCK_ROWS) -> Iterator[dict[str, np.ndarray]]:
        """The columns, ``rows`` rows at a time, in the order appended."""
        for start in range(0, self.n_rows, rows):
            count = min(rows, self.n_rows - start)
            yield {column: np.fromfile(path, dtype=self.dtypes[column], count=count,
                                       offset=start * self.dtypes[column].itemsize)
                   for column, path in self.paths.items()}

    def remove(self) -> None:
        for path in self.paths.values():
            path.unlink(missing_ok=True)


def sortable_keys(values: np.ndarray) -> np.ndarray:
    """Unsigned integers in the order of the float64 ``values`` (no NaN): the sign bit set for
    the non-negative ones, every bit flipped for the negative ones."""
    bits = np.ascontiguousarray(values, dtype=np.float64).view(np.uint64)
    negative = (bits >> np.uint64(63)).astype(bool)
    return np.where(negative, ~bits, bits | np.uint64(1 << 63))


def _values_of(keys: np.ndarray) -> np.ndarray:
    negative = (keys >> np.uint64(63)) == 0
    return np.where(negative, ~keys, keys & np.uint64((1 << 63) - 1)).view(np.float64)


def group_counts(blocks: Blocks, n_groups: int) -> np.ndarray:
    """Per group, its values that are not NaN."""
    out = np.zeros(n_groups, dtype=np.int64)
    for group, value in blocks():
        out += np.bincount(np.asarray(group, dtype=np.int64)[~np.isnan(value)], minlength=n_groups)
    return out


def order_statistics(blocks: Blocks, target_group: np.ndarray, target_rank: np.ndarray) -> np.ndarray:
    """Per target, the ``target_rank``-th smallest (0-based) non-NaN value of group
    ``target_group`` in ``blocks``; each rank must be below its group's count."""
    target_group = np.asarray(target_group, dtype=np.int64)
    target_rank = np.asarray(target_rank, dtype=np.int64)
    out = np.full(len(target_group), np.nan)
    # Targets of equal group and rank are one selection.
    pairs, inverse = np.unique(np.stack([target_group, target_rank], axis=1), axis=0, return_inverse=True)
    inverse = inverse.ravel()
    for start in range(0, len(pairs), _SLOTS_PER_PASS):
        batch = pairs[start:start + _SLOTS_PER_PASS]
        found = _select(blocks, batch[:, 0], batch[:, 1].copy())
        for i, value in enumerate(found):
            out[inverse == start + i] = value
    return out


def _select(blocks: Blocks, group: np.ndarray, rank: np.ndarray) -> np.ndarray:
    """Radix selection of one batch of (group, rank) targets (see the module docstring). Every
    pass, each unresolved target either counts the next digit of its candidates (those of its
    group whose key starts with its known prefix) or, its bin small enough, gathers them.
    Targets with the same group and prefix share their histogram and their candidates."""
    n = len(group)
    prefix = np.zeros(n, dtype=np.uint64)  # the known high bits of the target's key
    result = np.full(n, np.nan)
    active = np.ones(n, bool)
    gather = np.zeros(n, bool)
    known = 0
    for width in _WIDTHS:
        counting = np.flatnonzero(active & ~gather)
        gathering = np.flatnonzero(active & gather)
        count_slots = _Slots(group[counting], prefix[counting])
        gather_slots = _Slots(group[gathering], prefix[gathering])
        hist = np.zeros((count_slots.n, 1 << width), dtype=np.int64)
        gathered: list[list[np.ndarray]] = [[] for _ in range(gather_slots.n)]
        for block_group, block_value in blocks():
            ok = ~np.isnan(block_value)
            keys = sortable_keys(block_value[ok])
            block_group = np.asarray(block_group, dtype=np.int64)[ok]
            high = keys >> np.uint64(64 - known) if known else np.zeros(len(keys), np.uint64)
            if count_slots.n:
                slot = count_slots.of(block_group, high)
                hit = slot >= 0
                digit = ((keys[hit] >> np.uint64(64 - known - width)) & np.uint64((1 << width) - 1)).astype(np.int64)
                hist += np.bincount((slot[hit] << width) + digit,
                                    minlength=count_slots.n << width).reshape(count_slots.n, -1)
            if gather_slots.n:
                slot = gather_slots.of(block_group, high)
                hit = slot >= 0
                for j in np.unique(slot[hit]).tolist():
                    gathered[j].append(keys[hit][slot[hit] == j])
        for j in range(gather_slots.n):
            candidates = np.sort(np.concatenate(gathered[j]))
            targets = gathering[gather_slots.slot == j]
            result[targets] = _values_of(candidates[rank[targets]])
            active[targets] = False
        if len(counting):
            mine = hist[count_slots.slot]
            rows = np.arange(len(counting))
            below = np.cumsum(mine, axis=1)
            digit = (below <= rank[counting][:, None]).sum(axis=1)
            rank[counting] -= np.where(digit > 0, below[rows, np.maximum(digit - 1, 0)], 0)
            prefix[counting] = (prefix[counting] << np.uint64(width)) | digit.astype(np.uint64)
            known += width
            if known == 64:
                result[counting] = _values_of(prefix[counting])
                active[counting] = False
            else:
                gather[counting] = mine[rows, digit] <= _COLLECT
        if not active.any():
            break
    return result


class _Slots:
    """The distinct (group, prefix) pairs of some targets (``slot``: each target's)."""

    def __init__(self, group: np.ndarray, prefix: np.ndarray):
        self.prefixes = np.unique(prefix)
        codes = group * max(len(self.prefixes), 1) + np.searchsorted(self.prefixes, prefix)
        self.codes, self.slot = np.unique(codes, return_inverse=True)
        self.slot = self.slot.ravel()
        self.n = len(self.codes)

    def of(self, row_group: np.ndarray, row_high: np.ndarray) -> np.ndarray:
        """Per row, the slot of its group and prefix (-1: none)."""
        at = np.minimum(np.searchsorted(self.prefixes, row_high), len(self.prefixes) - 1)
        row_code = np.where(self.prefixes[at] == row_high, row_group * len(self.prefixes) + at, -1)
        at = np.minimum(np.searchsorted(self.codes, row_code), self.n - 1)
        return np.where((row_code >= 0) & (self.codes[at] == row_code), at, -1)


def grouped_medians(blocks: Blocks, n_groups: int, counts: np.ndarray | None = None) -> np.ndarray:
    """Per group, the median of its non-NaN values (NaN for none): what
    :func:`influencers.scoring.grouped.median` gives for the same values, in bounded memory."""
    counts = group_counts(blocks, n_groups) if counts is None else counts
    groups = np.flatnonzero(counts > 0)
    both = order_statistics(blocks, np.concatenate([groups, groups]),
                            np.concatenate([(counts[groups] - 1) // 2, counts[groups] // 2]))
    out = np.full(n_groups, np.nan)
    out[groups] = (both[:len(groups)] + both[len(groups):]) / 2
    return out
