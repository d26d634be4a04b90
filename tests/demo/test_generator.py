"""The seeded demo data generator: format validity, determinism, planted patterns."""
from __future__ import annotations

import datetime as dt
import io
import json
import re
from collections import defaultdict
from itertools import combinations

import numpy as np
import pytest

from influencers.demo import generator as gen
from influencers.demo.generator import (
    FRAUD_TYPES,
    HONEST_NEGATIVES,
    CreatorLabel,
    DemoConfig,
    generate,
    labels,
    write_ndjson,
)

# Its module-scoped workspaces are built once per worker that runs any of its tests: one worker runs them all.
pytestmark = pytest.mark.xdist_group("demo-generator")

SMALL = DemoConfig(creators=60, seed=11)

# ---------------------------------------------------------------------------------------
# A strict validator for docs/import-format.md, independent of the importer's code.
# ---------------------------------------------------------------------------------------

PLATFORMS = {"instagram", "tiktok", "youtube", "twitter", "facebook", "linkedin", "snapchat",
             "tumblr", "whatsapp", "twitch", "pinterest", "blog"}
KINDS = {"photo", "video", "reel", "story", "short", "live", "text"}
EDGE_KINDS = {"follows", "mentions", "collaborates", "comments"}
GENDERS = {"female", "male", "other"}
AGES = {"13-17", "18-24", "25-34", "35-44", "45-54", "55-64", "65+"}

DATE_RE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
TS_RE = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}Z$")


def _count(v):
    return type(v) is int and v >= 0


def _date(v):
    if not (isinstance(v, str) and DATE_RE.match(v)):
        return False
    dt.date.fromisoformat(v)
    return True


def _ts(v):
    if not (isinstance(v, str) and TS_RE.match(v)):
        return False
    dt.datetime.fromisoformat(v.replace("Z", "+00:00"))
    return True


def _str(v):
    return isinstance(v, str) and v != ""


def _strs(v):
    return isinstance(v, list) and all(_str(x) for x in v)


def _bool(v):
    return type(v) is bool


def _country(v):
    return isinstance(v, str) and re.fullmatch("[A-Z]{2}", v) is not None


def _lang(v):
    return isinstance(v, str) and re.fullmatch("[a-z]{2}", v) is not None


def _handle(v):
    return _str(v) and v == v.lower() and not v.startswith("@") and len(v) <= 100


SCHEMAS = {
    "creator": (
        {"platform": PLATFORMS.__contains__, "handle": _handle, "followers": _count,
         "following": _count, "posts_count": _count},
        {"display_name": _str, "bio": _str, "country": _country, "language": _lang, "categories": _strs,
         "verified": _bool, "email": _str, "website": _str, "avatar_url": _str, "joined_at": _date},
    ),
    "post": (
        {"platform": PLATFORMS.__contains__, "handle": _handle, "external_id": _str, "published_at": _ts,
         "likes": _count, "comments": _count},
        {"kind": KINDS.__contains__, "views": _count, "shares": _count, "saves": _count, "sponsored": _bool,
         "caption": _str, "hashtags": _strs, "mentions": _strs},
    ),
    "snapshot": (
        {"platform": PLATFORMS.__contains__, "handle": _handle, "date": _date, "followers": _count},
        {"following": _count, "posts_count": _count},
    ),
    "audience": (
        {"platform": PLATFORMS.__contains__, "handle": _handle, "sampled_at": _date,
         "members": lambda v: isinstance(v, list)},
        {},
    ),
    "edge": (
        {"platform": PLATFORMS.__contains__, "source": _handle, "target": _handle,
         "kind": EDGE_KINDS.__contains__},
        {"weight": lambda v: type(v) in (int, float) and v >= 0, "observed_at": _date},
    ),
}
MEMBER = (
    {"id": _str, "followers": _count, "following": _count, "posts_count": _count, "has_avatar": _bool},
    {"bio_length": _count, "created_at": _date, "last_post_at": _date, "country": _country,
     "language": _lang, "gender": GENDERS.__contains__, "age_range": AGES.__contains__},
)


def _check(obj: dict, schema, where: str) -> None:
    required, optional = schema
    for name, ok in required.items():
        assert name in obj, f"{where}: missing {name}"
        assert ok(obj[name]), f"{where}: bad {name}={obj[name]!r}"
    for name, value in obj.items():
        if name in required or name == "type":
            continue
        assert name in optional, f"{where}: unknown field {name}"
        assert optional[name](value), f"{where}: bad {name}={value!r}"


