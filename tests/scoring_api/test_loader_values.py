"""The scoring loader reads back exactly what was imported: timestamps (offsets, fractions of a
second), dates, missing numbers and dates, booleans, on SQLite and PostgreSQL alike.

The loader has the database turn dates and timestamps into integers since the epoch and
streams rows into numpy arrays (on PostgreSQL, for a scoring run, as Arrow columns through
ADBC, see influencers.columnar); this pins that nothing is shifted, rounded or lost on the way.
"""
from contextlib import nullcontext

import numpy as np
import pandas as pd
import pytest
from sqlalchemy import select

from influencers.columnar import columnar_reads
from influencers.creators.models import AudienceMember
from influencers.overlap.sketch import member_sketch_keys
from influencers.scoring.audience_worker import begin_snapshot
from influencers.scoring.loader import load_inputs
from tests.fixtures.records import HUMAN, import_records


def _records():
    partial = {"id": "m2", "followers": 5, "following": 7, "posts_count": 0, "has_avatar": False}
    return [
        {"type": "creator", "platform": "instagram", "handle": "a", "followers": 1000, "following": 100,
         "posts_count": 3},
        {"type": "post", "platform": "instagram", "handle": "a", "external_id": "late-in-paris",
         "published_at": "2026-10-01T23:59:59.999999+02:00", "likes": 10, "comments": 2, "views": 300},
        {"type": "post", "platform": "instagram", "handle": "a", "external_id": "midnight",
         "published_at": "2026-10-02T00:00:00Z", "likes": 11, "comments": 3},
        {"type": "post", "platform": "instagram", "handle": "a", "external_id": "old-giveaway",
         "published_at": "1999-12-31T23:59:59.5Z", "likes": 12, "comments": 40,
         "caption": "GIVEAWAY! Comment to win"},
        {"type": "snapshot", "platform": "instagram", "handle": "a", "date": "2026-10-01", "followers": 990,
         "following": 10},
        {"type": "snapshot", "platform": "instagram", "handle": "a", "date": "1969-12-31", "followers": 1},
        {"type": "audience", "platform": "instagram", "handle": "a", "sampled_at": "2026-10-15",
         "members": [{"id": "m1", **HUMAN, "country": "FR"}, partial]},
    ]


@pytest.mark.parametrize("columnar", [False, True], ids=["driver", "columnar"])
def test_loaded_inputs_equal_the_imported_values(api, database, columnar):
    import_records(api, _records())
    with database.transaction(write=False) as session:
        begin_snapshot(session)
        with columnar_reads(session) if columnar else nullcontext():
            inputs = load_inputs(session, api.workspace_id)

    assert inputs.n_creators == 1 and inputs.followers.tolist() == [1000.0]
    posts = sorted(zip(inputs.post_external_id.tolist(), inputs.post_published_at.astype(str).tolist(),
                       inputs.post_likes.tolist(), inputs.post_comments.tolist(), inputs.post_views.tolist(),
                       inputs.post_is_contest.tolist()))
    assert posts[0] == ("late-in-paris", "2026-10-01T21:59:59", 10.0, 2.0, 300.0, False)
    assert posts[1][:5] == ("midnight", "2026-10-02T00:00:00", 11.0, 3.0) + (posts[1][4],)
    assert np.isnan(posts[1][4]) and posts[1][5] is False
    assert posts[2][:2] == ("old-giveaway", "1999-12-31T23:59:59") and posts[2][5] is True

    snapshots = sorted(zip(inputs.snapshot_date.astype(str).tolist(), inputs.snapshot_followers.tolist(),
                           inputs.snapshot_following.tolist()))
    assert snapshots[0][:2] == ("1969-12-31", 1.0) and np.isnan(snapshots[0][2])
    assert snapshots[1] == ("2026-10-01", 990.0, 10.0)

    assert inputs.sample_date.astype(str).tolist() == ["2026-10-15"]
    assert sorted(inputs.sample_creator.tolist()) == [0, 0]
    # Member attributes come as small integer codes into their distinct values, not strings.
    for coded in (inputs.member_country, inputs.member_gender, inputs.member_age_range, inputs.member_language):
        assert isinstance(coded, pd.Categorical) and coded.codes.dtype.itemsize <= 2
    members = {None if pd.isna(country) else country: k for k, country in enumerate(inputs.member_country.tolist())}
    full, partial = members["FR"], members[None]
    assert sorted(inputs.sample_member.tolist()) == sorted([full, partial])
    assert inputs.member_created_at[full] == np.datetime64("2020-01-01")
    assert inputs.member_last_post_at[full] == np.datetime64("2026-10-01")
    assert inputs.member_bio_length[full] == 20.0 and bool(inputs.member_has_avatar[full])
    assert inputs.member_gender[full] == "female" and inputs.member_age_range[full] == "25-34"
    assert np.isnat(inputs.member_created_at[partial]) and np.isnat(inputs.member_last_post_at[partial])
    assert np.isnan(inputs.member_bio_length[partial]) and not inputs.member_has_avatar[partial]
    assert (inputs.member_followers[partial], inputs.member_following[partial]) == (5.0, 7.0)
    # The member keys as the int64 keys the overlap sketches are built from.
    with database.transaction(write=False) as session:
        stored_keys = session.scalars(select(AudienceMember.member_key).order_by(AudienceMember.id)).all()
    assert inputs.member_sketch_keys.dtype == np.int64
    assert inputs.member_sketch_keys.tolist() == member_sketch_keys(stored_keys).tolist()


def test_members_read_in_slices_and_chunks_give_the_same_inputs(api, database, monkeypatch):
    """The loader reads members a slice of ids at a time and converts every read chunk by chunk
    (bounded memory); one member per slice and one value per chunk -- a slice without any known
    country among them -- gives the very inputs of one read."""
    from dataclasses import fields

    from influencers.scoring import loader

    import_records(api, _records())
    with database.transaction(write=False) as session:
        whole = load_inputs(session, api.workspace_id)
    monkeypatch.setattr(loader, "MEMBER_SLICE", 1)
    monkeypatch.setattr(loader, "_CHUNK_VALUES", 1)
    with database.transaction(write=False) as session:
        sliced = load_inputs(session, api.workspace_id)
    for field in fields(whole):
        a, b = getattr(whole, field.name), getattr(sliced, field.name)
        if isinstance(a, pd.Categorical):
            a, b = ([None if pd.isna(v) else v for v in values] for values in (a, b))
        np.testing.assert_array_equal(np.asarray(a), np.asarray(b), err_msg=field.name)
