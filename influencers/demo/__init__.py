"""Demo data: a seeded, deterministic generator of the NDJSON import format with planted fraud.

The names are imported lazily so that ``python -m influencers.demo.generator`` runs the
module once, as ``__main__``.
"""
from __future__ import annotations

from typing import TYPE_CHECKING, Any

__all__ = ["CreatorLabel", "DemoConfig", "GenerationSummary", "generate", "labels", "write_ndjson"]

if TYPE_CHECKING:  # pragma: no cover
    from influencers.demo.generator import (  # noqa: F401
        CreatorLabel,
        DemoConfig,
        GenerationSummary,
        generate,
        labels,
        write_ndjson,
    )


def __getattr__(name: str) -> Any:
    if name in __all__:
        from influencers.demo import generator

        return getattr(generator, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
