"""Every CSV export neutralises cells a spreadsheet would run as a formula (one writer for all)."""
import csv
import io

import pytest
from sqlalchemy import update

from influencers.creators.models import Creator
from influencers.csv_export import neutralise
from tests.fixtures.cli import SAMPLE, invoke

FORMULAS = ["=HYPERLINK(\"http://x\")", "+1+cmd|' /C calc'!A0", "-2+3", "@SUM(A1)", "\tTAB", "\rCR"]


@pytest.mark.parametrize("text", FORMULAS)
def test_formula_prefixes_are_neutralised(text):
    assert neutralise(text) == "'" + text


@pytest.mark.parametrize("value", ["-0.25", "+3", "12", "", "alice", -1.5, 3, None])
def test_numbers_and_plain_text_are_left_alone(value):
    assert neutralise(value) == value


def test_export_scores_neutralises_stored_text(cli_env, database):
    runner = cli_env
    invoke(runner, "workspace", "create", "cli")
    invoke(runner, "import", "--workspace", "cli", str(SAMPLE))
    invoke(runner, "score", "--workspace", "cli")
    # A handle stored before today's handle rule (or by any future path) must not reach a spreadsheet raw.
    with database.transaction() as session:
        session.execute(update(Creator).where(Creator.handle == "alice.cooks").values(handle="=1+cmd"))
    output = invoke(runner, "export", "scores", "--workspace", "cli")
    handles = {row["handle"] for row in csv.DictReader(io.StringIO(output))}
    assert handles == {"'=1+cmd", "bob.eats"}
