"""HTTP routes for scoring: runs (202 + status), jobs, creator scores, discovery, lookalikes, models."""
from __future__ import annotations

from dataclasses import dataclass

from flask import current_app
from flask_smorest import Page
from sqlalchemy.orm import Session

from influencers import discovery
from influencers.api import unit_of_work
from influencers.api.auth import current_workspace_id, requires
from influencers.api.base import Blueprint, Listing, SQLPage, check_page_bounds
from influencers.api.schemas import Extended
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
from influencers.brands.reports import creator_brand_history
from influencers.calibration import versions
from influencers.creators import service as creators
from influencers.creators.service import CreatorFilters
from influencers.discovery import AudienceCondition, DiscoveryQuery
from influencers.jobs import runner
from influencers.scoring import records, runs

blp = Blueprint("scoring", __name__, url_prefix="/v1", description="Scores, scoring runs, discovery and lookalikes")

CREATOR_FILTER_NAMES = ("platform", "country", "language", "category", "min_followers", "max_followers", "q")


def summary(score) -> dict:
    """The score summary of a current score: a CreatorScore, or a row or record with its column names."""
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


def scored_creator(creator, score) -> Extended:
    """A creator row with its score summary attached, for ScoredCreatorSchema."""
    return Extended(creator, score=summary(score))


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
        growth = self._page.growth
        return [{**vars(creator), "score": summary(score), "growth": growth[creator.id]}
                for creator, score in self._page.rows]


@dataclass
class DiscoverySearch:
    session: Session
    workspace_id: int
    query: DiscoveryQuery


class ScoreHistoryPage(SQLPage):
    @property
    def items(self):
        return [summary(score) for score in super().items]


def discovery_query(args: dict, *, platform: str | None = None) -> DiscoveryQuery:
    """The search that parsed DiscoveryArgs describe; ``platform``: unless they name one."""
    args = dict(args)
    creator_filters = CreatorFilters(**{k: args.pop(k) for k in CREATOR_FILTER_NAMES if k in args})
    if platform and not creator_filters.platform:
        creator_filters.platform = platform
    return DiscoveryQuery(
        creator=creator_filters,
        with_flags=args.pop("flag", []),
        without_flags=args.pop("without_flag", []),
        audience=[AudienceCondition(**c) for c in args.pop("audience", [])],
        **args,
    )


def _check_creator(creator_id: int) -> None:
    creators.get_creator(unit_of_work.session(), current_workspace_id(), creator_id)


@blp.route("/scoring-runs", methods=["POST"], operation_id="startScoringRun",
           summary="Score every creator of the workspace (runs in the background)")
@requires("score")
@blp.response(202, ScoringRunSchema, description="The run was queued; poll its Location until it succeeds or fails")
def start_scoring_run():
    session = unit_of_work.session()
    run_id, job_id = runs.queue_run(session, current_workspace_id())
    db, settings = unit_of_work.database(), current_app.extensions["influencers.settings"]
    unit_of_work.after_commit(lambda: runner.dispatch(db, settings, job_id))
    return records.get_run(session, current_workspace_id(), run_id), 202, {"Location": f"/v1/scoring-runs/{run_id}"}


@blp.route("/scoring-runs", methods=["GET"], operation_id="listScoringRuns", summary="List scoring runs, newest first")
@requires("read")
@blp.response(200, ScoringRunSchema(many=True))
@blp.paginate(SQLPage)
def list_scoring_runs():
    return Listing(unit_of_work.session(), records.runs_select(current_workspace_id()))


@blp.route("/scoring-runs/<id:scoring_run_id>", methods=["GET"], operation_id="getScoringRun",
           summary="Read a scoring run's status")
@requires("read")
@blp.response(200, ScoringRunSchema)
def get_scoring_run(scoring_run_id):
    return records.get_run(unit_of_work.session(), current_workspace_id(), scoring_run_id)


@blp.route("/jobs/<id:job_id>", methods=["GET"], operation_id="getJob", summary="Read a background job's status")
@requires("read")
@blp.response(200, JobSchema)
def get_job(job_id):
    return runner.get_job(unit_of_work.session(), current_workspace_id(), job_id)


@blp.route("/creators/<id:creator_id>/score", methods=["GET"], operation_id="getCreatorScore",
           summary="A creator's current score with its full explanation")
@requires("read")
@blp.response(200, CreatorScoreSchema)
def get_creator_score(creator_id):
    session, workspace_id = unit_of_work.session(), current_workspace_id()
    explained = records.explained_score(session, workspace_id, creator_id)
    context = {"note": "Context for the reader, not part of the score",
               "brand_history": creator_brand_history(session, workspace_id, creator_id)}
    return {"creator_id": creator_id, "summary": summary(explained.score), "explanation": explained.explanation,
            "context": context}


@blp.route("/creators/<id:creator_id>/scores", methods=["GET"], operation_id="listCreatorScores",
           summary="A creator's score history, newest first")
@requires("read")
@blp.response(200, ScoreHistoryItemSchema(many=True))
@blp.paginate(ScoreHistoryPage)
def list_creator_scores(creator_id):
    _check_creator(creator_id)
    return Listing(unit_of_work.session(), records.score_history_select(creator_id))


@blp.route("/discovery/creators", methods=["GET"], operation_id="searchCreators",
           summary="Search scored creators by profile, score, flags and audience composition")
@requires("read")
@blp.arguments(DiscoveryArgs, location="query", as_kwargs=True)
@blp.response(200, ScoredCreatorSchema(many=True))
@blp.paginate(DiscoveryPage)
def search_creators(**args):
    return DiscoverySearch(unit_of_work.session(), current_workspace_id(), discovery_query(args))


@blp.route("/creators/<id:creator_id>/lookalikes", methods=["GET"], operation_id="listCreatorLookalikes",
           summary="Creators most similar to this one (nearest neighbours on scores and audience)")
@requires("read")
@blp.arguments(LookalikeArgs, location="query", as_kwargs=True)
@blp.response(200, LookalikesSchema)
def list_lookalikes(creator_id, limit, same_platform):
    _check_creator(creator_id)
    similar = discovery.similar_creators(unit_of_work.session(), current_workspace_id(), creator_id, limit,
                                         same_platform)
    return {
        "creator_id": creator_id,
        "features": [*discovery.LOOKALIKE_FEATURES,
                     *(f"audience {d} shares" for d in discovery.COMPOSITION_DIMENSIONS)],
        "lookalikes": [{"creator": scored_creator(creator, score), "similarity": round(similarity, 4)}
                       for creator, score, similarity in similar],
    }


@blp.route("/scoring-models", methods=["GET"], operation_id="listScoringModels",
           summary="List the workspace's scoring model versions")
@requires("read")
@blp.response(200, ScoringModelSchema(many=True))
@blp.paginate(SQLPage)
def list_scoring_models():
    return Listing(unit_of_work.session(), versions.versions_select(current_workspace_id()))


@blp.route("/scoring-models/<id:scoring_model_id>", methods=["GET"], operation_id="getScoringModel",
           summary="Read a scoring model version")
@requires("read")
@blp.response(200, ScoringModelSchema)
def get_scoring_model(scoring_model_id):
    return versions.get_version(unit_of_work.session(), current_workspace_id(), scoring_model_id)
