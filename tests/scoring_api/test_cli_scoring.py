"""The analysts' CLI contract: db upgrade, workspace create, import, score, export scores."""
import csv
import io

from influencers.cli import main
from tests.fixtures.cli import SAMPLE, invoke


def test_score_and_export_scores(cli_env, tmp_path):
    runner = cli_env
    out = invoke(runner, "workspace", "create", "cli")
    assert "admin key" in out
    invoke(runner, "import", "--workspace", "cli", str(SAMPLE))
    assert "2 creators scored" in invoke(runner, "score", "--workspace", "cli")
    result = runner.invoke(main, ["export", "scores", "--workspace", "cli"])
    rows = list(csv.DictReader(io.StringIO(result.output)))
    assert {r["handle"] for r in rows} == {"alice.cooks", "bob.eats"}
    for column in ["platform", "handle", "score", "authenticity", "fake_follower_share", "engagement_rate",
                   "estimated_reach", "flags"]:
        assert column in rows[0]
    for row in rows:
        assert 0 <= float(row["authenticity"]) <= 100
        assert 0 <= float(row["fake_follower_share"]) <= 1


def test_score_in_chunks_exports_the_same_scores(cli_env):
    runner = cli_env
    invoke(runner, "workspace", "create", "cli")
    invoke(runner, "import", "--workspace", "cli", str(SAMPLE))
    assert "chunks" not in invoke(runner, "score", "--workspace", "cli")
    whole = invoke(runner, "export", "scores", "--workspace", "cli")
    out = invoke(runner, "score", "--workspace", "cli", "--chunk-size", "1")
    assert "2 creators scored" in out and "2 chunks" in out
    chunked = invoke(runner, "export", "scores", "--workspace", "cli")
    drop_run = [{k: v for k, v in row.items() if k != "run_id"} for row in csv.DictReader(io.StringIO(whole))]
    assert len(drop_run) == 2
    assert [{k: v for k, v in row.items() if k != "run_id"} for row in csv.DictReader(io.StringIO(chunked))] == drop_run
    assert runner.invoke(main, ["score", "--workspace", "cli", "--chunk-size", "0"]).exit_code == 2


def test_unknown_workspace_is_a_clear_error(cli_env):
    result = cli_env.invoke(main, ["score", "--workspace", "nope"])
    assert result.exit_code != 0
    assert "no workspace named 'nope'" in result.output
