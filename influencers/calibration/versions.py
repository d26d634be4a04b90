"""Scoring model versions: immutable; created by editing the active one, by training or by
importing a document; diffed; activated (which queues a re-scoring run) and rolled back
the same way. Exactly one version of a workspace is active.
"""
from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from influencers.calibration import audit
from influencers.calibration.apply import load_classifier
from influencers.calibration.artefacts import ArtefactRejected
from influencers.calibration.documents import GROUPS, DocumentInvalid, check_complete, validate_groups
from influencers.calibration.models import TrainedClassifier
from influencers.calibration.training import FittedClassifier
from influencers.db import utcnow
from influencers.errors import Conflict, NotFound, StaleVersion
from influencers.scoring import runs
from influencers.scoring.active_model import active_model
from influencers.scoring.model import ScoringModel
from influencers.scoring.store import ScoringModelVersion
from influencers.webhooks.events import emit


class VersionExists(Conflict):
    def __init__(self, version: str):
        super().__init__(f"A scoring model version {version} exists in this workspace.")


class ModelUnloadable(Conflict):
    """A version whose stored artefact fails its checks cannot be activated."""

    def __init__(self, version: str, rejected: ArtefactRejected):
        self.rejected = rejected
        super().__init__(f"Scoring model {version} cannot be loaded: {rejected}")


def get_version(session: Session, workspace_id: int, model_id: int, *, field: str | None = None
                ) -> ScoringModelVersion:
    """The workspace's version; NotFound otherwise (``field``: the input that named it)."""
    record = session.scalar(select(ScoringModelVersion).where(
        ScoringModelVersion.id == model_id, ScoringModelVersion.workspace_id == workspace_id))
    if record is None:
        raise NotFound(f"No scoring model {model_id} in this workspace.", field=field,
                       reason="no such scoring model in this workspace")
    return record


def find_version(session: Session, workspace_id: int, name: str) -> ScoringModelVersion | None:
    return session.scalar(select(ScoringModelVersion).where(
        ScoringModelVersion.version == name, ScoringModelVersion.workspace_id == workspace_id))


def versions_select(workspace_id: int):
    return select(ScoringModelVersion).where(ScoringModelVersion.workspace_id == workspace_id).order_by(
        ScoringModelVersion.id)


def active_version(session: Session, workspace_id: int) -> ScoringModelVersion:
    return active_model(session, workspace_id)


def activation_tag(record: ScoringModelVersion) -> dict:
    """What the active model's ETag is computed from: it changes with every activation."""
    return {"kind": "active-scoring-model", "id": record.id,
            "activated_at": record.activated_at.isoformat() if record.activated_at else None}


def classifier_of(session: Session, model_id: int) -> TrainedClassifier | None:
    return session.get(TrainedClassifier, model_id)


def classifier_with_artefact(session: Session, record: ScoringModelVersion) -> TrainedClassifier:
    """The version's boosted classifier with its skops artefact; NotFound for other versions."""
    classifier = classifier_of(session, record.id)
    if classifier is None or classifier.artefact is None:
        raise NotFound(f"Scoring model {record.version} has no artefact (only boosted models have one).")
    return classifier


def _next_name(session: Session, workspace_id: int, prefix: str) -> str:
    count = session.scalar(select(func.count()).select_from(ScoringModelVersion).where(
        ScoringModelVersion.workspace_id == workspace_id, ScoringModelVersion.version.like(f"{prefix}-%")))
    n = count + 1
    while find_version(session, workspace_id, f"{prefix}-{n}") is not None:
        n += 1
    return f"{prefix}-{n}"


def _merged(base: Mapping[str, Any], changes: Mapping[str, Any], version: str) -> dict:
    parameters = {group: {**base.get(group, {}), **(changes.get(group) or {})} for group in GROUPS}
    errors = check_complete(parameters)
    if errors:
        raise DocumentInvalid(errors)
    try:
        return ScoringModel.from_dict({"version": version, **parameters}).to_dict()
    except ValueError as error:  # rules of the engine itself
        raise DocumentInvalid({"_schema": [str(error)]}) from None


def _add(session: Session, workspace_id: int, version: str, source: str, description: str | None,
         parameters: dict, key_id: int | None, action: str, **detail) -> ScoringModelVersion:
    if find_version(session, workspace_id, version) is not None:
        raise VersionExists(version)
    record = ScoringModelVersion(workspace_id=workspace_id, version=version, source=source, description=description,
                                 parameters=parameters, is_active=False)
    session.add(record)
    session.flush()
    audit.record(session, workspace_id, "scoring_model", record.id, action, key_id, version=version, **detail)
    return record


