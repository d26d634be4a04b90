"""Writing a chunk's audience samples: members (pseudonymised), samples and member lists.

The part of :class:`~influencers.imports.writer.ChunkWriter` that handles audiences, kept in
its own module for size; it uses the writer's backend, digests, caches and counters."""
from __future__ import annotations

from itertools import repeat
from operator import attrgetter
from typing import Any

import msgspec

from influencers.creators.pseudonym import MemberKeys
from influencers.imports.records import AudienceKey, Member

_to_builtins = msgspec.to_builtins
# A member's stored profile: the fields of its Member after the raw id, in this order.
_MEMBER_VALUES = (
    "followers", "following", "posts_count", "has_avatar", "bio_length", "created_at",
    "last_post_at", "country", "language", "gender", "age_range",
)
assert Member.__struct_fields__ == ("id", *_MEMBER_VALUES)
_profile_of = attrgetter(*_MEMBER_VALUES)


# Entries per generation (two generations per cache): about 200 bytes each.
_MEMBER_CACHE = 65536  # member key -> (id, profile)
_PSEUDONYM_CACHE = 32768  # per platform: raw id -> member key


class _Generations:
    """A bounded dict: two generations; the older is dropped when the newer is full."""

    __slots__ = ("new", "old", "size")

    def __init__(self, size: int):
        self.new: dict = {}
        self.old: dict = {}
        self.size = size

    def get(self, key):
        value = self.new.get(key)
        if value is None:
            value = self.old.get(key)
            if value is not None:
                self.new[key] = value
        return value

    def get_many(self, keys: list) -> list:
        """``get`` of each of ``keys`` (None for the unknown ones)."""
        values = list(map(self.new.get, keys))
        if None in values and self.old:
            old, new = self.old.get, self.new
            for i in [i for i, value in enumerate(values) if value is None]:
                value = values[i] = old(keys[i])
                if value is not None:
                    new[keys[i]] = value
        return values

    def rotate(self) -> None:
        """Call between batches (never while a batch holds references)."""
        if len(self.new) > self.size:
            self.old, self.new = self.new, {}


