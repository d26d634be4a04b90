"""HTTP routes for scoring: runs (202 + status), jobs, creator scores, discovery, lookalikes, models."""
from __future__ import annotations

from dataclasses import dataclass

from flask import current_app
from flask_smorest import Page, abort
from sqlalchemy import select
from sqlalchemy.orm import Session

from influencers import discovery
from influencers.api import unit_of_work
from influencers.api.auth import current_workspace_id, requires
from influencers.api.base import Blueprint, Listing, SQLPage, check_page_bounds
from influencers.api.scoring.schemas import (
    CreatorScoreSchema,
    DiscoveryArgs,
    JobSchema,
    LookalikeArgs,
    LookalikesSchema,
    ScoredCreatorSchema,
    ScoreHistoryItemSchema,
    ScoringModelSchema,
    ScoringRunSchema,
)
from influencers.brands.discovery import growth_for
from influencers.brands.reports import creator_brand_history
from influencers.creators import service as creators
from influencers.creators.service import CreatorFilters
from influencers.discovery import AudienceCondition, DiscoveryQuery
from influencers.jobs import runner
from influencers.jobs.models import Job
from influencers.scoring import runs
from influencers.scoring.store import CreatorScore, CreatorScoreExplanation, ScoringModelVersion, ScoringRun

blp = Blueprint("scoring", __name__, url_prefix="/v1", description="Scores, scoring runs, discovery and lookalikes")

CREATOR_FILTER_NAMES = ("platform", "country", "language", "category", "min_followers", "max_followers", "q")


def summary(score: CreatorScore) -> dict:
    return {
        "score": score.score, "authenticity": score.authenticity,
        "fake_follower_share": score.fake_follower_share,
        "fake_follower_share_interval": None if score.fake_follower_share_low is None
        else [score.fake_follower_share_low, score.fake_follower_share_high],
        "reachable_share": score.reachable_share, "engagement_rate": score.engagement_rate,
        "engagement_rate_views": score.engagement_rate_views, "estimated_reach": score.estimated_reach,
        "flags": score.flags, "confidence": score.confidence, "sample_size": score.sample_size,
        "as_of": score.as_of, "model_version": score.model_version, "run_id": score.run_id,
        "is_current": score.is_current,
    }


class ScoredCreator:
    """A creator row with its score summary attached, for ScoredCreatorSchema."""

    def __init__(self, creator, score):
        self._creator, self.score = creator, summary(score)

    def __getattr__(self, name):
        return getattr(self._creator, name)


class DiscoveryPage(Page):
    """Pagination of a search: the page and its total come from ``discovery.search_page``."""

    def __init__(self, search: DiscoverySearch, page_params):
        check_page_bounds(page_params)
        self._page = discovery.search_page(search.session, search.workspace_id, search.query,
                                           offset=page_params.first_item, limit=page_params.page_size)
        super().__init__(search, page_params)

    @property
    def item_count(self):
        return self._page.total

    @property
    def items(self):
        growth = growth_for(self.collection.session, [creator.id for creator, _ in self._page.rows])
        rows = [ScoredCreator(creator, score) for creator, score in self._page.rows]
        for row in rows:
            row.growth = growth[row.id]
        return rows


@dataclass
class DiscoverySearch:
    session: Session
    workspace_id: int
    query: DiscoveryQuery


class ScoreHistoryPage(SQLPage):
    @property
    def items(self):
        return [summary(score) for score in super().items]


def _run_or_404(run_id: int) -> ScoringRun:
    run = unit_of_work.session().scalar(
        select(ScoringRun).where(ScoringRun.id == run_id, ScoringRun.workspace_id == current_workspace_id()))
    if run is None:
        abort(404, message=f"No scoring run {run_id} in this workspace.")
    return run


def _creator_or_404(creator_id: int):
    creator = creators.get_creator(unit_of_work.session(), current_workspace_id(), creator_id)
    if creator is None:
        abort(404, message=f"No creator {creator_id} in this workspace.")
    return creator


@blp.route("/scoring-runs", methods=["POST"], operation_id="startScoringRun",
           summary="Score every creator of the workspace (runs in the background)")
@requires("score")
@blp.response(202, ScoringRunSchema, description="The run was queued; poll its Location until it succeeds or fails")
def start_scoring_run():
    session = unit_of_work.session()
    run_id, job_id = runs.queue_run(session, current_workspace_id())
    db, settings = unit_of_work.database(), current_app.extensions["influencers.settings"]
    unit_of_work.after_commit(lambda: runner.dispatch(db, settings, job_id))
    return session.get(ScoringRun, run_id), 202, {"Location": f"/v1/scoring-runs/{run_id}"}


@blp.route("/scoring-runs", methods=["GET"], operation_id="listScoringRuns", summary="List scoring runs, newest first")
@requires("read")
@blp.response(200, ScoringRunSchema(many=True))
@blp.paginate(SQLPage)
def list_scoring_runs():
    stmt = select(ScoringRun).where(ScoringRun.workspace_id == current_workspace_id()).order_by(ScoringRun.id.desc())
    return Listing(unit_of_work.session(), stmt)


@blp.route("/scoring-runs/<id:scoring_run_id>", methods=["GET"], operation_id="getScoringRun",
           summary="Read a scoring run's status")
