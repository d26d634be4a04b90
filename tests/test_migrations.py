"""Alembic migrations build exactly the schema the models describe."""
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext

from influencers import migrate
from influencers.db import Base


def test_upgrade_from_empty_matches_models(empty_database):
    db = empty_database
    migrate.upgrade(db.engine)
    with db.engine.connect() as connection:
        diff = compare_metadata(MigrationContext.configure(connection), Base.metadata)
    assert diff == [], "models changed without a migration: " + repr(diff[:5])
    assert migrate.current_revision(db.engine) is not None
