"""Validation of scoring model version documents (edited or imported).

A document is ``{"version", "description", "weights", "thresholds", "reach_rates",
"flag_penalties"}`` plus, for a trained model, ``"classifier"``. Every problem is
reported under the path of its field (``{"weights": {"popularity": ["unknown field"]}}``),
all at once. The names allowed are those of the scoring engine
(:mod:`influencers.scoring.model`), so thresholds or flags added there are accepted here.
"""
from __future__ import annotations

import math
import re
from collections.abc import Mapping
from typing import Any

from influencers.creators.models import PLATFORMS
from influencers.errors import InvalidInput
from influencers.scoring.model import COMPONENTS, DEFAULT_THRESHOLDS, FLAGS

GROUPS = ("weights", "thresholds", "reach_rates", "flag_penalties")
TOP_LEVEL = ("version", "description", *GROUPS)
VERSION_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,99}$")
WEIGHT_SUM_TOLERANCE = 1e-6


class DocumentInvalid(InvalidInput):
    """``errors``: {field: [messages]} or {group: {field: [messages]}}."""

    def __init__(self, errors: dict):
        self.errors = errors
        super().__init__(message="The scoring model document is invalid.", fields=errors)


def threshold_range(name: str) -> tuple[float, float]:
    """The allowed range of a threshold, from what its name says it is."""
    if name.endswith("_z"):
        return -50.0, 50.0  # robust z-scores (low_engagement_z is negative)
    if any(word in name for word in ("share", "confidence", "clustering", "ratio_share")):
        return 0.0, 1.0
    return 0.0, 1e9


def _finite_number(value) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool) and math.isfinite(value)


def validate_groups(document: Mapping[str, Any], *, allowed_extra: tuple[str, ...] = ()) -> dict:
    """Checks a (partial) document; returns the errors (empty when valid)."""
    errors: dict = {}
    if not isinstance(document, Mapping):
        return {"_schema": ["a scoring model document is a JSON object"]}
    for key in document:
        if key not in TOP_LEVEL and key not in allowed_extra:
            errors[key] = ["unknown field"]
    version = document.get("version")
    if version is not None and (not isinstance(version, str) or not VERSION_NAME.match(version)):
        errors["version"] = ["1-100 letters, digits, '.', '_' or '-', starting with a letter or digit"]
    description = document.get("description")
    if description is not None and (not isinstance(description, str) or len(description) > 2000):
        errors["description"] = ["a string of up to 2,000 characters"]
    allowed = {
        "weights": (COMPONENTS, lambda name: (0.0, 1.0)),
        "thresholds": (tuple(DEFAULT_THRESHOLDS), threshold_range),
        "reach_rates": (PLATFORMS, lambda name: (0.0, 1.0)),
        "flag_penalties": (FLAGS, lambda name: (0.0, 1.0)),
    }
    for group, (names, bounds) in allowed.items():
        values = document.get(group)
        if values is None:
            continue
        if not isinstance(values, Mapping):
            errors[group] = ["an object of numbers"]
            continue
        problems = {}
        for name, value in values.items():
            if name not in names:
                problems[name] = [f"unknown field (one of: {', '.join(names)})"]
            elif not _finite_number(value):
                problems[name] = ["must be a finite number"]
            else:
                low, high = bounds(name)
                if not low <= value <= high:
                    problems[name] = [f"must be between {low:g} and {high:g}"]
        if problems:
            errors[group] = problems
    return errors


def check_complete(parameters: Mapping[str, Any]) -> dict:
    """Errors of a merged document's cross-field rules (weights sum to 1, reach floor below ceiling)."""
    errors: dict = {}
    weights = parameters.get("weights") or {}
    total = sum(weights.values())
    if abs(total - 1.0) > WEIGHT_SUM_TOLERANCE:
        errors["weights"] = [f"the weights must sum to 1 (they sum to {total:.6g})"]
    elif not any(weights.get(c, 0) > 0 for c in COMPONENTS if c != "centrality"):
        errors["weights"] = ["at least one of authenticity, engagement, reach needs a positive weight"]
    thresholds = parameters.get("thresholds") or {}
    floor, ceiling = thresholds.get("reach_log10_floor"), thresholds.get("reach_log10_ceiling")
    if floor is not None and ceiling is not None and floor >= ceiling:
        errors.setdefault("thresholds", {})["reach_log10_floor"] = ["must be below reach_log10_ceiling"]
    return errors
