"""The calibration demo workspace (tests.fixtures.scoring.CALIBRATION_DEMO), imported and scored once,
and the same labelled with two trained versions.

A module whose tests start from one overrides ``database_template``::

    @pytest.fixture
    def database_template(calibration_demo):
        return calibration_demo
"""
import io

import pytest

from influencers.demo.generator import labels
from influencers.imports import run_import
from tests.fixtures.database import TEST_SECRET
from tests.fixtures.scoring import CALIBRATION_DEMO, import_lines, label_records, scored_demo


@pytest.fixture
def calibration_demo(database_templates):
    return scored_demo(database_templates, CALIBRATION_DEMO)


def train_demo(db, workspace_id: int) -> dict:
    """Every creator of the calibration demo labelled, then a boosted version (trained-1) and a logistic
    one (trained-2) trained through the domain function the training job runs, neither activated."""
    from influencers.calibration.jobs import train_workspace

    report = run_import(db, workspace_id, io.BytesIO(label_records(labels(CALIBRATION_DEMO))), secret=TEST_SECRET)
    assert report.rejected_count == 0, report.rejected[:3]
    facts = {}
    for kind in ("boosted", "logistic"):
        result = train_workspace(db, workspace_id, kind=kind, compare=False)
        assert result["kind"] == kind, result["training"]
        facts[kind] = result["model_id"]
    return facts


@pytest.fixture
def trained_demo(database_templates, calibration_demo):
    """The template of :func:`train_demo` on the calibration demo; its facts name the versions: ``boosted``
    and ``logistic``."""
    return database_templates.get(
        "trained-calibration-demo",
        lambda db: train_demo(db, calibration_demo.facts["workspace_id"]), start=calibration_demo)


@pytest.fixture
def demo_api(api, database_template, calibration_demo):
    """brand-a with the demo creators imported and scored (no labels yet)."""
    assert database_template is calibration_demo, "the module's database_template must be calibration_demo"
    return api


@pytest.fixture
def labelled_api(demo_api):
    """brand-a with every demo creator labelled from the generator's ground truth."""
    import_lines(demo_api, label_records(labels(CALIBRATION_DEMO)))
    return demo_api
