import json
import time

import pytest

from influencers.jobs import runner


def record_lines(*records) -> bytes:
    return b"".join(json.dumps(r).encode() + b"\n" for r in records)


def creator(handle, platform="instagram", followers=1000, **extra):
    return {"type": "creator", "platform": platform, "handle": handle, "followers": followers,
            "following": 10, "posts_count": 5, **extra}


def post(external_id, handle, published_at, caption="", platform="instagram", likes=10, comments=1, **extra):
    return {"type": "post", "platform": platform, "handle": handle, "external_id": external_id,
            "published_at": published_at, "likes": likes, "comments": comments, "caption": caption, **extra}


def import_records(api, *records):
    response = api.post("/v1/imports", data=record_lines(*records), content_type="application/x-ndjson")
    assert response.status_code == 200, response.json
    assert response.json["rejected_count"] == 0, response.json["rejected"]
    return response.json


def wait_for_jobs():
    assert runner.wait_for_in_process_jobs(timeout=60)


def create_brand(api, **body):
    response = api.post("/v1/brands", json=body)
    assert response.status_code == 201, response.json
    wait_for_jobs()
    return response.json


def creator_ids(api):
    return {c["handle"]: c["id"] for c in api.get("/v1/creators?page_size=100").json}


def set_reach(database, workspace_id, reach_by_creator_id):
    """Current scores with the given estimated reach (the rest of the score is irrelevant here)."""
    from influencers.jobs.models import Job
    from influencers.scoring.active_model import active_model
    from influencers.scoring.store import CreatorScore, CreatorScoreExplanation, ScoringRun

    with database.transaction() as session:
        model = active_model(session, workspace_id)
        job = Job(workspace_id=workspace_id, kind="score", status="succeeded", params={})
        session.add(job)
        session.flush()
        run = ScoringRun(workspace_id=workspace_id, job_id=job.id, model_id=model.id, model_version=model.version)
        session.add(run)
        session.flush()
        for creator_id, reach in reach_by_creator_id.items():
            score = CreatorScore(workspace_id=workspace_id, run_id=run.id, creator_id=creator_id,
                                 is_current=True, model_version=model.version, score=50.0,
                                 authenticity=90.0, estimated_reach=reach, sample_size=0, flag_bits=0, flags=[])
            session.add(score)
            session.flush()
            session.add(CreatorScoreExplanation(score_id=score.id, explanation={"components": {}}))


@pytest.fixture
def wait():
    return wait_for_jobs


__all__ = ["creator", "post", "import_records", "create_brand", "creator_ids", "set_reach", "time"]
