"""Hand-made import-format records for the scoring tests (no database).

Small workspaces (fewer than 30 creators per platform) are compared with the
shipped default benchmarks, so the honest creators below post engagement close
to those defaults (instagram, micro tier: engagement rate ~2.7% of followers,
~1.8 comments per 100 likes, ~6 likes per 100 views).
"""
from __future__ import annotations

import datetime as dt

import numpy as np
import pytest

AS_OF = dt.date(2026, 10, 31)


def day(offset: int) -> str:
    """The date ``offset`` days before AS_OF."""
    return (AS_OF - dt.timedelta(days=offset)).isoformat()


def real_member(k: int) -> dict:
    return {"id": f"real-{k}", "followers": 250 + k % 50, "following": 300 + k % 80, "posts_count": 120,
            "has_avatar": True, "bio_length": 40, "created_at": "2019-05-01", "last_post_at": day(3 + k % 20),
            "country": "FR", "language": "fr", "gender": "female", "age_range": "25-34"}


def bot_member(k: int) -> dict:
    return {"id": f"bot-{k}", "followers": 3, "following": 4100, "posts_count": 0, "has_avatar": False,
            "bio_length": 0, "created_at": day(20)}


class RecordBuilder:
    def __init__(self, seed: int = 1):
        self.rng = np.random.default_rng(seed)
        self.records: list[dict] = []

    def creator(self, handle, *, platform="instagram", followers=50_000, following=500, posts=24,
                er=0.027, comments_per_like=0.018, likes_per_view=0.06, views=True,
                snapshots=60, daily_growth=20, sample=200, bots=0, following_series=None):
        self.records.append({"type": "creator", "platform": platform, "handle": handle, "followers": followers,
                             "following": following, "posts_count": 400})
        rng = self.rng
        for j in range(posts):
            likes = followers * er / (1 + comments_per_like) * rng.lognormal(0, 0.1)
            post = {"type": "post", "platform": platform, "handle": handle, "external_id": f"{handle}-p{j}",
                    "published_at": f"{day(2 + 2 * j)}T12:00:00Z", "likes": int(likes),
                    "comments": int(likes * comments_per_like * rng.lognormal(0, 0.1)),
                    "caption": "New post"}
            if views:
                post["views"] = int(likes / likes_per_view * rng.lognormal(0, 0.1))
            self.records.append(post)
        for k in range(snapshots):
            ago = snapshots - 1 - k
            row = {"type": "snapshot", "platform": platform, "handle": handle, "date": day(ago),
                   "followers": int(followers - daily_growth * ago + rng.integers(-3, 4))}
            row["following"] = int(following if following_series is None else following_series[k])
            self.records.append(row)
        if sample:
            members = [bot_member(k) for k in range(bots)] + [real_member(k) for k in range(sample - bots)]
            self.records.append({"type": "audience", "platform": platform, "handle": handle,
                                 "sampled_at": day(0), "members": members})
        return self

    def posts_of(self, handle) -> list[dict]:
        return [r for r in self.records if r["type"] == "post" and r["handle"] == handle]

    def snapshots_of(self, handle) -> list[dict]:
        return [r for r in self.records if r["type"] == "snapshot" and r["handle"] == handle]

    def edge(self, source, target, kind="comments", weight=10, platform="instagram"):
        self.records.append({"type": "edge", "platform": platform, "source": source, "target": target,
                             "kind": kind, "weight": weight})
        return self

    def inputs(self):
        from influencers.scoring.inputs import inputs_from_records

        return inputs_from_records(self.records, b"test-secret")

    def score(self, **kwargs):
        from influencers.scoring.score import score_creators

        inputs = self.inputs()
        return inputs, score_creators(inputs, **kwargs)


@pytest.fixture
def builder() -> RecordBuilder:
    return RecordBuilder()


def index_of(inputs, handle: str) -> int:
    return int(np.flatnonzero(inputs.handles == handle)[0])


@pytest.fixture
def find():
    return index_of
