"""Imports every model module so ``Base.metadata`` is complete (Alembic, tests)."""
from influencers.brands.models import *  # noqa: F401,F403
from influencers.calibration.models import *  # noqa: F401,F403
from influencers.campaigns.models import *  # noqa: F401,F403
from influencers.creators.models import *  # noqa: F401,F403
from influencers.db import Base  # noqa: F401
from influencers.jobs.models import *  # noqa: F401,F403
from influencers.overlap.models import *  # noqa: F401,F403
from influencers.scoring.store import *  # noqa: F401,F403
from influencers.webhooks.models import *  # noqa: F401,F403
from influencers.workspaces.models import *  # noqa: F401,F403