class AudienceWrites:
    """Audience samples, their members and member lists (a part of ``ChunkWriter``)."""

    def start_member_caches(self) -> None:
        # Audience members recur across chunks (the same followers in many
        # samples). Two bounded caches spare the HMAC and the database round trip
        # for the ones seen lately: per platform, raw id -> member key; and member
        # key -> (id, profile as stored). The import is the only writer of these
        # rows while it runs (write lock / advisory lock), so the cache is exact.
        self._pseudonyms: dict[str, _Generations] = {}  # platform -> raw id -> key
        self._member_keys: dict[str, MemberKeys] = {}
        self._members = _Generations(_MEMBER_CACHE)

    _MEMBER_VALUES = _MEMBER_VALUES

    def _member_keys_of(self, platform: str, raw_ids: list[str]) -> list[str]:
        """The member keys of ``raw_ids`` (one platform's): from the cache, and the HMACs of
        the others computed in one batch."""
        cache = self._pseudonyms.get(platform)
        if cache is None:
            cache = self._pseudonyms[platform] = _Generations(_PSEUDONYM_CACHE)
            self._member_keys[platform] = MemberKeys(self.key, platform)
        keys = cache.get_many(raw_ids)
        if None in keys:
            missing = [i for i, k in enumerate(keys) if k is None]
            distinct = list(dict.fromkeys([raw_ids[i] for i in missing]))
            computed = dict(zip(distinct, self._member_keys[platform].many(distinct)))
            cache.new.update(computed)
            for i in missing:
                keys[i] = computed[raw_ids[i]]
        return keys

    def upsert_audiences(self, items, decode, member_ids) -> int:
        """Audience samples, their members and member lists. ``items``: (line, record or its
        key, raw line, creator id); ``member_ids(raw)``: a valid line's member ids. -> the
        number of valid lines.

        A line with the digest stored with its sample is skipped whole (not decoded, no
        pseudonymisation, no member read): its list and its members' profiles are
        still what that line wrote, because whatever changes a member's profile
        afterwards also clears the digests of the other samples naming the member
        (:meth:`_clear_sample_digests`). A line is not skipped if its sample is named
        twice in the chunk, or if it shares a member with a line of the chunk that is
        written (the member's profile is the last line's, in line order)."""
        b = self.b
        iso = b.iso_dates
        digest = self.digest
        digests = digest.many([item[2] for item in items], [item[3] for item in items])
        keyed = [((cid, r.sampled_at.isoformat() if iso else r.sampled_at), line, r, d, raw)
                 for (line, r, raw, cid), d in zip(items, digests)]
        del digests
        del items
        stored = self._stored_digests("audience_samples", [], ("creator_id", "sampled_at"), ("int4", "date"),
                                      list({k[0]: None for k in keyed}))
        # [key, line, record or key, digest, raw line, skippable], in line order; invalid lines rejected.
        entries = []
        for k, line, r, d, raw in keyed:
            old = stored.get(k)
            skippable = old is not None and old[1] == d
            if not skippable and type(r) is AudienceKey:
                r = decode(line, raw)
                if r is None:
                    continue
            entries.append([k, line, r, d, raw, skippable])
        del keyed
        valid = len(entries)
        skipped = [e for e in entries if e[5]]
        if skipped:
            if len({e[0] for e in entries}) < len(entries):  # a sample named twice: write all of its lines
                seen: set = set()
                twice = {e[0] for e in entries if e[0] in seen or seen.add(e[0])}
                for e in skipped:
                    if e[0] in twice:
                        e[5] = False
            written = [e for e in entries if not e[5]]
            if written:
                for e in written:
                    if type(e[2]) is AudienceKey:
                        e[2] = decode(e[1], e[4])  # a valid line: it wrote its row
                named = {(e[2].platform, m.id) for e in written for m in e[2].members}
                for e in skipped:
                    if e[5]:
                        ids = member_ids(e[4])
                        if any((ids.platform, m.id) in named for m in ids.members):
                            e[5] = False
                            if type(e[2]) is AudienceKey:
                                e[2] = decode(e[1], e[4])
            skipped = [e for e in skipped if e[5]]
            self.count("audience", 0, 0, len(skipped))
            if skipped:
                # Their members, once each per chunk (as the written ones are counted): the lists
                # stored are the lines' (same digest).
                (distinct,), = b.select_in(
                    "SELECT count(DISTINCT member_id) FROM audience_sample_members WHERE sample_id IN {ids}",
                    [stored[e[0]][0] for e in skipped])
                self.count("member", 0, 0, distinct)
        records = [(e[0], e[2], e[3]) for e in entries if not e[5]]
        del entries, skipped
        if records:
            self._write_audiences(records)
        return valid

    def _write_audiences(self, records: list[tuple[tuple, Any, int]]) -> None:
        """Writes audience records ((sample key, record, digest), in line order)."""
        b = self.b
        iso = b.iso_dates
        # Per platform: member profiles by member key (the last record naming a member wins).
        # The members of a platform's records are handled as one list: their rows, ids and
        # keys come from C-level maps, not from a Python step per member entry.
        members: dict[str, dict[str, tuple]] = {}
        samples: dict[tuple, tuple[str, list[str]] | None] = {}
        digests: dict[tuple, int | None] = {}
        by_platform: dict[str, list] = {}
        for sample_key, r, record_digest in records:
            by_platform.setdefault(r.platform, []).append((sample_key, r.members))
            samples[sample_key] = None  # its place: samples are written in line order
            digests[sample_key] = record_digest
        del records
        # Members named with two different profiles in the chunk: the samples holding them
        # keep no digest (some of their members' profiles are another record's).
        contested: set[str] = set()
        for platform, platform_records in by_platform.items():
            entries = [m for _, listed in platform_records for m in listed]
            keys = self._member_keys_of(platform, [m.id for m in entries])
            latest = dict(zip(keys, entries))  # the last entry naming a member gives its profile
            if len(latest) < len(keys):  # some member named more than once: do the profiles differ?
                last = list(map(latest.__getitem__, keys))
                # Entries compare as structs first (equal: same profile); entries of the two decoders'
                # types never compare equal, so those compare by their profiles.
                contested.update([k for k, m, kept in zip(keys, entries, last)
                                  if m is not kept and m != kept and _profile_of(m) != _profile_of(kept)])
                del last
            del entries
            # Each member's profile in _MEMBER_VALUES order, on SQLite with the dates as ISO
            # strings (to_builtins converts the whole list in one call).
            profile_rows = list(map(_profile_of, latest.values()))
            if iso:
                profile_rows = _to_builtins(profile_rows)
            members[platform] = dict(zip(latest, profile_rows))
            del latest, profile_rows
            start = 0
            for sample_key, listed in platform_records:
                end = start + len(listed)
                samples[sample_key] = (platform, keys[start:end])
                start = end
            del keys
        del by_platform
        if contested:
            for sample_key, (_platform, keys) in samples.items():
                if not contested.isdisjoint(keys):
                    digests[sample_key] = None

        # Members, with their ids (allocated here for the new ones). Those in the
        # cache are known: unchanged, or updated by id; the others are stored.
        member_ids: dict[str, dict[str, int]] = {}
        ws = self.ws
        cached = self._members
        profiles_changed: list[int] = []  # ids of the members whose stored profile changed
        for platform, profiles in members.items():
            keys = list(profiles)
            rows = list(profiles.values())
            hits = cached.get_many(keys)
            ids = member_ids[platform] = {k: hit[0] for k, hit in zip(keys, hits) if hit is not None}
            changed = [(hit[0], *row) for hit, row in zip(hits, rows) if hit is not None and hit[1] != row]
            if changed:
                b.update("audience_members", ("id",), self._MEMBER_VALUES, changed)
                profiles_changed.extend(row[0] for row in changed)
            self.count("member", 0, len(changed), len(ids) - len(changed))
            if len(ids) < len(keys):
                unknown = {k: row for k, hit, row in zip(keys, hits, rows) if hit is None}
                stored = self._store(
                    "member", "audience_members", unknown, scope=[("workspace_id", ws), ("platform", platform)],
                    key_cols=("member_key",), key_types=("text",), value_cols=self._MEMBER_VALUES,
                    insert_cols=("id", "workspace_id", "platform", "member_key", *self._MEMBER_VALUES),
                    insert_key=(ws, platform), allocate=True,
                    changed_ids=profiles_changed,
                )
                ids.update(stored)
                del unknown
            cached.new.update(zip(keys, zip(map(ids.__getitem__, keys), rows)))
            del keys, rows, hits, changed
        del members
        cached.rotate()
        for cache in self._pseudonyms.values():
            cache.rotate()

        # Samples and their member lists.
        lists = {k: frozenset(map(member_ids[p].__getitem__, keys)) for k, (p, keys) in samples.items()}
        del samples, member_ids
        existing = self._fetch_existing(
            "audience_samples", [], ("creator_id", "sampled_at"), ("int4", "date"), ("member_count", "import_digest"),
            list(lists),
        )
        if profiles_changed:
            self._clear_sample_digests(profiles_changed, [v[0] for v in existing.values()])
        old_lists: dict[int, set] = {}
        if existing:
            for sid, mid in b.select_in(
                "SELECT sample_id, member_id FROM audience_sample_members WHERE sample_id IN {ids}",
                [v[0] for v in existing.values()],
            ):
                old_lists.setdefault(sid, set()).add(mid)
        new, changed, same = [], [], 0
        links_add: list[tuple[int, int]] = []
        links_del: list[tuple[int, int]] = []
        sample_updates = []
        for k, members_now in lists.items():
            old = existing.get(k)
            if old is None:
                new.append(k)
                continue
            sid, (old_count, old_digest) = old
            old_members = old_lists.get(sid, set())
            if members_now != old_members or old_count != len(members_now):
                changed.append(k)
                added = members_now - old_members
                removed = old_members - members_now
                links_add.extend(zip(repeat(sid, len(added)), added))
                links_del.extend(zip(repeat(sid, len(removed)), removed))
            else:
                same += 1
            if old_count != len(members_now) or old_digest != digests[k]:
                sample_updates.append((sid, len(members_now), digests[k]))
        if new:
            new_ids = b.allocate_ids("audience_samples", len(new))
            ins = []
            for k, sid in zip(new, new_ids):
                listed = lists[k]
                ins.append((sid, *k, len(listed), digests[k]))
                links_add.extend(zip(repeat(sid, len(listed)), listed))
            b.insert("audience_samples", ("id", "creator_id", "sampled_at", "member_count", "import_digest"), ins)
        if sample_updates:
            b.update("audience_samples", ("id",), ("member_count", "import_digest"), sample_updates)
        if links_del:
            b.delete_pairs("audience_sample_members", ("sample_id", "member_id"), links_del)
        if links_add:
            b.insert("audience_sample_members", ("sample_id", "member_id"), links_add)
        self.count("audience", len(new), len(changed), same)

    def _clear_sample_digests(self, member_ids: list[int], written_sample_ids: list[int]) -> None:
        """The samples holding members whose profile just changed lose their digest (their
        records no longer describe what is stored), except the samples being written now,
        whose digests are set after this."""
        self.b.execute_with_ids(
            "UPDATE audience_samples SET import_digest = NULL WHERE import_digest IS NOT NULL "
            "AND id IN (SELECT sample_id FROM audience_sample_members WHERE member_id IN {ids0}) "
            "AND id NOT IN {ids1}",
            member_ids, written_sample_ids)
