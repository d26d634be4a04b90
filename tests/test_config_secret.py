"""The pseudonym secret: never dependent on the working directory; PostgreSQL needs a configured one."""
import os

import pytest
from click.testing import CliRunner

from influencers.cli import main
from influencers.config import ConfigurationError, load_settings

PG_URL = "postgresql://postgres@127.0.0.1:5432/whatever"


@pytest.fixture
def clean_env(monkeypatch, tmp_path):
    for name in ("INFLUENCERS_PSEUDONYM_SECRET", "INFLUENCERS_PSEUDONYM_SECRET_FILE", "INFLUENCERS_DATABASE_URL",
                 "DATABASE_URL"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.chdir(tmp_path)
    return monkeypatch


def test_postgresql_without_a_configured_secret_is_a_clear_error(clean_env, tmp_path):
    with pytest.raises(ConfigurationError, match="INFLUENCERS_PSEUDONYM_SECRET"):
        load_settings(database_url=PG_URL)
    assert not (tmp_path / "instance").exists()  # nothing created in the working directory


def test_the_cli_says_so_in_one_line(clean_env):
    clean_env.setenv("INFLUENCERS_DATABASE_URL", PG_URL)
    result = CliRunner().invoke(main, ["workspace", "create", "x"])
    assert result.exit_code != 0
    assert "INFLUENCERS_PSEUDONYM_SECRET" in result.output and "Traceback" not in result.output


def test_postgresql_with_the_variable_or_an_absolute_file(clean_env, tmp_path):
    clean_env.setenv("INFLUENCERS_PSEUDONYM_SECRET", "s3cret")
    assert load_settings(database_url=PG_URL).pseudonym_secret == b"s3cret"
    clean_env.delenv("INFLUENCERS_PSEUDONYM_SECRET")
    secret_file = tmp_path / "secret"
    secret_file.write_text("from-file\n")
    clean_env.setenv("INFLUENCERS_PSEUDONYM_SECRET_FILE", str(secret_file))
    assert load_settings(database_url=PG_URL).pseudonym_secret == b"from-file"
    clean_env.setenv("INFLUENCERS_PSEUDONYM_SECRET_FILE", "relative/secret")
    with pytest.raises(ConfigurationError, match="absolute"):
        load_settings(database_url=PG_URL)


def test_sqlite_secret_lives_beside_the_database_whatever_the_working_directory(clean_env, tmp_path):
    db_dir = tmp_path / "data"
    url = f"sqlite:///{db_dir}/app.db"
    first_cwd, second_cwd = tmp_path / "a", tmp_path / "b"
    first_cwd.mkdir()
    second_cwd.mkdir()
    os.chdir(first_cwd)
    first = load_settings(database_url=url).pseudonym_secret
    os.chdir(second_cwd)
    second = load_settings(database_url=url).pseudonym_secret
    assert first == second and len(first) == 64
    assert (db_dir / "pseudonym.secret").exists()
    assert not (first_cwd / "instance").exists() and not (second_cwd / "instance").exists()
