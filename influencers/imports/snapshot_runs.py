"""Runs of snapshot lines: a creator's consecutive snapshot lines (its 90 daily counts, say)
settled with one digest instead of a digest and an index probe per line.

A run is at least ``MIN_RUN`` consecutive snapshot lines of a chunk whose bytes before
``"date"`` are the same (in the usual spelling: the type, platform and handle). An import that
stores every line of a run, all of one creator and of distinct dates, keeps in
``snapshot_runs`` the run's digest (:meth:`RecordDigests.run`), its creator, its first and last
date, and a check of the rows its lines leave: their number and the sums of their line
digests (high 40 and low 24 bits, so that no sum overflows). A later import that finds a run
of the same digest reads the same sums over the creator's rows between those dates (one range
scan) and, if they give the stored check, the run's rows are exactly what its lines wrote
(every row's digest is that of the line that wrote it, or none: ``docs/imports.md``): its lines
are skipped undecoded. Nothing else keeps the runs up to date: a row changed since fails the
check and the run's lines are settled one by one, as without runs. A run is not skipped when
another snapshot line of its chunk names the same creator (the last line of a key must win).
"""
from __future__ import annotations

from hashlib import blake2b

import numpy as np

MIN_RUN = 16  # lines: a shorter run is looked up line by line

_DATE = b'"date"'


def find_runs(lines: list[tuple[int, bytes]]) -> list[tuple[int, int]]:
    """The runs of ``lines`` ((line number, raw line), in line order) as (start, end) indexes."""
    n = len(lines)
    if n < MIN_RUN:
        return []
    prefixes = [raw[:raw.find(_DATE)] for _, raw in lines]
    numbers = [line for line, _ in lines]
    cuts = [0, *[i for i in range(1, n) if numbers[i] != numbers[i - 1] + 1 or prefixes[i] != prefixes[i - 1]], n]
    return [(a, b) for a, b in zip(cuts, cuts[1:]) if b - a >= MIN_RUN]


def rows_check(rows: int, digested: int, high: int | None, low: int | None) -> int:
    """One number for a range's row count, digested rows and digest sums (signed 64 bits)."""
    summary = f"{rows}:{digested}:{high or 0}:{low or 0}".encode()
    return int.from_bytes(blake2b(summary, digest_size=8).digest(), "big", signed=True)


class SnapshotRuns:
    """The run side of an import's writer (``ChunkWriter`` mixes it in)."""

    def unchanged_runs(self, digests: list[int]) -> dict[int, tuple]:
        """Of runs with these ``digests``, those stored and whose rows are as their lines left
        them: {index in ``digests``: (creator id, platform, handle)}; a creator's once at most."""
        stored = {row[0]: row[1:] for row in self.b.snapshot_runs(self.ws, sorted(set(digests)))}
        if not stored:
            return {}
        hits = [(i, stored[d]) for i, d in enumerate(digests) if d in stored]
        sums = self.b.snapshot_sums([run[:3] for _, run in hits])
        found = {i: (run[0], run[4], run[5]) for (i, run), s in zip(hits, sums) if rows_check(*s) == run[3]}
        creators = [cid for cid, _, _ in found.values()]
        if len(set(creators)) < len(creators):  # a creator's rows twice in the chunk: line by line
            twice = {cid for cid in creators if creators.count(cid) > 1}
            found = {i: v for i, v in found.items() if v[0] not in twice}
        return found

    def record_runs(self, pending: list[tuple[int, list[int], list[int]]], keys: dict, found: dict) -> None:
        """Stores the ``pending`` runs (run digest, line numbers, line digests) whose every line
        was stored, all of one creator and of distinct dates. ``keys``: {line: (creator id,
        date)} of the lines written; ``found``: {line digest: key} of the lines found stored."""
        rows, kept_digests = [], []
        for run_digest, numbers, digests in pending:
            run_keys = list(map(keys.get, numbers))
            if None in run_keys:
                run_keys = [k or f for k, f in zip(run_keys, map(found.get, digests))]
                if None in run_keys:
                    continue
            cids = {k[0] for k in run_keys}
            dates = [k[1] for k in run_keys]
            if len(cids) > 1 or len(set(dates)) < len(dates):
                continue
            rows.append([cids.pop(), min(dates), max(dates), run_digest])
            kept_digests.append(digests)
        if not rows:
            return
        values = np.asarray([d for digests in kept_digests for d in digests], dtype=np.int64)
        starts = np.cumsum([0] + [len(digests) for digests in kept_digests[:-1]])
        highs = np.add.reduceat(values >> 24, starts).tolist()
        lows = np.add.reduceat(values & 0xFFFFFF, starts).tolist()
        for row, digests, high, low in zip(rows, kept_digests, highs, lows):
            row.append(rows_check(len(digests), len(digests), high, low))
        rows.sort()
        kept = [tuple(rows[0])]
        for row in rows[1:]:  # runs of one creator whose dates overlap: the first only
            if row[0] != kept[-1][0] or row[1] > kept[-1][2]:
                kept.append(tuple(row))
        self.b.replace_snapshot_runs(kept)
