"""Seeded, deterministic demo data in the NDJSON import format, with planted fraud.

The entry points (:func:`generate`, :func:`write_ndjson`, :func:`labels`, the
command line) stream the records in file order. The model of the data (creators,
engagement, audiences, the planted fraud and the honest look-alikes) is described
in ``docs/demo-data.md``; its numbers are in :mod:`influencers.demo.parameters`.
"""
from __future__ import annotations

import argparse
import datetime
import io
import sys
from collections.abc import Callable, Iterator
from dataclasses import asdict
from pathlib import Path
from typing import IO

from influencers.demo.creator_records import CreatorBlock, creator_record
from influencers.demo.follower_pools import FollowerPool, bot_pool, member_pool
from influencers.demo.parameters import (
    BOT_POOL_PER_CREATOR,
    COUNTRIES,
    FRAUD_TYPES,
    HONEST_NEGATIVES,
    JSON_ENCODER,
    MIN_BOT_POOL,
    MIN_POOL,
    PLATFORMS,
    POOL_PER_CREATOR,
    TIERS,
    CreatorLabel,
    DemoConfig,
    GenerationSummary,
    tier_of,
)
from influencers.demo.plan import Plan, make_plan
from influencers.demo.randomness import DayDates

__all__ = [
    "DemoConfig",
    "CreatorLabel",
    "GenerationSummary",
    "generate",
    "write_ndjson",
    "labels",
    "FRAUD_TYPES",
    "HONEST_NEGATIVES",
    "TIERS",
    "tier_of",
    "COUNTRIES",
    "main",
]


class _Renderer:
    """Renders the per-creator records of whole (platform, niche) cells.

    Cells are independent (each has its own member pool, every creator its own random
    stream, every platform one bot farm), so they can be rendered in any process and
    in any order and still give the same bytes.
    """

    def __init__(self, config: DemoConfig, plan: Plan):
        self.config = config
        self.plan = plan
        self.dates = DayDates(config.as_of)
        self.window = self.dates.window(config.days)
        self.per_platform = [0] * len(PLATFORMS)
        for c in plan.creators:
            self.per_platform[c.platform_i] += 1
        self._bots: dict[int, FollowerPool] = {}

    def bots(self, p: int) -> FollowerPool:
        pool = self._bots.get(p)
        if pool is None:
            size = max(MIN_BOT_POOL, BOT_POOL_PER_CREATOR * self.per_platform[p])
            pool = self._bots[p] = bot_pool(self.config, self.dates, p, size)
        return pool

    def cell(self, cell_i: int, encoded: bool, summary: GenerationSummary) -> Iterator:
        config, plan, dates, window = self.config, self.plan, self.dates, self.window
        enc = JSON_ENCODER.encode
        P, D = config.posts_per_creator, config.days
        p, q, idxs = plan.cells[cell_i]
        pool = member_pool(config, dates, p, q, max(MIN_POOL, POOL_PER_CREATOR * len(idxs)))
        if encoded and config.audience_size * len(idxs) >= pool.n:
            pool.encode_all()
        bots = self.bots(p)
        for i in idxs:
            block = CreatorBlock(plan, plan.creators[i], dates, window)
            summary.posts += P
            summary.snapshots += D
            summary.audiences += 1
            if encoded:
                if P:
                    yield b"\n".join([enc(rec) for rec in block.posts()])
                yield block.snapshot_lines()
                picked, bot_picked, order = block.audience_members(pool, bots)
                items = pool.fragments(picked) + bots.fragments(bot_picked)
                summary.members += len(items)
                yield enc(block.audience_head())[:-1] + b',"members":[' + b",".join(
                    [items[k] for k in order]) + b"]}"
            else:
                yield from block.posts()
                yield from block.snapshots()
                picked, bot_picked, order = block.audience_members(pool, bots)
                items = [pool.member(k) for k in picked] + [bots.member(k) for k in bot_picked]
                summary.members += len(items)
                head = block.audience_head()
                head["members"] = [items[k] for k in order]
                yield head


def _creator_lines(plan: Plan, encoded: bool, summary: GenerationSummary) -> Iterator:
    dates = DayDates(plan.config.as_of)
    enc = JSON_ENCODER.encode
    for c in plan.creators:
        rec = creator_record(c, plan.config, dates)
        summary.creators += 1
        summary.fraud_creators += bool(c.fraud_types)
        summary.honest_negatives += c.honest is not None
        yield enc(rec) if encoded else rec