def validate_line(line: str, lineno: int) -> dict:
    rec = json.loads(line)
    assert isinstance(rec, dict)
    assert next(iter(rec)) == "type", f"line {lineno}: `type` is not the first field"
    assert rec["type"] in SCHEMAS, f"line {lineno}: unknown type {rec['type']}"
    _check(rec, SCHEMAS[rec["type"]], f"line {lineno}")
    if rec["type"] == "audience":
        ids = [m["id"] for m in rec["members"]]
        assert len(ids) == len(set(ids)), f"line {lineno}: duplicate member ids"
        for k, m in enumerate(rec["members"]):
            _check(m, MEMBER, f"line {lineno} member {k}")
    if rec["type"] == "edge":
        assert rec["source"] != rec["target"]
    return rec


# ---------------------------------------------------------------------------------------
# Fixtures
# ---------------------------------------------------------------------------------------


def _write(config: DemoConfig) -> tuple[str, str]:
    out, lab = io.StringIO(), io.StringIO()
    write_ndjson(config, out, lab)
    return out.getvalue(), lab.getvalue()


@pytest.fixture(scope="module")
def small():
    text, lab = _write(SMALL)
    records = [validate_line(line, k + 1) for k, line in enumerate(text.splitlines())]
    return text, lab, records


@pytest.fixture(scope="module")
def medium():
    """Enough creators for per-pattern statistics."""
    config = DemoConfig(creators=240, seed=3)
    records = list(generate(config))
    return config, records, {(lb.platform, lb.handle): lb for lb in labels(config)}


def _by_creator(records):
    posts, snaps, aud = defaultdict(list), defaultdict(list), {}
    creators = {}
    for r in records:
        if r["type"] == "creator":
            creators[(r["platform"], r["handle"])] = r
        elif r["type"] == "post":
            posts[(r["platform"], r["handle"])].append(r)
        elif r["type"] == "snapshot":
            snaps[(r["platform"], r["handle"])].append(r)
        elif r["type"] == "audience":
            aud[(r["platform"], r["handle"])] = r["members"]
    return creators, posts, snaps, aud


def _bot_like(m: dict, as_of: dt.date) -> bool:
    """Fake-follower rules of thumb (no avatar, no bio, no posts, following >> followers, new)."""
    score = (not m["has_avatar"]) + (m.get("bio_length", 0) == 0) + (m["posts_count"] < 3)
    score += m["following"] > 10 * max(m["followers"], 1)
    score += (as_of - dt.date.fromisoformat(m["created_at"])).days < 180
    score += "last_post_at" not in m
    return score >= 4


def _max_jump(snaps: list[dict]) -> float:
    f = np.array([s["followers"] for s in snaps], dtype=float)
    two_day = (f[2:] - f[:-2]) / f[:-2]
    return float(two_day.max())


# ---------------------------------------------------------------------------------------
# Tests
# ---------------------------------------------------------------------------------------


def test_deterministic_and_seed_dependent(small):
    text, lab, _ = small
    again, lab_again = _write(SMALL)
    assert again == text
    assert lab_again == lab
    other, _ = _write(DemoConfig(creators=60, seed=12))
    assert other != text


def test_write_ndjson_matches_generate_and_paths(small, tmp_path):
    text, lab, records = small
    assert text.endswith("\n")
    assert text == "".join(json.dumps(r, ensure_ascii=False, separators=(",", ":")) + "\n" for r in records)
    assert [json.loads(x) for x in text.splitlines()] == list(generate(SMALL))
    seen = []
    summary = write_ndjson(SMALL, tmp_path / "d.ndjson", tmp_path / "l.ndjson", progress=seen.append)
    assert (tmp_path / "d.ndjson").read_text(encoding="utf-8") == text
    assert (tmp_path / "l.ndjson").read_text(encoding="utf-8") == lab
    assert seen[-1] == SMALL.creators and seen == sorted(seen)
    parallel = io.BytesIO()
    assert write_ndjson(SMALL, parallel, workers=2) == summary
    assert parallel.getvalue() == text.encode()
    counts = defaultdict(int)
    for r in records:
        counts[r["type"]] += 1
    assert summary.by_type() == dict(counts)
    assert summary.lines == len(records)
    assert summary.members == sum(len(r["members"]) for r in records if r["type"] == "audience")
    assert counts["post"] == SMALL.creators * SMALL.posts_per_creator
    assert counts["snapshot"] == SMALL.creators * SMALL.days
    assert counts["audience"] == SMALL.creators


