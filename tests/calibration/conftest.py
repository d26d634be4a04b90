"""The calibration demo workspace (tests.fixtures.scoring.CALIBRATION_DEMO), imported and scored once,
and the same labelled with two trained versions.

A module whose tests start from one overrides ``database_template``::

    @pytest.fixture
    def database_template(calibration_demo):
        return calibration_demo
"""
import pytest

from influencers.demo.generator import labels
from tests.fixtures.scoring import CALIBRATION_DEMO, build_scored_demo, import_lines, label_records, scored_demo


@pytest.fixture
def calibration_demo(database_templates):
    return scored_demo(database_templates, CALIBRATION_DEMO)


def build_trained_demo(db) -> dict:
    """The calibration demo, every creator labelled, then a boosted version (trained-1) and a logistic
    one (trained-2) trained through the domain function the training job runs, neither activated."""
    from influencers.calibration.jobs import train_workspace

    facts = build_scored_demo(db, CALIBRATION_DEMO, with_labels=True)
    for kind in ("boosted", "logistic"):
        result = train_workspace(db, facts["workspace_id"], kind=kind, compare=False)
        assert result["kind"] == kind, result["training"]
        facts[kind] = result["model_id"]
    return facts


@pytest.fixture
def trained_demo(database_templates):
    """The template of :func:`build_trained_demo`; its facts name the versions: ``boosted`` and ``logistic``."""
    return database_templates.get("trained-calibration-demo", build_trained_demo)


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