@requires("read")
@blp.response(200, ScoringRunSchema)
def get_scoring_run(scoring_run_id):
    return _run_or_404(scoring_run_id)


@blp.route("/jobs/<id:job_id>", methods=["GET"], operation_id="getJob", summary="Read a background job's status")
@requires("read")
@blp.response(200, JobSchema)
def get_job(job_id):
    job = unit_of_work.session().scalar(select(Job).where(Job.id == job_id, Job.workspace_id == current_workspace_id()))
    if job is None:
        abort(404, message=f"No job {job_id} in this workspace.")
    return job


@blp.route("/creators/<id:creator_id>/score", methods=["GET"], operation_id="getCreatorScore",
           summary="A creator's current score with its full explanation")
@requires("read")
@blp.response(200, CreatorScoreSchema)
def get_creator_score(creator_id):
    _creator_or_404(creator_id)
    score = discovery.current_score(unit_of_work.session(), current_workspace_id(), creator_id)
    if score is None:
        abort(404, message=f"Creator {creator_id} has not been scored yet: start a scoring run.")
    explanation = unit_of_work.session().get(CreatorScoreExplanation, score.id)
    context = {"note": "Context for the reader, not part of the score",
               "brand_history": creator_brand_history(unit_of_work.session(), current_workspace_id(), creator_id)}
    return {"creator_id": creator_id, "summary": summary(score), "explanation": explanation.explanation,
            "context": context}


@blp.route("/creators/<id:creator_id>/scores", methods=["GET"], operation_id="listCreatorScores",
           summary="A creator's score history, newest first")
@requires("read")
@blp.response(200, ScoreHistoryItemSchema(many=True))
@blp.paginate(ScoreHistoryPage)
def list_creator_scores(creator_id):
    _creator_or_404(creator_id)
    stmt = select(CreatorScore).where(CreatorScore.creator_id == creator_id).order_by(CreatorScore.id.desc())
    return Listing(unit_of_work.session(), stmt)


@blp.route("/discovery/creators", methods=["GET"], operation_id="searchCreators",
           summary="Search scored creators by profile, score, flags and audience composition")
@requires("read")
@blp.arguments(DiscoveryArgs, location="query", as_kwargs=True)
@blp.response(200, ScoredCreatorSchema(many=True))
@blp.paginate(DiscoveryPage)
def search_creators(**args):
    creator_filters = CreatorFilters(**{k: args.pop(k) for k in CREATOR_FILTER_NAMES if k in args})
    query = DiscoveryQuery(
        creator=creator_filters,
        with_flags=args.pop("flag", []),
        without_flags=args.pop("without_flag", []),
        audience=[AudienceCondition(**c) for c in args.pop("audience", [])],
        **args,
    )
    return DiscoverySearch(unit_of_work.session(), current_workspace_id(), query)


@blp.route("/creators/<id:creator_id>/lookalikes", methods=["GET"], operation_id="listCreatorLookalikes",
           summary="Creators most similar to this one (nearest neighbours on scores and audience)")
@requires("read")
@blp.arguments(LookalikeArgs, location="query", as_kwargs=True)
@blp.response(200, LookalikesSchema)
def list_lookalikes(creator_id, limit, same_platform):
    _creator_or_404(creator_id)
    session = unit_of_work.session()
    if discovery.current_score(session, current_workspace_id(), creator_id) is None:
        abort(404, message=f"Creator {creator_id} has not been scored yet: start a scoring run.")
    neighbours = discovery.lookalikes(session, current_workspace_id(), creator_id, limit, same_platform)
    ids = [creator_id_ for creator_id_, _, _ in neighbours]
    rows = {c.id: ScoredCreator(c, s) for c, s in session.execute(
        discovery.discovery_select(current_workspace_id(), DiscoveryQuery()).where(CreatorScore.creator_id.in_(ids))
    ).all()}
    return {
        "creator_id": creator_id,
        "features": [*discovery.LOOKALIKE_FEATURES,
                     *(f"audience {d} shares" for d in discovery.COMPOSITION_DIMENSIONS)],
        "lookalikes": [{"creator": rows[i], "similarity": round(sim, 4)} for i, sim, _ in neighbours if i in rows],
    }


@blp.route("/scoring-models", methods=["GET"], operation_id="listScoringModels",
           summary="List the workspace's scoring model versions")
@requires("read")
@blp.response(200, ScoringModelSchema(many=True))
@blp.paginate(SQLPage)
def list_scoring_models():
    session = unit_of_work.session()
    stmt = (select(ScoringModelVersion).where(ScoringModelVersion.workspace_id == current_workspace_id())
            .order_by(ScoringModelVersion.id))
    return Listing(session, stmt)


@blp.route("/scoring-models/<id:scoring_model_id>", methods=["GET"], operation_id="getScoringModel",
           summary="Read a scoring model version")
@requires("read")
@blp.response(200, ScoringModelSchema)
def get_scoring_model(scoring_model_id):
    model = unit_of_work.session().scalar(select(ScoringModelVersion).where(
        ScoringModelVersion.id == scoring_model_id, ScoringModelVersion.workspace_id == current_workspace_id()))
    if model is None:
        abort(404, message=f"No scoring model {scoring_model_id} in this workspace.")
    return model
