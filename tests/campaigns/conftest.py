"""Helpers for the campaign tests: creators, imported posts, and walking objects through their statuses."""
from __future__ import annotations

import datetime as dt

import pytest

CAMPAIGN = {
    "name": "Summer launch",
    "brand": "Acme Sun",
    "objective": "conversions",
    "budget_minor": 1_000_000,
    "currency": "EUR",
    "start_date": "2030-06-01",
    "end_date": "2030-08-31",
    "target_kpis": {"reach": "50000", "cpe": "0.50", "engagement_rate_by_reach": "0.05"},
    "tracking": {
        "utm": {"source": "influencer", "medium": "social", "campaign": "summer-launch"},
        "hashtags": ["#AcmeSummer"],
        "mentions": ["@acme"],
    },
}


class Helpers:
    def __init__(self, api, database):
        self.api = api
        self.database = database

    def ok(self, response, status=200):
        assert response.status_code == status, (response.status_code, response.json)
        return response.json

    def creator(self, handle, platform="instagram", followers=10_000):
        return self.ok(self.api.post("/v1/creators", json={
            "platform": platform, "handle": handle, "followers": followers}), 201)

    def campaign(self, **overrides):
        return self.ok(self.api.post("/v1/campaigns", json={**CAMPAIGN, **overrides}), 201)

    def brief(self, campaign_id, etag=None, **body):
        body = {"message": "Show the product at the beach.", **body}
        headers = {"If-Match": etag} if etag else {}
        return self.api.post(f"/v1/campaigns/{campaign_id}/briefs", json=body, headers=headers)

    def add(self, campaign_id, creator_id, **body):
        return self.ok(self.api.post(f"/v1/campaigns/{campaign_id}/creators",
                                     json={"creator_id": creator_id, **body}), 201)

    def move(self, kind, object_id, to, status=200, **body):
        base = {"campaign": "/v1/campaigns", "campaign_creator": "/v1/campaign-creators",
                "deliverable": "/v1/deliverables"}[kind]
        response = self.api.post(f"{base}/{object_id}/transitions", json={"to": to, **body})
        return self.ok(response, status)

    def contract(self, cc_id):
        for to in ("invited", "accepted", "contracted"):
            self.move("campaign_creator", cc_id, to)

    def deliverable(self, cc_id, **body):
        return self.ok(self.api.post(f"/v1/campaign-creators/{cc_id}/deliverables",
                                     json={"kind": "reel", "due_date": "2030-07-01", **body}), 201)

    def publish(self, deliverable_id, external_id):
        self.move("deliverable", deliverable_id, "submitted", draft_url="https://drafts.example/1")
        self.move("deliverable", deliverable_id, "approved", comments="Great")
        return self.move("deliverable", deliverable_id, "published", post_external_id=external_id)

    def post(self, creator, external_id, **values):
        """An imported post (written as the importer would)."""
        from influencers.creators.models import Post

        with self.database.transaction() as session:
            session.add(Post(
                workspace_id=self.api.workspace_id, creator_id=creator["id"], platform=creator["platform"],
                external_id=external_id, published_at=values.pop("published_at", dt.datetime(2030, 7, 2, 12,
                                                                                           tzinfo=dt.UTC)),
                **{"likes": 0, "comments": 0, **values},
            ))

    def update_post(self, external_id, **values):
        from sqlalchemy import update

        from influencers.creators.models import Post

        with self.database.transaction() as session:
            session.execute(update(Post).where(Post.external_id == external_id).values(**values))


@pytest.fixture
def h(api, database):
    return Helpers(api, database)