def _edge_lines(plan: Plan, encoded: bool, summary: GenerationSummary) -> Iterator:
    window = DayDates(plan.config.as_of).window(plan.config.days)
    enc = JSON_ENCODER.encode
    cr = plan.creators
    batch: list[bytes] = []
    for p, s, t, kind, w, day in plan.edges:
        rec = {"type": "edge", "platform": PLATFORMS[p], "source": cr[s].handle, "target": cr[t].handle,
               "kind": kind, "weight": w, "observed_at": window[day]}
        summary.edges += 1
        if encoded:
            batch.append(enc(rec))
            if len(batch) >= 4096:
                yield b"\n".join(batch)
                batch = []
        else:
            yield rec
    if batch:
        yield b"\n".join(batch)


def _stream(config: DemoConfig, encoded: bool, plan: Plan | None = None,
            summary: GenerationSummary | None = None,
            progress: Callable[[int], None] | None = None) -> Iterator:
    """Records in file order: dicts, or (``encoded``) chunks of JSON lines as bytes.

    An encoded chunk is one or more lines joined by newlines, without a trailing newline.
    """
    plan = plan or make_plan(config)
    summary = summary if summary is not None else GenerationSummary()
    yield from _creator_lines(plan, encoded, summary)
    renderer = _Renderer(config, plan)
    for cell_i in range(len(plan.cells)):
        yield from renderer.cell(cell_i, encoded, summary)
        if progress is not None:
            progress(summary.audiences)
    yield from _edge_lines(plan, encoded, summary)


# Worker processes (write_ndjson(..., workers=N)): one renderer per process.
_WORKER: _Renderer | None = None
_FORKED_PLAN: Plan | None = None


def _init_worker(config: DemoConfig) -> None:
    global _WORKER
    plan = _FORKED_PLAN if _FORKED_PLAN is not None and _FORKED_PLAN.config == config else make_plan(config)
    _WORKER = _Renderer(config, plan)


def _render_cell(cell_i: int) -> tuple[bytes, GenerationSummary]:
    summary = GenerationSummary()
    data = b"\n".join(_WORKER.cell(cell_i, True, summary))
    return data, summary


def _parallel_cells(config: DemoConfig, plan: Plan, workers: int) -> Iterator[tuple[bytes, GenerationSummary]]:
    """Rendered cells in order, computed by ``workers`` processes (a bounded window ahead)."""
    import multiprocessing
    from collections import deque
    from concurrent.futures import ProcessPoolExecutor

    global _FORKED_PLAN
    methods = multiprocessing.get_all_start_methods()
    ctx = multiprocessing.get_context("fork" if "fork" in methods else "spawn")
    _FORKED_PLAN = plan
    try:
        with ProcessPoolExecutor(workers, mp_context=ctx, initializer=_init_worker, initargs=(config,)) as ex:
            pending: deque = deque()
            cells = iter(range(len(plan.cells)))
            for cell_i in cells:
                pending.append(ex.submit(_render_cell, cell_i))
                if len(pending) >= 2 * workers:
                    yield pending.popleft().result()
            while pending:
                yield pending.popleft().result()
    finally:
        _FORKED_PLAN = None


def generate(config: DemoConfig) -> Iterator[dict]:
    """The records (dicts) in file order; every record comes after its creator's line."""
    return _stream(config, encoded=False)


def _labels_from_plan(plan: Plan) -> list[CreatorLabel]:
    return [
        CreatorLabel(
            platform=c.platform,
            handle=c.handle,
            fraud_types=list(c.fraud_types),
            is_fraud=bool(c.fraud_types),
            planted_fake_share=round(c.fake_share, 4),
            honest_negative=c.honest,
        )
        for c in plan.creators
    ]


def labels(config: DemoConfig) -> list[CreatorLabel]:
    """Ground truth per creator, in creator order (same as written to ``labels_out``)."""
    return _labels_from_plan(make_plan(config))


class _Sink:
    """A path (opened here, binary) or an open text or binary file."""

    def __init__(self, target):
        self._close = isinstance(target, (str, Path))
        if self._close:
            self.f = open(target, "wb")
            self.binary = True
        else:
            self.f = target
            if isinstance(target, io.TextIOBase):
                self.binary = False
            elif isinstance(target, (io.BufferedIOBase, io.RawIOBase)):
                self.binary = True
            else:
                self.binary = "b" in str(getattr(target, "mode", ""))

    def write(self, data: bytes) -> None:
        self.f.write(data if self.binary else data.decode("utf-8"))

    def close(self) -> None:
        if self._close:
            self.f.close()


