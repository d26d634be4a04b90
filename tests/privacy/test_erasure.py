"""Erasure requests: one person (platform + raw follower id) removed from every audience sample
of the workspace, through the API and the CLI, audited; the derived sketches follow."""
import time

from click.testing import CliRunner
from sqlalchemy import func, select

from influencers.creators.models import AudienceMember, AudienceSample, AudienceSampleMember
from influencers.jobs.models import Job
from influencers.scoring.store import AudienceSketchRecord
from influencers.workspaces.models import AuditEvent
from tests.fixtures.records import import_records, tiny_records
from tests.fixtures.scoring import run_scoring


def sample_sizes(api, ids):
    return {handle: api.get(f"/v1/creators/{cid}/audience").json["sample_size"] for handle, cid in ids.items()}


def member_rows(database, workspace_id):
    with database.session() as session:
        return session.scalar(select(func.count()).select_from(AudienceMember)
                              .where(AudienceMember.workspace_id == workspace_id))


def test_erasure_removes_the_person_from_every_sample_and_says_how_many(api, database, tiny):
    before = sample_sizes(api, tiny)
    # m6 is in b's and c's latest samples and in a's older one (instagram); m1 in tiktok t's too.
    response = api.post("/v1/audience-erasures", json={"platform": "instagram", "member_id": "m6"})
    assert response.status_code == 200, response.json
    body = response.json
    assert body["samples_changed"] == 3 and body["member_found"] is True
    assert "m6" not in response.get_data(as_text=True)  # the raw id is not echoed (nor stored)
    after = sample_sizes(api, tiny)
    assert after == {**before, "b": before["b"] - 1, "c": before["c"] - 1}
    with database.session() as session:
        counts = dict(session.execute(
            select(AudienceSample.id, func.count(AudienceSampleMember.member_id))
            .outerjoin(AudienceSampleMember, AudienceSampleMember.sample_id == AudienceSample.id)
            .group_by(AudienceSample.id)).all())
        stored = dict(session.execute(select(AudienceSample.id, AudienceSample.member_count)).all())
    assert counts == stored  # member_count kept in step with the member lists
    # The same person on another platform is another account: untouched.
    assert after["t"] == before["t"] == 1
    # A second request finds nothing left to erase.
    again = api.post("/v1/audience-erasures", json={"platform": "instagram", "member_id": "m6"}).json
    assert again["samples_changed"] == 0 and again["member_found"] is False


def test_erasure_is_audited_without_the_raw_id(api, database, tiny):
    api.post("/v1/audience-erasures", json={"platform": "instagram", "member_id": "m3"})
    events = api.get("/v1/audit-events?object_type=audience_member").json
    assert len(events) == 1
    event = events[0]
    assert event["action"] == "erased" and event["key_id"] is not None
    assert "2 audience samples" in event["reason"] and "m3" not in event["reason"]


def test_erasure_rebuilds_the_sketches_of_changed_samples(api, database, tiny):
    run = run_scoring(api)
    deadline = time.time() + 60
    while time.time() < deadline:  # sketches are written after the run's scores, in the same job
        with database.session() as session:
            if session.get(Job, run["job_id"]).status in ("succeeded", "failed"):
                break
        time.sleep(0.05)
    with database.session() as session:
        before = {r.creator_id: (r.member_count, bytes(r.sketch))
                  for r in session.scalars(select(AudienceSketchRecord))}
    assert before[tiny["b"]][0] == 4
    erased = api.post("/v1/audience-erasures", json={"platform": "instagram", "member_id": "m4"})
    assert erased.status_code == 200, erased.json
    assert erased.json["sketches_rebuilt"] == 2  # a's and b's latest samples held m4
    with database.session() as session:
        after = {r.creator_id: (r.member_count, bytes(r.sketch))
                 for r in session.scalars(select(AudienceSketchRecord))}
    assert after[tiny["b"]][0] == 3 and after[tiny["b"]][1] != before[tiny["b"]][1]
    assert after[tiny["c"]] == before[tiny["c"]]  # m4 is not in c's sample


def test_erasure_stays_in_the_callers_workspace(api, other_api, database, tiny):
    import_records(other_api, tiny_records())
    other_before = member_rows(database, other_api.workspace_id)
    api.post("/v1/audience-erasures", json={"platform": "instagram", "member_id": "m1"})
    assert member_rows(database, other_api.workspace_id) == other_before


def test_erasure_needs_an_admin_and_valid_input(api, client_for, tiny):
    manager = client_for("manager")
    assert manager.post("/v1/audience-erasures", json={"platform": "instagram", "member_id": "m1"}).status_code == 403
    bad = api.post("/v1/audience-erasures", json={"platform": "myspace", "member_id": "m1"})
    assert bad.status_code == 422 and "platform" in bad.json["errors"]["json"]
    empty = api.post("/v1/audience-erasures", json={"platform": "instagram", "member_id": ""})
    assert empty.status_code == 422 and "member_id" in empty.json["errors"]["json"]


def test_cli_erasure(api, database, settings, tiny, monkeypatch):
    from influencers import cli

    monkeypatch.setenv("INFLUENCERS_DATABASE_URL", database.url)
    monkeypatch.setenv("INFLUENCERS_PSEUDONYM_SECRET", settings.pseudonym_secret.decode())
    result = CliRunner().invoke(cli.main, ["privacy", "erase", "--workspace", "brand-a",
                                           "--platform", "instagram", "--member-id", "m6"])
    assert result.exit_code == 0, result.output
    assert "3 audience samples" in result.output
    assert sample_sizes(api, tiny)["c"] == 1
    with database.session() as session:
        event = session.scalars(select(AuditEvent).where(AuditEvent.object_type == "audience_member")).one()
    assert event.key_id is None and event.action == "erased"
    unknown = CliRunner().invoke(cli.main, ["privacy", "erase", "--workspace", "nobody",
                                            "--platform", "instagram", "--member-id", "m6"])
    assert unknown.exit_code != 0
