"""The feature matrix of trained models, read generically from score explanations.

A feature is any number the scoring engine measured or estimated about a creator and
wrote into the creator's explanation, so signals added to the explanations later
become features without changes here:

* every ``{"value": number, "kind": ...}`` node, named by its path
  (``audience.fake_follower_share``, ``engagement.er_followers``, ``audience.types.real``);
* every ``robust_z`` beside such a value (the creator against its peers), ``<path>.robust_z``;
* each flag's strength, ``flags.<name>.strength`` (0 when the flag is not raised);
* the top-level counts ``sample_size``, ``posts_used`` and ``snapshots``;
* the rule-based authenticity and its two factors (``authenticity.rule_based``,
  ``authenticity.audience_authenticity``, ``authenticity.flag_factor``): what the
  hand-set model concludes from the same signals, so a trained model starts from it.
  When a trained version made the explanation, its ``rule_based_value`` is read.

Left out: what a model computes from them (``score``, ``components``, a trained
model's own ``fraud_model`` section and the authenticity it sets), identities, dates, peer benchmarks and
intervals. A value the explanation lacks or leaves null is ``nan``.
"""
from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass

import numpy as np

MODEL_OUTPUTS = frozenset({"score", "components", "left_out_components", "authenticity", "fraud_model"})
IDENTITY = frozenset({"creator_id", "handle", "platform", "tier", "as_of", "model_version", "notes", "flags"})
SKIPPED_KEYS = frozenset({"benchmark", "interval_95", "prior"})
TOP_LEVEL_COUNTS = ("sample_size", "posts_used", "snapshots")


def _number(value) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool)


def _walk(node: Mapping, path: str, out: dict) -> None:
    if "value" in node and "kind" in node and (node["value"] is None or _number(node["value"])):
        out[path] = np.nan if node["value"] is None else float(node["value"])
        z = node.get("robust_z")
        if z is None or _number(z):
            if "robust_z" in node:
                out[path + ".robust_z"] = np.nan if z is None else float(z)
    for key, child in node.items():
        if key in SKIPPED_KEYS:
            continue
        if isinstance(child, dict):
            _walk(child, f"{path}.{key}" if path else key, out)


def explanation_features(explanation: Mapping) -> dict[str, float]:
    """The features of one explanation, by name."""
    out: dict[str, float] = {}
    for key, value in explanation.items():
        if key in MODEL_OUTPUTS or key in IDENTITY:
            continue
        if isinstance(value, dict):
            _walk(value, key, out)
    for key in TOP_LEVEL_COUNTS:
        if _number(explanation.get(key)):
            out[key] = float(explanation[key])
    authenticity = explanation.get("authenticity")
    if isinstance(authenticity, dict):
        rule_based = authenticity.get("rule_based_value", authenticity.get("value"))
        if _number(rule_based):
            out["authenticity.rule_based"] = float(rule_based)
        for key in ("audience_authenticity", "flag_factor"):
            if _number(authenticity.get(key)):
                out[f"authenticity.{key}"] = float(authenticity[key])
    for flag in explanation.get("flags") or []:
        strength = (flag.get("strength") or {}).get("value")
        out[f"flags.{flag['name']}.strength"] = float(strength) if _number(strength) else 1.0
    return out


@dataclass
class FeatureMatrix:
    names: list[str]
    values: np.ndarray  # (creators, features), nan where missing

    @classmethod
    def from_explanations(cls, explanations: Iterable[Mapping], names: Sequence[str] | None = None) -> FeatureMatrix:
        """The explanations' features; ``names``: those of a trained model, in its order
        (otherwise every feature some explanation has a number for, sorted)."""
        rows = [explanation_features(e) for e in explanations]
        if names is None:
            found = set()
            for row in rows:
                found.update(name for name, value in row.items() if value == value)
            found.update(name for row in rows for name in row if name.startswith("flags."))
            names = sorted(found)
        names = list(names)
        values = np.full((len(rows), len(names)), np.nan)
        index = {name: j for j, name in enumerate(names)}
        for i, row in enumerate(rows):
            for name, value in row.items():
                j = index.get(name)
                if j is not None:
                    values[i, j] = value
        # A flag not raised has strength 0, not "unknown".
        for j, name in enumerate(names):
            if name.startswith("flags."):
                values[np.isnan(values[:, j]), j] = 0.0
        return cls(names, values)


# A feature measured for fewer labelled creators than this is left out of training: too
# sparse to learn from, and a cross-validation fold could hold none of its values.
MIN_MEASURED = 10


def trainable(matrix: FeatureMatrix) -> FeatureMatrix:
    """The features measured for at least MIN_MEASURED of the matrix's creators."""
    keep = (~np.isnan(matrix.values)).sum(axis=0) >= MIN_MEASURED
    return FeatureMatrix([n for n, k in zip(matrix.names, keep.tolist()) if k], matrix.values[:, keep])
