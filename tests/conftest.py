"""The suite's fixtures live in the plugin modules of tests/fixtures (see its __init__).

The suite runs on SQLite by default. Set ``INFLUENCERS_TEST_DATABASE_URL`` to a
PostgreSQL URL to run it there (CI does both); each test then gets a fresh schema.
"""
import gc

import pytest

# Imported by pytest_configure below, but also by the conftest files of subfolders, which pytest
# may load first (when given a test file there): rewrite their asserts whoever imports them first.
pytest.register_assert_rewrite("tests.fixtures")

FIXTURE_PLUGINS = [
    "tests.fixtures.database",
    "tests.fixtures.api",
    "tests.fixtures.records",
    "tests.fixtures.scoring",
    "tests.fixtures.gunicorn",
    "tests.fixtures.cli",
    "tests.fixtures.scheduling",
]


@pytest.hookimpl(trylast=True)  # after pytest-xdist's, which registers its controller as "dsession"
def pytest_configure(config: pytest.Config) -> None:
    # pytest-xdist's controller runs no test: importing the application there (seconds) would
    # only delay the start of the workers, which import it themselves.
    if config.pluginmanager.has_plugin("dsession"):
        return
    for name in FIXTURE_PLUGINS:
        config.pluginmanager.import_plugin(name)


@pytest.hookimpl(trylast=True)
def pytest_unconfigure(config: pytest.Config) -> None:
    # Exiting, the interpreter collects garbage over every object left (the application, the
    # data): about a second per test process, which the run waits for. Nothing needs freeing then.
    gc.freeze()
