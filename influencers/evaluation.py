"""Evaluation of the scores against the demo generator's planted fraud.

Its own module, above both: it drives the demo generators and the scoring, and
neither of them knows it.

    python -m influencers.evaluation --creators 2000 --seed 7   # or: influencers evaluate

Generates a labelled data set with :mod:`influencers.demo.generator`, builds
:class:`ScoringInputs` straight from the records (no database), scores it and
reports:

* ROC AUC of ``100 - authenticity`` against ``is_fraud``, overall and per fraud
  type (that type's creators against the honest ones);
* the same AUC restricted to the honest negatives (look-alike but legitimate
  patterns) against the fraud, and the flag rate on each honest-negative kind;
* Spearman correlation of the estimated against the planted fake-follower share;
* precision of the top 50 by composite score (share of them not fraud);
* flag precision / recall per flag.
"""
from __future__ import annotations

import argparse
import json
import time

import numpy as np
from scipy.stats import spearmanr
from sklearn.metrics import roc_auc_score

from influencers.scoring.inputs import inputs_from_records
from influencers.scoring.model import DEFAULT_MODEL, ScoringModel
from influencers.scoring.score import ScoringResult, score_creators

__all__ = ["evaluate", "inputs_from_records", "main"]

# Which flag is meant to catch which planted fraud type (for flag precision/recall).
FLAG_FOR_TYPE = {
    "bought_followers": "bought_followers",
    "growth_spike": "follower_spike",
    "bought_likes": "bought_likes",
    "comment_pod": "comment_pod",
    "follow_churn": "following_churn",
}


def _auc(labels: np.ndarray, scores: np.ndarray) -> float | None:
    if labels.all() or not labels.any():
        return None
    return float(roc_auc_score(labels, scores))


def labelled_result(config, model: ScoringModel = DEFAULT_MODEL, secret: bytes = b"evaluation"):
    """(inputs, result, labels) for a generated data set; labels aligned with the inputs."""
    from influencers.demo.generator import generate, labels

    records = list(generate(config))
    inputs = inputs_from_records(records, secret)
    truth = labels(config)
    by_key = {(lb.platform, lb.handle.lower()): lb for lb in truth}
    names = inputs.platform_names()
    aligned = [by_key[(names[i], inputs.handles[i])] for i in range(inputs.n_creators)]
    return inputs, score_creators(inputs, model), aligned


def metrics(result: ScoringResult, truth: list) -> dict:
    is_fraud = np.array([lb.is_fraud for lb in truth])
    suspicion = 100 - result.authenticity
    out: dict = {
        "creators": len(truth),
        "fraud_creators": int(is_fraud.sum()),
        "auc_overall": _auc(is_fraud, suspicion),
        "auc_by_type": {},
        "flag_rates": {},
    }
    types = sorted({t for lb in truth for t in lb.fraud_types})
    honest = ~is_fraud
    for t in types:
        has = np.array([t in lb.fraud_types for lb in truth])
        keep = has | honest
        out["auc_by_type"][t] = _auc(has[keep], suspicion[keep])
    negatives = np.array([lb.honest_negative is not None for lb in truth])
    keep = negatives | is_fraud
    out["auc_fraud_vs_honest_negatives"] = _auc(is_fraud[keep], suspicion[keep])

    planted = np.array([lb.planted_fake_share for lb in truth])
    sampled = result.sample_size > 0
    rho = spearmanr(result.fake_follower_share[sampled], planted[sampled]).statistic if sampled.sum() > 2 else None
    out["spearman_fake_share"] = None if rho is None or rho != rho else float(rho)
    top = np.argsort(-result.score, kind="stable")[:50]
    out["top50_precision"] = float(np.mean(~is_fraud[top])) if len(top) else None

    for t, flag in FLAG_FOR_TYPE.items():
        has = np.array([t in lb.fraud_types for lb in truth])
        flagged = result.flags[flag].flagged
        out["flag_rates"][flag] = {
            "planted": int(has.sum()),
            "flagged": int(flagged.sum()),
            "recall": float(flagged[has].mean()) if has.any() else None,
            "precision_any_fraud": float(is_fraud[flagged].mean()) if flagged.any() else None,
        }
    kinds = sorted({lb.honest_negative for lb in truth if lb.honest_negative})
    out["honest_negatives"] = {}
    for kind in kinds:
        mask = np.array([lb.honest_negative == kind for lb in truth])
        any_flag = np.zeros(len(truth), bool)
        for f in result.flags.values():
            any_flag |= f.flagged
        out["honest_negatives"][kind] = {
            "creators": int(mask.sum()),
            "flagged_share": float(any_flag[mask].mean()),
            "median_authenticity": float(np.median(result.authenticity[mask])),
        }
    out["median_authenticity"] = {
        "honest": float(np.median(result.authenticity[honest])) if honest.any() else None,
        "fraud": float(np.median(result.authenticity[is_fraud])) if is_fraud.any() else None,
    }
    return out


