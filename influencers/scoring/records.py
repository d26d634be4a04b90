"""Stored scoring read back, scoped to a workspace: runs, a creator's current score with its
explanation, and its score history."""
from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import Row, Select, bindparam, select, true
from sqlalchemy.orm import Session

from influencers.creators.models import Creator
from influencers.creators.service import creator_not_found
from influencers.errors import NotFound
from influencers.scoring.store import CreatorScore, CreatorScoreExplanation, ScoringRun


def get_run(session: Session, workspace_id: int, run_id: int) -> ScoringRun:
    run = session.scalar(select(ScoringRun).where(ScoringRun.id == run_id, ScoringRun.workspace_id == workspace_id))
    if run is None:
        raise NotFound(f"No scoring run {run_id} in this workspace.")
    return run


def runs_select(workspace_id: int) -> Select:
    """The workspace's runs, newest first."""
    return select(ScoringRun).where(ScoringRun.workspace_id == workspace_id).order_by(ScoringRun.id.desc())


def current_score(session: Session, workspace_id: int, creator_id: int) -> CreatorScore | None:
    return session.scalar(
        select(CreatorScore).where(
            CreatorScore.creator_id == creator_id,
            CreatorScore.workspace_id == workspace_id,
            CreatorScore.is_current == true(),
        )
    )


def scored(session: Session, workspace_id: int, creator_id: int) -> CreatorScore:
    """The creator's current score; NotFound while no run has scored it."""
    score = current_score(session, workspace_id, creator_id)
    if score is None:
        raise NotFound(f"Creator {creator_id} has not been scored yet: start a scoring run.")
    return score


@dataclass(frozen=True)
class ExplainedScore:
    score: Row  # the current score's columns, named as CreatorScore's attributes
    explanation: dict


# Built once: a statement's construction costs more than its cached compilation on every read.
# Columns, not a CreatorScore object: loading the entity cost a quarter of the read, for a
# summary that only reads its values.
_CREATORS, _SCORES, _EXPLANATIONS = Creator.__table__, CreatorScore.__table__, CreatorScoreExplanation.__table__
_EXPLAINED_SCORE = (
    select(_CREATORS.c.id.label("scored_creator_id"), *_SCORES.c, _EXPLANATIONS.c.explanation)
    .outerjoin(_SCORES, (_SCORES.c.creator_id == _CREATORS.c.id) & (_SCORES.c.is_current == true())
               & (_SCORES.c.workspace_id == bindparam("workspace_id")))
    .outerjoin(_EXPLANATIONS, _EXPLANATIONS.c.score_id == _SCORES.c.id)
    .where(_CREATORS.c.id == bindparam("creator_id"), _CREATORS.c.workspace_id == bindparam("workspace_id"))
)


def explained_score(session: Session, workspace_id: int, creator_id: int) -> ExplainedScore:
    """The creator's current score and how it was reached (each component, weight, flag), in one
    statement: the creator (NotFound if the workspace has none with this id), its current score
    (NotFound while no run has scored it) and the explanation, outer-joined."""
    row = session.execute(_EXPLAINED_SCORE, {"workspace_id": workspace_id, "creator_id": creator_id}).first()
    if row is None:
        raise creator_not_found(creator_id)
    if row.id is None:
        raise NotFound(f"Creator {creator_id} has not been scored yet: start a scoring run.")
    return ExplainedScore(row, row.explanation)


def score_history_select(creator_id: int) -> Select:
    """The creator's scores, newest first (the caller has checked the creator is its workspace's)."""
    return select(CreatorScore).where(CreatorScore.creator_id == creator_id).order_by(CreatorScore.id.desc())
