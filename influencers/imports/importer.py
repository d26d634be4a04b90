"""Set-based NDJSON import: :func:`run_import` (how it works: ``docs/imports.md``)."""
from __future__ import annotations

import heapq
import operator
import struct
import tempfile
from collections.abc import Callable, Iterable, Iterator

import msgspec
from sqlalchemy import text

from influencers.brands.rematch import match_written_posts
from influencers.creators.pseudonym import workspace_key
from influencers.db import Database, utcnow
from influencers.imports.backends import PostgresBackend, SQLiteBackend
from influencers.imports.records import (
    KEYED_TYPES,
    MAX_LINE_BYTES,
    Audience,
    AudienceKey,
    Creator,
    CreatorKey,
    Edge,
    Label,
    Post,
    PostKey,
    Record,
    Snapshot,
    bounded_reason,
    decode_audience,
    decoder,
    explain,
    key_decoder,
    member_ids_decoder,
    too_long,
    unstorable_text,
)
from influencers.imports.report import KINDS, ImportReport
from influencers.imports.snapshot_runs import find_runs
from influencers.imports.writer import ChunkWriter

__all__ = ["ImportReport", "run_import", "KINDS", "DEFAULT_CHUNK_SIZE", "DEFAULT_CHUNK_BYTES"]

DEFAULT_CHUNK_SIZE = 5000  # lines
DEFAULT_CHUNK_BYTES = 8 * 1024 * 1024
DEFAULT_MAX_REJECTIONS = 1000


def run_import(
    db: Database,
    workspace_id: int,
    lines: Iterable[bytes | str],
    *,
    secret: bytes,
    progress: Callable[[int], None] | None = None,
    chunk_size: int = DEFAULT_CHUNK_SIZE,
    chunk_bytes: int = DEFAULT_CHUNK_BYTES,
    max_line_bytes: int = MAX_LINE_BYTES,
    max_rejections: int = DEFAULT_MAX_REJECTIONS,
    only_types: tuple[str, ...] | None = None,
    only_reason: str = "",
) -> ImportReport:
    """Import NDJSON ``lines`` (an open binary file works) into ``workspace_id``.

    ``only_types``: the record types this import may store (an analyst's key: labels);
    other lines are rejected with ``only_reason`` followed by the record's type.

    ``secret`` is the deployment's pseudonymisation secret
    (``settings.pseudonym_secret``). ``progress``, if given, is called after each
    chunk with the number of bytes consumed since the previous call (so
    ``tqdm(total=file_size, unit="B").update`` fits). Raises ``LookupError`` if
    the workspace does not exist; any database error aborts the whole import
    (nothing is stored). Invalid lines never raise: they are in the report.
    """
    if chunk_size < 1 or chunk_bytes < 1:
        raise ValueError("chunk_size and chunk_bytes must be positive")
    report = ImportReport(workspace_id=workspace_id, started_at=utcnow())
    key = workspace_key(secret, workspace_id)
    with db.transaction(write=True) as session:
        if session.execute(
            text("SELECT 1 FROM workspaces WHERE id = :id"), {"id": workspace_id}
        ).first() is None:
            raise LookupError(f"workspace {workspace_id} does not exist")
        backend = SQLiteBackend(session) if db.is_sqlite else PostgresBackend(session)
        writer = ChunkWriter(backend, workspace_id, key, report)
        importer = _Importer(writer, report, max_rejections)
        if only_types is not None:
            importer.only = (tuple(t for t, name in _BUCKET.items() if name in only_types), only_reason)
        try:
            backend.begin(workspace_id)
            importer.run(lines, progress, chunk_size, chunk_bytes, max_line_bytes)
        finally:
            backend.end()
            importer.close()
        if report.written.get("post"):
            # The posts written are matched to the workspace's brands in the same transaction.
            match_written_posts(session, workspace_id, report.started_at)
        _announce(session, report)
    report.finished_at = utcnow()
    if sum(report.written.values()) >= STATISTICS_THRESHOLD:
        # With VACUUM on PostgreSQL: the pages just written become all-visible, so the next
        # scoring run reads the memberships and members by index-only scans, without setting
        # hint bits on millions of fresh rows. VACUUM skips the pages already all-visible.
        db.refresh_statistics(IMPORTED_TABLES, vacuum=True)
    return report


