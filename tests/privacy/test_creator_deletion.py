"""A creator deleted is deleted with everything derived from it."""
import time

from sqlalchemy import func, or_, select

from influencers.campaigns.models import CampaignCreator, Deliverable
from influencers.creators.models import (
    AudienceMember,
    AudienceSample,
    AudienceSampleMember,
    CreatorEdge,
    FollowerSnapshot,
    Post,
)
from influencers.jobs.models import Job
from influencers.scoring.store import (
    AudienceShare,
    AudienceShareDigest,
    AudienceSketchRecord,
    CreatorScore,
    CreatorScoreExplanation,
)
from influencers.shortlists.models import ShortlistEntry
from influencers.workspaces.models import AuditEvent
from tests.fixtures.records import import_records
from tests.fixtures.scoring import run_scoring


def wait_for_job(database, job_id):
    deadline = time.time() + 60
    while time.time() < deadline:
        with database.session() as session:
            if session.get(Job, job_id).status in ("succeeded", "failed"):
                return
        time.sleep(0.05)


def count(session, model, *where):
    return session.scalar(select(func.count()).select_from(model).where(*where))


def derived_counts(session, creator_id):
    score_ids = select(CreatorScore.id).where(CreatorScore.creator_id == creator_id)
    sample_ids = select(AudienceSample.id).where(AudienceSample.creator_id == creator_id)
    cc_ids = select(CampaignCreator.id).where(CampaignCreator.creator_id == creator_id)
    return {
        "posts": count(session, Post, Post.creator_id == creator_id),
        "snapshots": count(session, FollowerSnapshot, FollowerSnapshot.creator_id == creator_id),
        "samples": count(session, AudienceSample, AudienceSample.creator_id == creator_id),
        "sample_members": count(session, AudienceSampleMember, AudienceSampleMember.sample_id.in_(sample_ids)),
        "scores": count(session, CreatorScore, CreatorScore.creator_id == creator_id),
        "explanations": count(session, CreatorScoreExplanation, CreatorScoreExplanation.score_id.in_(score_ids)),
        "shares": count(session, AudienceShare, AudienceShare.creator_id == creator_id),
        "share_digests": count(session, AudienceShareDigest, AudienceShareDigest.creator_id == creator_id),
        "sketches": count(session, AudienceSketchRecord, AudienceSketchRecord.creator_id == creator_id),
        "edges": count(session, CreatorEdge, or_(CreatorEdge.source_id == creator_id,
                                                 CreatorEdge.target_id == creator_id)),
        "shortlist_entries": count(session, ShortlistEntry, ShortlistEntry.creator_id == creator_id),
        "campaign_creators": count(session, CampaignCreator, CampaignCreator.creator_id == creator_id),
        "deliverables": count(session, Deliverable, Deliverable.campaign_creator_id.in_(cc_ids)),
        "campaign_creator_audit": count(session, AuditEvent, AuditEvent.object_type == "campaign_creator",
                                        AuditEvent.object_id.in_(cc_ids)),
    }


def test_deleting_a_creator_deletes_everything_derived_from_it(api, database, tiny):
    a, b = tiny["a"], tiny["b"]
    import_records(api, [
        {"type": "post", "platform": "instagram", "handle": "a", "external_id": "p1",
         "published_at": "2026-10-01T10:00:00Z",
         "likes": 10, "comments": 1},
        {"type": "snapshot", "platform": "instagram", "handle": "a", "date": "2026-10-01", "followers": 990},
        {"type": "edge", "platform": "instagram", "source": "a", "target": "b", "kind": "follows"},
        {"type": "edge", "platform": "instagram", "source": "b", "target": "a", "kind": "mentions"},
    ])
    run = run_scoring(api)
    wait_for_job(database, run["job_id"])
    shortlist = api.post("/v1/shortlists", json={"name": "s", "creator_ids": [a, b]})
    assert shortlist.status_code == 201, shortlist.json
    campaign = api.post("/v1/campaigns", json={"name": "c", "brand": "b", "objective": "awareness",
                                               "budget_minor": 100000, "currency": "EUR"})
    assert campaign.status_code == 201, campaign.json
    added = api.post(f"/v1/campaigns/{campaign.json['id']}/creators", json={"creator_id": a})
    assert added.status_code == 201, added.json
    cc = added.json["id"]
    planned = api.post(f"/v1/campaign-creators/{cc}/deliverables", json={"kind": "post", "platform": "instagram"})
    assert planned.status_code == 201, planned.json
    moved = api.post(f"/v1/campaign-creators/{cc}/transitions", json={"to": "invited"},
                     headers={"If-Match": added.headers["ETag"]})
    assert moved.status_code in (200, 201), moved.json
    with database.session() as session:
        before = derived_counts(session, a)
        members_only_in_a = count(session, AudienceMember, AudienceMember.member_key.is_not(None))
    assert all(before[name] > 0 for name in before), before
    etag = api.get(f"/v1/creators/{a}").headers["ETag"]
    assert api.delete(f"/v1/creators/{a}", headers={"If-Match": etag}).status_code == 204
    with database.session() as session:
        after = derived_counts(session, a)
        remaining_members = count(session, AudienceMember, AudienceMember.member_key.is_not(None))
        b_left = derived_counts(session, b)
    assert {name: value for name, value in after.items() if value} == {}
    # a's members that no other sample holds (m1 on instagram, m2, m8) are gone: personal data
    # gathered for a alone; m3 and m4 (in b's sample) and m1 on tiktok stay.
    assert members_only_in_a - remaining_members == 3
    assert b_left["samples"] == 1 and b_left["shortlist_entries"] == 1
    events = api.get("/v1/audit-events?object_type=creator").json
    assert [(e["object_id"], e["action"]) for e in events] == [(a, "deleted")]
