"""A workspace still on an earlier shipped default (unedited) moves to the current one at its
next run; the earlier version stays listed, so the scores it made stay readable as history."""
import pytest
from sqlalchemy import select, update

from influencers.scoring.model import DEFAULT_MODEL
from influencers.scoring.store import CreatorScore, ScoringModelVersion
from tests.fixtures.scoring import import_demo, run_scoring


@pytest.mark.parametrize("earlier", ["default-2", "default-3"])
def test_a_workspace_on_an_earlier_shipped_default_moves_to_default_4_keeping_its_scores(api, database, earlier):
    import_demo(api, creators=30)
    first = run_scoring(api)
    # As a workspace scored before default-4 shipped: its active model is the earlier shipped default.
    with database.transaction() as session:
        session.execute(update(ScoringModelVersion).where(ScoringModelVersion.workspace_id == api.workspace_id)
                        .values(version=earlier, parameters={**DEFAULT_MODEL.to_dict(), "version": earlier}))
        session.execute(update(CreatorScore).where(CreatorScore.run_id == first["id"])
                        .values(model_version=earlier))

    second = run_scoring(api)

    assert DEFAULT_MODEL.version == "default-4"
    assert api.get(f"/v1/scoring-runs/{second['id']}").json["model_version"] == "default-4"
    models = {m["version"]: m for m in api.get("/v1/scoring-models").json}
    assert models["default-4"]["is_active"] and not models[earlier]["is_active"]
    with database.transaction(write=False) as session:
        kept = session.scalars(select(CreatorScore.model_version).where(CreatorScore.run_id == first["id"])).all()
    assert kept and set(kept) == {earlier}
