"""The analysts' model CLI: list, show, diff, train (--activate, name last), compare (files), activate (roll back)."""
import json

import pytest
from click.testing import CliRunner

from influencers.cli import main
from influencers.demo.generator import DemoConfig, labels

CONFIG = DemoConfig(creators=100, seed=5, fraud_share=0.3, audience_size=60, posts_per_creator=12)


@pytest.fixture
def cli(database, monkeypatch):
    monkeypatch.setenv("INFLUENCERS_DATABASE_URL", database.url)
    monkeypatch.setenv("INFLUENCERS_PSEUDONYM_SECRET", "cli-test")
    return CliRunner()


def invoke(runner, *args, ok=True):
    result = runner.invoke(main, [str(a) for a in args], catch_exceptions=False)
    assert (result.exit_code == 0) == ok, result.output
    return result.output


@pytest.mark.parametrize("command", ["list", "train", "compare", "activate", "show", "diff"])
def test_model_commands_have_help(cli, command):
    out = invoke(cli, "model", command, "--help")
    assert "--workspace" in out
    if command == "train":
        assert "--activate" in out


@pytest.mark.slow
def test_train_activate_compare_and_roll_back_from_the_cli(cli, tmp_path):
    from influencers.demo.generator import write_ndjson

    data, label_file = tmp_path / "demo.ndjson", tmp_path / "labels.ndjson"
    write_ndjson(CONFIG, data)
    invoke(cli, "workspace", "create", "agency")
    invoke(cli, "import", "--workspace", "agency", data)
    invoke(cli, "score", "--workspace", "agency")
    label_file.write_text("\n".join(json.dumps({
        "type": "label", "platform": t.platform, "handle": t.handle,
        "label": "fraud" if t.is_fraud else "clean"}) for t in labels(CONFIG)))
    short = tmp_path / "few.ndjson"
    short.write_text(label_file.read_text().splitlines()[0])
    invoke(cli, "workspace", "create", "tiny")
    invoke(cli, "import", "--workspace", "tiny", data)
    invoke(cli, "import", "--workspace", "tiny", short)
    invoke(cli, "score", "--workspace", "tiny")
    assert "at least 20 per class" in invoke(cli, "model", "train", "--workspace", "tiny", ok=False)

    assert "label: inserted 100" in invoke(cli, "import", "--workspace", "agency", label_file)
    out = invoke(cli, "model", "train", "--workspace", "agency", "--kind", "logistic", "--activate",
                 "--output-dir", tmp_path / "plots")
    lines = out.strip().splitlines()
    assert lines[-1] == "trained-1"
    assert any(line.startswith("roc_auc") for line in lines)
    assert "activated trained-1" in out
    assert sorted(p.name for p in (tmp_path / "plots").iterdir()) == [
        "trained-1-distributions.png", "trained-1-reliability.png", "trained-1-roc.png"]
    listing = invoke(cli, "model", "list", "--workspace", "agency")
    assert "* trained-1" in listing and "  default-" in listing

    default = next(line.split()[0] for line in listing.splitlines() if line.startswith("  default-"))
    diff = invoke(cli, "model", "diff", "--workspace", "agency", "trained-1", "--against", default)
    assert "classifier.kind" in diff
    assert json.loads(invoke(cli, "model", "show", "--workspace", "agency",
                             "trained-1"))["classifier"]["kind"] == "logistic"

    out = invoke(cli, "model", "compare", "--workspace", "agency", default, "--output-dir", tmp_path / "cmp")
    assert out.splitlines()[0].split() == ["metric", default, "trained-1"]
    assert len(list((tmp_path / "cmp").glob("*.png"))) == 3

    assert "activated " + default in invoke(cli, "model", "activate", "--workspace", "agency", default)
    assert f"* {default}" in invoke(cli, "model", "list", "--workspace", "agency")
    assert "no scoring model version" in invoke(cli, "model", "activate", "--workspace", "agency", "nope", ok=False)
