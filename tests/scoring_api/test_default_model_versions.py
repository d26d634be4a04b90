"""A workspace still on an earlier shipped default (unedited) moves to the current one at its
next run; the earlier version stays listed, so the scores it made stay readable as history."""
from sqlalchemy import select, update

from influencers.scoring.model import DEFAULT_MODEL
from influencers.scoring.store import CreatorScore, ScoringModelVersion
from tests.fixtures.scoring import import_demo, run_scoring


def test_a_workspace_on_the_shipped_default_2_moves_to_default_3_keeping_its_scores(api, database):
    import_demo(api, creators=30)
    first = run_scoring(api)
    # As a workspace scored before default-3 shipped: its active model is the shipped default-2.
    with database.transaction() as session:
        session.execute(update(ScoringModelVersion).where(ScoringModelVersion.workspace_id == api.workspace_id)
                        .values(version="default-2", parameters={**DEFAULT_MODEL.to_dict(), "version": "default-2"}))
        session.execute(update(CreatorScore).where(CreatorScore.run_id == first["id"])
                        .values(model_version="default-2"))

    second = run_scoring(api)

    assert DEFAULT_MODEL.version == "default-3"
    assert api.get(f"/v1/scoring-runs/{second['id']}").json["model_version"] == "default-3"
    models = {m["version"]: m for m in api.get("/v1/scoring-models").json}
    assert models["default-3"]["is_active"] and not models["default-2"]["is_active"]
    with database.transaction(write=False) as session:
        kept = session.scalars(select(CreatorScore.model_version).where(CreatorScore.run_id == first["id"])).all()
    assert kept and set(kept) == {"default-2"}