def create_edited(session: Session, workspace_id: int, document: Mapping[str, Any], key_id: int | None
                  ) -> ScoringModelVersion:
    """A new version: the active one with the document's numbers changed (a trained active
    version keeps its classifier)."""
    errors = validate_groups(document)
    if errors:
        raise DocumentInvalid(errors)
    active = active_version(session, workspace_id)
    version = document.get("version") or _next_name(session, workspace_id, "edited")
    parameters = _merged(active.parameters, document, version)
    record = _add(session, workspace_id, version, "edited", document.get("description"), parameters, key_id,
                  "created", edited_from=active.version)
    classifier = classifier_of(session, active.id)
    if classifier is not None:
        session.add(TrainedClassifier(model_id=record.id, workspace_id=workspace_id, kind=classifier.kind,
                                      parameters=classifier.parameters, artefact=classifier.artefact,
                                      artefact_sha256=classifier.artefact_sha256, training=classifier.training))
    return record


def create_trained(session: Session, workspace_id: int, fitted: FittedClassifier, report: dict,
                   key_id: int | None, description: str | None = None) -> ScoringModelVersion:
    """A new version: the active version's numbers with a fitted classifier."""
    active = active_version(session, workspace_id)
    version = _next_name(session, workspace_id, "trained")
    parameters = {**active.parameters, "version": version}
    record = _add(session, workspace_id, version, "trained",
                  description or f"{fitted.kind} model trained on {report['labels']['fraud']} fraud and "
                                 f"{report['labels']['clean']} clean labels", parameters, key_id, "trained",
                  base=active.version, kind=fitted.kind)
    stored = fitted.to_storage()
    session.add(TrainedClassifier(model_id=record.id, workspace_id=workspace_id, kind=stored["kind"],
                                  parameters=stored["parameters"], artefact=stored["artefact"],
                                  artefact_sha256=stored["artefact_sha256"], training=report))
    session.flush()
    return record


def import_document(session: Session, workspace_id: int, document: Mapping[str, Any], artefact: bytes | None,
                    key_id: int | None) -> ScoringModelVersion:
    """A new version from an exported document (and a boosted model's skops artefact).
    Every group must be complete; a classifier is checked by loading it (sha256, archive,
    trusted types) and predicting once."""
    errors = validate_groups(document, allowed_extra=("classifier", "source", "id", "is_active", "created_at",
                                                      "activated_at", "parameters", "training"))
    if "parameters" in document:  # an exported resource: the numbers are under "parameters"
        inner = {k: v for k, v in document["parameters"].items() if k != "version"} \
            if isinstance(document["parameters"], Mapping) else {}
        errors.update({f"parameters.{k}": v for k, v in validate_groups(inner).items()})
        numbers = inner
    else:
        numbers = document
    missing = [group for group in GROUPS if group not in numbers]
    for group in missing:
        errors[group] = ["required when importing a version"]
    if not isinstance(document.get("version"), str):
        errors["version"] = ["required when importing a version"]
    if errors:
        raise DocumentInvalid(errors)
    parameters = _merged({}, numbers, document["version"])
    classifier = document.get("classifier")
    fitted = None
    if classifier is not None:
        fitted = _check_classifier(classifier, artefact)
    elif artefact is not None:
        raise DocumentInvalid({"artefact": ["an artefact is only given with a boosted classifier"]})
    record = _add(session, workspace_id, document["version"], "imported", document.get("description"), parameters,
                  key_id, "imported")
    if fitted is not None:
        stored = fitted.to_storage()
        session.add(TrainedClassifier(model_id=record.id, workspace_id=workspace_id, kind=stored["kind"],
                                      parameters=stored["parameters"], artefact=stored["artefact"],
                                      artefact_sha256=stored["artefact_sha256"],
                                      training=document.get("training") if isinstance(document.get("training"), dict)
                                      else None))
        session.flush()
    return record


