"""What `make run` does: the demo keeps its admin key between runs, and the server's URL is printed once it answers."""
import os
import re
import subprocess
import sys
import time
import urllib.request

import pytest
from click.testing import CliRunner

from influencers.cli import main
from influencers.workspaces import service
from tests.fixtures.gunicorn import free_port

KEY = re.compile(r"^admin key: (\S+)$", re.M)


def run_demo(runner, key_file):
    result = runner.invoke(main, ["demo", "--creators", "5", "--key-file", str(key_file)], catch_exceptions=False)
    assert result.exit_code == 0, result.output
    return KEY.search(result.output).group(1), result.output


def test_the_demo_reuses_its_admin_key_and_says_when_it_makes_a_new_one(empty_database, monkeypatch, tmp_path):
    database = empty_database
    monkeypatch.setenv("INFLUENCERS_DATABASE_URL", database.url)
    monkeypatch.setenv("INFLUENCERS_PSEUDONYM_SECRET", "demo-test")
    runner, key_file = CliRunner(), tmp_path / "demo-key"
    first, _ = run_demo(runner, key_file)
    again, output = run_demo(runner, key_file)
    assert again == first and "NEW" not in output
    assert oct(key_file.stat().st_mode & 0o777) == "0o600"
    key_file.unlink()
    new, output = run_demo(runner, key_file)
    assert new != first and "NEW key" in output
    with database.session() as session:
        principal = service.authenticate(session, new)
        assert principal is not None and principal.role == "admin"


@pytest.mark.slow
def test_serve_prints_the_url_only_once_the_server_answers(database, tmp_path):
    port = free_port()
    env = {**os.environ, "INFLUENCERS_DATABASE_URL": database.url, "INFLUENCERS_PSEUDONYM_SECRET": "serve-test"}
    server = subprocess.Popen([sys.executable, "-m", "influencers.cli", "serve", "--port", str(port), "--workers", "1"],
                              env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    try:
        deadline = time.time() + 180
        for line in server.stderr:
            if line.startswith("API:"):
                assert line.strip() == f"API:  http://127.0.0.1:{port}/v1"
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/health", timeout=5) as response:
                    assert response.status == 200
                break
            assert time.time() < deadline, "serve printed no URL"
        else:
            raise AssertionError("serve ended without printing its URL")
    finally:
        server.terminate()
        assert server.wait(timeout=60) == 0
        server.stderr.close()
