"""The suite's scheduling over pytest-xdist workers (tests/fixtures/scheduling.py): a group stays on
one worker (the session's gunicorn server is started once), and slow tests start first."""
import os
import re
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

GROUPED = """
import pytest

pytestmark = pytest.mark.xdist_group("shared")


@pytest.mark.parametrize("i", range(6))
def test_grouped(i):
    pass
"""

ALONE = """
import pytest


@pytest.mark.parametrize("i", range(6))
def test_alone(i):
    pass
"""

SLOW = """
import pytest


@pytest.mark.slow
def test_long():
    pass
"""


def test_a_group_runs_on_one_worker_and_slow_tests_start_first(tmp_path):
    (tmp_path / "test_grouped.py").write_text(GROUPED)
    (tmp_path / "test_alone.py").write_text(ALONE)
    (tmp_path / "test_slow.py").write_text(SLOW)  # collected last
    (tmp_path / "pytest.ini").write_text("[pytest]\nmarkers =\n    slow: scheduled first\n")
    result = subprocess.run(
        [sys.executable, "-m", "pytest", "-n", "2", "--dist", "loadgroup", "-v", "-p", "tests.fixtures.scheduling",
         "-p", "no:cacheprovider", "-p", "no:schemathesis", "-p", "no:hypothesispytest", "-p", "no:anyio"],
        cwd=tmp_path, env={**os.environ, "PYTHONPATH": str(ROOT)}, capture_output=True, text=True, timeout=300,
        check=False)
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    ran = re.findall(r"^\[(gw\d)\] \[\s*\d+%\] PASSED (\S+)", result.stdout, flags=re.M)
    assert len(ran) == 13, result.stdout[-3000:]
    group_workers = {worker for worker, test in ran if "test_grouped" in test}
    assert len(group_workers) == 1, ran
    # The group is the first unit of one worker; the other starts with the slow test.
    other = [test for worker, test in ran if worker not in group_workers]
    assert other[0] == "test_slow.py::test_long", ran
