"""Decoding single lines of the import format (no database)."""
from __future__ import annotations

import datetime as dt

import pytest

from influencers.imports.records import Audience, Creator, Edge, Post, RecordError, decode_line

CREATOR = (
    '{"type": "creator", "platform": "instagram", "handle": "@Alice.Cooks", "followers": 1, '
    '"following": 2, "posts_count": 3%s}'
)


def reason(line: str | bytes) -> str:
    with pytest.raises(RecordError) as info:
        decode_line(line)
    return str(info.value)


def test_valid_creator_is_normalised():
    rec = decode_line(CREATOR % ', "categories": ["food", "travel", "food"], "joined_at": "2017-03-14"')
    assert isinstance(rec, Creator)
    assert rec.handle == "alice.cooks"
    assert rec.categories == ["food", "travel"]
    assert rec.joined_at == dt.date(2017, 3, 14)


def test_post_timestamp_needs_timezone():
    base = (
        '{"type": "post", "platform": "tiktok", "handle": "a", "external_id": "1", '
        '"published_at": "%s", "likes": 1, "comments": 0}'
    )
    rec = decode_line(base % "2026-10-01T12:00:00+02:00")
    assert isinstance(rec, Post) and rec.published_at.utcoffset() == dt.timedelta(hours=2)
    assert "timezone" in reason(base % "2026-10-01T12:00:00")


@pytest.mark.parametrize(
    "line, expected",
    [
        (CREATOR.replace('"followers": 1', '"followers": -1') % "", "Expected `int` >= 0 - at `$.followers`"),
        (CREATOR.replace('"followers": 1', '"followers": 2.5') % "", "Expected `int`, got `float` - at `$.followers`"),
        (CREATOR.replace('"followers": 1', '"followers": 1200.0') % "",
         "Expected `int`, got `float` - at `$.followers`"),
        (CREATOR.replace('"followers": 1', '"followers": "1"') % "", "Expected `int`, got `str` - at `$.followers`"),
        (CREATOR % ', "colour": "red"', "unknown field `colour`"),
        (CREATOR % ', "country": "fr"', "at `$.country`"),
        (CREATOR % ', "language": "FR"', "at `$.language`"),
        (CREATOR % ', "joined_at": "2017-02-30"', "Invalid RFC3339 encoded date - at `$.joined_at`"),
        (CREATOR % ', "display_name": "%s"' % ("x" * 201), "length <= 200 - at `$.display_name`"),
        (CREATOR % ', "categories": ["%s"]' % ("x" * 51), "at `$.categories[0]`"),
        (CREATOR.replace('"instagram"', '"myspace"') % "", "Invalid enum value 'myspace' - at `$.platform`"),
        (CREATOR.replace('"handle": "@Alice.Cooks", ', "") % "", "missing required field `handle`"),
        (CREATOR.replace('"@Alice.Cooks"', '"@"') % "", "non-empty handle - at `$.handle`"),
        ('{"type": "reel"}', "unknown type 'reel'"),
        ('{"handle": "x"}', "missing required field `type`"),
        ('{"type": "creator", ', "invalid JSON"),
        ("[1, 2]", "Expected `object`, got `array`"),
        (b'{"type": "creator", "handle": "\xff"}', "invalid UTF-8"),
        (
            '{"type": "edge", "platform": "instagram", "source": "A", "target": "@a", "kind": "follows"}',
            "cannot link a creator to itself",
        ),
        (
            '{"type": "edge", "platform": "instagram", "source": "a", "target": "b", "kind": "likes"}',
            "Invalid enum value 'likes' - at `$.kind`",
        ),
        (
            '{"type": "edge", "platform": "instagram", "source": "a", "target": "b", "kind": "follows", "weight": -1}',
            "at `$.weight`",
        ),
    ],
)
def test_rejection_reasons(line, expected):
    assert expected in reason(line)


def test_unknown_type_lists_the_allowed_ones():
    msg = reason('{"type": "reel"}')
    for name in ("creator", "post", "snapshot", "audience", "edge"):
        assert name in msg


MEMBER = '{"id": "%s", "followers": %s, "following": 0, "posts_count": 0, "has_avatar": true}'


def audience(*members: str) -> str:
    return (
        '{"type": "audience", "platform": "instagram", "handle": "a", "sampled_at": "2026-10-02", '
        f'"members": [{", ".join(members)}]}}'
    )


def test_member_errors_name_the_path():
    msg = reason(audience(MEMBER % ("u1", 1), MEMBER % ("u2", 1), MEMBER % ("u3", -1)))
    assert msg == "Expected `int` >= 0 - at `$.members[2].followers`"
    assert "at `$.members[0].gender`" in reason(audience(MEMBER[:-1] % ("u1", 1) + ', "gender": "x"}'))


def test_duplicate_member_ids_are_rejected_without_echoing_the_id():
    msg = reason(audience(MEMBER % ("secret-id", 1), MEMBER % ("u2", 1), MEMBER % ("secret-id", 2)))
    assert "duplicate member id at `$.members[2]`" in msg and "`$.members[0]`" in msg
    assert "secret-id" not in msg


def test_edge_defaults_and_int_weight():
    rec = decode_line('{"type": "edge", "platform": "instagram", "source": "a", "target": "b", "kind": "follows"}')
    assert isinstance(rec, Edge) and rec.weight == 1.0
    rec = decode_line(
        '{"type": "edge", "platform": "instagram", "source": "a", "target": "b", "kind": "follows", "weight": 3}'
    )
    assert rec.weight == 3.0


def test_empty_audience_is_valid():
    rec = decode_line(audience())
    assert isinstance(rec, Audience) and rec.members == []


def test_line_size_limit():
    assert "over the limit of 100 bytes" in str(
        pytest.raises(RecordError, decode_line, CREATOR % (', "bio": "%s"' % ("x" * 200)), max_bytes=100).value
    )
