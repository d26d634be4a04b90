"""Re-imports: a record that did not change since it was imported costs a comparison of its
digest, not a rewrite, and the result is always what importing every record would give."""
from __future__ import annotations

import json
import random

import pytest
from sqlalchemy import text

from influencers.creators import service as creators
from influencers.creators.pseudonym import MemberKeys, member_key, workspace_key
from influencers.imports import digests, run_import
from influencers.privacy import service as privacy
from influencers.workspaces.models import Workspace

SECRET = b"reimport-test-secret"


def lines(*records) -> list[bytes]:
    return [json.dumps(r).encode() + b"\n" for r in records]


def creator(handle, followers=100, **extra):
    return {"type": "creator", "platform": "instagram", "handle": handle, "followers": followers,
            "following": 10, "posts_count": 5, **extra}


def post(external_id, handle, likes=1):
    return {"type": "post", "platform": "instagram", "handle": handle, "external_id": external_id,
            "published_at": "2026-10-01T12:00:00Z", "likes": likes, "comments": 2,
            "caption": f"post {external_id}"}


def snapshot(handle, date, followers=100):
    return {"type": "snapshot", "platform": "instagram", "handle": handle, "date": date, "followers": followers}


def member(raw_id, followers=10):
    return {"id": raw_id, "followers": followers, "following": 1, "posts_count": 0, "has_avatar": True}


def audience(handle, members, sampled_at="2026-10-02"):
    return {"type": "audience", "platform": "instagram", "handle": handle, "sampled_at": sampled_at,
            "members": members}


def edge(source, target, weight=1.0):
    return {"type": "edge", "platform": "instagram", "source": source, "target": target, "kind": "mentions",
            "weight": weight}


def new_workspace(database, name: str) -> int:
    with database.transaction() as s:
        ws = Workspace(name=name)
        s.add(ws)
        s.flush()
        return ws.id


def state(database, workspace_id, raw_ids=()) -> dict[str, list]:
    """Everything an import stores in the workspace, by natural keys (member keys shown as the
    raw ids they pseudonymise), with the creators' versions and the posts' write times."""
    raw_by_key = {member_key(workspace_key(SECRET, workspace_id), "instagram", raw): raw for raw in raw_ids}
    queries = {
        "creators": "SELECT handle, followers, bio, version, updated_at FROM creators WHERE workspace_id = :ws",
        "categories": "SELECT c.handle, k.category FROM creator_categories k JOIN creators c ON c.id = k.creator_id "
                      "WHERE c.workspace_id = :ws",
        "posts": "SELECT p.external_id, c.handle, p.likes, p.updated_at FROM posts p "
                 "JOIN creators c ON c.id = p.creator_id WHERE p.workspace_id = :ws",
        "snapshots": "SELECT c.handle, s.date, s.followers FROM follower_snapshots s "
                     "JOIN creators c ON c.id = s.creator_id WHERE c.workspace_id = :ws",
        "members": "SELECT member_key, followers FROM audience_members WHERE workspace_id = :ws",
        "samples": "SELECT c.handle, s.sampled_at, s.member_count FROM audience_samples s "
                   "JOIN creators c ON c.id = s.creator_id WHERE c.workspace_id = :ws",
        "lists": "SELECT c.handle, s.sampled_at, m.member_key FROM audience_sample_members sm "
                 "JOIN audience_samples s ON s.id = sm.sample_id JOIN creators c ON c.id = s.creator_id "
                 "JOIN audience_members m ON m.id = sm.member_id WHERE c.workspace_id = :ws",
        "edges": "SELECT a.handle, b.handle, e.weight FROM creator_edges e JOIN creators a ON a.id = e.source_id "
                 "JOIN creators b ON b.id = e.target_id WHERE e.workspace_id = :ws",
    }
    out = {}
    with database.transaction(write=False) as s:
        for name, query in queries.items():
            rows = [tuple(raw_by_key.get(v, v) for v in row) for row in s.execute(text(query), {"ws": workspace_id})]
            out[name] = sorted(rows, key=repr)
    return out