def evaluate(config=None, model: ScoringModel = DEFAULT_MODEL) -> dict:
    """Generate a labelled data set with ``config`` (a DemoConfig), score it, and measure."""
    from influencers.demo.generator import DemoConfig

    config = config or DemoConfig()
    t0 = time.perf_counter()
    inputs, result, truth = labelled_result(config, model)
    out = metrics(result, truth)
    out["model_version"] = model.version
    out["seconds"] = round(time.perf_counter() - t0, 2)
    return out


def main(argv: list[str] | None = None) -> None:
    from influencers.demo.generator import DemoConfig

    parser = argparse.ArgumentParser(description="Evaluate the scoring against the demo generator's planted fraud")
    parser.add_argument("--creators", type=int, default=1000)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--fraud-share", type=float, default=0.2)
    parser.add_argument("--json", action="store_true", help="print the figures as JSON instead of the table")
    args = parser.parse_args(argv)
    from influencers.demo.phenomena import VARIANTS, PhenomenaConfig

    config = DemoConfig(creators=args.creators, seed=args.seed, fraud_share=args.fraud_share)
    simple = evaluate(config)
    phenomena = [phenomena_report(PhenomenaConfig(creators=args.creators, seed=args.seed, variant=v))
                 for v in VARIANTS]
    if args.json:
        print(json.dumps({"simple": simple, "phenomena": phenomena}, indent=2))
    else:
        print(format_table(simple, phenomena))


# --------------------------------------------------------------------------- the default-2 threat model


def phenomena_metrics(result: ScoringResult, truth: list) -> dict:
    """Against :mod:`influencers.demo.phenomena` labels: AUC overall and per fraud kind, flag
    precision and recall (any flag), false-flag rates per honest kind and per creator region,
    Spearman of the fake-share estimate against the planted share."""
    is_fraud = np.array([lb.is_fraud for lb in truth])
    suspicion = 100 - result.authenticity
    flagged = np.zeros(len(truth), bool)
    for flag in result.flags.values():
        flagged |= flag.flagged
    honest = ~is_fraud
    out: dict = {"creators": len(truth), "fraud_creators": int(is_fraud.sum()),
                 "auc_overall": _auc(is_fraud, suspicion), "auc_by_fraud_kind": {},
                 "flag_precision": float(is_fraud[flagged].mean()) if flagged.any() else None,
                 "flag_recall": float(flagged[is_fraud].mean()) if is_fraud.any() else None,
                 "false_flag_rate_by_honest_kind": {}, "false_flag_rate_by_region": {}}
    for kind in sorted({lb.fraud_kind for lb in truth if lb.fraud_kind}):
        has = np.array([lb.fraud_kind == kind for lb in truth])
        keep = has | honest
        out["auc_by_fraud_kind"][kind] = {"auc": _auc(has[keep], suspicion[keep]), "n": int(has.sum()),
                                          "recall": float(flagged[has].mean())}
    for kind in sorted({lb.honest_kind or "plain" for lb in truth if not lb.is_fraud}):
        mask = np.array([not lb.is_fraud and (lb.honest_kind or "plain") == kind for lb in truth])
        out["false_flag_rate_by_honest_kind"][kind] = {"rate": float(flagged[mask].mean()), "n": int(mask.sum())}
    for region in sorted({lb.region for lb in truth}):
        mask = honest & np.array([lb.region == region for lb in truth])
        if mask.any():
            out["false_flag_rate_by_region"][region] = {"rate": float(flagged[mask].mean()), "n": int(mask.sum())}
    planted = np.array([lb.planted_fake_share for lb in truth])
    sampled = result.sample_size > 0
    rho = spearmanr(result.fake_follower_share[sampled], planted[sampled]).statistic if sampled.sum() > 2 else None
    out["spearman_fake_share"] = None if rho is None or rho != rho else float(rho)
    return out


