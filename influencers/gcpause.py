"""Pausing Python's cyclic garbage collector around bulk work that allocates millions of objects.

A scoring run holds millions of freshly allocated, acyclic objects at once (the
loader's row tuples and column lists, ~150 dicts per creator's explanation). The
collector cannot free any of them, but every allocation-triggered collection walks
the young ones and each full collection walks them all (a large share of the read and
of the explanations' build: ``benchmarks/README.md``). Reference counting still
frees everything as usual while paused; only cycles wait for the next collection.
"""
from __future__ import annotations

import gc
import threading
from collections.abc import Iterator
from contextlib import contextmanager

_lock = threading.Lock()
_depth = 0
_was_enabled = False


@contextmanager
def gc_paused() -> Iterator[None]:
    """Disables the cyclic collector for the block; nestable and thread-safe.

    Process-wide (the collector is): overlapping pauses from several threads are
    counted, and the collector is switched back on (if it was on before the first)
    when the last one ends.
    """
    global _depth, _was_enabled
    with _lock:
        if _depth == 0:
            _was_enabled = gc.isenabled()
            gc.disable()
        _depth += 1
    try:
        yield
    finally:
        with _lock:
            _depth -= 1
            if _depth == 0 and _was_enabled:
                gc.enable()