def without_write_times(snapshot_of_state: dict) -> dict:
    out = dict(snapshot_of_state)
    out["creators"] = [row[:4] for row in out["creators"]]
    out["posts"] = [row[:3] for row in out["posts"]]
    return out


def a_file(creators_n=4, members_n=12, seed=0, changes: dict | None = None) -> list[bytes]:
    rnd = random.Random(seed)
    changes = changes or {}
    handles = [f"c{i}" for i in range(creators_n)]
    records = []
    for i, handle in enumerate(handles):
        records.append(creator(handle, followers=changes.get(("followers", handle), 100 + i), categories=["food"]))
        records += [post(f"{handle}-p{j}", handle, likes=changes.get(("likes", handle, j), j)) for j in range(3)]
        records += [snapshot(handle, f"2026-10-0{d}", followers=100 + d) for d in range(1, 4)]
        chosen = rnd.sample(range(members_n), 5)
        records.append(audience(handle, [member(f"m{k}", followers=changes.get(("member", k), k)) for k in chosen]))
    records += [edge(handles[i], handles[(i + 1) % creators_n]) for i in range(creators_n)]
    return lines(*records)


RAW_IDS = [f"m{k}" for k in range(12)]


def test_an_unchanged_file_again_pseudonymises_reads_and_writes_nothing(database, workspace_id, monkeypatch):
    data = a_file()
    first = run_import(database, workspace_id, data, secret=SECRET)
    before = state(database, workspace_id, RAW_IDS)
    pseudonymised = []
    original, original_many = MemberKeys.__call__, MemberKeys.many
    monkeypatch.setattr(MemberKeys, "__call__", lambda self, raw: pseudonymised.append(raw) or original(self, raw))
    monkeypatch.setattr(MemberKeys, "many", lambda self, raws: pseudonymised.extend(raws) or original_many(self, raws))

    again = run_import(database, workspace_id, data, secret=SECRET)

    assert not again.changed
    assert pseudonymised == []  # the audience records were skipped whole
    assert state(database, workspace_id, RAW_IDS) == before  # versions and write times included
    assert again.stored["creator"] == {"inserted": 0, "updated": 0, "unchanged": 4}
    assert again.stored["post"] == {"inserted": 0, "updated": 0, "unchanged": 12}
    assert again.stored["audience"] == {"inserted": 0, "updated": 0, "unchanged": 4}
    assert again.stored["member"]["unchanged"] == first.stored["member"]["inserted"]


def test_one_changed_record_is_the_only_one_written(database, workspace_id):
    run_import(database, workspace_id, a_file(), secret=SECRET)
    before = state(database, workspace_id, RAW_IDS)

    again = run_import(database, workspace_id, a_file(changes={("likes", "c2", 1): 99}), secret=SECRET)

    assert again.written == {"creator": 0, "post": 1, "snapshot": 0, "audience": 0, "member": 0, "edge": 0,
                             "label": 0}
    after = state(database, workspace_id, RAW_IDS)
    changed = [row for row in after["posts"] if row not in before["posts"]]
    assert [row[:3] for row in changed] == [("c2-p1", "c2", 99)]
    assert {k: v for k, v in after.items() if k != "posts"} == {k: v for k, v in before.items() if k != "posts"}


def test_a_changed_member_is_written_once_and_its_other_samples_stay_right(database, workspace_id):
    run_import(database, workspace_id, a_file(), secret=SECRET)
    again = run_import(database, workspace_id, a_file(changes={("member", 3): 333}), secret=SECRET)
    assert again.stored["member"]["updated"] == 1
    assert dict(state(database, workspace_id, RAW_IDS)["members"])["m3"] == 333