def phenomena_report(config=None, model: ScoringModel = DEFAULT_MODEL, secret: bytes = b"evaluation") -> dict:
    from influencers.demo.phenomena import PhenomenaConfig, generate_phenomena

    config = config or PhenomenaConfig()
    records, truth = generate_phenomena(config)
    inputs = inputs_from_records(records, secret)
    by_handle = {(lb.platform, lb.handle): lb for lb in truth}
    names = inputs.platform_names()
    aligned = [by_handle[(names[i], inputs.handles[i])] for i in range(inputs.n_creators)]
    out = phenomena_metrics(score_creators(inputs, model), aligned)
    out["model_version"] = model.version
    out["variant"] = config.variant
    return out


def _fmt(value, digits=3) -> str:
    return "-" if value is None else f"{value:.{digits}f}"


def format_table(simple: dict, phenomena: list[dict]) -> str:
    """The evaluation as a plain-text table (one column per phenomena variant)."""
    head = ["metric", *(f"phenomena:{p['variant']}" for p in phenomena)]
    rows = [["creators (fraud)", *(f"{p['creators']} ({p['fraud_creators']})" for p in phenomena)],
            ["ROC AUC overall (aim >= 0.95)", *(_fmt(p["auc_overall"]) for p in phenomena)]]
    kinds = sorted({k for p in phenomena for k in p["auc_by_fraud_kind"]})
    for kind in kinds:
        rows.append([f"  AUC {kind} (>= 0.85) / recall", *(
            f"{_fmt(p['auc_by_fraud_kind'][kind]['auc'])} / {_fmt(p['auc_by_fraud_kind'][kind]['recall'], 2)}"
            if kind in p["auc_by_fraud_kind"] else "-" for p in phenomena)])
    rows.append(["flag precision (>= 0.95)", *(_fmt(p["flag_precision"]) for p in phenomena)])
    rows.append(["flag recall (>= 0.85)", *(_fmt(p["flag_recall"]) for p in phenomena)])
    for kind in sorted({k for p in phenomena for k in p["false_flag_rate_by_honest_kind"]}):
        rows.append([f"  false flags {kind} (<= 0.10)", *(
            f"{_fmt(p['false_flag_rate_by_honest_kind'][kind]['rate'], 2)} "
            f"(n={p['false_flag_rate_by_honest_kind'][kind]['n']})"
            if kind in p["false_flag_rate_by_honest_kind"] else "-" for p in phenomena)])
    for region in sorted({k for p in phenomena for k in p["false_flag_rate_by_region"]}):
        rows.append([f"  false flags region {region}", *(
            f"{_fmt(p['false_flag_rate_by_region'][region]['rate'], 2)} "
            f"(n={p['false_flag_rate_by_region'][region]['n']})"
            if region in p["false_flag_rate_by_region"] else "-" for p in phenomena)])
    rows.append(["Spearman fake share (>= 0.8)", *(_fmt(p["spearman_fake_share"]) for p in phenomena)])
    widths = [max(len(str(r[k])) for r in [head, *rows]) for k in range(len(head))]
    lines = ["  ".join(str(c).ljust(w) for c, w in zip(r, widths)) for r in [head, *rows]]
    lines.append("")
    lines.append(f"simple cases (demo generator, {simple['creators']} creators): ROC AUC overall "
                 f"{_fmt(simple['auc_overall'])} (aim >= 0.99), per type "
                 + ", ".join(f"{k} {_fmt(v)}" for k, v in simple["auc_by_type"].items())
                 + f"; Spearman fake share {_fmt(simple['spearman_fake_share'])}")
    lines.append(f"model {phenomena[0]['model_version'] if phenomena else DEFAULT_MODEL.version}")
    return "\n".join(lines)


if __name__ == "__main__":
    main()
