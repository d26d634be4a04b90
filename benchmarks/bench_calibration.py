"""Recalibrated scoring on the phenomena generator: the trained model's accuracy and training time.

    python benchmarks/bench_calibration.py                      # 1,500 and 10,000 creators, both variants
    python benchmarks/bench_calibration.py --sizes 1500 --variants shifted
    python benchmarks/bench_calibration.py --url postgresql://postgres@127.0.0.1:5432/test

For each phenomena variant (``influencers.demo.phenomena``: ``default`` and ``shifted``, the
sets ``influencers evaluate`` reports) and size, in a fresh workspace:

1. imports the generated creators and scores them (the default model);
2. labels a stratified random ``--label-share`` (30%) of them from the generator's ground truth,
   as label records through the importer;
3. trains (``train_workspace``: logistic or boosted by cross-validated AUC, calibrated),
   activates the trained version and re-scores (a scoring run, as activation starts);
4. ROC AUC of the fraud score (``1 - authenticity / 100`` of the current scores) on the creators
   that were *not* labelled, for the default model (before activation) and the trained one;
5. the same two AUCs on an **independent set**: creators generated with another seed (never
   imported, never labelled), scored in memory by the default model and by the trained version
   (the same ``apply_classifier`` a run uses).

Then, at the largest size, every creator is labelled and training is timed on all of them
(labels read, features, both candidates' cross-validation, the calibrated final fit; no
comparison), wall and CPU time of this process. The table goes to stdout.
"""
from __future__ import annotations

import argparse
import json
import os
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import numpy as np
from sklearn.metrics import roc_auc_score
from sqlalchemy import select

from benchmarks.common import Timed, load_average, scratch_target
from influencers.calibration import versions
from influencers.calibration.apply import apply_classifier, load_classifier
from influencers.calibration.jobs import train_workspace
from influencers.creators.models import Creator
from influencers.demo.phenomena import PhenomenaConfig, generate_phenomena
from influencers.imports.importer import run_import
from influencers.scoring import runs
from influencers.scoring.inputs import inputs_from_records
from influencers.scoring.model import DEFAULT_MODEL, ScoringModel
from influencers.scoring.score import score_creators
from influencers.scoring.store import CreatorScore

SECRET = b"bench-calibration"
INDEPENDENT_SEED_OFFSET = 1000


def ndjson(records) -> list[bytes]:
    return [json.dumps(r).encode() for r in records]


def label_lines(truth) -> list[bytes]:
    return [json.dumps({"type": "label", "platform": t.platform, "handle": t.handle,
                        "label": "fraud" if t.is_fraud else "clean"}).encode() for t in truth]


def fraud_scores(db, workspace_id: int) -> dict[tuple[str, str], float]:
    with db.transaction(write=False) as session:
        rows = session.execute(select(Creator.platform, Creator.handle, CreatorScore.authenticity)
                               .join(CreatorScore, CreatorScore.creator_id == Creator.id)
                               .where(Creator.workspace_id == workspace_id, CreatorScore.is_current.is_(True))).all()
    return {(p, h.lower()): 1 - a / 100 for p, h, a in rows}


def auc_on(truth, scores) -> float:
    y = np.array([t.is_fraud for t in truth], dtype=int)
    return float(roc_auc_score(y, np.array([scores[(t.platform, t.handle.lower())] for t in truth])))


def stratified_sample(truth, share: float, seed: int = 0) -> np.ndarray:
    y = np.array([t.is_fraud for t in truth])
    rng = np.random.default_rng(seed)
    chosen = np.zeros(len(truth), dtype=bool)
    for cls in (True, False):
        members = np.flatnonzero(y == cls)
        chosen[rng.choice(members, size=round(share * len(members)), replace=False)] = True
    return chosen


def independent_aucs(db, workspace_id: int, version: str, config: PhenomenaConfig) -> tuple[float, float, int]:
    """(default AUC, trained AUC, creators) on a set generated with another seed, scored in memory."""
    records, truth = generate_phenomena(config)
    inputs = inputs_from_records(records, SECRET)
    by_handle = {(t.platform, t.handle): t for t in truth}
    names = inputs.platform_names()
    aligned = [by_handle[(names[i], inputs.handles[i])] for i in range(inputs.n_creators)]
    y = np.array([t.is_fraud for t in aligned], dtype=int)
    with db.transaction(write=False) as session:
        record = versions.find_version(session, workspace_id, version)
        model, classifier = ScoringModel.from_dict(record.parameters), load_classifier(session, record.id)
    default = score_creators(inputs, DEFAULT_MODEL)
    trained, _ = apply_classifier(score_creators(inputs, model), classifier, version)
    return (float(roc_auc_score(y, 100 - default.authenticity)), float(roc_auc_score(y, 100 - trained.authenticity)),
            len(y))


