"""The CLI as operators meet it: an unmigrated database, and imports with rejected lines."""
import json

import pytest
from click.testing import CliRunner

from influencers.cli import main

COMMANDS = [
    ["workspace", "create", "x"],
    ["key", "create", "--workspace", "x", "--role", "viewer"],
    ["import", "--workspace", "x", "{file}"],
    ["score", "--workspace", "x"],
    ["export", "scores", "--workspace", "x"],
    ["graph", "export", "--workspace", "x", "--platform", "instagram"],
    ["idempotency", "purge"],
]


@pytest.fixture
def unmigrated(empty_database, monkeypatch, tmp_path):
    monkeypatch.setenv("INFLUENCERS_DATABASE_URL", empty_database.url)
    monkeypatch.setenv("INFLUENCERS_PSEUDONYM_SECRET", "cli-test")
    return empty_database


@pytest.mark.parametrize("command", COMMANDS, ids=lambda c: " ".join(c[:2]))
def test_every_command_on_an_unmigrated_database_says_to_upgrade(unmigrated, tmp_path, command):
    file = tmp_path / "one.ndjson"
    file.write_text('{"type": "creator", "platform": "instagram", "handle": "a", "followers": 1, '
                    '"following": 1, "posts_count": 1}\n')
    result = CliRunner().invoke(main, [part.format(file=file) for part in command])
    assert result.exit_code != 0
    lines = result.output.strip().splitlines()
    assert len(lines) == 1 and "influencers db upgrade" in lines[0], result.output
    assert "Traceback" not in result.output


@pytest.fixture
def migrated(database, monkeypatch):
    monkeypatch.setenv("INFLUENCERS_DATABASE_URL", database.url)
    monkeypatch.setenv("INFLUENCERS_PSEUDONYM_SECRET", "cli-test")
    runner = CliRunner()
    # database is built from the models; stamp it so the CLI sees it as migrated.
    from alembic import command

    from influencers import migrate

    with database.engine.begin() as connection:
        command.stamp(migrate.alembic_config(connection=connection), "head")
    assert runner.invoke(main, ["workspace", "create", "w"]).exit_code == 0
    return runner


def _lines(*records):
    return "\n".join(json.dumps(r) for r in records) + "\n"


GOOD = {"type": "creator", "platform": "instagram", "handle": "good", "followers": 1, "following": 1,
        "posts_count": 1}
BAD = {**GOOD, "handle": "bad", "followers": -1}


def test_import_with_rejected_lines_exits_non_zero_unless_partial_is_allowed(migrated, tmp_path):
    file = tmp_path / "mixed.ndjson"
    file.write_text(_lines(GOOD, BAD))
    strict = migrated.invoke(main, ["import", "--workspace", "w", str(file)])
    assert strict.exit_code != 0
    assert "rejected: 1" in strict.output and "--allow-partial" in strict.output
    partial = migrated.invoke(main, ["import", "--workspace", "w", "--allow-partial", str(file)])
    assert partial.exit_code == 0, partial.output
    clean = tmp_path / "clean.ndjson"
    clean.write_text(_lines(GOOD))
    assert migrated.invoke(main, ["import", "--workspace", "w", str(clean)]).exit_code == 0


def test_import_of_an_empty_file_exits_non_zero(migrated, tmp_path):
    file = tmp_path / "empty.ndjson"
    file.write_text("\n\n")
    result = migrated.invoke(main, ["import", "--workspace", "w", str(file)])
    assert result.exit_code != 0 and "no records" in result.output
