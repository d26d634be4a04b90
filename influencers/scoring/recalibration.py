"""The trained-model step of a scoring run, behind an interface scoring owns.

A version made by training (:mod:`influencers.calibration`) carries a fitted classifier:
the run scores as usual, then the classifier's calibrated fraud probability sets the
authenticity. Calibration sits above scoring (it trains on scores and queues runs), so
scoring does not import it: it names what it needs here, and the application registers
calibration's implementation where it is assembled (:func:`influencers.assembly.assemble`).
"""
from __future__ import annotations

from typing import Any, Protocol

from sqlalchemy.orm import Session

from influencers.scoring.score import ScoringResult
from influencers.scoring.store import ScoringModelVersion

__all__ = ["Recalibration", "NotInstalled", "register", "load", "apply"]


class Recalibration(Protocol):
    def load_classifier(self, session: Session, model_id: int) -> Any | None:
        """The version's fitted classifier, or None for a hand-set version."""

    def apply_classifier(self, result: ScoringResult, classifier: Any, version: str
                         ) -> tuple[ScoringResult, list[dict]]:
        """(the result with the classifier's authenticity and score, per creator an explanation patch)."""


class NotInstalled(RuntimeError):
    """A trained version is scored in a process where no recalibration was registered."""


_registered: Recalibration | None = None


def register(recalibration: Recalibration) -> None:
    global _registered
    _registered = recalibration


def load(session: Session, model: ScoringModelVersion) -> Any | None:
    """The fitted classifier of ``model`` (None for a hand-set version). A process that
    registered no recalibration cannot tell, so it fails the run rather than score a
    trained version by its rules alone."""
    if _registered is None:
        raise NotInstalled("this process registered no recalibration: scoring runs need the assembled "
                           "application (influencers.assembly.assemble())")
    return _registered.load_classifier(session, model.id)


def apply(result: ScoringResult, classifier: Any, version: str) -> tuple[ScoringResult, list[dict]]:
    return _registered.apply_classifier(result, classifier, version)