def _announce(session, report: ImportReport) -> None:
    """The ``import.completed`` webhook event, in the import's transaction."""
    from influencers.webhooks import emit

    emit(session, report.workspace_id, "import.completed", {
        "started_at": report.started_at, "finished_at": utcnow(), "lines_read": report.lines_read,
        "bytes_read": report.bytes_read, "accepted": report.accepted, "records": dict(report.records),
        "stored": {k: dict(v) for k, v in report.stored.items()}, "deferred": report.deferred,
        "rejected_count": report.rejected_count})


# A bulk import changes the tables' shape enough for the query planner to need
# fresh statistics (see Database.refresh_statistics); small ones do not.
STATISTICS_THRESHOLD = 1000
IMPORTED_TABLES = ("creators", "creator_categories", "posts", "follower_snapshots", "audience_members",
                   "audience_samples", "audience_sample_members", "creator_edges")


_SPOOL_HEADER = struct.Struct("<QIB")  # line, size, payload kind
_SPOOLED_RECORD, _SPOOLED_LINE = 0, 1
_JSON_ERRORS = (msgspec.ValidationError, msgspec.DecodeError, UnicodeDecodeError)
_BOM = b"\xef\xbb\xbf"
_SNAPSHOT_LINE = b'{"type":"snapshot"'  # how snapshot lines mostly start (others are found too)
_AUDIENCE_LINE = b'{"type":"audience"'  # how audience lines mostly start (others: decoder alone)
_line_of = operator.itemgetter(0)
_KEYED_TYPES = frozenset(KEYED_TYPES)
_WITH_LINE = frozenset((Creator, Post, Audience, Snapshot))  # stored with the digest of their line


class _Chunk:
    """Records waiting to be written, by type, in line order: ``(line, record)``; creators,
    posts and audiences as ``(line, record or its key only, raw line)``, snapshots as ``(line,
    record, raw line, its digest if computed)`` (see ``_Importer.run``)."""

    __slots__ = ("creator", "post", "snapshot", "audience", "edge", "label", "snapshot_lines", "lines", "weight")

    def __init__(self):
        self.creator: list[tuple[int, Creator]] = []
        self.post: list[tuple[int, Post]] = []
        self.snapshot: list[tuple[int, Snapshot]] = []
        self.audience: list[tuple[int, Audience]] = []
        self.edge: list[tuple[int, Edge]] = []
        self.label: list[tuple[int, Label]] = []
        self.snapshot_lines: list[tuple[int, bytes]] = []  # not decoded yet (see _Importer.run)
        self.lines = 0
        self.weight = 0

    def bucket(self, record_type) -> list:
        return getattr(self, _BUCKET[record_type])


_BUCKET = {Creator: "creator", Post: "post", Snapshot: "snapshot", Audience: "audience", Edge: "edge",
           Label: "label", CreatorKey: "creator", PostKey: "post", AudienceKey: "audience"}


