"""The suite's fixtures live in the plugin modules of tests/fixtures (see its __init__).

The suite runs on SQLite by default. Set ``INFLUENCERS_TEST_DATABASE_URL`` to a
PostgreSQL URL to run it there (CI does both); each test then gets a fresh schema.
"""
pytest_plugins = [
    "tests.fixtures.database",
    "tests.fixtures.api",
    "tests.fixtures.records",
    "tests.fixtures.scoring",
    "tests.fixtures.gunicorn",
    "tests.fixtures.cli",
    "tests.fixtures.scheduling",
]
