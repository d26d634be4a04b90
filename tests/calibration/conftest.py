"""The calibration demo workspace (tests.fixtures.scoring.CALIBRATION_DEMO), imported and scored once.

A module whose tests start from it overrides ``database_template``::

    @pytest.fixture
    def database_template(calibration_demo):
        return calibration_demo
"""
import pytest

from influencers.demo.generator import labels
from tests.fixtures.scoring import CALIBRATION_DEMO, import_lines, label_records, scored_demo


@pytest.fixture
def calibration_demo(database_templates):
    return scored_demo(database_templates, CALIBRATION_DEMO)


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
