"""The README's tour runs as written: its shell block, unchanged, against the demo `make run` serves.

The block is read from README.md, run by bash with curl (made to fail on an HTTP
error) from the repository root, against gunicorn on the demo data set that
`influencers demo` imports (300 creators, seed 7: the ids the tour names).
"""
import json
import re
import subprocess
from pathlib import Path

import pytest
from click.testing import CliRunner

from tests.fixtures.gunicorn import gunicorn

ROOT = Path(__file__).resolve().parent.parent
ANSWER_END = "--- end of answer ---"


def tour_block() -> str:
    readme = (ROOT / "README.md").read_text()
    section = readme.split("## A tour of the API", 1)[1].split("\n## ", 1)[0]
    blocks = re.findall(r"```sh\n(.*?)```", section, flags=re.DOTALL)
    assert len(blocks) == 1, "the tour is one ```sh block"
    return blocks[0]


def test_tour_names_only_files_in_the_repository():
    for name in re.findall(r"@([\w./-]+)", tour_block()):
        assert (ROOT / name).is_file(), name


def test_readme_links_the_import_format():
    readme = (ROOT / "README.md").read_text()
    assert "(docs/import-format.md)" in readme
    assert (ROOT / "docs" / "import-format.md").is_file() and (ROOT / "docs" / "import-sample.ndjson").is_file()
    assert "shared/import-format.md" not in readme


@pytest.fixture
def demo_server(empty_database, tmp_path):
    from influencers.cli import main

    env = {"INFLUENCERS_DATABASE_URL": empty_database.url, "INFLUENCERS_PSEUDONYM_SECRET": "tour"}
    result = CliRunner().invoke(main, ["demo"], env=env)
    assert result.exit_code == 0, result.output
    key = re.search(r"admin key: (\S+)", result.output).group(1)
    with gunicorn(env, tmp_path / "gunicorn.log") as base:
        yield base, key


@pytest.mark.slow
def test_the_tour_runs_as_written_on_the_demo(demo_server, tmp_path):
    base, key = demo_server
    script = tmp_path / "tour.sh"
    # The reader's setup, as the README says it; curl fails on any HTTP error and says which.
    script.write_text(
        "set -euo pipefail\n"
        f"export KEY={key} API={base}/v1\n"
        'H="Authorization: Bearer $KEY"\n'
        'curl() { command curl --silent --show-error --fail-with-body --max-time 120 "$@"; echo; echo "%s"; }\n'
        % ANSWER_END
        + tour_block())
    result = subprocess.run(["bash", str(script)], cwd=ROOT, capture_output=True, text=True, timeout=600, check=False)
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    assert not result.stderr.strip(), result.stderr  # e.g. curl's "Failed to open data.ndjson"
    answers = result.stdout.split(ANSWER_END + "\n")[:-1]
    assert len(answers) == len(re.findall(r"^curl ", tour_block(), flags=re.MULTILINE))
    commands = re.findall(r"^curl .*", tour_block(), flags=re.M)
    csv_answers = [i for i, command in enumerate(commands) if "report.csv" in command]
    assert csv_answers and all(answers[i].startswith("level,") for i in csv_answers)
    answers = [json.loads(answer) for i, answer in enumerate(answers) if i not in csv_answers]
    sample = (ROOT / "docs" / "import-sample.ndjson").read_text().splitlines()
    assert answers[0]["lines_read"] == len(sample) and answers[0]["rejected_count"] == 0