@pytest.mark.parametrize("chunk_size", [1, 3, 5000])
def test_a_member_profile_written_by_another_file_is_restored_by_the_first_file(database, workspace_id, chunk_size):
    """F1 names m in alice's sample, F2 in bob's with another profile; F1 again: a full import
    leaves m with F1's profile, so alice's unchanged sample cannot be skipped after F2."""
    f1 = lines(creator("alice"), creator("bob"), audience("alice", [member("m", followers=1)]))
    f2 = lines(audience("bob", [member("m", followers=2)]))
    for data in (f1, f2, f1):
        run_import(database, workspace_id, data, secret=SECRET, chunk_size=chunk_size)
    assert state(database, workspace_id, ["m"])["members"] == [("m", 1)]


def test_a_later_unchanged_record_in_the_same_chunk_still_wins_for_its_members(database, workspace_id):
    run_import(database, workspace_id, lines(creator("alice"), creator("bob"),
                                            audience("alice", [member("m", followers=1)])), secret=SECRET)
    run_import(database, workspace_id, lines(audience("bob", [member("m", followers=2)]),
                                            audience("alice", [member("m", followers=1)])), secret=SECRET)
    assert state(database, workspace_id, ["m"])["members"] == [("m", 1)]


def test_a_creator_edited_through_the_api_is_restored_by_the_same_file(database, workspace_id):
    data = a_file()
    run_import(database, workspace_id, data, secret=SECRET)
    with database.transaction() as s:
        alice = s.execute(text("SELECT id, version FROM creators WHERE handle = 'c1'")).one()
        creators.update_creator(s, workspace_id, alice.id, alice.version, {"followers": 5, "bio": "edited"})

    again = run_import(database, workspace_id, data, secret=SECRET)

    assert again.stored["creator"] == {"inserted": 0, "updated": 1, "unchanged": 3}
    assert ("c1", 101, None) in [row[:3] for row in state(database, workspace_id)["creators"]]


def test_an_erased_member_comes_back_with_the_file_that_names_them(database, workspace_id):
    data = a_file()
    run_import(database, workspace_id, data, secret=SECRET)
    expected = without_write_times(state(database, workspace_id, RAW_IDS))
    erased = expected["lists"][0][2]
    with database.transaction() as s:
        privacy.erase_member(s, workspace_id, "instagram", erased, secret=SECRET, key_id=None)

    run_import(database, workspace_id, data, secret=SECRET)

    assert without_write_times(state(database, workspace_id, RAW_IDS)) == expected


def test_a_history_of_imports_ends_as_importing_every_record_would(database, workspace_id, monkeypatch):
    """Random files in sequence, small chunks: the workspace that skips unchanged records ends
    with the same data as one where every record is compared and written."""
    rnd = random.Random(7)
    history = []
    for _step in range(6):
        changes = {}
        for _ in range(rnd.randrange(4)):
            kind = rnd.choice(["followers", "likes", "member"])
            if kind == "member":
                changes[("member", rnd.randrange(12))] = rnd.randrange(1000)
            elif kind == "likes":
                changes[("likes", f"c{rnd.randrange(4)}", rnd.randrange(3))] = rnd.randrange(1000)
            else:
                changes[("followers", f"c{rnd.randrange(4)}")] = rnd.randrange(1000)
        history.append((a_file(seed=rnd.randrange(3), changes=changes), rnd.choice([1, 4, 9, 5000])))
    skipping = workspace_id
    for data, chunk_size in history:
        run_import(database, skipping, data, secret=SECRET, chunk_size=chunk_size)

    # The reference: no record, and no run of snapshot lines, ever has the digest stored with it
    # (every way the importer asks for a digest answers a random one), so every record is written.
    monkeypatch.setattr(digests.RecordDigests, "__call__", lambda self, record, *ids: rnd.getrandbits(63))
    monkeypatch.setattr(digests.RecordDigests, "many",
                        lambda self, lines, ids=None: [rnd.getrandbits(63) for _ in lines])
    monkeypatch.setattr(digests.RecordDigests, "run", lambda self, lines: rnd.getrandbits(63))
    comparing = new_workspace(database, "every record compared")
    for data, chunk_size in history:
        run_import(database, comparing, data, secret=SECRET, chunk_size=chunk_size)

    assert without_write_times(state(database, skipping, RAW_IDS)) == without_write_times(
        state(database, comparing, RAW_IDS))