def write_ndjson(config: DemoConfig, out: IO[str] | IO[bytes] | str | Path,
                 labels_out: IO[str] | IO[bytes] | str | Path | None = None,
                 progress: Callable[[int], None] | None = None, *, workers: int = 1) -> GenerationSummary:
    """Write the data set as NDJSON to ``out`` (a path or an open file, text or binary).

    ``labels_out`` (path or file) receives the :class:`CreatorLabel` records as NDJSON.
    ``progress`` is called with the number of creators whose posts, snapshots and
    audience have been written so far, after each (platform, niche) cell.
    ``workers`` > 1 renders cells in that many processes; the output is byte-identical.
    """
    plan = make_plan(config)
    summary = GenerationSummary()
    sink = _Sink(out)
    try:
        buf: list[bytes] = []
        size = 0

        def put(chunk: bytes) -> None:
            nonlocal buf, size
            buf.append(chunk)
            size += len(chunk)
            if size > 1 << 20:
                buf.append(b"")
                sink.write(b"\n".join(buf))
                buf, size = [], 0

        for chunk in _creator_lines(plan, True, summary):
            put(chunk)
        if workers > 1 and len(plan.cells) > 1:
            for data, part in _parallel_cells(config, plan, workers):
                if data:
                    put(data)
                summary.posts += part.posts
                summary.snapshots += part.snapshots
                summary.audiences += part.audiences
                summary.members += part.members
                if progress is not None:
                    progress(summary.audiences)
        else:
            renderer = _Renderer(config, plan)
            for cell_i in range(len(plan.cells)):
                for chunk in renderer.cell(cell_i, True, summary):
                    put(chunk)
                if progress is not None:
                    progress(summary.audiences)
        for chunk in _edge_lines(plan, True, summary):
            put(chunk)
        if buf:
            buf.append(b"")
            sink.write(b"\n".join(buf))
    finally:
        sink.close()
    summary.lines = summary.creators + summary.posts + summary.snapshots + summary.audiences + summary.edges
    if labels_out is not None:
        lsink = _Sink(labels_out)
        try:
            lsink.write(b"".join(JSON_ENCODER.encode(asdict(lb)) + b"\n" for lb in _labels_from_plan(plan)))
        finally:
            lsink.close()
    return summary


# --------------------------------------------------------------------------------------
# Command line
# --------------------------------------------------------------------------------------


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m influencers.demo.generator",
        description="Write a seeded demo data set (NDJSON import format) with planted fraud labels.")
    d = DemoConfig()
    parser.add_argument("--creators", type=int, default=d.creators)
    parser.add_argument("--seed", type=int, default=d.seed)
    parser.add_argument("--days", type=int, default=d.days)
    parser.add_argument("--as-of", type=datetime.date.fromisoformat, default=d.as_of)
    parser.add_argument("--audience-size", type=int, default=d.audience_size)
    parser.add_argument("--posts-per-creator", type=int, default=d.posts_per_creator)
    parser.add_argument("--fraud-share", type=float, default=d.fraud_share)
    parser.add_argument("--out", required=True, help="output NDJSON file ('-' for stdout)")
    parser.add_argument("--labels", help="write the ground-truth labels (NDJSON) to this file")
    parser.add_argument("--workers", type=int, default=1, help="render in this many processes (same output)")
    parser.add_argument("--progress", action="store_true", help="show a progress bar on stderr")
    args = parser.parse_args(argv)
    config = DemoConfig(creators=args.creators, seed=args.seed, days=args.days, as_of=args.as_of,
                        audience_size=args.audience_size, posts_per_creator=args.posts_per_creator,
                        fraud_share=args.fraud_share)
    progress = None
    bar = None
    if args.progress:
        from tqdm import tqdm

        bar = tqdm(total=config.creators, unit="creator", file=sys.stderr)
        last = [0]

        def progress(n: int) -> None:
            bar.update(n - last[0])
            last[0] = n

    out = sys.stdout.buffer if args.out == "-" else args.out
    summary = write_ndjson(config, out, args.labels, progress, workers=args.workers)
    if bar is not None:
        bar.close()
    print(
        f"{summary.lines} lines: {summary.creators} creators, {summary.posts} posts, "
        f"{summary.snapshots} snapshots, {summary.audiences} audiences ({summary.members} members), "
        f"{summary.edges} edges; {summary.fraud_creators} with planted fraud, "
        f"{summary.honest_negatives} honest negatives",
        file=sys.stderr,
    )
    return 0


if __name__ == "__main__":  # pragma: no cover
    raise SystemExit(main())