def measure(url: str | None, variant: str, creators: int, seed: int, share: float, time_all: bool) -> dict:
    out = {"variant": variant, "creators": creators}
    with scratch_target(url, "calibration") as (target, _workdir):
        db, ws = target.db, target.workspace_id
        records, truth = generate_phenomena(PhenomenaConfig(creators=creators, seed=seed, variant=variant))
        run_import(db, ws, ndjson(records), secret=SECRET)
        runs.score_workspace(db, ws)
        labelled = stratified_sample(truth, share)
        run_import(db, ws, label_lines([t for t, k in zip(truth, labelled) if k]), secret=SECRET)
        held_out = [t for t, k in zip(truth, labelled) if not k]
        out.update(total=len(truth), labelled=int(labelled.sum()),
                   labelled_fraud=int(sum(t.is_fraud for t, k in zip(truth, labelled) if k)),
                   held_out=len(held_out), default_auc=auc_on(held_out, fraud_scores(db, ws)))
        with Timed() as training:
            result = train_workspace(db, ws, compare=False)
        out.update(train_wall=training.wall, train_cpu=training.cpu, kind=result["kind"], version=result["version"],
                   cv={k: v["roc_auc"] for k, v in result["training"]["cross_validation"]["candidates"].items()})
        with db.transaction() as session:
            activation = versions.activate(session, ws, versions.find_version(session, ws, result["version"]),
                                           key_id=None)
        runs.execute_run(db, ws, activation.run_id)
        out["trained_auc"] = auc_on(held_out, fraud_scores(db, ws))
        independent = PhenomenaConfig(creators=creators, seed=seed + INDEPENDENT_SEED_OFFSET, variant=variant)
        out["independent_default_auc"], out["independent_trained_auc"], out["independent_n"] = independent_aucs(
            db, ws, result["version"], independent)
        if time_all:
            run_import(db, ws, label_lines(held_out), secret=SECRET)
            with Timed() as training:
                result = train_workspace(db, ws, compare=False)
            counts = result["training"]["labels"]
            out["all_labels"] = {"labels": counts["fraud"] + counts["clean"], "wall": training.wall,
                                 "cpu": training.cpu, "kind": result["kind"]}
    return out


def table(rows: list[dict]) -> str:
    head = ("variant", "creators", "labelled (fraud)", "chosen (CV AUC log/boost)", "default AUC, other 70%",
            "trained AUC, other 70%", "independent set: default / trained", "train wall / CPU")
    lines = ["| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
    for r in rows:
        lines.append("| " + " | ".join((
            r["variant"], f"{r['total']:,}", f"{r['labelled']:,} ({r['labelled_fraud']})",
            f"{r['kind']} ({r['cv']['logistic']:.4f} / {r['cv']['boosted']:.4f})", f"{r['default_auc']:.4f}",
            f"**{r['trained_auc']:.4f}**",
            f"{r['independent_default_auc']:.4f} / **{r['independent_trained_auc']:.4f}** (n={r['independent_n']:,})",
            f"{r['train_wall']:.1f} s / {r['train_cpu']:.1f} s")) + " |")
    for r in rows:
        if "all_labels" in r:
            a = r["all_labels"]
            lines.append(f"\ntraining on all {a['labels']:,} labelled creators ({r['variant']}): "
                         f"wall {a['wall']:.1f} s, "
                         f"CPU {a['cpu']:.1f} s ({a['kind']} chosen)")
    return "\n".join(lines)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--sizes", default="1500,10000", help="creators per workspace, comma-separated")
    parser.add_argument("--variants", default="default,shifted")
    parser.add_argument("--seed", type=int, default=11)
    parser.add_argument("--label-share", type=float, default=0.3)
    parser.add_argument("--url", help="PostgreSQL URL (default: a SQLite file)")
    parser.add_argument("--quick", action="store_true", help="1,500 creators, the default variant")
    args = parser.parse_args()
    if args.quick:
        args.sizes, args.variants = "1500", "default"
    sizes = [int(s) for s in args.sizes.split(",")]
    rows = []
    for variant in args.variants.split(","):
        for size in sizes:
            started = time.perf_counter()
            rows.append(measure(args.url, variant, size, args.seed, args.label_share,
                                time_all=size == max(sizes) and variant == args.variants.split(",")[0]))
            print(f"{variant} {size}: {json.dumps(rows[-1])} ({time.perf_counter() - started:.0f} s, "
                  f"load average {os.getloadavg()[0]:.1f})", flush=True)
    print(table(rows))
    print(f"model {DEFAULT_MODEL.version}; {load_average()}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