def test_digests_belong_to_their_workspace(database, workspace_id):
    data = a_file()
    first = run_import(database, workspace_id, data, secret=SECRET)
    other = new_workspace(database, "other")

    report = run_import(database, other, data, secret=SECRET)

    assert report.stored == first.stored  # everything inserted again, nothing taken as unchanged
    assert without_write_times(state(database, other, RAW_IDS)) == without_write_times(
        state(database, workspace_id, RAW_IDS))


def test_a_sample_whose_member_a_later_record_redefined_is_written_again(database, workspace_id):
    """alice's and bob's samples name m with two profiles (bob's, later, wins); once bob's no
    longer names m, the same file would give m alice's profile: alice's sample is not skipped."""
    run_import(database, workspace_id, lines(creator("alice"), creator("bob"),
                                            audience("alice", [member("m", followers=1)]),
                                            audience("bob", [member("m", followers=2)])), secret=SECRET)
    assert state(database, workspace_id, ["m"])["members"] == [("m", 2)]
    run_import(database, workspace_id, lines(audience("alice", [member("m", followers=1)]),
                                            audience("bob", [member("n", followers=3)])), secret=SECRET)
    assert dict(state(database, workspace_id, ["m", "n"])["members"]) == {"m": 1, "n": 3}


class CountingDecoder:
    """Stands in for the importer's record decoder, counting the lines it decodes per type."""

    def __init__(self, decoder):
        self._decoder = decoder
        self.types: list[str] = []

    def decode(self, raw):
        record = self._decoder.decode(raw)
        name = type(record).__name__
        self.types.append("Audience" if name.endswith("Audience") else name)  # the fast path's too
        return record

    def decode_lines(self, raws):
        records = self._decoder.decode_lines(raws)
        self.types += [type(record).__name__ for record in records]
        return records

    def install(self, monkeypatch) -> CountingDecoder:
        """Counts what the importer decodes: with ``decoder``, and audience lines the fast way."""
        from influencers.imports import importer, records

        monkeypatch.setattr(importer, "decoder", self)
        fast = CountingDecoder(records.audience_decoder)
        fast.types = self.types
        monkeypatch.setattr(records, "audience_decoder", fast)
        return self


def test_an_unchanged_line_is_not_decoded_again(database, workspace_id, monkeypatch):
    """A creator, post or audience line byte for byte the one that wrote its row is skipped
    before it is decoded and validated (its digest is of the raw line)."""
    from influencers.imports import importer

    data = a_file()
    run_import(database, workspace_id, data, secret=SECRET)
    counting = CountingDecoder(importer.decoder).install(monkeypatch)

    again = run_import(database, workspace_id, data, secret=SECRET)

    assert not again.changed
    assert again.records == {"creator": 4, "post": 12, "snapshot": 12, "audience": 4, "edge": 4, "label": 0}
    assert {"Creator", "Post", "Audience"}.isdisjoint(counting.types)


def test_a_changed_line_is_decoded_and_written(database, workspace_id, monkeypatch):
    from influencers.imports import importer

    run_import(database, workspace_id, a_file(), secret=SECRET)
    counting = CountingDecoder(importer.decoder).install(monkeypatch)

    again = run_import(database, workspace_id, a_file(changes={("likes", "c2", 1): 99, ("member", 3): 7}),
                       secret=SECRET)

    assert counting.types.count("Post") == 1
    assert again.stored["post"] == {"inserted": 0, "updated": 1, "unchanged": 11}
    assert again.stored["member"]["updated"] == 1
    assert dict(state(database, workspace_id, RAW_IDS)["members"])["m3"] == 7