def _check_classifier(classifier: Any, artefact: bytes | None) -> FittedClassifier:
    import numpy as np

    if not isinstance(classifier, Mapping) or set(classifier) - {"kind", "parameters", "artefact_sha256"}:
        raise DocumentInvalid({"classifier": ["an object with kind, parameters and (boosted) artefact_sha256"]})
    kind, parameters = classifier.get("kind"), classifier.get("parameters")
    if kind not in ("logistic", "boosted"):
        raise DocumentInvalid({"classifier": {"kind": ["one of: logistic, boosted"]}})
    if not isinstance(parameters, Mapping) or not isinstance(parameters.get("features"), list):
        raise DocumentInvalid({"classifier": {"parameters": ["an object with a features list"]}})
    if kind == "logistic" and artefact is not None:
        raise DocumentInvalid({"artefact": ["a logistic classifier is JSON only: no artefact"]})
    if kind == "boosted" and artefact is None:
        raise DocumentInvalid({"artefact": ["a boosted classifier needs its skops artefact"]})
    try:
        fitted = FittedClassifier.from_storage(kind, dict(parameters), artefact, classifier.get("artefact_sha256"))
        probe = fitted.probability(np.zeros((1, len(fitted.names))))
        if probe.shape != (1,) or not np.isfinite(probe).all():
            raise ValueError("it does not give a probability")
    except ArtefactRejected as rejected:
        raise DocumentInvalid({"artefact": [str(rejected)]}) from None
    except (KeyError, TypeError, ValueError) as error:
        raise DocumentInvalid({"classifier": {"parameters": [f"not a usable {kind} model: {error}"]}}) from None
    return fitted


def document(session: Session, record: ScoringModelVersion) -> dict:
    """The version's exportable document (import it into another workspace as is)."""
    out = {"version": record.version, "description": record.description,
           **{group: record.parameters.get(group, {}) for group in GROUPS}}
    classifier = classifier_of(session, record.id)
    if classifier is not None:
        out["classifier"] = {"kind": classifier.kind, "parameters": classifier.parameters}
        if classifier.artefact_sha256:
            out["classifier"]["artefact_sha256"] = classifier.artefact_sha256
    return out


def _flatten(value: Any, path: str, out: dict) -> None:
    if isinstance(value, Mapping):
        for key, child in value.items():
            _flatten(child, f"{path}.{key}" if path else str(key), out)
    else:
        out[path] = value


def diff(session: Session, left: ScoringModelVersion, right: ScoringModelVersion) -> list[dict]:
    """Every number (or value) that differs from ``right`` (from) to ``left`` (to), by path."""
    a, b = {}, {}
    _flatten(document(session, right), "", a)
    _flatten(document(session, left), "", b)
    a.pop("description", None), b.pop("description", None)
    return [{"path": path, "from": a.get(path), "to": b.get(path)}
            for path in sorted(a.keys() | b.keys()) if a.get(path) != b.get(path)]


@dataclass
class Activation:
    model: ScoringModelVersion
    run_id: int
    job_id: int


def activate(session: Session, workspace_id: int, record: ScoringModelVersion, key_id: int | None,
             expected: dict | None = None) -> Activation:
    """Makes ``record`` the active version and queues the re-scoring run (dispatch its job
    after the commit). ``expected``: the :func:`activation_tag` the caller read; raises
    StaleVersion when the active version changed since. A trained version's classifier
    is loaded first: a changed artefact is refused (ModelUnloadable) and nothing changes."""
    # Activations of one workspace are serialised on its active row (PostgreSQL; SQLite's
    # write transactions are serialised already), so two callers holding the same ETag
    # cannot both succeed.
    current = session.scalar(select(ScoringModelVersion).where(
        ScoringModelVersion.workspace_id == workspace_id, ScoringModelVersion.is_active.is_(True)).with_for_update())
    current = current or active_version(session, workspace_id)
    if expected is not None and activation_tag(current) != expected:
        raise StaleVersion("The active scoring model changed since it was read.")
    try:
        load_classifier(session, record.id)
    except ArtefactRejected as rejected:
        raise ModelUnloadable(record.version, rejected) from rejected
    session.execute(update(ScoringModelVersion).where(ScoringModelVersion.workspace_id == workspace_id,
                                                      ScoringModelVersion.id != record.id)
                    .values(is_active=False))
    record.is_active, record.activated_at = True, utcnow()
    session.flush()
    audit.record(session, workspace_id, "scoring_model", record.id, "activated", key_id, version=record.version,
                 previous=current.version)
    run_id, job_id = runs.queue_run(session, workspace_id)
    emit(session, workspace_id, "scoring_model.activated", {
        "scoring_model": {"id": record.id, "version": record.version, "source": record.source},
        "previous_version": current.version, "scoring_run_id": run_id})
    return Activation(record, run_id, job_id)