def test_importer_record_types_accept_every_line(small):
    from influencers.imports.records import decode_line

    text, _, _ = small
    for line in text.splitlines():
        decode_line(line)


def test_every_record_follows_its_creator_and_keys_are_unique(small):
    _, _, records = small
    seen: set[tuple[str, str]] = set()
    creator_keys, post_keys, snap_keys, edge_keys = set(), set(), set(), set()
    first_non_creator = None
    for k, r in enumerate(records):
        t = r["type"]
        if t == "creator":
            key = (r["platform"], r["handle"])
            assert key not in creator_keys
            creator_keys.add(key)
            seen.add(key)
            assert first_non_creator is None, "creators come first"
            continue
        first_non_creator = first_non_creator if first_non_creator is not None else k
        if t == "edge":
            assert (r["platform"], r["source"]) in seen and (r["platform"], r["target"]) in seen
            key = (r["platform"], r["source"], r["target"], r["kind"])
            assert key not in edge_keys
            edge_keys.add(key)
        else:
            assert (r["platform"], r["handle"]) in seen
        if t == "post":
            assert (r["platform"], r["external_id"]) not in post_keys
            post_keys.add((r["platform"], r["external_id"]))
            for m in r.get("mentions", []):
                assert m == m.lower()
        if t == "snapshot":
            key = (r["platform"], r["handle"], r["date"])
            assert key not in snap_keys
            snap_keys.add(key)


def test_member_ids_are_stable_profiles(small):
    """A member id names one account: the same profile wherever it appears (per platform)."""
    _, _, records = small
    profiles: dict[tuple[str, str], dict] = {}
    shared = 0
    for r in records:
        if r["type"] != "audience":
            continue
        for m in r["members"]:
            key = (r["platform"], m["id"])
            if key in profiles:
                shared += 1
                assert profiles[key] == m
            profiles[key] = m
    assert shared > 0


def test_dates_and_counts_are_consistent(small):
    _, _, records = small
    as_of = SMALL.as_of
    first = as_of - dt.timedelta(days=SMALL.days - 1)
    creators, posts, snaps, aud = _by_creator(records)
    for key, c in creators.items():
        s = snaps[key]
        assert [x["date"] for x in s] == [(first + dt.timedelta(days=k)).isoformat() for k in range(SMALL.days)]
        assert s[-1]["followers"] == c["followers"]
        assert s[-1]["following"] == c["following"]
        assert s[-1]["posts_count"] == c["posts_count"]
        assert all(a["posts_count"] <= b["posts_count"] for a, b in zip(s, s[1:]))
        assert c["country"] in {x[0] for x in gen.COUNTRIES}
        assert dict((x[0], x[1]) for x in gen.COUNTRIES)[c["country"]] == c["language"]
        times = [p["published_at"] for p in posts[key]]
        assert times == sorted(times)
        assert all(first.isoformat() <= t[:10] <= as_of.isoformat() for t in times)
        for p in posts[key]:
            if "views" in p:
                assert p["views"] >= p["likes"]
            assert all("#" + h in p["caption"] for h in p["hashtags"])
        for m in aud[key]:
            assert m["created_at"] <= as_of.isoformat()
            if "last_post_at" in m:
                assert m["created_at"] <= m["last_post_at"] <= as_of.isoformat()
        assert len(aud[key]) == SMALL.audience_size
    platforms = {c["platform"] for c in creators.values()}
    assert {"instagram", "tiktok", "youtube", "twitter"} <= platforms or len(creators) < 40
    video = [p for key, ps in posts.items() if key[0] in ("youtube", "tiktok") for p in ps]
    assert video and all("views" in p for p in video)


def test_labels_are_deterministic_and_well_formed(small):
    _, lab, records = small
    lbs = labels(SMALL)
    assert lbs == labels(SMALL)
    assert all(isinstance(x, CreatorLabel) for x in lbs)
    assert [json.loads(x) for x in lab.splitlines()] == [
        {"platform": x.platform, "handle": x.handle, "fraud_types": x.fraud_types, "is_fraud": x.is_fraud,
         "planted_fake_share": x.planted_fake_share, "honest_negative": x.honest_negative} for x in lbs
    ]
    creator_keys = [(r["platform"], r["handle"]) for r in records if r["type"] == "creator"]
    assert [(x.platform, x.handle) for x in lbs] == creator_keys
    n_fraud = sum(x.is_fraud for x in lbs)
    assert n_fraud == round(SMALL.fraud_share * SMALL.creators)
    for x in lbs:
        assert x.is_fraud == bool(x.fraud_types)
        assert set(x.fraud_types) <= set(FRAUD_TYPES)
        assert x.honest_negative is None or (x.honest_negative in HONEST_NEGATIVES and not x.is_fraud)
        assert 0.0 <= x.planted_fake_share <= 1.0
        assert ("growth_spike" in x.fraud_types) == ("bought_followers" in x.fraud_types)
        if "bought_followers" in x.fraud_types:
            assert 0.25 <= x.planted_fake_share <= 0.70
        else:
            assert 0.01 <= x.planted_fake_share <= 0.08
    kinds = {t for x in lbs for t in x.fraud_types}
    assert {"bought_followers", "bought_likes", "comment_pod", "follow_churn"} <= kinds
    assert {x.honest_negative for x in lbs} >= set(HONEST_NEGATIVES)
    assert labels(DemoConfig(creators=60, seed=12)) != lbs


