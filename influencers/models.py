"""Imports every model module so ``Base.metadata`` is complete (Alembic, tests)."""
# ruff: noqa: I001  (dependency order: tables before the tables that refer to them)
from influencers.db import Base  # noqa: F401
from influencers.workspaces.models import *  # noqa: F401,F403
from influencers.creators.models import *  # noqa: F401,F403
from influencers.jobs.models import *  # noqa: F401,F403
from influencers.scoring.store import *  # noqa: F401,F403
from influencers.campaigns.models import *  # noqa: F401,F403
from influencers.shortlists.models import *  # noqa: F401,F403
from influencers.calibration.models import *  # noqa: F401,F403
from influencers.brands.models import *  # noqa: F401,F403
from influencers.webhooks.models import *  # noqa: F401,F403