class _Importer:
    """Reads the lines, collects the valid records into chunks, and has each chunk written."""

    def __init__(self, writer: ChunkWriter, report: ImportReport, max_rejections: int):
        self.writer = writer
        self.report = report
        self.max_rejections = max_rejections
        self._rejected_heap: list[tuple[int, str]] = []  # max-heap on line via negation
        self._spool = None
        self._msgpack_encoder = msgspec.msgpack.Encoder()
        self._pending_runs: list = []  # see _settle_snapshot_lines
        self._found_snapshots: dict | None = None
        self.only = None  # (record classes allowed, rejection reason) or None: every type

    # ---- driving

    def run(self, lines, progress, chunk_size, chunk_bytes, max_line_bytes) -> None:
        report = self.report
        decode = decoder.decode
        key_decode = key_decoder.decode
        keyed = _KEYED_TYPES
        by_key = self.only is None  # an import limited to some types decodes every line
        chunk = _Chunk()
        buckets = {t: chunk.bucket(t) for t in _BUCKET}
        snapshot_lines = chunk.snapshot_lines
        lines_in_chunk = weight = nbytes = reported = line_no = 0
        append_snapshot_line = snapshot_lines.append
        for line_no, raw in enumerate(lines, 1):
            if type(raw) is not bytes:
                raw = raw.encode("utf-8", "surrogatepass") if isinstance(raw, str) else bytes(raw)
            n = len(raw)
            nbytes += n
            if n > max_line_bytes:
                self.reject(line_no, too_long(n, max_line_bytes))
                continue
            # Creators, posts and audiences: the key only, for now; the rest of the line is
            # decoded (and validated) when the chunk is written, unless the line is the one
            # that wrote its row (same digest). Snapshots (as the line's first bytes say; if
            # they are wrong, the line is decoded later all the same): not even the key, they
            # are found by their digest alone. Any other line is decoded here.
            key = None
            if by_key and not (line_no == 1 and raw.startswith(_BOM)):
                if raw.startswith(_SNAPSHOT_LINE) or b'"snapshot"' in raw[:24]:
                    append_snapshot_line((line_no, raw))
                    key = True
                else:
                    try:
                        key = key_decode(raw)
                    except _JSON_ERRORS:
                        pass
                    if type(key) in keyed:
                        buckets[type(key)].append((line_no, key, raw))
                    else:
                        key = None
            if key is None:
                try:
                    record = decode(raw)
                except _JSON_ERRORS as exc:
                    # The rare paths: blank lines, a byte-order mark, invalid lines.
                    if not raw or raw.isspace():
                        report.blank_lines += 1
                        continue
                    if line_no == 1 and raw.startswith(_BOM):
                        raw = raw[len(_BOM):]
                        try:
                            record = decode(raw)
                        except _JSON_ERRORS as exc2:
                            self.reject(line_no, explain(raw, exc2))
                            continue
                    else:
                        self.reject(line_no, explain(raw, exc))
                        continue
                if b"\\u" in raw:
                    unstorable = unstorable_text(raw)
                    if unstorable:
                        self.reject(line_no, unstorable)
                        continue
                if self.only is not None and type(record) not in self.only[0]:
                    self.reject(line_no, f"{self.only[1]} (this is a {_BUCKET[type(record)]} record)")
                    continue
                kind = type(record)
                buckets[kind].append((line_no, record, raw, None) if kind is Snapshot
                                     else (line_no, record, raw) if kind in _WITH_LINE else (line_no, record))
            lines_in_chunk += 1
            weight += n
            if lines_in_chunk >= chunk_size or weight >= chunk_bytes:
                self.flush(chunk, final=False)
                chunk = _Chunk()
                buckets = {t: chunk.bucket(t) for t in _BUCKET}
                append_snapshot_line = chunk.snapshot_lines.append
                lines_in_chunk = weight = 0
                if progress is not None:
                    progress(nbytes - reported)
                    reported = nbytes
        if lines_in_chunk:
            self.flush(chunk, final=False)
        del chunk, buckets
        report.lines_read = line_no
        report.bytes_read = nbytes
        for deferred in self._deferred_chunks(chunk_size, chunk_bytes):
            self.flush(deferred, final=True)
        if progress is not None and nbytes > reported:
            progress(nbytes - reported)
        report.rejected = [
            {"line": -neg, "reason": reason} for neg, reason in sorted(self._rejected_heap, reverse=True)
        ]

    def decode_line(self, line: int, raw: bytes) -> Record | None:
        """The record of a line read by key so far (see ``run``); None if it is rejected."""
        record = decode_audience(raw) if raw.startswith(_AUDIENCE_LINE) else None
        if record is None:
            try:
                record = decoder.decode(raw)
            except _JSON_ERRORS as exc:
                self.reject(line, explain(raw, exc))
                return None
        if b"\\u" in raw:
            unstorable = unstorable_text(raw)
            if unstorable:
                self.reject(line, unstorable)
                return None
        return record

    @staticmethod
    def member_ids(raw: bytes):
        """An audience line's platform and member ids (a line known valid)."""
        return member_ids_decoder.decode(raw)

    def reject(self, line: int, reason: str) -> None:
        reason = bounded_reason(reason)
        self.report.rejected_count += 1
        heap = self._rejected_heap
        if len(heap) < self.max_rejections:
            heapq.heappush(heap, (-line, reason))
        elif self.max_rejections and -heap[0][0] > line:
            heapq.heapreplace(heap, (-line, reason))

    def defer(self, line: int, record: Record, raw: bytes | None = None) -> None:
        """Sets a record aside until after the last line: as its line (``raw``, for the types
        stored with the digest of their line) or encoded."""
        if self._spool is None:
            self._spool = tempfile.SpooledTemporaryFile(max_size=4 * 1024 * 1024)
        if raw is None:
            payload, kind = self._msgpack_encoder.encode(record), _SPOOLED_RECORD
        else:
            payload, kind = raw, _SPOOLED_LINE
        self._spool.write(_SPOOL_HEADER.pack(line, len(payload), kind))
        self._spool.write(payload)
        self.report.deferred += 1

    def _deferred_chunks(self, chunk_size: int, chunk_bytes: int) -> Iterator[_Chunk]:
        spool = self._spool
        if spool is None:
            return
        spool.seek(0)
        decode = msgspec.msgpack.Decoder(Record).decode
        key_decode = key_decoder.decode
        header = _SPOOL_HEADER
        chunk = _Chunk()
        while True:
            head = spool.read(header.size)
            if not head:
                break
            line, size, kind = header.unpack(head)
            payload = spool.read(size)
            if kind == _SPOOLED_LINE:  # a valid line (decoded before it was set aside)
                key = key_decode(payload)
                if type(key) in _KEYED_TYPES:
                    chunk.bucket(type(key)).append((line, key, payload))
                else:
                    chunk.snapshot.append((line, decoder.decode(payload), payload, None))
            else:
                record = decode(payload)
                chunk.bucket(type(record)).append((line, record))
            chunk.lines += 1
            chunk.weight += size
            if chunk.lines >= chunk_size or chunk.weight >= chunk_bytes:
                yield chunk
                chunk = _Chunk()
        if chunk.lines:
            yield chunk

    def close(self) -> None:
        if self._spool is not None:
            self._spool.close()
            self._spool = None

    def flush(self, chunk: _Chunk, *, final: bool) -> None:
        writer = self.writer
        records = self.report.records
        self._pending_runs = []
        skipped_snapshots = self._settle_snapshot_lines(chunk) if chunk.snapshot_lines else {}
        known = {}
        if chunk.creator:
            known, valid = writer.upsert_creators(chunk.creator, self.decode_line)
            records["creator"] += valid
        # One query for every other handle the chunk names.
        wanted = {(item[1].platform, item[1].handle) for item in chunk.post}
        wanted.update((item[1].platform, item[1].handle) for item in chunk.snapshot)
        wanted.update((item[1].platform, item[1].handle) for item in chunk.audience)
        wanted.update((r.platform, r.handle) for _, r in chunk.label)
        wanted.update((r.platform, r.source) for _, r in chunk.edge)
        wanted.update((r.platform, r.target) for _, r in chunk.edge)
        wanted.difference_update(known)
        if wanted:
            known.update(writer.creator_ids(list(wanted)))
        get = known.get
        for name, upsert in (("post", writer.upsert_posts), ("audience", writer.upsert_audiences)):
            items = getattr(chunk, name)
            if not items:
                continue
            resolved = []  # lines read by key: (line, record or key, raw line, creator id)
            for line, rec, raw in items:
                cid = get((rec.platform, rec.handle))
                if cid is None:
                    self._unresolved(final, line, rec, rec.platform, rec.handle, "handle", raw)
                else:
                    resolved.append((line, rec, raw, cid))
            setattr(chunk, name, None)  # let the lines go as soon as they are written
            if resolved:
                records[name] += upsert(resolved, self.decode_line, self.member_ids) if name == "audience" \
                    else upsert(resolved, self.decode_line)
            del resolved, items
        if chunk.snapshot or skipped_snapshots:
            resolved = []
            for line, rec, raw, digest in chunk.snapshot:
                cid = get((rec.platform, rec.handle))
                if cid is None:
                    self._unresolved(final, line, rec, rec.platform, rec.handle, "handle", raw)
                else:
                    resolved.append((line, rec, raw, cid, digest))
            chunk.snapshot = None
            records["snapshot"] += len(resolved)
            written = {} if self._pending_runs else None
            writer.upsert_snapshots(resolved, skipped_snapshots, written)
            if self._pending_runs:
                writer.record_runs(self._pending_runs, written, self._found_snapshots)
                self._pending_runs, self._found_snapshots = [], None
            del resolved
        if chunk.label:
            resolved = []
            for line, rec in chunk.label:
                cid = get((rec.platform, rec.handle))
                if cid is None:
                    self._unresolved(final, line, rec, rec.platform, rec.handle, "handle")
                else:
                    resolved.append((rec, cid))
            if resolved:
                records["label"] += len(resolved)
                writer.upsert_labels(resolved)
        if chunk.edge:
            resolved = []
            for line, rec in chunk.edge:
                src = get((rec.platform, rec.source))
                dst = get((rec.platform, rec.target))
                if src is None:
                    self._unresolved(final, line, rec, rec.platform, rec.source, "source")
                elif dst is None:
                    self._unresolved(final, line, rec, rec.platform, rec.target, "target")
                else:
                    resolved.append((rec, src, dst))
            if resolved:
                records["edge"] += len(resolved)
                writer.upsert_edges(resolved)

    def _settle_snapshot_lines(self, chunk: _Chunk) -> dict:
        """Snapshot lines that wrote their row as it is are skipped undecoded: a whole run of a
        creator's lines found by its digest and its rows' check (``imports/snapshot_runs.py``),
        any other line found by its own digest; the others are decoded into the chunk's buckets
        (an invalid one is rejected). -> {(creator id, date) of a line skipped alone: its line
        number}. Sets ``self._pending_runs``: the chunk's runs to store once it is written."""
        lines = chunk.snapshot_lines
        chunk.snapshot_lines = []
        writer = self.writer
        runs = find_runs(lines)
        run_digests = [writer.digest.run([raw for _, raw in lines[a:b]]) for a, b in runs]
        unchanged = writer.unchanged_runs(run_digests) if runs else {}
        if unchanged:
            inside = set()
            for i in unchanged:
                inside.update(range(*runs[i]))
            look = [j for j in range(len(lines)) if j not in inside]
        else:
            look = range(len(lines))
        digests = [0] * len(lines)
        found_lines, decoded, found = self._look_up_lines(lines, look, digests, chunk)
        if unchanged:
            # A creator's run is skipped only if no other snapshot line of the chunk names it.
            names = {(r.platform, r.handle) for _, r, *_ in chunk.snapshot}
            names.update((r.platform, r.handle) for _, r, *_ in decoded)
            cids = {key[0] for _, key in found_lines}
            conflicts = [i for i, (cid, platform, handle) in unchanged.items()
                         if cid in cids or (platform, handle) in names]
            if conflicts:
                look = [j for i in sorted(conflicts) for j in range(*runs[i])]
                more_found, more_decoded, more = self._look_up_lines(lines, look, digests, chunk)
                found_lines += more_found
                found_lines.sort(key=_line_of)
                decoded += more_decoded
                found.update(more)
                for i in conflicts:
                    del unchanged[i]
            skipped_lines = sum(runs[i][1] - runs[i][0] for i in unchanged)
            self.report.records["snapshot"] += skipped_lines
            # As many keys as lines: a run is stored only with distinct dates.
            writer.count("snapshot", 0, 0, skipped_lines)
        self.report.records["snapshot"] += len(found_lines)
        if decoded or chunk.snapshot:
            skipped = {key: line for line, key in found_lines}
        else:  # every line skipped (an unchanged re-import): no line is written to lose to them
            skipped = dict.fromkeys([key for _, key in found_lines], 0)
        snapshots = chunk.snapshot
        snapshots += decoded
        snapshots.sort(key=_line_of)
        self._pending_runs = [(run_digests[i], [line for line, _ in lines[a:b]], digests[a:b])
                              for i, (a, b) in enumerate(runs) if i not in unchanged]
        self._found_snapshots = found if self._pending_runs else {}
        return skipped

    def _look_up_lines(self, lines, look, digests: list, chunk: _Chunk):
        """Settles ``lines[j]`` for j in ``look`` one by one: by its digest (set in ``digests[j]``),
        or decoded. -> ([(line, key)] of the lines found, [(line, record, raw, digest)] of the
        snapshots decoded, {digest: key} of those found). Lines that are not snapshots after
        all go to their buckets; invalid ones are rejected."""
        if not look:
            return [], [], {}
        picked = [lines[j] for j in look] if type(look) is not range else lines
        line_digests = self.writer.digest.many([raw for _, raw in picked])
        if type(look) is range:
            digests[:] = line_digests
        else:
            for j, d in zip(look, line_digests):
                digests[j] = d
        writer = self.writer
        # While the table is filled *insert first* (see ChunkWriter._store) most lines are new: no
        # probe (the first chunk probes: a re-import finds its lines there).
        found = {} if writer.b.insert_first and writer._insert_first.get("follower_snapshots", False) \
            else writer.snapshots_by_digest(sorted(set(line_digests)))  # in index order
        if found:
            keys = list(map(found.get, line_digests))
            found_lines = [(line, key) for (line, _), key in zip(picked, keys) if key is not None]
            rest = [(line, raw, d) for (line, raw), d, key in zip(picked, line_digests, keys) if key is None]
        else:
            found_lines = []
            rest = [(line, raw, d) for (line, raw), d in zip(picked, line_digests)]
        del picked, line_digests
        if rest:
            decoded = self._decode_snapshot_lines(rest)
            if decoded is not None:
                return found_lines, decoded, found
        decode = decoder.decode
        decoded = []
        resort = set()
        for line, raw, d in rest:
            try:
                record = decode(raw)
            except _JSON_ERRORS as exc:
                self.reject(line, explain(raw, exc))
                continue
            if b"\\u" in raw:
                unstorable = unstorable_text(raw)
                if unstorable:
                    self.reject(line, unstorable)
                    continue
            kind = type(record)
            if kind is Snapshot:
                decoded.append((line, record, raw, d))
            else:  # not a snapshot: its first bytes misled
                resort.add(_BUCKET[kind])
                chunk.bucket(kind).append((line, record, raw) if kind in _WITH_LINE else (line, record))
        for name in resort:
            getattr(chunk, name).sort(key=_line_of)
        return found_lines, decoded, found

    @staticmethod
    def _decode_snapshot_lines(rest: list[tuple[int, bytes, int]]) -> list | None:
        """``rest`` ((line, raw line, digest)) decoded in one call, as ``decoder`` decodes each line:
        -> [(line, record, raw line, digest)], or None if any line is not a valid snapshot without
        a \\u escape (then each line is decoded on its own, for its rejection reason)."""
        batch = b"\n".join([raw for _, raw, _ in rest])
        if b"\\u" in batch:
            return None
        try:
            records = decoder.decode_lines(batch)  # blank lines skipped: each line gives one value or more
        except _JSON_ERRORS:
            return None
        # As many values as lines: no line holds a line break between two values of its own.
        if len(records) != len(rest) or any(type(r) is not Snapshot for r in records):
            return None
        return [(line, record, raw, d) for (line, raw, d), record in zip(rest, records)]

    def _unresolved(self, final: bool, line: int, rec, platform: str, handle: str, path: str,
                    raw: bytes | None = None) -> None:
        if final:
            self.reject(
                line,
                f"unknown creator {platform}/@{handle} - at `$.{path}` "
                "(not defined in this file nor already in this workspace)",
            )
        elif raw is None:
            self.defer(line, rec)
        elif type(rec) not in _KEYED_TYPES or self.decode_line(line, raw) is not None:
            # A line read by key is validated before it is set aside (an invalid line is
            # rejected for what is wrong with it, whatever its creator).
            self.defer(line, rec, raw)

    # ---- generic read-classify-write