def test_the_same_record_spelled_otherwise_is_unchanged_and_not_written(database, workspace_id):
    records = [creator("alice"), post("p1", "alice"), audience("alice", [member("m", followers=1)])]
    run_import(database, workspace_id, lines(*records), secret=SECRET)
    before = state(database, workspace_id, ["m"])
    respelled = [json.dumps(dict(reversed(list(r.items()))), indent=None, separators=(", ", " : ")).encode() + b"\n"
                 for r in records]

    once = run_import(database, workspace_id, respelled, secret=SECRET)
    twice = run_import(database, workspace_id, respelled, secret=SECRET)

    for report in (once, twice):
        assert not report.changed
        assert report.stored["creator"]["unchanged"] == report.stored["post"]["unchanged"] == 1
        assert report.stored["audience"]["unchanged"] == 1
    assert state(database, workspace_id, ["m"]) == before


def test_an_invalid_line_after_an_unchanged_one_is_rejected_and_the_row_kept(database, workspace_id):
    data = lines(creator("alice", followers=5), post("p1", "alice", likes=3))
    run_import(database, workspace_id, data, secret=SECRET)
    before = state(database, workspace_id)
    bad = lines(creator("alice", followers=-1), {**post("p1", "alice"), "likes": "many"})

    report = run_import(database, workspace_id, data + bad, secret=SECRET)

    assert [r["line"] for r in report.rejected] == [3, 4]
    assert "followers" in report.rejected[0]["reason"] and "likes" in report.rejected[1]["reason"]
    assert report.records["creator"] == report.records["post"] == 1
    assert not report.changed
    assert state(database, workspace_id) == before


def test_an_unchanged_line_set_aside_for_its_creator_is_still_skipped(database, workspace_id):
    """A post before its creator's line: set aside (deferred) and applied after the last line."""
    data = lines(post("p1", "alice", likes=3), audience("alice", [member("m")]), creator("alice"))
    first = run_import(database, workspace_id, data, secret=SECRET, chunk_size=1)
    assert first.deferred == 2

    again = run_import(database, workspace_id, data, secret=SECRET, chunk_size=1)

    assert not again.changed
    assert again.records["post"] == again.records["audience"] == 1


def test_an_unchanged_snapshot_line_is_not_decoded_again(database, workspace_id, monkeypatch):
    from influencers.imports import importer

    data = a_file()
    run_import(database, workspace_id, data, secret=SECRET)
    before = state(database, workspace_id, RAW_IDS)
    counting = CountingDecoder(importer.decoder).install(monkeypatch)

    again = run_import(database, workspace_id, data, secret=SECRET)

    assert "Snapshot" not in counting.types
    assert again.records["snapshot"] == 12
    assert again.stored["snapshot"] == {"inserted": 0, "updated": 0, "unchanged": 12}
    assert state(database, workspace_id, RAW_IDS) == before


@pytest.mark.parametrize("chunk_size", [1, 5000])
def test_a_snapshot_changed_then_restored_in_one_file_ends_as_its_last_line(database, workspace_id, chunk_size):
    stored = lines(creator("alice"), snapshot("alice", "2026-10-01", followers=100))
    run_import(database, workspace_id, stored, secret=SECRET)

    report = run_import(database, workspace_id, lines(snapshot("alice", "2026-10-01", followers=5)) + stored,
                        secret=SECRET, chunk_size=chunk_size)

    assert state(database, workspace_id)["snapshots"] == [("alice", state(database, workspace_id)["snapshots"][0][1],
                                                           100)]
    assert report.records["snapshot"] == 2


@pytest.mark.parametrize("first", ["creator", "snapshot"])
def test_a_file_starting_with_a_byte_order_mark_is_read_whole(database, workspace_id, first):
    records = [creator("alice"), snapshot("alice", "2026-10-01")]
    if first == "snapshot":
        records = [records[0] | {"type": "creator"}, records[1]][::-1]
    data = lines(*records)
    data[0] = b"\xef\xbb\xbf" + data[0]

    for _ in range(2):
        report = run_import(database, workspace_id, data, secret=SECRET)
        assert report.rejected == [] and report.records["creator"] == report.records["snapshot"] == 1
