"""Recalibrated scoring on the demo generator: the trained model's accuracy and training time.

    python benchmarks/bench_calibration.py                  # 10,000 creators
    python benchmarks/bench_calibration.py --quick          # 1,500 creators
    python benchmarks/bench_calibration.py --url postgresql://postgres@127.0.0.1:5432/test

1. Imports and scores a generated workspace (default model), labels a stratified random
   ``--label-share`` of the creators from the generator's ground truth (label records
   through the importer), trains (``auto``: logistic or boosted by cross-validated AUC),
   activates the trained version and re-scores. Prints the ROC AUC of the default and of
   the trained model on the creators that were *not* labelled (fraud score:
   ``1 - authenticity / 100`` of the current scores).
2. Labels every creator and times training on all of them (labels read, features,
   cross-validation of both candidates, the calibrated final fit; no comparison).
"""
from __future__ import annotations

import argparse
import json
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import numpy as np  # noqa: E402
from sklearn.metrics import roc_auc_score  # noqa: E402
from sqlalchemy import select  # noqa: E402

from benchmarks.common import Target, remove_workdir  # noqa: E402
from influencers.calibration import versions  # noqa: E402
from influencers.calibration.jobs import train_workspace  # noqa: E402
from influencers.creators.models import Creator  # noqa: E402
from influencers.demo.generator import DemoConfig, labels, write_ndjson  # noqa: E402
from influencers.imports.importer import run_import  # noqa: E402
from influencers.scoring import runs  # noqa: E402
from influencers.scoring.store import CreatorScore  # noqa: E402

SECRET = b"bench-calibration"


def label_lines(truth) -> list[bytes]:
    return [json.dumps({"type": "label", "platform": t.platform, "handle": t.handle,
                        "label": "fraud" if t.is_fraud else "clean"}).encode() for t in truth]


def fraud_scores(db, workspace_id: int) -> dict[tuple[str, str], float]:
    with db.transaction(write=False) as session:
        rows = session.execute(select(Creator.platform, Creator.handle, CreatorScore.authenticity)
                               .join(CreatorScore, CreatorScore.creator_id == Creator.id)
                               .where(Creator.workspace_id == workspace_id, CreatorScore.is_current.is_(True))).all()
    return {(p, h): 1 - a / 100 for p, h, a in rows}


def auc_on(truth, scores) -> float:
    y = np.array([t.is_fraud for t in truth], dtype=int)
    s = np.array([scores[(t.platform, t.handle.lower())] for t in truth])
    return float(roc_auc_score(y, s))


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--creators", type=int, default=10_000)
    parser.add_argument("--quick", action="store_true", help="1,500 creators")
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--label-share", type=float, default=0.3)
    parser.add_argument("--url", help="PostgreSQL URL (default: a SQLite file)")
    args = parser.parse_args()
    creators = 1_500 if args.quick else args.creators
    workdir = Path(tempfile.mkdtemp(prefix="bench-calibration-"))
    target = Target(args.url, workdir, "calibration")
    db, ws = target.db, target.workspace_id
    try:
        config = DemoConfig(creators=creators, seed=args.seed)
        data = workdir / "demo.ndjson"
        started = time.perf_counter()
        write_ndjson(config, data)
        with data.open("rb") as fh:
            run_import(db, ws, fh, secret=SECRET)
        runs.score_workspace(db, ws)
        print(f"{creators} creators on {target.backend}: generated, imported and scored in "
              f"{time.perf_counter() - started:.1f} s")

        truth = labels(config)
        y = np.array([t.is_fraud for t in truth])
        rng = np.random.default_rng(0)
        labelled = np.zeros(len(truth), dtype=bool)
        for cls in (True, False):  # stratified: the label share of each class
            members = np.flatnonzero(y == cls)
            labelled[rng.choice(members, size=int(round(args.label_share * len(members))), replace=False)] = True
        report = run_import(db, ws, label_lines([t for t, k in zip(truth, labelled) if k]), secret=SECRET)
        held_out = [t for t, k in zip(truth, labelled) if not k]
        default_auc = auc_on(held_out, fraud_scores(db, ws))
        started = time.perf_counter()
        result = train_workspace(db, ws, compare=False)
        train_seconds = time.perf_counter() - started
        with db.transaction() as session:
            record = versions.find_version(session, ws, result["version"])
            activation = versions.activate(session, ws, record, key_id=None)
        runs.execute_run(db, ws, activation.run_id)
        trained_auc = auc_on(held_out, fraud_scores(db, ws))
        cv = result["training"]["cross_validation"]["candidates"]
        print(f"labelled {report.stored['label']['inserted']} creators ({args.label_share:.0%}, "
              f"{int(y[labelled].sum())} fraud); trained {result['version']} ({result['kind']}; CV ROC AUC "
              f"logistic {cv['logistic']['roc_auc']}, boosted {cv['boosted']['roc_auc']}) in {train_seconds:.1f} s")
        print(f"ROC AUC on the {len(held_out)} unlabelled creators: default {default_auc:.4f}, "
              f"trained {trained_auc:.4f}")

        run_import(db, ws, label_lines([t for t, k in zip(truth, labelled) if not k]), secret=SECRET)
        started = time.perf_counter()
        result = train_workspace(db, ws, compare=False)
        seconds = time.perf_counter() - started
        counts = result["training"]["labels"]
        print(f"training on {counts['fraud'] + counts['clean']} labelled creators ({counts['fraud']} fraud): "
              f"{seconds:.1f} s ({result['kind']} chosen)")
    finally:
        target.drop() if hasattr(target, "drop") else None
        remove_workdir(workdir)
    return 0


if __name__ == "__main__":
    sys.exit(main())
