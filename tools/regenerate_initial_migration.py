"""Regenerates the initial migration from the models (only while nothing has been released).

Once a release exists, schema changes get new revisions with
`alembic revision --autogenerate` instead; this script refuses if more than the
initial revision exists.
"""
from __future__ import annotations

import sys
import tempfile

from alembic import command

from influencers.db import make_engine
from influencers.migrate import MIGRATIONS, alembic_config

versions = MIGRATIONS / "versions"
existing = sorted(p for p in versions.glob("*.py"))
if len(existing) > 1:
    sys.exit("more than one revision exists: add a new revision instead")
for path in existing:
    path.unlink()
with tempfile.TemporaryDirectory() as tmp:
    engine = make_engine(f"sqlite:///{tmp}/empty.db")
    with engine.begin() as connection:
        config = alembic_config(connection=connection)
        command.revision(config, message="initial schema", autogenerate=True, rev_id="0001")
print("regenerated", next(versions.glob("*.py")))