def test_same_niche_audiences_overlap(medium):
    config, records, _ = medium
    creators, _, _, aud = _by_creator(records)
    groups = defaultdict(list)
    for key, c in creators.items():
        groups[(c["platform"], c["categories"][0], c["country"])].append(key)
    same = []
    for keys in groups.values():
        for a, b in combinations(keys, 2):
            ia, ib = {m["id"] for m in aud[a]}, {m["id"] for m in aud[b]}
            same.append(len(ia & ib) / config.audience_size)
    assert len(same) >= 10
    assert 0.03 <= float(np.median(same)) <= 0.45
    # different niches on one platform share (almost) nobody but bots
    by_platform = defaultdict(list)
    for key, c in creators.items():
        by_platform[c["platform"]].append(key)
    cross = []
    for keys in by_platform.values():
        for a, b in combinations(keys[:25], 2):
            if creators[a]["categories"][0] != creators[b]["categories"][0]:
                ia, ib = {m["id"] for m in aud[a]}, {m["id"] for m in aud[b]}
                cross.append(len(ia & ib) / config.audience_size)
    assert float(np.median(cross)) < float(np.median(same))


def test_bought_followers_have_bots_and_a_jump(medium):
    config, records, lbs = medium
    creators, posts, snaps, aud = _by_creator(records)
    bought = [k for k, lb in lbs.items() if "bought_followers" in lb.fraud_types]
    organic = [k for k, lb in lbs.items() if not lb.is_fraud and lb.honest_negative is None]
    assert len(bought) >= 5 and len(organic) >= 50

    def bot_share(k):
        return float(np.mean([_bot_like(m, config.as_of) for m in aud[k]]))

    for k in bought:
        assert bot_share(k) > 0.12, k
        assert _max_jump(snaps[k]) >= 0.07, k
    organic_bots = [bot_share(k) for k in organic]
    assert float(np.median(organic_bots)) < 0.08
    assert float(np.median([bot_share(k) for k in bought])) > 3 * float(np.median(organic_bots))
    organic_jumps = sorted(_max_jump(snaps[k]) for k in organic)
    assert organic_jumps[int(0.9 * len(organic_jumps))] < 0.05
    # the true bot share drives the sample: members from the bot farm
    for k in bought:
        assert abs(bot_share(k) - lbs[k].planted_fake_share) < 0.35


def test_viral_growth_jump_comes_with_a_viral_post(medium):
    config, records, lbs = medium
    creators, posts, snaps, aud = _by_creator(records)
    viral = [k for k, lb in lbs.items() if lb.honest_negative == "viral_growth"]
    assert viral
    for k in viral:
        assert _max_jump(snaps[k]) >= 0.07
        likes = sorted(p["likes"] for p in posts[k])
        assert likes[-1] > 4 * likes[len(likes) // 2]


def test_engagement_patterns(medium):
    config, records, lbs = medium
    creators, posts, snaps, aud = _by_creator(records)

    def cl_ratio(k):
        return float(np.median([p["comments"] / max(p["likes"], 1) for p in posts[k]]))

    organic = [k for k, lb in lbs.items() if not lb.is_fraud and lb.honest_negative is None]
    base = {}
    for plat in {k[0] for k in organic}:
        base[plat] = float(np.median([cl_ratio(k) for k in organic if k[0] == plat]))
    pods = [k for k, lb in lbs.items() if "comment_pod" in lb.fraud_types]
    likes = [k for k, lb in lbs.items() if "bought_likes" in lb.fraud_types and "comment_pod" not in lb.fraud_types]
    assert len(pods) >= 5 and likes
    for k in pods:
        assert cl_ratio(k) > 2 * base[k[0]], k
    for k in likes:
        assert cl_ratio(k) < 0.7 * base[k[0]], k
    # pods comment on each other: dense reciprocal `comments` edges
    edges = {(r["platform"], r["source"], r["target"]) for r in records
             if r["type"] == "edge" and r["kind"] == "comments"}
    def reciprocal_partners(k):
        return {b for b in creators if b != k and b[0] == k[0]
                and (k[0], k[1], b[1]) in edges and (k[0], b[1], k[1]) in edges}

    pod_keys = set(pods)
    for k in pods:
        assert len(reciprocal_partners(k) & pod_keys) >= 2, k
    others = [k for k in creators if k not in pod_keys]
    assert float(np.mean([len(reciprocal_partners(k)) >= 2 for k in others])) < 0.03
    giveaways = [k for k, lb in lbs.items() if lb.honest_negative == "giveaway"]
    for k in giveaways:
        assert any("giveaway" in p["caption"].lower() and p["comments"] > 5 * np.median(
            [q["comments"] for q in posts[k]]) for p in posts[k])


def test_follow_churn_oscillates(medium):
    config, records, lbs = medium
    creators, posts, snaps, aud = _by_creator(records)
    churn = [k for k, lb in lbs.items() if "follow_churn" in lb.fraud_types]
    others = [k for k, lb in lbs.items() if not lb.is_fraud]
    assert churn

    def swing(k):
        fo = np.array([s["following"] for s in snaps[k]], dtype=float)
        return (fo.max() - fo.min()) / max(fo.mean(), 1.0)

    assert min(swing(k) for k in churn) > 0.4
    assert sorted(swing(k) for k in others)[int(0.95 * len(others))] < 0.3


def test_honest_audiences(medium):
    config, records, lbs = medium
    creators, posts, snaps, aud = _by_creator(records)
    as_of = config.as_of

    def share(k, pred):
        return float(np.mean([pred(m) for m in aud[k]]))

    def mass(m):
        return m["following"] > 1500 and m["has_avatar"] and m["posts_count"] >= 5

    def lurker(m):
        last = m.get("last_post_at")
        return (last is None or (as_of - dt.date.fromisoformat(last)).days > 180) and (
            as_of - dt.date.fromisoformat(m["created_at"])).days > 365

    organic = [k for k, lb in lbs.items() if not lb.is_fraud and lb.honest_negative is None]
    for kind, pred in (("mass_follower_real", mass), ("lurker_audience", lurker)):
        ks = [k for k, lb in lbs.items() if lb.honest_negative == kind]
        assert ks
        assert min(share(k, pred) for k in ks) > float(np.percentile([share(k, pred) for k in organic], 95))
        assert all(share(k, lambda m: _bot_like(m, as_of)) < 0.2 for k in ks)


def test_small_and_degenerate_configs():
    tiny = DemoConfig(creators=3, days=5, posts_per_creator=2, audience_size=4, fraud_share=0.0)
    records = list(generate(tiny))
    for k, r in enumerate(records):
        validate_line(json.dumps(r), k + 1)
    assert not any(lb.is_fraud for lb in labels(tiny))
    assert list(generate(DemoConfig(creators=0))) == []
    empty = list(generate(DemoConfig(creators=4, posts_per_creator=0, audience_size=0)))
    assert not any(r["type"] == "post" for r in empty)
    assert all(r["members"] == [] for r in empty if r["type"] == "audience")


def test_command_line(tmp_path, capsys):
    out, lab = tmp_path / "d.ndjson", tmp_path / "l.ndjson"
    assert gen.main(["--creators", "20", "--seed", "5", "--out", str(out), "--labels", str(lab)]) == 0
    text = out.read_text(encoding="utf-8")
    assert text == _write(DemoConfig(creators=20, seed=5))[0]
    assert len(lab.read_text().splitlines()) == 20
    assert "creators" in capsys.readouterr().err


def test_the_importer_accepts_the_whole_file(database, workspace_id, tmp_path):
    from influencers import imports

    config = DemoConfig(creators=30, seed=4, days=20, posts_per_creator=6, audience_size=40)
    summary = write_ndjson(config, tmp_path / "demo.ndjson")
    with (tmp_path / "demo.ndjson").open("rb") as fh:
        report = imports.run_import(database, workspace_id, fh, secret=b"demo-test-secret")
    assert report.rejected_count == 0, report.rejected[:3]
    # Record types the generator does not write (labels) are reported as 0.
    assert report.records == {**dict.fromkeys(report.records, 0), **summary.by_type()}
